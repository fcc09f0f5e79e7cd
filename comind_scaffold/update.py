"""Update apps (and the platform) to a newer template with Copier's three-way merge, and undo the last update.

Before anything changes, the commit and the folders being updated are recorded in `.comind/update-state.json`;
`abort_update` puts exactly those folders back (index, files, and the files the update created).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from comind_scaffold import _copier, _git
from comind_scaffold import constants as c
from comind_scaffold.app_answers import platform_facts
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.scaffold import find_platform, sync_projects
from comind_scaffold.specs import load_app_spec, load_platform_spec

STATE_FILE = f"{c.LOCAL_STATE_DIR}/update-state.json"
PLATFORM = "platform"
_MARKERS = ("<<<<<<< before updating", ">>>>>>> after updating")
_DESCRIBE = re.compile(r"^v?(?P<release>[0-9]+(\.[0-9]+)*)(-(?P<ahead>[0-9]+)-g[0-9a-f]+)?$")


class UpdateResult(BaseModel):
    """The outcome of updating one app (or the platform).

    Attributes:
        name: App name, or `platform`.
        path: Folder updated, relative to the repository.
        old_version: Template version before.
        new_version: Template version after.
        status: `updated`, `unchanged`, `conflicts` or `failed`.
        conflicts: Files left with conflict markers, relative to the repository.
        message: Why it failed, when it did.

    """

    model_config = ConfigDict(frozen=True)

    name: str
    path: str
    old_version: str
    new_version: str
    status: Literal["updated", "unchanged", "conflicts", "failed"]
    conflicts: list[str] = []
    message: str = ""


class UpdateReport(BaseModel):
    """Every result of one `comind update`."""

    model_config = ConfigDict(frozen=True)

    results: list[UpdateResult]

    @property
    def conflicted(self) -> list[UpdateResult]:
        """Results that left conflicts."""
        return [r for r in self.results if r.status == "conflicts"]

    @property
    def failed(self) -> list[UpdateResult]:
        """Results that failed outright."""
        return [r for r in self.results if r.status == "failed"]


def _targets(repo: PlatformRepo, apps: Sequence[str], every: bool, platform: bool) -> list[tuple[str, str]]:
    """(name, folder relative to the repository) of what to update."""
    if sum([bool(apps), every, platform]) != 1:
        raise InputError("apps", "name the apps to update, or pass exactly one of --all and --platform")
    if platform:
        return [(PLATFORM, ".")]
    found = {p.parent.name for p in (repo.root / c.APPS_DIR).glob(f"*/{c.APP_ANSWERS}")}
    if every:
        if not found:
            raise InputError("apps", f"no app under {c.APPS_DIR}/ to update")
        return [(name, f"{c.APPS_DIR}/{name}") for name in sorted(found)]
    for name in apps:
        if name not in found:
            raise InputError("apps", f"{name!r} is not an app of this platform ({', '.join(sorted(found)) or 'none'})")
    return [(name, f"{c.APPS_DIR}/{name}") for name in dict.fromkeys(apps)]


def _recorded_version(repo: PlatformRepo, folder: str) -> str:
    answers = repo.root / folder / c.APP_ANSWERS
    spec = load_platform_spec(answers) if folder == "." else load_app_spec(answers)
    if not spec.src_path or not spec.commit:
        raise TemplateError(f"{folder}/{c.APP_ANSWERS}: no _src_path/_commit recorded, so it cannot be updated")
    return spec.commit


def update(
    platform_dir: Path | str = ".",
    apps: Sequence[str] = (),
    *,
    every: bool = False,
    platform: bool = False,
    vcs_ref: str | None = None,
    jobs: int | None = None,
) -> UpdateReport:
    """Update apps (or the platform) to the template version `vcs_ref` (default: the newest tag).

    Apps are updated in parallel processes (each is its own folder; git commands run one at a time).
    Conflicts are reported, not raised; the caller decides the exit code.

    Raises:
        InputError: Unknown app, or no target named.
        TemplateError: Uncommitted changes in a target, or an answers file without a recorded template.

    """
    repo = find_platform(platform_dir)
    targets = _targets(repo, apps, every, platform)
    before = {name: _recorded_version(repo, folder) for name, folder in targets}
    _git.require_clean(repo.root, *(folder for _, folder in targets))
    _save_state(repo.root, _git.head(repo.root), [folder for _, folder in targets], created=[])
    # Apps take the platform's current facts, so a changed repo URL, domain or service port reaches them too.
    facts = {} if platform else platform_facts(repo)
    if len(targets) == 1:
        with _copier.shared_clones():
            errors = [_copier.update_or_error(repo.root / targets[0][1], vcs_ref=vcs_ref, data=facts)]
    else:
        errors = _update_in_worktrees(repo.root, [folder for _, folder in targets], vcs_ref, jobs, facts)
    results = []
    for (name, folder), error in zip(targets, errors, strict=True):
        conflicts = _conflicts(repo.root, folder)
        after = before[name] if error else _recorded_version(repo, folder)
        if error:
            status = "failed"
        elif conflicts:
            status = "conflicts"
        else:
            status = "updated" if after != before[name] or _git.status(repo.root, folder) else "unchanged"
        results.append(
            UpdateResult(
                name=name,
                path=folder,
                old_version=before[name],
                new_version=after,
                status=status,
                conflicts=conflicts,
                message=error or "",
            )
        )
    if not platform and not any(r.status == "failed" for r in results):
        sync_projects(repo)
    folders = [folder for _, folder in targets]
    _save_state(repo.root, _git.head(repo.root), folders, created=_git.untracked(repo.root, *folders))
    return UpdateReport(results=results)


def _update_in_worktrees(
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
                batches = [_update_batch(str(trees[0]), shares[0], vcs_ref, facts)]
            else:
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    batches = list(
                        pool.map(_update_batch, map(str, trees), shares, [vcs_ref] * workers, [facts] * workers)
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
    tree: str, folders: list[str], vcs_ref: str | None, facts: dict[str, Any]
) -> list[tuple[str | None, list[str]]]:
    """Update `folders` of one work tree in turn (a worker); return each one's error text and parked conflicts."""
    results = []
    with _copier.shared_clones():
        for folder in folders:
            error = _copier.update_or_error(Path(tree) / folder, vcs_ref=vcs_ref, data=facts)
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


