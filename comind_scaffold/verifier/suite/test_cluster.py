"""Cluster layer: the API, its version, nodes, platform namespaces, controllers, pods, IngressClass.

PYTEST_DONT_REWRITE: a failing check already says what is wrong; pytest's introspection would only repeat it.
"""

import pytest

from comind_scaffold.checks import cluster
from comind_scaffold.verifier import check_target, record

pytestmark = pytest.mark.cluster


def test_api_reachable(kube_target):
    verdict = record(check_target(kube_target, "cluster"))
    assert verdict.ok, verdict.detail


def test_server_version(kube, platform):
    verdict = record(cluster.check_server_version(kube, platform.spec))
    assert verdict.ok, verdict.detail


def test_nodes_ready(kube, platform, profile):
    verdict = record(cluster.check_nodes(kube, cluster.expected_node_count(platform.spec, profile)))
    assert verdict.ok, verdict.detail


def test_platform_namespace(kube, platform_ns):
    verdict = record(cluster.check_namespace(kube, platform_ns))
    assert verdict.ok, verdict.detail


def test_controllers_available(kube, controller_ns):
    verdict = record(cluster.check_workloads(kube, controller_ns))
    assert verdict.ok, verdict.detail


def test_platform_pods(kube, platform_ns):
    verdict = record(cluster.check_pods(kube, platform_ns))
    assert verdict.ok, verdict.detail


def test_ingress_class(kube):
    verdict = record(cluster.check_ingress_class(kube))
    assert verdict.ok, verdict.detail
