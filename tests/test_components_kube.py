"""Smoke tests of the test suite's own Kubernetes control plane (tests/components/kube.py)."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.components.kube import _PKI, KubeCluster, read_versions

pytestmark = pytest.mark.cluster


def _deployment_and_service(namespace: str, name: str = "web", replicas: int = 2) -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}, labels: {{app: {name}}}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: {name}
        image: registry.invalid/comind/web:1.0
        ports: [{{containerPort: 8080, name: http}}]
        resources: {{requests: {{cpu: 100m, memory: 64Mi}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80, targetPort: http, name: http}}]
"""


def _application(name: str, **spec_overrides: object) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "project": "default",
        "source": {"repoURL": "https://git.example.invalid/platform.git", "path": "apps/web",
                   "targetRevision": "main"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
    }
    spec.update(spec_overrides)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd"}, "spec": spec}


@pytest.fixture(scope="module")
def argocd_ns(argocd_cluster: KubeCluster) -> KubeCluster:
    argocd_cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}})
    return argocd_cluster


def test_version_is_the_pinned_release(kube_cluster: KubeCluster) -> None:
    pinned = read_versions()["KUBE_VERSION"]
    assert pinned.startswith("v1.34.")
    assert kube_cluster.version == pinned
    status, body = kube_cluster.request("GET", "/version")
    assert status == 200
    assert (body["gitVersion"], body["major"], body["minor"]) == (pinned, "1", "34")
    assert kube_cluster.server.startswith("https://127.0.0.1:")
    # what a subprocess (the product's CLI, kubectl) sees through KUBECONFIG
    out = subprocess.run(["kubectl", "version", "-o", "json"], env=kube_cluster.env(),
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert json.loads(out)["serverVersion"]["gitVersion"] == pinned


def test_fake_nodes_are_ready(kube_cluster: KubeCluster) -> None:
    out = kube_cluster.kubectl("get", "nodes", "-o", "json").stdout
    nodes = {n["metadata"]["name"]: n for n in json.loads(out)["items"]}
    assert set(kube_cluster.node_names) <= set(nodes)
    assert len(kube_cluster.node_names) == 3
    for name in kube_cluster.node_names:
        conds = {c["type"]: c["status"] for c in nodes[name]["status"]["conditions"]}
        assert conds.get("Ready") == "True", (name, conds)
        assert not nodes[name]["spec"].get("taints"), nodes[name]["spec"]


def test_deployment_becomes_available_with_ready_endpoints(kube_cluster: KubeCluster,
                                                           kube_namespace: str) -> None:
    manifest = _deployment_and_service(kube_namespace)
    kube_cluster.kubectl("apply", "-f", "-", input=manifest)

    dep = kube_cluster.wait_deployment_available("web", kube_namespace, timeout=120)
    assert dep["status"]["availableReplicas"] == 2

    pods = json.loads(kube_cluster.kubectl("get", "pods", "-n", kube_namespace, "-l", "app=web",
                                           "-o", "json").stdout)["items"]
    assert len(pods) == 2
    for pod in pods:
        assert pod["status"]["phase"] == "Running"
        assert pod["spec"]["nodeName"] in kube_cluster.node_names  # placed by the real scheduler
        # the ServiceAccount admission and token controller did their part
        assert pod["spec"]["serviceAccountName"] == "default"
    pod_ips = sorted(p["status"]["podIP"] for p in pods)

    addresses = kube_cluster.wait_endpoints_ready("web", kube_namespace, count=2, timeout=60)
    assert addresses == pod_ips


def test_unauthenticated_requests_are_refused(kube_cluster: KubeCluster, tmp_path: Path) -> None:
    # No client certificate: the request is anonymous and RBAC refuses it.
    status, body = kube_cluster.request("GET", "/api/v1/namespaces/kube-system/secrets",
                                        authenticated=False)
    assert status in (401, 403), body
    assert status == 401 or 'User "system:anonymous"' in body["message"], body
    status, body = kube_cluster.request("GET", "/api/v1/namespaces/kube-system/secrets")
    assert status == 200, body
    who = json.loads(kube_cluster.kubectl("auth", "whoami", "-o", "json").stdout)
    assert who["status"]["userInfo"]["username"] == "comind-admin"
    assert "system:masters" in who["status"]["userInfo"]["groups"]

    # A client certificate from a CA the apiserver does not trust is rejected outright.
    import ssl
    import urllib.error
    import urllib.request

    foreign = _PKI(tmp_path / "foreign")
    crt, key = foreign.issue("intruder", "intruder", organizations=["system:masters"])
    assert kube_cluster.workdir is not None
    ctx = ssl.create_default_context(cafile=str(kube_cluster.workdir / "pki" / "ca.crt"))
    ctx.load_cert_chain(str(crt), str(key))
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(kube_cluster.server + "/api/v1/namespaces", context=ctx, timeout=10)
    assert err.value.code == 401


def test_malformed_application_is_rejected_by_crd_schema(argocd_ns: KubeCluster) -> None:
    path = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"
    bad = _application(f"bad-{uuid.uuid4().hex[:6]}", destination="https://kubernetes.default.svc")
    status, body = argocd_ns.request("POST", path, bad)
    assert status == 422, body
    assert "spec.destination" in body["message"]

    missing = _application(f"bad-{uuid.uuid4().hex[:6]}")
    del missing["spec"]["project"]
    status, body = argocd_ns.request("POST", path, missing)
    assert status == 422, body
    assert "spec.project" in body["message"]

    good = _application(f"good-{uuid.uuid4().hex[:6]}")
    status, body = argocd_ns.request("POST", path, good)
    assert status == 201, body
    # The cluster is shared by the session: leave no Application for the verifier tests to find.
    status, body = argocd_ns.request("DELETE", f"{path}/{good['metadata']['name']}")
    assert status == 200, body
