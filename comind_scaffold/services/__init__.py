"""The local services of a platform (PostgreSQL, MinIO, Redis, ElasticMQ) as labelled Docker containers.

Names resolve lazily: reading credentials or specs must not load the Docker, PostgreSQL and MinIO clients.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "UpReport": "manager",
    "clean": "manager",
    "clean_plan": "manager",
    "logs": "manager",
    "status": "manager",
    "stop": "manager",
    "up": "manager",
    "probe_elasticmq": "probes",
    "probe_minio": "probes",
    "probe_postgresql": "probes",
    "probe_redis": "probes",
    "probe_service": "probes",
    "Action": "report",
    "Change": "report",
    "ServiceStatus": "report",
}
_ALIASES = {
    "services_up": "up",
    "services_status": "status",
    "services_stop": "stop",
    "services_logs": "logs",
    "services_clean": "clean",
}

__all__ = sorted([*_NAMES, *_ALIASES])


def __getattr__(name: str) -> Any:
    target = _ALIASES.get(name, name)
    module = _NAMES.get(target)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), target)
