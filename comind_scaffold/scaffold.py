"""Scaffolding verbs: a new platform repository (`init`), a new app in it (`new_app`), and the AppProject sync.

Every check runs before the first file is written; a failure raises `InputError` / `TemplateError` and leaves the
repository as it was.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from comind_scaffold import _copier, _git, template_source
from comind_scaffold import constants as c
from comind_scaffold.app_answer_checks import check_app_answers
from comind_scaffold.app_answers import app_answers
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.specs import PlatformSpec, load_app_spec, load_platform_spec

_PROJECTS_DIR = f"{c.KUSTOMIZE_ROOT}/projects"
_BLOCK = re.compile(
    r"(?P<begin>^(?P<indent>[ \t]*)# comind:destinations:begin[^\n]*\n)"
    r"(?P<body>.*?)(?P<end>^[ \t]*# comind:destinations:end)",
    re.M | re.S,
)
_IN_CLUSTER = "https://kubernetes.default.svc"
_BOOL_WORDS = {"true", "false", "yes", "no", "y", "n", "on", "off", "1", "0"}


class ScaffoldResult(BaseModel):
    """What a scaffolding verb made (or, with pretend, would make).

    Attributes:
        target: The folder generated into.
        files: Paths written, relative to the platform repository (or to `target` for `init`).
        version: Template version used.
        pretend: True when nothing was written.
        projects: AppProject files whose destinations changed.
        source: Template source recorded in the answers.

    """

    model_config = ConfigDict(frozen=True)

    target: Path
    files: list[str]
    version: str
    pretend: bool = False
    projects: list[str] = []
    source: str = ""


def init_platform(
    destination: Path,
    data: Mapping[str, Any],
    *,
    source: str | None = None,
    vcs_ref: str | None = None,
) -> ScaffoldResult:
    """Generate a new platform repository at `destination` (which must be missing or empty).

    Raises:
        InputError: An answer the platform template rejects.
        TemplateError: The destination is not empty, or the template cannot be used.

    """
    destination = destination.resolve()
    check_platform_data(data)
    if destination.exists() and any(destination.iterdir()):
        raise InputError("dest", f"{destination} is not empty; comind init writes only into a new or empty folder")
    created = not destination.exists()
    try:
        with template_source.for_init(source, vcs_ref) as (location, recorded, ref):
            _copier.copy(location, destination, {**data, "template": "platform"}, vcs_ref=ref)
            template_source.record(destination / c.PLATFORM_ANSWERS, recorded, read_from=location)
    except BaseException:
        _remove_created(destination, created)
        raise
    files = sorted(str(p.relative_to(destination)) for p in destination.rglob("*") if p.is_file())
    version = load_platform_spec(destination / c.PLATFORM_ANSWERS).commit
    return ScaffoldResult(target=destination, files=files, version=version, source=recorded)


def check_platform_data(data: Mapping[str, Any]) -> None:
    """Reject `--data` keys that are not platform questions, and values not of their question's type.

    Raises:
        InputError: Names the key and the rule.

    """
    fields = {name: info for name, info in PlatformSpec.model_fields.items() if not info.alias}
    for key, value in data.items():
        if key not in fields:
            raise InputError(key, f"is not a question of the platform template ({', '.join(sorted(fields))})")
        expected = fields[key].annotation
        if expected is int and isinstance(value, str) and not value.strip().lstrip("-").isdigit():
            raise InputError(key, f"{value!r} must be a whole number")
        if expected is bool and isinstance(value, str) and value.lower() not in _BOOL_WORDS:
            raise InputError(key, f"{value!r} must be true or false")


def new_app(
    name: str,
    team: str,
    *,
    platform_dir: Path | str = ".",
    options: Mapping[str, Any] | None = None,
    pretend: bool = False,
) -> ScaffoldResult:
    """Add the app `name` of `team` to the platform repository at (or above) `platform_dir`.

    `options` are answers of the app template (`environments`, `port`, `with_database`, `replicas`…); the rest
    come from the template's defaults and the platform. The app is rendered from the template source and version
    the platform records, then the team's AppProject is given the app's namespaces.

    Raises:
        InputError: A bad name, team, environment, port, size, image, or a name another app already uses.
        TemplateError: Not in a platform repository, unreadable answers, or uncommitted changes.

    """
    repo = PlatformRepo.open(platform_dir)
    options = dict(options or {})
    answers = app_answers(repo, name, team, options)
    check_app_answers(repo, answers, explicit_port="port" in options)
    source, ref = _recorded_source(repo)
    if not pretend:
        _git.require_clean(repo.root)
    target = repo.app_dir(name)
    if pretend:
        files = _render_elsewhere(repo, source, ref, answers)
        return ScaffoldResult(target=target, files=files, version=ref or "", pretend=True)
    try:
        with template_source.reading(source, ref, bases=[repo.root]) as (location, _):
            _copier.copy(location, target, answers, vcs_ref=ref)
            template_source.record(target / c.APP_ANSWERS, source, read_from=location)
        projects = sync_projects(repo)
    except BaseException:
        _remove_created(target, created=True)
        raise
    files = sorted(str(p.relative_to(repo.root)) for p in target.rglob("*") if p.is_file())
    version = load_app_spec(target / c.APP_ANSWERS).commit
    return ScaffoldResult(target=target, files=files, version=version, projects=projects)


def _recorded_source(repo: PlatformRepo) -> tuple[str, str | None]:
    """Return the template source and version the platform was generated from."""
    spec = repo.spec
    if not spec.src_path:
        raise TemplateError(
            f"{repo.root / c.PLATFORM_ANSWERS}: _src_path is missing, so the app template's source is unknown "
            "(generate the platform with comind init)"
        )
    return spec.src_path, spec.commit or None


def _render_elsewhere(repo: PlatformRepo, source: str, ref: str | None, answers: Mapping[str, Any]) -> list[str]:
    """Render into a scratch copy of the platform's answers and services, and list what would be written."""
    with tempfile.TemporaryDirectory(prefix="comind-pretend-") as scratch:
        root = Path(scratch)
        for name in (c.PLATFORM_ANSWERS, c.SERVICES_FILE):
            if (repo.root / name).is_file():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(repo.root / name, root / name)
        target = root / c.APPS_DIR / answers["app_name"]
        with template_source.reading(source, ref, bases=[repo.root]) as (location, _):
            _copier.copy(location, target, answers, vcs_ref=ref)
        return sorted(str(p.relative_to(root)) for p in target.rglob("*") if p.is_file())


