"""Helpers for the verifier's tests: a platform repo rendered from the real templates, and moto's server.

`render_platform_repo` runs the real Copier templates (platform, then each app) so the verifier is tested
against what comind-ops generates, not against hand-written YAML.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from comind_scaffold.repo import PlatformRepo
from comind_scaffold.scaffold import sync_projects
from tests.components.require import skip_or_fail

ROOT = Path(__file__).resolve().parents[1]
PLATFORM = "demo"
ENVS = ("dev", "prod")
APPS: tuple[dict[str, Any], ...] = (
    {
        "app_name": "shop",
        "team": "backend",
        "image": "registry.invalid/demo/shop",
        "image_tag": "1.0.0",
        "with_database": True,
        "with_storage": True,
        "with_queue": True,
    },
    {"app_name": "web", "team": "frontend", "image": "registry.invalid/demo/web", "image_tag": "2.1.0"},
)
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def _copier(dest: Path, data: Mapping[str, Any]) -> None:
    # HEAD, not the newest release tag Copier would take by default: the tests render the templates as they are.
    args = ["copier", "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD"]
    for key, value in data.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        args += ["--data", f"{key}={text}"]
    proc = subprocess.run(
        [*args, str(ROOT), str(dest)],
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_IDENTITY},
        check=False,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"copier copy into {dest} failed:\n{proc.stderr[-2000:]}")


def control_plane_version() -> str:
    """The test control plane's Kubernetes version (`1.34.4`), so a healthy cluster shows no version drift."""
    from tests.components.kube import read_versions

    return read_versions()["KUBE_VERSION"].lstrip("v")


def render_platform_repo(
    dest: Path, apps: tuple[dict[str, Any], ...] = APPS, envs: tuple[str, ...] = ENVS, repo_url: str | None = None
) -> PlatformRepo:
    """A platform repo rendered from templates/platform and templates/app (absolute paths, as comind passes).

    `repo_url`: the git URL Argo CD is to follow (default: the template's).
    """
    env_list = "[" + ", ".join(envs) + "]"
    answers: dict[str, Any] = {
        "template": "platform",
        "platform_name": PLATFORM,
        "environments": env_list,
        "redis_enabled": True,
        "elasticmq_enabled": True,
        "kubernetes_version": control_plane_version(),
    }
    if repo_url is not None:
        answers["repo_url"] = repo_url
    _copier(dest, answers)
    for app in apps:
        target = dest / "apps" / app["app_name"]
        target.mkdir(parents=True)
        _copier(target, {"template": "app", "environments": env_list, **app})
    repo = PlatformRepo(dest)
    sync_projects(repo)  # what `comind new-app` does after rendering: teams' AppProjects get the app namespaces
    return PlatformRepo(dest)


@pytest.fixture(scope="session")
def platform_repo(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> PlatformRepo:
    """The demo platform with two apps (one using every service), rendered once per session."""
    if shutil.which("copier") is None or shutil.which("kubectl") is None:
        skip_or_fail("copier and kubectl are needed to render the demo platform", request.config)
    return render_platform_repo(tmp_path_factory.mktemp("platform") / PLATFORM)


def free_port() -> int:
    """A TCP port nothing listens on right now (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[str]:
    """moto's server (the AWS API emulator) on a loopback port, fresh for each test, with dummy credentials."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as err:
        skip_or_fail(f"moto[server] is not installed: {err}", request.config)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-west-2",
    }.items():
        monkeypatch.setenv(key, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto keeps its state per process: start every test from an empty emulator
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30).close()
    try:
        yield endpoint
    finally:
        server.stop()


# ----------------------------------------------------------------------------- a platform on the real control plane

CONTROLLERS: dict[str, tuple[tuple[str, str], ...]] = {
    # namespace -> (kind, name) of the controllers a local platform runs there (stand-ins on kwok nodes)
    "argocd": (
        ("Deployment", "argocd-server"),
        ("Deployment", "argocd-repo-server"),
        ("StatefulSet", "argocd-application-controller"),
    ),
    "sealed-secrets": (("Deployment", "sealed-secrets-controller"),),
    "ingress-nginx": (("Deployment", "ingress-nginx-controller"),),
    "metallb-system": (("Deployment", "controller"), ("DaemonSet", "speaker")),
}


def kustomize(path: Path) -> str:
    """`kubectl kustomize PATH` (the real kustomize, offline)."""
    proc = subprocess.run(["kubectl", "kustomize", str(path)], capture_output=True, text=True, check=True, timeout=120)
    return proc.stdout


def controller_manifest(namespace: str, kind: str, name: str) -> dict[str, Any]:
    """A controller stand-in: a workload whose pods kwok runs on its fake nodes."""
    labels = {"app.kubernetes.io/name": name}
    pod = {
        "metadata": {"labels": labels},
        "spec": {
            "containers": [
                {
                    "name": name,
                    "image": f"registry.invalid/stand-in/{name}:1",
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                }
            ]
        },
    }
    spec: dict[str, Any] = {"selector": {"matchLabels": labels}, "template": pod}
    if kind != "DaemonSet":
        spec["replicas"] = 1
    if kind == "StatefulSet":
        spec["serviceName"] = name
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def app_namespace_labels(application: Mapping[str, Any]) -> dict[str, str]:
    """The labels Argo CD gives a namespace it creates (the Application's managedNamespaceMetadata)."""
    policy = (application.get("spec") or {}).get("syncPolicy") or {}
    return dict((policy.get("managedNamespaceMetadata") or {}).get("labels") or {})


def deploy_platform(cluster: Any, repo: PlatformRepo) -> None:
    """Apply by hand everything the platform and its apps render (Applications included, with no status: no Argo CD
    runs on this control plane); tests with real Argo CD use tests/components/fixtures_argocd.py instead."""
    from comind_scaffold.checks.expected import Expected

    for namespace, workloads in CONTROLLERS.items():
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        cluster.apply([controller_manifest(namespace, kind, name) for kind, name in workloads])
    cluster.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": "nginx"},
            "spec": {"controller": "k8s.io/ingress-nginx"},
        }
    )
    for env in repo.spec.environments:
        cluster.apply(kustomize(repo.root / "k8s" / "platform" / "overlays" / env))
    cluster.apply(kustomize(repo.root / "k8s" / "kustomize"))
    cluster.apply((repo.root / "k8s" / "kustomize" / "root-app.yaml").read_text())
    expected = Expected(repo)
    for pair in expected.app_envs:
        application = yaml.safe_load((repo.app_dir(pair.app.app_name) / "argocd" / f"{pair.env}.yaml").read_text())
        cluster.apply(application)
        cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": pair.namespace, "labels": app_namespace_labels(application)},
            }
        )
        cluster.apply(expected.rendered.objects[pair.namespace])
        if pair.app.with_database or pair.app.with_storage or pair.app.with_queue or pair.app.with_cache:
            cluster.apply(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "type": "Opaque",
                    "metadata": {"name": pair.app.secret_name(), "namespace": pair.namespace},
                    "stringData": {"DATABASE_PASSWORD": "test-only"},
                }
            )
    for namespace, workloads in CONTROLLERS.items():
        for kind, name in workloads:
            if kind == "Deployment":
                cluster.wait_deployment_available(name, namespace)
    for pair in expected.app_envs:
        cluster.wait_deployment_available(pair.app.app_name, pair.namespace)
        cluster.wait_endpoints_ready(pair.app.app_name, pair.namespace)


def run_verify(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`pytest verify/ ARGS` in a child process, as a platform engineer runs it."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "verify"), "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )
