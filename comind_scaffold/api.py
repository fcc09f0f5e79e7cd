"""The library verbs behind every `comind` command, in one place for Python callers.

Names resolve lazily, so importing this module does not load Docker, database or cloud clients that a
caller may never use.
"""

from __future__ import annotations

import importlib
from typing import Any

_VERBS = {
    # scaffolding (templates/platform, templates/app)
    "init_platform": "comind_scaffold.scaffold",
    "new_app": "comind_scaffold.scaffold",
    "sync_projects": "comind_scaffold.scaffold",
    "update": "comind_scaffold.update",
    "abort_update": "comind_scaffold.update",
    "check_update": "comind_scaffold.update",
    "change_answers": "comind_scaffold.answers_change",
    # offline validation
    "validate": "comind_scaffold.validation.run",
    # local Docker services
    "services_up": "comind_scaffold.services",
    "services_status": "comind_scaffold.services",
    "services_stop": "comind_scaffold.services",
    "services_logs": "comind_scaffold.services",
    "services_clean": "comind_scaffold.services",
    # terraform and bootstrap
    "tf": "comind_scaffold.tf",
    "bootstrap": "comind_scaffold.bootstrap",
    "BootstrapOptions": "comind_scaffold.bootstrap",
    # the platform repository
    "PlatformRepo": "comind_scaffold.repo",
}

__all__ = sorted(_VERBS)


def __getattr__(name: str) -> Any:
    module = _VERBS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