def _conflicts(root: Path, folder: str) -> list[str]:
    """Files under `folder` that git marks unmerged or that hold Copier's conflict markers."""
    found = set(_git.unmerged(root, folder))
    for line in _git.status(root, folder):
        name = line[3:].strip('"')
        path = root / name
        if path.is_file() and name not in found:
            with path.open("rb") as handle:
                if any(raw.rstrip().decode(errors="replace") in _MARKERS for raw in handle):
                    found.add(name)
    return sorted(found)


def _save_state(root: Path, commit: str, folders: list[str], created: list[str]) -> None:
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
    repo = find_platform(platform_dir)
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
    path.unlink()
    return list(state["folders"])


class VersionStatus(BaseModel):
    """Template version of one app (or the platform) against the newest template tag."""

    model_config = ConfigDict(frozen=True)

    name: str
    current: str
    latest: str
    outdated: bool


def parse_version(text: str) -> tuple[int, ...] | None:
    """Parse a tag or `git describe` string (`v1.2.0`, `v1.2.0-3-gabc1234`) into a comparable tuple, else None."""
    found = _DESCRIBE.match(text.strip())
    if not found:
        return None
    return (*(int(part) for part in found["release"].split(".")), int(found["ahead"] or 0))


def check_update(platform_dir: Path | str = ".") -> list[VersionStatus]:
    """Each app's and the platform's template version against the newest tag of the template they came from."""
    repo = find_platform(platform_dir)
    newest_of: dict[str, str] = {}
    entries = [(PLATFORM, repo.spec.src_path, repo.spec.commit)]
    entries += [(app.app_name, app.src_path, app.commit) for app in repo.apps]
    statuses = []
    for name, source, current in entries:
        if source not in newest_of:
            tags = [tag for tag in _git.version_tags(source) if parse_version(tag)] if source else []
            newest_of[source] = max(tags, key=lambda tag: parse_version(tag) or (), default="")
        latest = newest_of[source]
        mine, theirs = parse_version(current), parse_version(latest)
        outdated = bool(mine and theirs and theirs[:-1] > mine[:-1])
        statuses.append(VersionStatus(name=name, current=current or "?", latest=latest or "?", outdated=outdated))
    return statuses
