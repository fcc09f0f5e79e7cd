"""End to end: what `comind seal` writes is committed, pushed, deployed by the REAL Argo CD from git, and
unsealed by the REAL sealed-secrets controller into the Secret the app expects.

Runs on the `argocd_platform` control plane (Argo CD's repo-server and application-controller against a loopback
HTTPS git server) with an Application and AppProject of its own, in a git repository of its own; it leaves the
demo platform's Applications alone and removes its own at the end.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from comind_scaffold.cli import main
from tests.components.argocd import push_platform
from tests.components.fixtures_argocd import GIT_IDENTITY, GitOpsPlatform
from tests.components.kube import MissingBinaryError
from tests.components.require import skip_or_fail
from tests.components.sealed_secrets import SealedSecretsController, find_controller
from tests.helpers_seal import copy_platform

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

NAME = "sealed-e2e"
NAMESPACE = "orders-api-dev"
OVERLAY = "apps/orders-api/k8s/overlays/dev"


def _request(platform: GitOpsPlatform, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return platform.cluster.request(method, path, body)


def test_argocd_deploys_the_sealed_secret_and_the_controller_unseals_it(
        request: pytest.FixtureRequest, argocd_platform: GitOpsPlatform, tmp_path: Path) -> None:
    try:
        binary, crd = find_controller()
    except MissingBinaryError as exc:
        skip_or_fail(str(exc), request.config)
    gitops = argocd_platform
    kc = gitops.cluster
    controller = SealedSecretsController(kc, binary, crd, tmp_path / "sealed-secrets").start()
    apps = "/apis/argoproj.io/v1alpha1/namespaces/argocd"
    try:
        platform = copy_platform(tmp_path / "platform")
        assert main(["seal", "--fetch-cert", "--kubeconfig", str(kc.kubeconfig), "--platform-dir", str(platform)]) == 0
        token = "tok-" + uuid.uuid4().hex
        assert main(["seal", "orders-api", "--env", "dev", "--from-literal", f"API_TOKEN={token}",
                     "--from-literal", "DATABASE_PASSWORD=from git", "--platform-dir", str(platform)]) == 0
        bare = gitops.git.create(f"{NAME}-{uuid.uuid4().hex[:6]}.git")
        url = gitops.git.url(bare.name)
        commit = push_platform(platform, bare, "seal orders-api dev", GIT_IDENTITY)

        project = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
                   "metadata": {"name": NAME, "namespace": "argocd"},
                   "spec": {"sourceRepos": [url],
                            "destinations": [{"server": "https://kubernetes.default.svc", "namespace": NAMESPACE}],
                            "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}]}}
        application = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                       "metadata": {"name": NAME, "namespace": "argocd"},
                       "spec": {"project": NAME,
                                "source": {"repoURL": url, "targetRevision": "main", "path": OVERLAY},
                                "destination": {"server": "https://kubernetes.default.svc", "namespace": NAMESPACE},
                                "syncPolicy": {"automated": {}, "syncOptions": ["CreateNamespace=true"]}}}
        kc.apply([project, application])

        def deployed() -> dict[str, Any] | None:
            status, app = _request(gitops, "GET", f"{apps}/applications/{NAME}")
            sync = ((app or {}).get("status") or {}).get("sync") or {} if status == 200 else {}
            return app if sync.get("status") == "Synced" and sync.get("revision") == commit else None

        app = kc.wait_for("Argo CD to sync the overlay with the SealedSecret", deployed, timeout=180)
        resources = {(r["kind"], r["name"]): r for r in app["status"].get("resources") or []}
        sealed = resources[("SealedSecret", "orders-api-secrets")]
        assert (sealed["namespace"], sealed["status"]) == (NAMESPACE, "Synced")

        def unsealed() -> dict[str, Any] | None:
            status, secret = _request(gitops, "GET", f"/api/v1/namespaces/{NAMESPACE}/secrets/orders-api-secrets")
            return secret if status == 200 else None

        secret = kc.wait_for("the controller to unseal what Argo CD deployed", unsealed, timeout=60)
        assert {k: base64.b64decode(v).decode() for k, v in secret["data"].items()} == {
            "API_TOKEN": token, "DATABASE_PASSWORD": "from git"}
        # Argo CD applied the SealedSecret, never a Secret: the Secret is the controller's (owner SealedSecret).
        assert [o["kind"] for o in secret["metadata"]["ownerReferences"]] == ["SealedSecret"]
        assert ("Secret", "orders-api-secrets") not in resources
        assert "API_TOKEN=" not in json.dumps(app)
    except BaseException:
        print(controller.log())
        raise
    finally:
        _request(gitops, "DELETE", f"{apps}/applications/{NAME}")
        _request(gitops, "DELETE", f"{apps}/appprojects/{NAME}")
        _request(gitops, "DELETE", f"/api/v1/namespaces/{NAMESPACE}")
        controller.stop()
