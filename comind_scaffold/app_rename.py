"""Rename an app: `apps/<old>` becomes `apps/<new>`, rendered for the new name with the user's edits kept.

Copier cannot update across a rename: the app template checks that `app_name` is the folder it is rendered into,
for the old render (old name, new folder) as for the new one (new name, old folder). So the three-way merge is
done here, file by file, between the same template version rendered for the old answers (the base), the app
as the user has it, and that version rendered for the new answers; nothing is written when an edit clashes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from comind_scaffold import _git
from comind_scaffold import constants as c
from comind_scaffold.update_guard import merge_three, render_answers


@dataclass(frozen=True)
class RenamePlan:
    """What renaming an app will write, worked out before anything is written.

    Attributes:
        folder: The app's folder now, relative to the repository.
        moves_to: Its folder after the rename.
        files: The new folder's files (relative to it) with their merged bytes.
        clashes: Files whose edits clash with the new name's render, relative to the repository.

    """

    folder: str
    moves_to: str
    files: dict[str, bytes]
    clashes: list[str]


def plan_rename(root: Path, folder: str, moves_to: str, changes: Mapping[str, Any]) -> RenamePlan:
    """Merge the app at `folder` with its render for `changes` (which include the new `app_name`); write nothing.

    Files the user added are kept as they are; files the user deleted stay deleted.
    """
    recorded = yaml.safe_load((root / folder / c.APP_ANSWERS).read_text()) or {}
    base = render_answers(root, folder, recorded)
    theirs = render_answers(root, moves_to, {**recorded, **changes})
    mine = {name.removeprefix(f"{folder}/"): (root / name).read_bytes() for name in _git.tracked(root, folder)}
    files: dict[str, bytes] = {}
    clashes = []
    for name in sorted(set(mine) | set(theirs)):
        if name == c.APP_ANSWERS:
            files[name] = _keep_recorded_source(theirs[name], mine[name])
            continue
        if name not in mine:
            if name not in base:  # new for the new answers
                files[name] = theirs[name]
            continue  # the user deleted it
        if name not in theirs:
            files[name] = mine[name]  # the user's own file, or one the new answers no longer render: keep it
            continue
        merged, clean = merge_three(mine[name], base.get(name, b""), theirs[name])
        if not clean:
            clashes.append(f"{folder}/{name}")
        files[name] = merged
    return RenamePlan(folder=folder, moves_to=moves_to, files=files, clashes=clashes)


def apply_rename(root: Path, plan: RenamePlan) -> None:
    """Write the planned folder and remove the old one; files git ignores there (caches) move along."""
    source, target = root / plan.folder, root / plan.moves_to
    for name, content in plan.files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(content)
    for name in _git.tracked(root, plan.folder):
        (root / name).unlink()
    for leftover in sorted(p for p in source.rglob("*") if p.is_file() or p.is_symlink()):
        moved = target / leftover.relative_to(source)
        if not moved.exists():
            moved.parent.mkdir(parents=True, exist_ok=True)
            leftover.rename(moved)
    for path in sorted(source.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    if not any(source.iterdir()):
        source.rmdir()


def _keep_recorded_source(rendered: bytes, recorded: bytes) -> bytes:
    """The new answers file, with the template source the app records (a render records where it read from)."""
    line = next((ln for ln in recorded.splitlines(keepends=True) if ln.startswith(b"_src_path:")), None)
    if line is None:
        return rendered
    return b"".join(line if ln.startswith(b"_src_path:") else ln for ln in rendered.splitlines(keepends=True))
