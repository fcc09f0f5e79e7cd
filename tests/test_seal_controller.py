"""What `comind seal` writes is unsealed by the REAL sealed-secrets controller (built from Go modules, run out
of cluster against the test control plane) into the expected Secret — and only where it was sealed for."""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from comind_scaffold._kube import KubeClient
from comind_scaffold.cli import main
from comind_scaffold.errors import TemplateError
from comind_scaffold.sealing_cert import fetch_certificate
from tests.components.fixtures_sealed_secrets import sealed_secrets  # noqa: F401 - the fixture
from tests.components.kube import KubeCluster
from tests.components.sealed_secrets import SealedSecretsController
from tests.helpers_seal import copy_platform

pytestmark = pytest.mark.cluster


def _sealed_document(overlay: Path) -> dict[str, Any]:
    """The SealedSecret as kustomize renders the overlay (what Argo CD would apply)."""
    rendered = subprocess.run(["kubectl", "kustomize", str(overlay)], capture_output=True, text=True,
                              check=True).stdout
    return next(d for d in yaml.safe_load_all(rendered) if d and d["kind"] == "SealedSecret")


def _get(kc: KubeCluster, api_version: str, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
    from kubernetes.dynamic.exceptions import NotFoundError

    try:
        return kc.get(api_version, kind, name, namespace)
    except NotFoundError:
        return None


def _condition(kc: KubeCluster, namespace: str, name: str) -> dict[str, Any] | None:
    obj = _get(kc, "bitnami.com/v1alpha1", "SealedSecret", name, namespace)
    for condition in ((obj or {}).get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Synced":
            return dict(condition)
    return None


def test_sealed_by_comind_unsealed_by_the_controller(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     kube_cluster: KubeCluster,
                                                     sealed_secrets: SealedSecretsController) -> None:  # noqa: F811
    platform = copy_platform(tmp_path / "platform")
    kc = kube_cluster

    # The certificate: the API server's service proxy cannot reach a controller running out of cluster (no
    # Service, no pod IP), so --fetch-cert takes it from the controller's active key Secret.
    code = main(["seal", "--fetch-cert", "--kubeconfig", str(kc.kubeconfig), "--platform-dir", str(platform),
                 "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    fetched = json.loads(out.out)["fetched"]
    assert fetched["source"].startswith("key Secret sealed-secrets/sealed-secrets-key")
    cert = platform / ".comind" / "sealed-secrets-local.pem"
    assert fetched["path"] == str(cert)
    assert cert.read_bytes().strip() == sealed_secrets.cert_pem().strip()  # what the controller serves itself

    values = {"DATABASE_PASSWORD": "p@ss w0rd=with=equals", "API_TOKEN": "tok-" + uuid.uuid4().hex}
    args = ["seal", "orders-api", "--env", "dev", "--platform-dir", str(platform)]
    for key, value in values.items():
        args += ["--from-literal", f"{key}={value}"]
    assert main(args) == 0, capsys.readouterr().err
    overlay = platform / "apps/orders-api/k8s/overlays/dev"
    document = _sealed_document(overlay)
    assert document["metadata"]["namespace"] == "orders-api-dev"

    kc.create_namespace("orders-api-dev")
    other = f"t-{uuid.uuid4().hex[:8]}"
    kc.create_namespace(other)
    try:
        kc.apply(document)
        secret = kc.wait_for(
            "the controller to unseal orders-api-dev/orders-api-secrets",
            lambda: _get(kc, "v1", "Secret", "orders-api-secrets", "orders-api-dev"), timeout=60)
        assert {k: base64.b64decode(v).decode() for k, v in secret["data"].items()} == values
        assert secret["type"] == "Opaque"
        assert secret["metadata"]["labels"]["comind.ops/app"] == "orders-api"
        assert [o["kind"] for o in secret["metadata"]["ownerReferences"]] == ["SealedSecret"]
        synced = kc.wait_for("Synced=True", lambda: (_condition(kc, "orders-api-dev", "orders-api-secrets") or {})
                             .get("status") == "True" or None, timeout=30)
        assert synced

        # Strict scope: the same ciphertext applied anywhere else is refused by the controller.
        moved = json.loads(json.dumps(document))
        moved["metadata"]["namespace"] = other
        moved["spec"]["template"]["metadata"]["namespace"] = other
        kc.apply(moved)
        refused = kc.wait_for("the controller to refuse the moved SealedSecret",
                              lambda: _condition(kc, other, "orders-api-secrets"), timeout=60)
        assert refused["status"] == "False"
        assert "no key could decrypt secret" in refused["message"]
        assert _get(kc, "v1", "Secret", "orders-api-secrets", other) is None

        # Re-sealing one key keeps the other; the controller updates the Secret.
        assert main(["seal", "orders-api", "--env", "dev", "--platform-dir", str(platform),
                     "--from-literal", "API_TOKEN=rotated"]) == 0
        kc.apply(_sealed_document(overlay))
        rotated = kc.wait_for(
            "the rotated value", lambda: (lambda s: s if s and base64.b64decode(s["data"]["API_TOKEN"]) == b"rotated"
                                          else None)(_get(kc, "v1", "Secret", "orders-api-secrets", "orders-api-dev")),
            timeout=60)
        assert base64.b64decode(rotated["data"]["DATABASE_PASSWORD"]).decode() == values["DATABASE_PASSWORD"]
    except BaseException:
        print(sealed_secrets.log())
        raise
    finally:
        kc.delete_namespace("orders-api-dev")
        kc.delete_namespace(other)


def test_fetch_cert_without_a_controller_says_so(kube_cluster: KubeCluster, tmp_path: Path) -> None:
    with KubeClient(str(kube_cluster.kubeconfig)) as kube, pytest.raises(TemplateError) as caught:
        fetch_certificate(kube, tmp_path / "cert.pem", namespace="no-controller-here")
    assert str(caught.value).startswith(
        "no sealed-secrets certificate in the cluster: service proxy no-controller-here/sealed-secrets-controller:http:"
        " HTTP 404")
    assert not (tmp_path / "cert.pem").exists()
