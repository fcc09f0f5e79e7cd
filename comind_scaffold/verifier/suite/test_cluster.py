"""Cluster layer: the API, its version, nodes, platform namespaces, controllers, pods, IngressClass.

PYTEST_DONT_REWRITE: a failing check already says what is wrong; pytest's introspection would only repeat it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comind_scaffold.checks import cluster
from comind_scaffold.verifier import check_target, record

if TYPE_CHECKING:
    from comind_scaffold.checks.resources import Snapshot
    from comind_scaffold.repo import PlatformRepo
    from comind_scaffold.verifier.session import Target


def test_api_reachable(kube_target: Target[Snapshot]) -> None:
    verdict = record(check_target(kube_target, "cluster"))
    assert verdict.ok, verdict.detail


def test_server_version(kube: Snapshot, platform: PlatformRepo) -> None:
    verdict = record(cluster.check_server_version(kube, platform.spec))
    assert verdict.ok, verdict.detail


def test_nodes_ready(kube: Snapshot, platform: PlatformRepo, profile: str) -> None:
    verdict = record(cluster.check_nodes(kube, cluster.expected_node_count(platform.spec, profile)))
    assert verdict.ok, verdict.detail


def test_platform_namespace(kube: Snapshot, platform_ns: str) -> None:
    verdict = record(cluster.check_namespace(kube, platform_ns))
    assert verdict.ok, verdict.detail


def test_controllers_available(kube: Snapshot, controller_ns: str) -> None:
    verdict = record(cluster.check_workloads(kube, controller_ns))
    assert verdict.ok, verdict.detail


def test_platform_pods(kube: Snapshot, platform_ns: str) -> None:
    verdict = record(cluster.check_pods(kube, platform_ns))
    assert verdict.ok, verdict.detail


def test_ingress_class(kube: Snapshot) -> None:
    verdict = record(cluster.check_ingress_class(kube))
    assert verdict.ok, verdict.detail
