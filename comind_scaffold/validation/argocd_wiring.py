"""Offline rules of Argo CD wiring and privilege.

Each Application's source, destination and project agree with the app it deploys; AppProjects grant least privilege.
"""

from __future__ import annotations

import fnmatch

from comind_scaffold import constants as c
from comind_scaffold.models import CheckResult, failed, skipped
from comind_scaffold.repo_urls import same_repo
from comind_scaffold.validation.objects import RenderedObject
from comind_scaffold.validation.project_scope import project_overreach
from comind_scaffold.validation.rule import LAYER, summary
from comind_scaffold.validation.scan import RepoScan

PROJECTS_DIR = f"{c.KUSTOMIZE_ROOT}/projects"


def _argocd(scan: RepoScan, kind: str) -> list[RenderedObject]:
    return [o for o in scan.objects if o.kind == kind and o.api_version == c.ARGOCD_API]


def _declared_projects(scan: RepoScan) -> dict[str, RenderedObject]:
    """AppProjects committed under k8s/kustomize/projects/ (or, outside a platform repo, anywhere)."""
    if scan.platform is None:
        return {p.name: p for p in _argocd(scan, "AppProject")}
    found = {}
    for yaml_file in scan.yaml_files:
        if yaml_file.rel.startswith(PROJECTS_DIR + "/"):
            for doc in yaml_file.docs:
                if isinstance(doc, dict) and doc.get("kind") == "AppProject":
                    obj = RenderedObject(doc, yaml_file.rel)
                    found[obj.name] = obj
    return found


def _sources(app: RenderedObject) -> list[dict[str, object]]:
    sources = [app.get("spec", "source"), *app.get_list("spec", "sources")]
    return [s for s in sources if isinstance(s, dict)]


def _check_source_path(scan: RepoScan, app: RenderedObject, source: dict[str, object]) -> CheckResult | None:
    path = source.get("path")
    if not isinstance(path, str) or source.get("chart"):
        return None
    repo_url = str(source.get("repoURL") or "")
    if scan.platform is not None and not same_repo(repo_url, scan.platform.repo_url):
        return skipped("argocd.source", LAYER, app.ref, f"source {repo_url} is another repository: path not checked")
    folder = (scan.root / path).resolve()
    if not folder.is_dir() or not (folder == scan.root or scan.root in folder.parents):
        return failed("argocd.source", LAYER, app.ref, f"source.path {path} does not exist in the repository")
    if folder in scan.kustomizations:
        build = scan.build(folder)
        if build.error is not None:
            return failed("argocd.source", LAYER, app.ref, f"source.path {path} does not build: {build.error}")
    return None


def _app_and_env(scan: RepoScan, app: RenderedObject) -> tuple[str | None, str | None]:
    name, env = app.labels.get(c.LABEL_APP), app.labels.get(c.LABEL_ENV)
    for source in _sources(app):
        if isinstance(source.get("path"), str):
            path_app, path_env = scan.overlay_of(scan.root / str(source["path"]))
            name, env = name or path_app, env or path_env
    return (str(name) if name else None), (str(env) if env else None)


class _Destinations:
    """An AppProject's destinations, looked up by namespace: a team's project lists hundreds of namespaces."""

    _GLOB = frozenset("*?[")

    def __init__(self, project: RenderedObject) -> None:
        self.exact: dict[str, list[str]] = {}  # namespace -> its destinations' server patterns ('' = any server)
        self.patterns: list[tuple[str, str]] = []  # (server pattern, namespace pattern) of glob namespaces
        for dest in project.get_list("spec", "destinations"):
            if not isinstance(dest, dict):
                continue
            server = str(dest["server"]) if dest.get("server") else ""
            namespace = str(dest.get("namespace") or "")
            if self._GLOB.isdisjoint(namespace):
                self.exact.setdefault(namespace, []).append(server)
            else:
                self.patterns.append((server, namespace))

    def allow(self, server: str, namespace: str) -> bool:
        """True when some destination matches, as Argo CD matches them (shell globs, case-sensitive)."""
        if any(not pattern or fnmatch.fnmatchcase(server, pattern) for pattern in self.exact.get(namespace, ())):
            return True
        return any(
            (not pattern or fnmatch.fnmatchcase(server, pattern)) and fnmatch.fnmatchcase(namespace, ns_pattern)
            for pattern, ns_pattern in self.patterns
        )


def check_applications(scan: RepoScan) -> list[CheckResult]:
    """Each Application's source builds; its app's ones deploy to `<app>-<env>` in project `<team>`, which allows it."""
    projects = _declared_projects(scan)
    destinations = {name: _Destinations(project) for name, project in projects.items()}
    findings: list[CheckResult] = []
    applications = _argocd(scan, "Application")
    for application in applications:
        for source in _sources(application):
            result = _check_source_path(scan, application, source)
            if result is not None:
                findings.append(result)
        project = application.get_str("spec", "project")
        namespace = application.get_str("spec", "destination", "namespace")
        server = application.get_str("spec", "destination", "server")
        app_name, env = _app_and_env(scan, application)
        app = scan.app(app_name)
        if app is not None and env is not None:
            if namespace != app.namespace(env):
                findings.append(
                    failed(
                        "argocd.destination",
                        LAYER,
                        application.ref,
                        f"deploys to {namespace or '(none)'}, not the app's namespace {app.namespace(env)}",
                    )
                )
            if project != app.team:
                findings.append(
                    failed("argocd.project", LAYER, application.ref, f"is in project {project}, not team {app.team}")
                )
        if not project:
            findings.append(failed("argocd.project", LAYER, application.ref, "has no spec.project"))
        elif project not in projects:
            if scan.platform is not None or projects:
                where = PROJECTS_DIR if scan.platform is not None else "the scanned files"
                findings.append(failed("argocd.project", LAYER, application.ref, f"project {project} not in {where}"))
        elif namespace and not destinations[project].allow(server, namespace):
            findings.append(
                failed(
                    "argocd.project",
                    LAYER,
                    application.ref,
                    f"project {project} ({projects[project].source}) does not allow destination namespace {namespace}",
                )
            )
    if not applications:
        return [skipped("argocd.application", LAYER, ".", "no Argo CD Applications found")]
    failures = [f for f in findings if not f.ok]
    extra = [f for f in findings if f.ok]
    return summary("argocd.application", ".", f"{len(applications)} Application(s) consistent", failures) + extra


def check_project_privileges(scan: RepoScan) -> list[CheckResult]:
    """AppProjects grant least privilege: no glob source repo, destination or cluster-scoped resource."""
    projects = {p.name: p for p in _argocd(scan, "AppProject")}
    projects.update(_declared_projects(scan))  # the committed file names a project better than a build does
    findings = [
        failed("argocd.least-privilege", LAYER, project.ref, phrase)
        for project in projects.values()
        for phrase in project_overreach(project.get_dict("spec"))
    ]
    if not projects:
        return [skipped("argocd.least-privilege", LAYER, ".", "no AppProjects found")]
    return summary("argocd.least-privilege", ".", f"{len(projects)} AppProject(s) least-privilege", findings)
