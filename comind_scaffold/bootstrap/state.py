"""`.comind/bootstrap-state.json`: the phases a run completed, so an interrupted run resumes after the last one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from comind_scaffold import constants as c
from comind_scaffold._files import write_atomic
from comind_scaffold.bootstrap.options import PHASES
from comind_scaffold.repo import PlatformRepo

STATE_FILE = c.BOOTSTRAP_STATE


class BootstrapState:
    """The record of one run: its profile and mode, the phases completed, and whether it finished."""

    def __init__(self, path: Path, profile: str, existing_cluster: bool) -> None:
        self.path = path
        self.key = {"profile": profile, "existing_cluster": existing_cluster}
        self.completed: list[str] = []
        self.finished = False

    @classmethod
    def load(cls, path: Path, profile: str, existing_cluster: bool) -> BootstrapState:
        """Return the unfinished run of the same profile and mode, else a fresh state."""
        state = cls(path, profile, existing_cluster)
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return state
        if all(data.get(k) == v for k, v in state.key.items()) and not data.get("finished", True):
            state.completed = [p for p in data.get("completed", []) if p in PHASES]
        return state

    def save(self) -> None:
        """Write atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {**self.key, "completed": self.completed, "finished": self.finished,
                "updated": datetime.now(UTC).isoformat(timespec="seconds")}
        write_atomic(self.path, json.dumps(data, indent=2) + "\n")

    def complete(self, phase: str) -> None:
        """Record a completed phase."""
        if phase not in self.completed:
            self.completed.append(phase)
        self.save()


def read_state(repo: PlatformRepo) -> dict[str, Any] | None:
    """Return the recorded state of the last run, or None."""
    try:
        data = json.loads((repo.root / STATE_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None