def _remove_created(folder: Path, created: bool) -> None:
    """Remove a folder this run created (never one that was there before)."""
    if created and folder.exists():
        shutil.rmtree(folder)


def sync_projects(repo: PlatformRepo) -> list[str]:
    """Rewrite each team's AppProject destinations from the apps in the repository.

    The block between `# comind:destinations:begin` and `# comind:destinations:end` of
    `k8s/kustomize/projects/<team>.yaml` lists the namespaces `<app>-<env>` of the team's apps (and, for the
    `platform` team, `platform-<env>`). Running it twice changes nothing; apps that are gone drop out.

    Returns:
        The project files that changed, relative to the repository.

    """
    namespaces: dict[str, list[str]] = {team: [] for team in repo.spec.teams}
    namespaces.setdefault("platform", [])
    namespaces["platform"] += [repo.spec.platform_namespace(env) for env in repo.spec.environments]
    for app in PlatformRepo(repo.root).apps:
        namespaces.setdefault(app.team, []).extend(app.namespace(env) for env in app.environments)
    rewrites: dict[Path, str] = {}
    for team, names in sorted(namespaces.items()):
        path = repo.root / _PROJECTS_DIR / f"{team}.yaml"
        if not path.is_file():
            continue
        text = path.read_text()
        found = _BLOCK.search(text)
        if found is None:
            raise TemplateError(f"{path.relative_to(repo.root)}: the comind:destinations block is missing")
        updated = text[: found.start("body")] + _destinations(found["indent"], names) + text[found.end("body") :]
        if updated != text:
            rewrites[path] = updated
    for path, text in rewrites.items():  # only once every file is known to be rewritable
        path.write_text(text)
    return [str(path.relative_to(repo.root)) for path in rewrites]


def _destinations(indent: str, namespaces: list[str]) -> str:
    if not namespaces:
        return f"{indent}destinations: []\n"
    lines = [f"{indent}destinations:"]
    for namespace in namespaces:
        lines += [f"{indent}  - server: {_IN_CLUSTER}", f"{indent}    namespace: {namespace}"]
    return "\n".join(lines) + "\n"
