"""Update apps (and the platform) to a newer template with Copier's three-way merge.

Before anything changes, the commit and the folders being updated are recorded for `comind update --abort`
(update_undo.py). Around Copier, `update_guard` makes sure nothing is lost and the result is checked; many
apps are updated in parallel work trees (update_worktrees.py); `apply_update` also serves `comind set`
(answers changed on the way, an app renamed by `app_rename`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from comind_scaffold import _copier, _git
from comind_scaffold import constants as c
from comind_scaffold._kustomize import kustomize_command
from comind_scaffold.app_answers import platform_facts
from comind_scaffold.app_rename import RenamePlan, apply_rename, plan_rename
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.models import CheckResult
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.scaffold import sync_projects
from comind_scaffold.specs import load_app_spec, load_platform_spec
from comind_scaffold.update_check import PLATFORM
from comind_scaffold.update_guard import (
    PROJECTS_DIR,
    FileSnapshot,
    changed_failures,
    keep_removed_edits,
    refuse_committed_markers,
)
from comind_scaffold.update_undo import save_state
from comind_scaffold.update_worktrees import update_in_worktrees

_MARKERS = ("<<<<<<< before updating", ">>>>>>> after updating")


class UpdateResult(BaseModel):
    """The outcome of updating one app (or the platform).

    Attributes:
        name: App name, or `platform`.
        path: Folder updated, relative to the repository (the new folder when the app was renamed).
        old_version: Template version before.
        new_version: Template version after.
        status: `updated`, `unchanged`, `conflicts` or `failed`.
        conflicts: Files left with conflict markers, relative to the repository.
        kept: One line per edited file the template removed or renamed: what happened, where the edits are.
        message: Why it failed, when it did.

    """

    model_config = ConfigDict(frozen=True)

    name: str
    path: str
    old_version: str
    new_version: str
    status: Literal["updated", "unchanged", "conflicts", "failed"]
    conflicts: list[str] = []
    kept: list[str] = []
    message: str = ""


class UpdateReport(BaseModel):
    """Every result of one `comind update`, the AppProjects it synced and the checks of what it changed.

    Attributes:
        results: One per app (or the platform).
        projects: AppProject files whose destinations changed.
        failures: Static check failures that concern what the update changed.
        notes: What the user should know beyond the results (e.g. Terraform state after a rename).

    """

    model_config = ConfigDict(frozen=True)

    results: list[UpdateResult]
    projects: list[str] = []
    failures: list[CheckResult] = []
    notes: list[str] = []

    @property
    def conflicted(self) -> list[UpdateResult]:
        """Results that left conflicts (or kept edits of files the template removed or renamed)."""
        return [r for r in self.results if r.status == "conflicts"]

    @property
    def failed(self) -> list[UpdateResult]:
        """Results that failed outright."""
        return [r for r in self.results if r.status == "failed"]


class UpdateTarget(BaseModel):
    """One folder to update.

    Attributes:
        name: App name, or `platform`.
        folder: Its folder, relative to the repository.
        answers: Answers to change on the way (only when it is the one target).
        moves_to: The folder it ends up in when `app_name` changes.

    """

    model_config = ConfigDict(frozen=True)

    name: str
    folder: str
    answers: dict[str, Any] = {}
    moves_to: str = ""


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
    Conflicts, failures and failed checks are reported, not raised; the caller decides the exit code.

    Raises:
        InputError: Unknown app, or no target named.
        TemplateError: Uncommitted changes or committed conflict markers in a target, or an answers file
            without a recorded template.
        ToolNotFoundError: No kustomize or kubectl to check the result with.

    """
    repo = PlatformRepo.open(platform_dir)
    targets = [UpdateTarget(name=name, folder=folder) for name, folder in _targets(repo, apps, every, platform)]
    return apply_update(repo, targets, vcs_ref=vcs_ref, jobs=jobs)


