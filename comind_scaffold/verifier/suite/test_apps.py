"""Apps layer, per app and environment (ids read `[<app>-<env>]`).

PYTEST_DONT_REWRITE: a failing check already says what is wrong; pytest's introspection would only repeat it.
"""

import pytest

from comind_scaffold.checks import apps
from comind_scaffold.verifier import record

pytestmark = pytest.mark.apps


def test_app_namespace(kube, expected, app_env):
    verdict = record(apps.check_app_namespace(kube, expected, app_env))
    assert verdict.ok, verdict.detail


def test_app_guard(kube, expected, app_env, guard_kind):
    verdict = record(apps.check_app_guard(kube, expected, app_env, guard_kind))
    assert verdict.ok, verdict.detail


def test_app_deployment(kube, app_env):
    verdict = record(apps.check_app_deployments(kube, app_env))
    assert verdict.ok, verdict.detail


def test_app_images(kube, expected, app_env):
    verdict = record(apps.check_app_images(kube, expected, app_env))
    assert verdict.ok, verdict.detail


def test_app_endpoints(kube, app_env):
    verdict = record(apps.check_app_endpoints(kube, app_env))
    assert verdict.ok, verdict.detail


def test_app_ingress(kube, app_env, platform, profile):
    domain = platform.spec.local_domain if profile == "local" else platform.spec.aws_domain
    verdict = record(apps.check_app_ingress(kube, app_env, domain))
    assert verdict.ok, verdict.detail


def test_app_application(kube, app_env, waited):
    verdict = record(apps.check_app_application(kube, app_env, waited))
    assert verdict.ok, verdict.detail


def test_app_secret(kube, app_env):
    verdict = record(apps.check_app_secret(kube, app_env))
    assert verdict.ok, verdict.detail
