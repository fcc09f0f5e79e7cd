"""Wheel build step: the templates travel inside the package, so an installed comind needs no checkout.

Everything else is declared in pyproject.toml; this only copies the root copier.yml and templates/ into
comind_scaffold/_bundled/ of the build (never into the source tree).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("copier.yml", "templates")


class BuildWithTemplates(build_py):
    """build_py, then the templates into the built package."""

    def run(self) -> None:
        """Build the package, then copy the templates in (an editable install reads the checkout's own)."""
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout's own templates
        for test in (Path(self.build_lib) / "comind_scaffold" / "provider_localdev").glob("*_test.go"):
            test.unlink()  # the provider's Go tests are for this repository; a user's build never compiles them
        target = Path(self.build_lib) / "comind_scaffold" / "_bundled"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name in BUNDLED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithTemplates})
