"""Change an app's answers (`comind set APP KEY=VALUE …`): checked like `comind new-app`, applied like an update.

The new answers go through the same checks as a new app's (against the platform and every other app), then a
Copier update at the app's recorded template version renders them with the user's edits kept; the AppProjects
are synced and the result is checked. A team change thereby moves the Applications and the AppProject entries
together. An `app_name` change also moves the folder (and with it the namespaces, Applications, AppProject
entries); it is refused while Terraform state of the app exists here, because the database, bucket and queues
are named after the app and the next apply would replace them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from comind_scaffold import constants as c
from comind_scaffold.app_answer_checks import check_app_answers
from comind_scaffold.app_answers import app_answers, platform_facts
from comind_scaffold.errors import InputError
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.specs import AppSpec
from comind_scaffold.update import UpdateReport, UpdateTarget, apply_update


class _OtherApps(PlatformRepo):
    """The platform as the new-app checks must see an app that changes: its own name and claims are free."""

    def __init__(self, root: Path, changing: str) -> None:
        super().__init__(root)
        self.changing = changing

    @cached_property
    def apps(self) -> list[AppSpec]:
        """Every app but the one changing."""
        return [app for app in PlatformRepo(self.root).apps if app.app_name != self.changing]

    def app_dir(self, name: str) -> Path:
        """Folder of one app; the changing app's own folder counts as free (keeping its name takes nothing)."""
        if name == self.changing:
            return self.root / c.APPS_DIR / name / c.APP_ANSWERS / "free"  # below a file: never exists
        return super().app_dir(name)


def change_answers(
    platform_dir: Path | str, app: str, changes: Mapping[str, Any], *, vcs_ref: str | None = None
) -> UpdateReport:
    """Give the app `app` the answers `changes` (typed as `coerce_data` types them) and re-render it.

    The template version stays the recorded one unless `vcs_ref` names another.

    Raises:
        InputError: Unknown app, nothing to change, a key that is no question of the app or not the app's to
            change, a value `comind new-app` would reject, or a rename that cannot be done completely.
        TemplateError: Uncommitted changes, committed conflict markers, unreadable answers.

    """
    repo = PlatformRepo.open(platform_dir)
    known = sorted(p.parent.name for p in (repo.root / c.APPS_DIR).glob(f"*/{c.APP_ANSWERS}"))
    if app not in known:  # by name, never by path: `..` would be the platform
        raise InputError("app", f"{app!r} is not an app under {c.APPS_DIR}/ (known: {', '.join(known) or 'none'})")
    folder = repo.app_dir(app)
    if not changes:
        raise InputError("answers", "name at least one KEY=VALUE to change")
    facts = platform_facts(repo)
    for key in changes:
        if key in facts:
            raise InputError(key, "comes from the platform's answers; change it there and run comind update --platform")
    recorded = yaml.safe_load((folder / c.APP_ANSWERS).read_text()) or {}
    # Only the app's own questions: the platform's facts come fresh, keys of other template versions stay as recorded.
    current = {key: value for key, value in recorded.items() if key in AppSpec.model_fields}
    wanted = {**current, **changes}
    name, team = str(wanted.pop("app_name", app)), str(wanted.pop("team", ""))
    others = _OtherApps(repo.root, app)
    answers = app_answers(others, name, team, wanted)
    check_app_answers(others, answers, explicit_port="port" in changes)
    changed = {key: value for key, value in answers.items() if key not in facts and recorded.get(key) != value}
    notes = []
    moves_to = ""
    if name != app:
        if vcs_ref:
            raise InputError("vcs_ref", "a rename keeps the recorded template version; update first, then rename")
        _refuse_rename_with_state(repo, app, name)
        moves_to = f"{c.APPS_DIR}/{name}"
        notes.append(
            f"{app} is now {name}: its namespaces and Applications are {name}-<env>; Argo CD prunes the old ones "
            f"once this is merged. Terraform: no local state of {app} was found; on the aws profile its state key "
            f"apps/{app}/terraform.tfstate is not moved (destroy it before merging if it was applied)"
        )
    target = UpdateTarget(name=app, folder=f"{c.APPS_DIR}/{app}", answers=changed, moves_to=moves_to)
    report = apply_update(repo, [target], vcs_ref=vcs_ref or str(recorded.get("_commit") or "") or None)
    if report.failed:
        return report
    return report.model_copy(update={"notes": [*report.notes, *notes]})


def _refuse_rename_with_state(repo: PlatformRepo, app: str, name: str) -> None:
    """Refuse to rename an app that has Terraform state here: its resources carry the old name."""
    holding = []
    for state in sorted((repo.app_dir(app) / c.APP_TERRAFORM_DIR).rglob("*.tfstate")):
        try:
            resources = json.loads(state.read_text()).get("resources")
        except (OSError, ValueError):
            resources = True  # unreadable: assume it holds something
        if resources:
            holding.append(str(state.relative_to(repo.root)))
    if holding:
        raise InputError(
            "app_name",
            f"cannot rename {app} to {name}: Terraform state of {app} exists ({', '.join(holding)}) and its "
            f"database, bucket and queues are named after the app; run comind tf destroy {app} --env ENV first",
        )
