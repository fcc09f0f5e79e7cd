"""How far an Argo CD AppProject reaches.

Globs that widen it beyond the platform repository, the team's namespaces and the cluster-scoped kinds it names.
A pattern Argo CD negates (`!…`) only narrows and is fine.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["project_overreach"]

_GLOB = re.compile(r"[*?\[]")


def _is_glob(value: Any) -> bool:
    return isinstance(value, str) and not value.startswith("!") and bool(_GLOB.search(value))


def _entries(spec: dict[str, Any], key: str) -> list[Any]:
    value = spec.get(key)
    return value if isinstance(value, list) else []  # foreign input can hold anything


def project_overreach(spec: dict[str, Any]) -> list[str]:
    """What an AppProject's spec allows through globs, one phrase per entry ('sourceRepos allows …')."""
    found = []
    for repo in _entries(spec, "sourceRepos"):
        if _is_glob(repo):
            found.append(f"sourceRepos allows {repo!r} (a glob: list the platform repository)")
    for dest in _entries(spec, "destinations"):
        for key in ("server", "namespace", "name"):
            value = dest.get(key) if isinstance(dest, dict) else None
            if value == "*":
                found.append(f"a destination allows any {key} ('*')")
            elif _is_glob(value):
                found.append(f"a destination allows {key} {value!r} (a glob: list the team's namespaces)")
    for entry in _entries(spec, "clusterResourceWhitelist"):
        if not isinstance(entry, dict):
            continue
        group, kind = entry.get("group"), entry.get("kind")
        if "*" in (group, kind):
            found.append("clusterResourceWhitelist allows '*'")
        elif _is_glob(group) or _is_glob(kind):
            found.append(f"clusterResourceWhitelist allows {group!r}/{kind!r} (a glob: name the kinds)")
    return found
