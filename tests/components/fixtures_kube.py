"""Pytest plugin: a real Kubernetes control plane (see tests/components/kube.py).

Fixtures:
  kube_cluster   (session) KubeCluster with 3 kwok nodes and Argo CD's CRDs installed.
  argocd_cluster (session) the same cluster, skipped/failed when Argo CD's CRDs are missing.
  kube_namespace (function) a fresh namespace in kube_cluster, deleted afterwards.

Missing binaries skip the test (fail under --require-real / COMIND_REQUIRE_REAL=1) with
"kube-apiserver not found: run tests/testbin/build-kube.sh or set KUBEBUILDER_ASSETS".
A control plane that is built but fails to start is an error, never a skip.
Environment: COMIND_KUBE_NODES (node count, default 3), COMIND_KUBE_TIMEOUT (seconds per startup
wait, default 180), COMIND_KEEP_KUBE_DIR=1 (keep the tmp folder with logs and certificates).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.components.kube import (
    KubeCluster,
    MissingBinaryError,
    find_binaries,
)
from tests.components.require import skip_or_fail

# Real Argo CD against a control plane of its own (argocd_platform): loaded with this plugin, so the suite's
# conftest.py need not list it.
pytest_plugins = ["tests.components.fixtures_argocd"]


def pytest_configure(config: pytest.Config) -> None:
    # pyproject.toml declares it too; repeating it keeps the plugin usable on its own.
    config.addinivalue_line("markers", "cluster: needs a Kubernetes API server")


@pytest.fixture(scope="session")
def kube_cluster(request: pytest.FixtureRequest) -> Iterator[KubeCluster]:
    """The session's control plane (pytest caches a skip or a start error for the session)."""
    try:
        find_binaries()
    except MissingBinaryError as exc:
        skip_or_fail(str(exc), request.config)
    cluster = KubeCluster(nodes=int(os.environ.get("COMIND_KUBE_NODES", "3")),
                          startup_timeout=float(os.environ.get("COMIND_KUBE_TIMEOUT", "180")))
    cluster.start()  # KubeClusterError (with every log tail) when it does not come up
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def argocd_cluster(request: pytest.FixtureRequest, kube_cluster: KubeCluster) -> KubeCluster:
    """kube_cluster with Argo CD's CRDs; skip (or fail under --require-real) when they are missing."""
    if kube_cluster.argocd_crds_error:
        skip_or_fail(kube_cluster.argocd_crds_error, request.config)
    return kube_cluster


@pytest.fixture
def kube_namespace(kube_cluster: KubeCluster) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:10]}"
    kube_cluster.create_namespace(name)
    yield name
    kube_cluster.delete_namespace(name)
