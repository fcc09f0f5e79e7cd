"""Pytest plugin: real Argo CD syncing a platform rendered from the templates (see tests/components/argocd.py).

Fixtures:
  argocd_platform (session) GitOpsPlatform: the demo platform rendered with ``repo_url`` = a loopback HTTPS git
                  server, a control plane of its own (kube-apiserver, controller-manager, scheduler, kwok; the
                  CRDs of the Argo CD version that runs) and Argo CD's repo-server + application-controller
                  configured with the argocd-cm and argocd-cmd-params-cm the platform's Terraform passes to the chart. Nothing is pushed
                  or applied yet: tests commit, push and bootstrap themselves.

A missing piece (control plane, argocd, redis-server, kustomize, copier) skips — fails under --require-real /
COMIND_REQUIRE_REAL=1 — naming the build script. A piece that is there but does not start is an error.
The control plane is separate from ``kube_cluster``'s: tests there write Application status by hand, which a
running application-controller would overwrite (and the other way round).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from comind_scaffold.repo import PlatformRepo
from tests.components.argocd import (
    ArgoCD,
    GitServer,
    find_argocd,
    platform_argocd_config,
    push_platform,
)
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


@pytest.fixture(scope="session")
def argocd_platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator[GitOpsPlatform]:
    from tests.helpers_verify import PLATFORM, render_platform_repo

    try:
        find_binaries()
        binaries = find_argocd()
    except MissingBinaryError as exc:
        skip_or_fail(str(exc), request.config)
    if shutil.which("copier") is None or shutil.which("kubectl") is None:
        skip_or_fail("copier and kubectl are needed to render and bootstrap the platform", request.config)

    base = tmp_path_factory.mktemp("argocd")
    git = GitServer(base / "git", base / "git-tls").start()
    cluster: KubeCluster | None = None
    argocd: ArgoCD | None = None
    try:
        bare = git.create(f"{PLATFORM}.git")
        url = git.url(f"{PLATFORM}.git")
        repo = render_platform_repo(base / PLATFORM, repo_url=url)
        config = platform_argocd_config(repo.root)  # the template's configuration, not a copy
        cluster = KubeCluster(nodes=int(os.environ.get("COMIND_KUBE_NODES", "3")),
                              startup_timeout=float(os.environ.get("COMIND_KUBE_TIMEOUT", "180")))
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
