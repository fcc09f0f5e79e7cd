"""Updating many folders at once: Copier in parallel processes, each in a sparse git work tree of its own.

Kept apart from update.py because it changes with how git and Copier behave under concurrency (one index per
process, conflicts parked and brought back), not with what an update means.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from comind_scaffold import _copier, _git
from comind_scaffold import constants as c

__all__ = ["update_in_worktrees"]


def update_in_worktrees(
    root: Path, folders: list[str], vcs_ref: str | None, jobs: int | None, facts: dict[str, Any]
) -> list[str | None]:
    """Update the folders in parallel processes, each process in a sparse git work tree of its own.

    Copier records conflicts in the git index and its next update in that index then fails (`git write-tree`),
    and two processes cannot share one index: each worker has its own work tree, and after each app it parks
    the app's conflicts and clears them from its index. The results, and the parked conflicts, are brought back
    into the repository at the end. Only git-tracked files are removed on the way back.
    """
    workers = max(1, min(jobs or os.cpu_count() or 1, len(folders)))
    shares = [folders[index::workers] for index in range(workers)]
    shared = [f"/{c.PLATFORM_ANSWERS}", f"/{c.SERVICES_FILE}"]
    outcome: dict[str, tuple[str | None, list[str]]] = {}
    _copier.preload()
    with tempfile.TemporaryDirectory(prefix="comind-update-") as scratch:
        trees = [Path(scratch) / f"worker{index}" for index in range(workers)]
        try:
            for tree, share in zip(trees, shares, strict=True):
                _git.add_worktree(root, tree, *shared, *(f"/{folder}/" for folder in share))
            if workers == 1:
                batches = [_update_batch(str(trees[0]), shares[0], vcs_ref, facts, str(root))]
            else:
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    batches = list(
                        pool.map(_update_batch, map(str, trees), shares, [vcs_ref] * workers, [facts] * workers,
                                 [str(root)] * workers)
                    )
            for tree, share, batch in zip(trees, shares, batches, strict=True):
                for folder, (error, parked) in zip(share, batch, strict=True):
                    outcome[folder] = (error, parked)
                    if error is None:
                        _bring_back(tree, root, folder, parked)
        finally:
            for tree in trees:
                _git.remove_worktree(root, tree)
    return [outcome[folder][0] for folder in folders]


def _update_batch(
    tree: str, folders: list[str], vcs_ref: str | None, facts: dict[str, Any], root: str
) -> list[tuple[str | None, list[str]]]:
    """Update `folders` of one work tree in turn (a worker); return each one's error text and parked conflicts.

    A source recorded relative to the app (`copier copy templates/app …` records `../..`) is found in `root`:
    the sparse work tree holds only the apps and the platform's answers.
    """
    results = []
    with _copier.shared_clones():
        for folder in folders:
            error = _copier.update_or_error(Path(tree) / folder, vcs_ref=vcs_ref, data=facts, mirrors=Path(root))
            results.append((error, _git.park_unmerged(Path(tree), folder)))
    return results


def _bring_back(tree: Path, root: Path, folder: str, parked: list[str]) -> None:
    produced = {str(p.relative_to(tree)) for p in (tree / folder).rglob("*") if p.is_file() or p.is_symlink()}
    for name in sorted(produced):
        source, target = tree / name, root / name
        if not target.is_file() or target.read_bytes() != source.read_bytes():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for name in _git.tracked(root, folder):
        if name not in produced:
            (root / name).unlink(missing_ok=True)
    _git.record_unmerged(root, parked)
