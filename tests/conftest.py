"""Shared test configuration: the --require-real switch and the real-component fixtures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The suite runs the venv's own console scripts (`comind`, `copier`) by name, as a user would; put the folder of the
# interpreter running pytest first on PATH so that they are the ones found, never whatever else a machine has on PATH.
VENV_BIN = Path(sys.executable).parent
os.environ["PATH"] = os.pathsep.join([str(VENV_BIN), *os.environ.get("PATH", "").split(os.pathsep)])

pytest_plugins = [
    "tests.components.fixtures_kube",
    "tests.components.fixtures_docker",
    "tests.components.fixtures_terraform",
]


@pytest.fixture
def repos(tmp_path: Path) -> tuple[Path, Path]:
    """A template repository tagged v1.0.0 and a platform generated from it, both committed."""
    from tests.helpers_scaffold import make_platform, make_template_repo

    template = make_template_repo(tmp_path / "template")
    return template, make_platform(template, tmp_path / "platform")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("comind-tests")
    group.addoption(
        "--require-real",
        action="store_true",
        default=False,
        help="fail (instead of skip) every test whose real component (Docker, apiserver, terraform…) is missing",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Run from `make test`, the outer make's state would leak into the `make` the tests run (it then prints
    # "Entering directory" lines and inherits flags): tests see the environment a user's shell has.
    for name in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"):
        os.environ.pop(name, None)
