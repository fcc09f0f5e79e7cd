"""Apps layer, per app and environment (ids read `[<app>-<env>]`).

PYTEST_DONT_REWRITE: a failing check already says what is wrong; pytest's introspection would only repeat it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comind_scaffold.checks import apps
from comind_scaffold.verifier import record

if TYPE_CHECKING:
    from comind_scaffold.checks.expected import AppEnv, Expected
    from comind_scaffold.checks.resources import Snapshot
    from comind_scaffold.repo import PlatformRepo


def test_app_namespace(kube: Snapshot, expected: Expected, app_env: AppEnv) -> None:
    verdict = record(apps.check_app_namespace(kube, expected, app_env))
    assert verdict.ok, verdict.detail


def test_app_guard(kube: Snapshot, expected: Expected, app_env: AppEnv, guard_kind: str) -> None:
    verdict = record(apps.check_app_guard(kube, expected, app_env, guard_kind))
    assert verdict.ok, verdict.detail


def test_app_deployment(kube: Snapshot, app_env: AppEnv) -> None:
    verdict = record(apps.check_app_deployments(kube, app_env))
    assert verdict.ok, verdict.detail


def test_app_images(kube: Snapshot, expected: Expected, app_env: AppEnv) -> None:
    verdict = record(apps.check_app_images(kube, expected, app_env))
    assert verdict.ok, verdict.detail


def test_app_endpoints(kube: Snapshot, app_env: AppEnv) -> None:
    verdict = record(apps.check_app_endpoints(kube, app_env))
    assert verdict.ok, verdict.detail


def test_app_ingress(kube: Snapshot, app_env: AppEnv, platform: PlatformRepo, profile: str) -> None:
    domain = platform.spec.local_domain if profile == "local" else platform.spec.aws_domain
    verdict = record(apps.check_app_ingress(kube, app_env, domain))
    assert verdict.ok, verdict.detail


def test_app_application(kube: Snapshot, app_env: AppEnv, waited: float) -> None:
    verdict = record(apps.check_app_application(kube, app_env, waited))
    assert verdict.ok, verdict.detail


def test_app_secret(kube: Snapshot, app_env: AppEnv) -> None:
    verdict = record(apps.check_app_secret(kube, app_env))
    assert verdict.ok, verdict.detail
