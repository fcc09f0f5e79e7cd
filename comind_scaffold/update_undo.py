"""Undoing `comind update`: the record written before anything changes, and `abort_update`, which reads it.

The record (`.comind/update-state.json`) holds the commit, the folders being updated and the files the update
created; `abort_update` puts exactly those folders back (index and files) and removes the created files.
"""

from __future__ import annotations

import json
from pathlib import Path

from comind_scaffold import _git
from comind_scaffold import constants as c
from comind_scaffold.errors import TemplateError
from comind_scaffold.repo import PlatformRepo

__all__ = ["STATE_FILE", "abort_update", "save_state"]

STATE_FILE = f"{c.LOCAL_STATE_DIR}/update-state.json"


def save_state(root: Path, commit: str, folders: list[str], created: list[str]) -> None:
    """Record what `abort_update` would put back: `folders` as of `commit`, and the files the update `created`."""
    path = root / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"commit": commit, "folders": folders, "created": created}, indent=2) + "\n")


def abort_update(platform_dir: Path | str = ".") -> list[str]:
    """Put the folders of the last `comind update` back exactly as they were before it.

    Returns:
        The folders restored.

    Raises:
        TemplateError: No update to abort, or it was committed since (HEAD moved).

    """
    repo = PlatformRepo.open(platform_dir)
    path = repo.root / STATE_FILE
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError as err:
        raise TemplateError("update: there is no update to abort (no .comind/update-state.json)") from err
    except json.JSONDecodeError as err:
        raise TemplateError(f"{STATE_FILE}: not valid JSON; restore by hand with git checkout") from err
    if _git.head(repo.root) != state["commit"]:
        raise TemplateError(
            f"update: HEAD moved since the last update (it was {state['commit'][:12]}), so it was committed or "
            f"reset; nothing aborted (remove {STATE_FILE} to forget it)"
        )
    _git.restore(repo.root, state["commit"], state["folders"], state["created"])
    for name in state["created"]:  # folders a renamed app left behind
        for folder in (repo.root / name).parents:
            if folder == repo.root or not folder.is_dir() or any(folder.iterdir()):
                break
            folder.rmdir()
    path.unlink()
    return list(state["folders"])
