"""GitOps layer: Argo CD's CRDs, the root app, every Application's sync and health, AppProjects, sources."""

from __future__ import annotations

from pathlib import Path

from comind_scaffold import constants as c
from comind_scaffold import layers
from comind_scaffold.checks.resources import Application, AppProject, Snapshot
from comind_scaffold.models import CheckResult, failed, passed
from comind_scaffold.repo_urls import same_repo
from comind_scaffold.specs import PlatformSpec

LAYER = layers.GITOPS.name
ARGOCD_CRDS = ("applications.argoproj.io", "appprojects.argoproj.io")


def check_argocd_crds(snapshot: Snapshot) -> list[CheckResult]:
    """Argo CD's Application and AppProject CRDs are installed."""
    present = {(o.get("metadata") or {}).get("name") for o in snapshot.all("CustomResourceDefinition")}
    return [
        passed("argocd.crd", LAYER, f"CustomResourceDefinition {name}")
        if name in present
        else failed("argocd.crd", LAYER, f"CustomResourceDefinition {name}", "not installed", "install Argo CD")
        for name in ARGOCD_CRDS
    ]


def applications(snapshot: Snapshot) -> list[Application]:
    """Every Application in Argo CD's namespace, sorted by name."""
    return sorted(
        (Application(o) for o in snapshot.in_namespace("Application", c.ARGOCD_NAMESPACE)), key=lambda a: a.name
    )


def root_application(snapshot: Snapshot) -> Application | None:
    """Return the app-of-apps: the Application whose source is the platform's kustomize root."""
    return next((a for a in applications(snapshot) if _clean_path(a.source.get("path")) == c.KUSTOMIZE_ROOT), None)


def check_root_app(snapshot: Snapshot) -> CheckResult:
    """Check that the root app exists."""
    root = root_application(snapshot)
    if root is None:
        return failed(
            "root.exists",
            LAYER,
            f"Application {c.ARGOCD_NAMESPACE}/<root>",
            f"no Application deploys {c.KUSTOMIZE_ROOT}",
            "run `comind bootstrap` (it applies the root app)",
        )
    return passed("root.exists", LAYER, root.ref)


def check_application(app: Application, waited: float = 0.0) -> CheckResult:
    """Check: Synced and Healthy; otherwise name the first unhealthy resource and Argo CD's message."""
    if app.is_synced and app.is_healthy:
        return passed("application.synced_healthy", LAYER, app.ref, "Synced, Healthy")
    text = f"sync={app.sync_status} health={app.health_status}"
    if app.is_progressing:
        text += f" (still Progressing after waiting {waited:.0f}s)"
    if app.first_unhealthy_resource:
        text += f"; first unhealthy: {app.first_unhealthy_resource}"
    if app.message:
        text += f"; argocd: {app.message}"
    return failed("application.synced_healthy", LAYER, app.ref, text, "see `argocd app get` / the Argo CD UI")


def check_application_source(app: Application, spec: PlatformSpec, repo_root: Path) -> CheckResult:
    """Check that the Application deploys from the platform repo, at its revision, from a path that exists there."""
    source, name = app.source, "application.source"
    repo_url = str(source.get("repoURL", ""))
    if not same_repo(repo_url, spec.repo_url):
        return failed(name, LAYER, app.ref, f"repoURL is {repo_url!r}, the platform repo is {spec.repo_url!r}")
    revision = str(source.get("targetRevision", "") or "HEAD")
    if revision != spec.target_revision:
        return failed(name, LAYER, app.ref, f"targetRevision is {revision!r}, expected {spec.target_revision!r}")
    path = _clean_path(source.get("path"))
    app_name, env = app.labels.get(c.LABEL_APP), app.labels.get(c.LABEL_ENV)
    if app_name and env:
        wanted = f"{c.APPS_DIR}/{app_name}/{c.APP_K8S_OVERLAYS}/{env}"
        if path != wanted:
            return failed(name, LAYER, app.ref, f"path is {path!r}, expected {wanted!r}")
    elif not path or not (repo_root / path).is_dir():
        return failed(name, LAYER, app.ref, f"path {path!r} does not exist in the platform repo")
    return passed(name, LAYER, app.ref, f"{repo_url} @ {revision}: {path}")


def app_projects(snapshot: Snapshot) -> list[AppProject]:
    """Every AppProject in Argo CD's namespace."""
    return sorted(
        (AppProject(o) for o in snapshot.in_namespace("AppProject", c.ARGOCD_NAMESPACE)), key=lambda p: p.name
    )


def check_team_project(snapshot: Snapshot, spec: PlatformSpec, team: str) -> CheckResult:
    """Check that the team has an AppProject.

    It is the one labelled `comind.ops/team=<team>`, or else the one named `<team>` or `<platform>-<team>`.
    """
    names = {team, f"{spec.platform_name}-{team}"}
    for project in app_projects(snapshot):
        if project.labels.get(c.LABEL_TEAM) == team or project.name in names:
            return passed("project.exists", LAYER, project.ref, f"team {team}")
    return failed(
        "project.exists",
        LAYER,
        f"AppProject for team {team}",
        "does not exist",
        "the platform template renders one per team under k8s/kustomize",
    )


def check_project_least_privilege(project: AppProject) -> CheckResult:
    """No glob destination, source repo or cluster resource (the rule `comind validate` applies too)."""
    if project.wildcards:
        return failed(
            "project.least_privilege",
            LAYER,
            project.ref,
            "; ".join(project.wildcards),
            "list the namespaces, repos and kinds the team needs",
        )
    return passed("project.least_privilege", LAYER, project.ref)


def _clean_path(path: object) -> str:
    return str(path or "").strip().strip("/").removeprefix("./")