def apply_update(
    repo: PlatformRepo, targets: Sequence[UpdateTarget], *, vcs_ref: str | None, jobs: int | None = None
) -> UpdateReport:
    """Update `targets` with Copier, then make the platform consistent again and check what changed.

    Refused before anything changes: uncommitted changes (in the targets or the AppProjects the sync
    rewrites), committed conflict markers, no kustomize to check the result with. Afterwards: edits of files
    the template removed or renamed are kept, the AppProjects are synced, files whose bytes did not change
    keep their mtime, and the static checks run on what changed.
    """
    if any(t.answers or t.moves_to for t in targets) and len(targets) != 1:
        raise InputError("data", "answers can be changed for one app at a time")
    folders = [t.folder for t in targets]
    guarded = [*folders, PROJECTS_DIR] if "." not in folders else folders
    before = {t.name: _recorded_version(repo, t.folder) for t in targets}
    _git.require_clean(repo.root, *guarded)
    refuse_committed_markers(repo.root, folders)
    if vcs_ref:  # an unknown tag is bad input, named once, before anything changes (one look-up per source)
        first_of = {_copier.recorded_source(repo.root / folder)[0]: folder for folder in reversed(folders)}
        for folder in first_of.values():
            _copier.check_ref(repo.root / folder, vcs_ref)
    kustomize_command()  # the result is checked afterwards: fail now, before anything changes
    # Apps take the platform's current facts, so a changed repo URL, domain or service port reaches them too.
    facts = {} if "." in folders else platform_facts(repo)
    renaming = _plan_rename(repo, targets[0], facts) if targets[0].moves_to else None
    snapshot = FileSnapshot(repo.root, guarded)
    save_state(repo.root, _git.head(repo.root), guarded, created=[])
    if renaming is not None:
        apply_rename(repo.root, renaming)
        errors: list[str | None] = [None]
    elif len(targets) == 1:
        with _copier.shared_clones():
            data = {**facts, **targets[0].answers}
            errors = [_copier.update_or_error(repo.root / folders[0], vcs_ref=vcs_ref, data=data)]
    else:
        errors = update_in_worktrees(repo.root, folders, vcs_ref, jobs, facts)
    results = [
        _settle(repo, target, before[target.name], error, snapshot)
        for target, error in zip(targets, errors, strict=True)
    ]
    # A conflict inside an AppProject's destinations block is the user's to resolve; the sync would overwrite it.
    projects_conflicted = any(f.startswith(f"{PROJECTS_DIR}/") for r in results for f in r.conflicts)
    synced = any(r.status != "failed" for r in results) and not projects_conflicted
    projects = sync_projects(PlatformRepo(repo.root)) if synced else []
    snapshot.keep_unchanged_times()
    changed = [r for r in results if r.status == "updated"]
    cached = _render_cache_files(repo.root)
    failures = changed_failures(repo.root, [r.path for r in changed] + projects, _namespaces(repo, changed))
    # `--abort` restores byte for byte, so the renders the checks cached count among what the update created.
    created = _git.untracked(repo.root, *guarded, *(t.moves_to for t in targets if t.moves_to))
    created += sorted(_render_cache_files(repo.root) - cached)
    save_state(repo.root, _git.head(repo.root), guarded, created=created)
    return UpdateReport(results=results, projects=projects, failures=failures)


def _plan_rename(repo: PlatformRepo, target: UpdateTarget, facts: Mapping[str, Any]) -> RenamePlan:
    """The rename of `target`, refused (before anything is written) when the user's edits clash with it."""
    plan = plan_rename(repo.root, target.folder, target.moves_to, {**facts, **target.answers})
    if plan.clashes:
        raise InputError(
            "app_name",
            f"renaming {target.name} to {Path(target.moves_to).name} clashes with your edits in "
            f"{', '.join(plan.clashes)}; nothing changed (change those lines by hand, or keep the name)",
        )
    return plan


def _render_cache_files(root: Path) -> set[str]:
    cache = root / c.RENDER_CACHE_DIR
    return {str(p.relative_to(root)) for p in cache.rglob("*") if p.is_file()} if cache.is_dir() else set()


def _namespaces(repo: PlatformRepo, results: Sequence[UpdateResult]) -> list[str]:
    """The namespaces of the apps among `results`."""
    specs = [load_app_spec(repo.root / r.path / c.APP_ANSWERS) for r in results if r.path != "."]
    return [spec.namespace(env) for spec in specs for env in spec.environments]


def _settle(
    repo: PlatformRepo,
    target: UpdateTarget,
    old_version: str,
    error: str | None,
    snapshot: FileSnapshot,
) -> UpdateResult:
    """The result of one target once Copier is done, edits of files the template removed kept."""
    if error:
        return UpdateResult(
            name=target.name,
            path=target.folder,
            old_version=old_version,
            new_version=old_version,
            status="failed",
            message=error,
        )
    where = target.moves_to or target.folder
    kept = [] if target.moves_to else keep_removed_edits(repo.root, snapshot.under(where), where)
    conflicts = _conflicts(repo.root, where)
    after = _recorded_version(repo, where)
    if conflicts or kept:
        status = "conflicts"
    else:
        status = "updated" if after != old_version or _git.status(repo.root, where) else "unchanged"
    return UpdateResult(
        name=target.name,
        path=where,
        old_version=old_version,
        new_version=after,
        status=status,
        conflicts=conflicts,
        kept=kept,
    )


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
