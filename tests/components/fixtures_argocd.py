"""Pytest plugin: real Argo CD syncing a platform rendered from the templates (see tests/components/argocd.py).

Fixtures:
  argocd_platform (session) GitOpsPlatform: the demo platform rendered with ``repo_url`` = a loopback HTTPS git
                  server, a control plane of its own (kube-apiserver, controller-manager, scheduler, kwok; the
                  CRDs of the Argo CD version that runs) and Argo CD's repo-server + application-controller
                  configured with the argocd-cm and argocd-cmd-params-cm the platform's Terraform passes to the
                  chart. Nothing is pushed or applied yet: tests commit, push and bootstrap themselves.

A missing piece (control plane, argocd, redis-server, kustomize, copier) skips — fails under --require-real /
COMIND_REQUIRE_REAL=1 — naming the build script. A piece that is there but does not start is an error.
The control plane is separate from ``kube_cluster``'s, whose tests break live objects by hand that Argo CD's
selfHeal would put back. ``gitops_platform()`` stands the same up outside pytest (benchmarks/bench_gitops.py).

What the platform's Terraform installs with Helm before Argo CD syncs anything (ingress-nginx, MetalLB,
sealed-secrets, Argo CD's own in-cluster workloads) is not what runs here: ``GitOpsPlatform.helm_stand_ins()``
puts stand-in workloads on the kwok nodes, and ``IngressStandIn`` publishes an address in each Ingress's status
(as ingress-nginx does), which Argo CD's Ingress health check needs. ``terraform_secrets()`` writes the
``<app>-infra`` Secrets that `comind tf apply` would.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from comind_scaffold.repo import PlatformRepo
from tests.components.argocd import (
    ArgoCD,
    GitServer,
    find_argocd,
    platform_argocd_config,
    push_platform,
)
from tests.components.background import BackgroundThread
from tests.components.kube import KubeCluster, MissingBinaryError, find_binaries
from tests.components.require import skip_or_fail

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "platform-engineer",
    "GIT_AUTHOR_EMAIL": "pe@example.invalid",
    "GIT_COMMITTER_NAME": "platform-engineer",
    "GIT_COMMITTER_EMAIL": "pe@example.invalid",
}


@dataclass
class GitOpsPlatform:
    """A rendered platform repository, the git server it is served from, a control plane and Argo CD."""

    cluster: KubeCluster
    argocd: ArgoCD
    git: GitServer
    repo: PlatformRepo
    bare: Path  # the git server's bare repository (tests push here)
    url: str  # what Argo CD clones: the platform's repo_url
    pushed: list[str] = field(default_factory=list)

    def push(self, message: str) -> str:
        """Commit the work tree and push it to the git server; returns the commit id."""
        commit = push_platform(self.repo.root, self.bare, message, GIT_IDENTITY)
        self.pushed.append(commit)
        return commit

    def env(self) -> dict[str, str]:
        """Environment for the product's CLI: KUBECONFIG of this cluster, a git identity."""
        return {**self.cluster.env(), **GIT_IDENTITY}

    def helm_stand_ins(self) -> None:
        """The cluster phase's Helm releases, as workloads on the kwok nodes, and the nginx IngressClass."""
        from tests.helpers_verify import CONTROLLERS, controller_manifest

        for namespace, workloads in CONTROLLERS.items():
            self.cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
            self.cluster.apply([controller_manifest(namespace, kind, name) for kind, name in workloads])
        self.cluster.apply({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                            "metadata": {"name": "nginx",
                                         "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
                            "spec": {"controller": "k8s.io/ingress-nginx"}})

    def terraform_secrets(self) -> None:
        """The `<app>-infra` Secret `comind tf apply` writes into each app namespace that uses services."""
        from comind_scaffold.checks.expected import Expected

        for pair in Expected(PlatformRepo(self.repo.root)).app_envs:
            app = pair.app
            if app.with_database or app.with_storage or app.with_queue or app.with_cache:
                self.cluster.apply({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                    "metadata": {"name": app.secret_name(), "namespace": pair.namespace},
                                    "stringData": {"DATABASE_PASSWORD": "test-only"}})


class IngressStandIn(BackgroundThread):
    """What ingress-nginx does for Ingresses of its class: publish its address in their status."""

    def __init__(self, cluster: KubeCluster, address: str = "127.0.0.1"):
        super().__init__("ingress-stand-in")
        self.cluster = cluster
        self.address = address

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                status, data = self.cluster.request("GET", "/apis/networking.k8s.io/v1/ingresses")
            except OSError:
                continue
            for ing in (data.get("items") or []) if status == 200 else []:
                self._publish(ing)

    def _publish(self, ing: dict[str, Any]) -> None:
        if ing.get("spec", {}).get("ingressClassName") not in (None, "nginx"):
            return
        if (ing.get("status") or {}).get("loadBalancer", {}).get("ingress"):
            return
        meta = ing["metadata"]
        self.cluster.request(
            "PATCH", f"/apis/networking.k8s.io/v1/namespaces/{meta['namespace']}/ingresses/{meta['name']}/status",
            {"status": {"loadBalancer": {"ingress": [{"ip": self.address}]}}},
            content_type="application/merge-patch+json")


@contextlib.contextmanager
def gitops_platform(base: Path, apps: Sequence[dict[str, Any]] | None = None, envs: Sequence[str] | None = None,
                    nodes: int = 3, startup_timeout: float = 180) -> Iterator[GitOpsPlatform]:
    """Git server, rendered platform (``repo_url`` = that server), control plane and Argo CD, stopped on exit."""
    from tests.helpers_verify import APPS, ENVS, PLATFORM, render_platform_repo

    binaries = find_argocd()
    git = GitServer(base / "git", base / "git-tls").start()
    cluster: KubeCluster | None = None
    argocd: ArgoCD | None = None
    try:
        bare = git.create(f"{PLATFORM}.git")
        url = git.url(f"{PLATFORM}.git")
        repo = render_platform_repo(base / PLATFORM, apps=tuple(APPS if apps is None else apps),
                                    envs=tuple(ENVS if envs is None else envs), repo_url=url)
        config = platform_argocd_config(repo.root)  # the template's configuration, not a copy
        cluster = KubeCluster(nodes=nodes, startup_timeout=startup_timeout)
        cluster.start()
        argocd = ArgoCD(cluster, base / "argocd-data", binaries, tls_certs={"127.0.0.1": git.ca_pem})
        argocd.configure(config["cm"], config["params"])
        argocd.start()
        yield GitOpsPlatform(cluster, argocd, git, repo, bare, url)
    finally:
        if argocd is not None:
            argocd.stop()
        if cluster is not None:
            cluster.stop()
        git.stop()


@pytest.fixture(scope="session")
def argocd_platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator[GitOpsPlatform]:
    try:
        find_binaries()
        find_argocd()
    except MissingBinaryError as exc:
        skip_or_fail(str(exc), request.config)
    if shutil.which("copier") is None or shutil.which("kubectl") is None:
        skip_or_fail("copier and kubectl are needed to render and bootstrap the platform", request.config)
    with gitops_platform(tmp_path_factory.mktemp("argocd"), nodes=int(os.environ.get("COMIND_KUBE_NODES", "3")),
                         startup_timeout=float(os.environ.get("COMIND_KUBE_TIMEOUT", "180"))) as platform:
        yield platform
