"""GitOps layer: Argo CD CRDs, the root app, every Application, AppProjects and sources.

PYTEST_DONT_REWRITE: a failing check already says what is wrong; pytest's introspection would only repeat it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from comind_scaffold.checks import gitops
from comind_scaffold.checks import monitoring as monitoring_checks
from comind_scaffold.checks.resources import Application, AppProject
from comind_scaffold.verifier import record

if TYPE_CHECKING:
    from comind_scaffold.checks.resources import Snapshot
    from comind_scaffold.repo import PlatformRepo


def test_argocd_crds(kube: Snapshot) -> None:
    verdict = record(gitops.check_argocd_crds(kube))
    assert verdict.ok, verdict.detail


def test_root_app(kube: Snapshot) -> None:
    verdict = record(gitops.check_root_app(kube))
    assert verdict.ok, verdict.detail


def test_application_synced_healthy(kube: Snapshot, application: str, waited: float) -> None:
    verdict = record(gitops.check_application(Application(_argocd_object(kube, "Application", application)), waited))
    assert verdict.ok, verdict.detail


def test_application_source(kube: Snapshot, application: str, platform: PlatformRepo) -> None:
    app = Application(_argocd_object(kube, "Application", application))
    verdict = record(gitops.check_application_source(app, platform.spec, platform.root))
    assert verdict.ok, verdict.detail


def test_team_project(kube: Snapshot, platform: PlatformRepo, team: str) -> None:
    verdict = record(gitops.check_team_project(kube, platform.spec, team))
    assert verdict.ok, verdict.detail


def test_project_least_privilege(kube: Snapshot, project: str) -> None:
    verdict = record(gitops.check_project_least_privilege(AppProject(_argocd_object(kube, "AppProject", project))))
    assert verdict.ok, verdict.detail


def test_monitoring_stack(kube: Snapshot, platform: PlatformRepo) -> None:
    verdict = record(monitoring_checks.check_monitoring(kube, platform.spec))
    assert verdict.ok, verdict.detail


def _argocd_object(kube: Snapshot, kind: str, name: str) -> dict[str, Any]:
    """The object the test was parametrized with; it may have been deleted since the run listed it."""
    obj = kube.named(kind, name, "argocd")
    if obj is None:
        pytest.fail(f"{kind} argocd/{name} was deleted during the run", pytrace=False)
    return obj
