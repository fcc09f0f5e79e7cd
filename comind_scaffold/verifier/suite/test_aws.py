"""AWS layer: EKS, node groups, VPC tags, app resources, the load-balancer controller.

PYTEST_DONT_REWRITE: a failing check already says what is wrong; pytest's introspection would only repeat it.
"""

import pytest

from comind_scaffold.checks import aws as checks
from comind_scaffold.verifier import check_target, record

pytestmark = pytest.mark.aws


def test_aws_reachable(aws_target):
    verdict = record(check_target(aws_target, "aws"))
    assert verdict.ok, verdict.detail


def test_eks_cluster(aws, platform):
    verdict = record(checks.check_eks_cluster(aws, platform.spec))
    assert verdict.ok, verdict.detail


def test_node_group(aws, platform, node_group):
    verdict = record(checks.check_node_group(aws, platform.spec, node_group))
    assert verdict.ok, verdict.detail


def test_network_tags(aws, platform):
    verdict = record(checks.check_network_tags(aws, platform.spec))
    assert verdict.ok, verdict.detail


def test_platform_aws_resources(aws, platform):
    verdict = record(checks.check_platform_resources(aws, platform.spec))
    assert verdict.ok, verdict.detail


def test_internal_dns(aws, platform, platform_env):
    verdict = record(checks.check_internal_dns(aws, platform.spec, platform_env))
    assert verdict.ok, verdict.detail


def test_app_aws_resources(aws, app_env, platform):
    verdict = record(checks.check_app_resources(aws, app_env, platform.spec.platform_name))
    assert verdict.ok, verdict.detail


def test_lb_controller(kube):
    verdict = record(checks.check_lb_controller(kube))
    assert verdict.ok, verdict.detail
