"""The rendered platform against a real kube-apiserver v1.34 with Argo CD's CRDs: strict server-side field
validation of every object, Pod Security admission enforcing `restricted` on platform-<env>, and an AppProject with
an empty destinations list accepted as it is. Objects get unique names; only what the test created is deleted."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers_platform import render_platform, root_answers
from tests.helpers_platform_checks import kustomize_build, rendered_objects

pytestmark = pytest.mark.cluster


class _Kubectl:
    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig

    def run(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["kubectl", f"--kubeconfig={self.kubeconfig}", *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and done.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)}: {done.stderr.strip()}", pytrace=False)
        return done

    def apply(self, objects: list[dict[str, Any]], *extra: str) -> subprocess.CompletedProcess[str]:
        manifest = yaml.safe_dump_all(objects)
        return self.run(
            "apply",
            "--server-side",
            "--field-manager=comind-tests",
            "--validate=strict",
            "-f",
            "-",
            *extra,
            stdin=manifest,
        )


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_platform(tmp_path_factory.mktemp("cluster") / "platform", root_answers())


@pytest.fixture(scope="module")
def kubectl(argocd_cluster: Any) -> Iterator[_Kubectl]:
    # Module-wide: a namespace deleted between tests stays Terminating and refuses new objects for a while.
    tool = _Kubectl(argocd_cluster.kubeconfig)
    created = tool.run("get", "namespace", "argocd", check=False).returncode != 0
    if created:
        tool.run("create", "namespace", "argocd")
    yield tool
    if created:
        tool.run("delete", "namespace", "argocd", "--wait=false")


def test_argocd_objects_pass_strict_server_side_validation(platform: Path, kubectl: _Kubectl) -> None:
    argo = [o for o in rendered_objects(platform) if o["apiVersion"].startswith("argoproj.io/")]
    assert len(argo) >= 8
    done = kubectl.apply(argo, "--dry-run=server")
    for obj in argo:
        assert f"{obj['metadata']['name']} serverside-applied" in done.stdout, done.stdout


def test_app_project_without_destinations_is_accepted(platform: Path, kubectl: _Kubectl) -> None:
    backend = yaml.safe_load((platform / "k8s/kustomize/projects/backend.yaml").read_text())
    assert backend["spec"]["destinations"] == []
    name = f"t-{uuid.uuid4().hex[:8]}"
    backend["metadata"]["name"] = name
    kubectl.apply([backend])
    try:
        stored = json.loads(kubectl.run("get", "appproject", name, "-n", "argocd", "-o", "json").stdout)
        assert stored["spec"].get("destinations", []) == []
        assert stored["spec"]["sourceRepos"] == backend["spec"]["sourceRepos"]
    finally:
        kubectl.run("delete", "appproject", name, "-n", "argocd", "--wait=false")


def _pod(namespace: str, privileged: bool) -> dict[str, Any]:
    security: dict[str, Any] = (
        {"privileged": True}
        if privileged
        else {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
    )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe", "namespace": namespace},
        "spec": {"containers": [{"name": "probe", "image": "comind-test/busybox:1", "securityContext": security}]},
    }


def test_platform_namespace_enforces_restricted_pod_security(platform: Path, kubectl: _Kubectl) -> None:
    namespace = f"platform-t{uuid.uuid4().hex[:8]}"
    objects = kustomize_build(platform / "k8s/platform/overlays/dev")
    renamed = json.loads(json.dumps(objects).replace('"platform-dev"', json.dumps(namespace)))
    assert {o["kind"] for o in renamed} == {"Namespace", "NetworkPolicy", "Service", "EndpointSlice"}
    kubectl.apply([o for o in renamed if o["kind"] == "Namespace"])
    try:
        kubectl.apply([o for o in renamed if o["kind"] != "Namespace"])
        policies = kubectl.run("get", "networkpolicy", "-n", namespace, "-o", "name").stdout.split()
        assert "networkpolicy.networking.k8s.io/default-deny-all" in policies
        refused = kubectl.run(
            "create", "--dry-run=server", "-f", "-", stdin=json.dumps(_pod(namespace, True)), check=False
        )
        assert refused.returncode != 0
        assert 'violates PodSecurity "restricted' in refused.stderr
        kubectl.run("create", "--dry-run=server", "-f", "-", stdin=json.dumps(_pod(namespace, False)))
    finally:
        kubectl.run("delete", "namespace", namespace, "--wait=false")
