"""GitOps layer: Argo CD CRDs, the root app, every Application, AppProjects and sources.

PYTEST_DONT_REWRITE: a failing check already says what is wrong; pytest's introspection would only repeat it.
"""

import pytest

from comind_scaffold.checks import gitops
from comind_scaffold.checks.resources import Application, AppProject
from comind_scaffold.verifier import record

pytestmark = pytest.mark.gitops


def test_argocd_crds(kube):
    verdict = record(gitops.check_argocd_crds(kube))
    assert verdict.ok, verdict.detail


def test_root_app(kube):
    verdict = record(gitops.check_root_app(kube))
    assert verdict.ok, verdict.detail


def test_application_synced_healthy(kube, application, waited):
    verdict = record(gitops.check_application(Application(kube.named("Application", application, "argocd")), waited))
    assert verdict.ok, verdict.detail


def test_application_source(kube, application, platform):
    app = Application(kube.named("Application", application, "argocd"))
    verdict = record(gitops.check_application_source(app, platform.spec, platform.root))
    assert verdict.ok, verdict.detail


def test_team_project(kube, platform, team):
    verdict = record(gitops.check_team_project(kube, platform.spec, team))
    assert verdict.ok, verdict.detail


def test_project_least_privilege(kube, project):
    verdict = record(gitops.check_project_least_privilege(AppProject(kube.named("AppProject", project, "argocd"))))
    assert verdict.ok, verdict.detail
