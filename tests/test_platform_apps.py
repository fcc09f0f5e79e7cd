"""The platform template and the app template fit together: an app rendered into a rendered platform deploys only
kinds its team's AppProject allows, into namespaces the project lists once `sync_projects` has run, and is found by
the apps-root Application."""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from comind_scaffold.repo import PlatformRepo
from comind_scaffold.scaffold import sync_projects
from tests.helpers_platform import dispatcher_ready, render_platform, template_source
from tests.helpers_platform_checks import argocd_validator, kustomize_build

ENVIRONMENTS = ["dev", "stage", "prod"]
# Toggles that decide which kinds an app renders; the two renders together cover every kind.
FULL = {
    "with_database": True,
    "with_cache": True,
    "with_queue": True,
    "with_storage": True,
    "ingress": True,
    "autoscaling": True,
}
BARE = {
    "with_database": False,
    "with_cache": False,
    "with_queue": False,
    "with_storage": False,
    "ingress": False,
    "autoscaling": False,
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert dispatcher_ready(), "the root copier.yml cannot render apps (templates/app/copier-questions.yml missing)"
    root = render_platform(
        tmp_path_factory.mktemp("apps") / "platform",
        {"environments": ENVIRONMENTS, "redis_enabled": True, "elasticmq_enabled": True},
    )
    for name, team, toggles in (("shop", "backend", FULL), ("docs", "frontend", BARE), ("tools", "platform", FULL)):
        copier.run_copy(
            str(template_source()),
            root / "apps" / name,
            data={"template": "app", "app_name": name, "team": team, "environments": ENVIRONMENTS, **toggles},
            defaults=True,
            unsafe=True,
            quiet=True,
        )
    sync_projects(PlatformRepo(root))
    return root


def _projects(root: Path) -> dict[str, dict[str, Any]]:
    objects = kustomize_build(root / "k8s/kustomize")
    return {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "AppProject"}


def _app_objects(root: Path, app: str) -> list[dict[str, Any]]:
    return [o for env in ENVIRONMENTS for o in kustomize_build(root / f"apps/{app}/k8s/overlays/{env}")]


def test_team_projects_allow_exactly_the_kinds_apps_render(platform: Path) -> None:
    projects = _projects(platform)
    rendered = {
        (o["apiVersion"].rpartition("/")[0], o["kind"]) for app in ("shop", "docs") for o in _app_objects(platform, app)
    }
    for team in ("backend", "frontend"):
        allowed = {(k["group"], k["kind"]) for k in projects[team]["namespaceResourceWhitelist"]}
        allowed |= {(k["group"], k["kind"]) for k in projects[team]["clusterResourceWhitelist"]}
        assert rendered - allowed == set(), f"{team} cannot deploy what its apps render"
        assert allowed - rendered - {("", "Namespace")} == set(), f"{team} may deploy kinds no app renders"


def test_sync_projects_gives_each_team_its_app_namespaces(platform: Path) -> None:
    projects = _projects(platform)
    destinations = {team: {d["namespace"] for d in spec["destinations"]} for team, spec in projects.items()}
    assert destinations["backend"] == {f"shop-{env}" for env in ENVIRONMENTS}
    assert destinations["frontend"] == {f"docs-{env}" for env in ENVIRONMENTS}
    assert destinations["platform"] == {f"{p}-{env}" for p in ("platform", "tools") for env in ENVIRONMENTS}
    for project in projects.values():
        assert "*" not in yaml.safe_dump(project)


def test_apps_root_finds_every_app_application_and_each_fits_its_project(
    platform: Path, request: pytest.FixtureRequest
) -> None:
    projects = _projects(platform)
    apps_root = yaml.safe_load((platform / "k8s/kustomize/apps-root.yaml").read_text())["spec"]["source"]
    include = apps_root["directory"]["include"]
    files = sorted((platform / "apps").rglob("*.yaml"))
    found = [p for p in files if fnmatch.fnmatchcase(str(p.relative_to(platform / "apps")), include)]
    assert {p.relative_to(platform / "apps").parts[0] for p in found} == {"shop", "docs", "tools"}
    assert not [p for p in found if "/k8s/" in str(p)], "apps-root must not pick up kustomize manifests"
    validate = argocd_validator("Application", request.config)
    for path in found:
        app = yaml.safe_load(path.read_text())
        assert validate(app) == []
        spec = app["spec"]
        project = projects[spec["project"]]
        assert spec["source"]["repoURL"] in project["sourceRepos"]
        assert spec["destination"]["namespace"] in {d["namespace"] for d in project["destinations"]}
