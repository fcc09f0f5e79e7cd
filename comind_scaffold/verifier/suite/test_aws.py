"""AWS layer: EKS, node groups, VPC tags, app resources, the load-balancer controller.

PYTEST_DONT_REWRITE: a failing check already says what is wrong; pytest's introspection would only repeat it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comind_scaffold.checks import aws as checks
from comind_scaffold.verifier import check_target, record

if TYPE_CHECKING:
    from comind_scaffold.checks.aws import Aws
    from comind_scaffold.checks.expected import AppEnv, Expected
    from comind_scaffold.checks.resources import Snapshot
    from comind_scaffold.repo import PlatformRepo
    from comind_scaffold.specs import NodeGroup
    from comind_scaffold.verifier.session import Target


def test_aws_reachable(aws_target: Target[Aws]) -> None:
    verdict = record(check_target(aws_target, "aws"))
    assert verdict.ok, verdict.detail


def test_eks_cluster(aws: Aws, platform: PlatformRepo) -> None:
    verdict = record(checks.check_eks_cluster(aws, platform.spec))
    assert verdict.ok, verdict.detail


def test_node_group(aws: Aws, platform: PlatformRepo, node_group: NodeGroup) -> None:
    verdict = record(checks.check_node_group(aws, platform.spec, node_group))
    assert verdict.ok, verdict.detail


def test_network_tags(aws: Aws, platform: PlatformRepo) -> None:
    verdict = record(checks.check_network_tags(aws, platform.spec))
    assert verdict.ok, verdict.detail


def test_platform_aws_resources(aws: Aws, platform: PlatformRepo) -> None:
    verdict = record(checks.check_platform_resources(aws, platform.spec))
    assert verdict.ok, verdict.detail


def test_internal_dns(aws: Aws, platform: PlatformRepo, platform_env: str) -> None:
    verdict = record(checks.check_internal_dns(aws, platform.spec, platform_env))
    assert verdict.ok, verdict.detail


def test_public_dns(aws: Aws, platform: PlatformRepo, expected: Expected | None) -> None:
    hosts = checks.ingress_hosts(expected.app_envs if expected else [], platform.spec.aws_domain)
    verdict = record(checks.check_public_dns(aws, platform.spec, hosts))
    assert verdict.ok, verdict.detail


def test_app_aws_resources(aws: Aws, app_env: AppEnv, platform: PlatformRepo) -> None:
    verdict = record(checks.check_app_resources(aws, app_env, platform.spec.platform_name))
    assert verdict.ok, verdict.detail


def test_lb_controller(kube: Snapshot) -> None:
    verdict = record(checks.check_lb_controller(kube))
    assert verdict.ok, verdict.detail
