"""A platform repository on disk: its answers, services and apps, read lazily and once."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from comind_scaffold import constants as c
from comind_scaffold.errors import TemplateError
from comind_scaffold.specs import (
    AppSpec,
    PlatformSpec,
    ServicesSpec,
    load_app_spec,
    load_platform_spec,
    load_services_spec,
)


class PlatformRepo:
    """What a generated platform repository declares.

    Attributes:
        root: The repository's top folder (holds `.copier-answers.yml`).
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"<PlatformRepo {self.root}>"

    @classmethod
    def open(cls, path: Path | str | None = None) -> PlatformRepo:
        """The platform repository at or above `path` (default: the working directory), its answers read.

        The one way every command opens its platform.

        Raises:
            TemplateError: None found, or its answers are unreadable (one line).

        """
        repo = cls.find(path if path is not None else ".")
        _ = repo.spec
        return repo

    @classmethod
    def find(cls, start: Path | str = ".") -> PlatformRepo:
        """The platform repository containing `start` (searching upwards); its answers are not read yet."""
        here = Path(start).resolve()
        for folder in (here, *here.parents):
            answers = folder / c.PLATFORM_ANSWERS
            if answers.is_file() and (folder / c.SERVICES_FILE).is_file():
                return cls(folder)
        raise TemplateError(
            f"{here}: not inside a comind-ops platform repository (no {c.PLATFORM_ANSWERS} with {c.SERVICES_FILE}) "
            "(run from the platform repository or pass --platform-dir)"
        )

    @cached_property
    def spec(self) -> PlatformSpec:
        """The platform's answers."""
        return load_platform_spec(self.root / c.PLATFORM_ANSWERS)

    @cached_property
    def services(self) -> ServicesSpec:
        """The local Docker services."""
        return load_services_spec(self.root / c.SERVICES_FILE)

    @cached_property
    def apps(self) -> list[AppSpec]:
        """Every app under apps/, sorted by name."""
        found = sorted((self.root / c.APPS_DIR).glob(f"*/{c.APP_ANSWERS}"))
        return [load_app_spec(path) for path in found]

    def app_dir(self, name: str) -> Path:
        """Folder of one app."""
        return self.root / c.APPS_DIR / name

    @property
    def credentials_path(self) -> Path:
        """Local-only generated credentials (git-ignored)."""
        return self.root / c.LOCAL_CREDENTIALS
