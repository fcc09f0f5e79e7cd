"""The real Bitnami sealed-secrets controller, run out of cluster against the test control plane.

Built from Go modules by ``tests/testbin/build-sealed-secrets.sh`` (version in ``sealed-secrets.env``). The
controller only knows ``rest.InClusterConfig()``: it reads ``KUBERNETES_SERVICE_HOST/PORT`` and the service
account files under ``/var/run/secrets/kubernetes.io/serviceaccount``. We give it exactly that: a real
ServiceAccount with the chart's RBAC, a token from the TokenRequest API, and those files seen through a
private mount namespace (``unshare -m`` bind-mounts a folder of ours over ``/run`` for that one process, so
nothing is written outside the test's tmp folder). It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from tests.components.kube import TESTBIN, KubeCluster, MissingBinaryError, _free_port, _Proc, cache_dir

BUILD_SCRIPT = TESTBIN / "build-sealed-secrets.sh"
NAMESPACE = "sealed-secrets"
NAME = "sealed-secrets-controller"
KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key"

# The chart's ClusterRole (helm/sealed-secrets/templates/cluster-role.yaml of the same version).
_CLUSTER_RULES = [
    {"apiGroups": ["bitnami.com"], "resources": ["sealedsecrets"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["bitnami.com"], "resources": ["sealedsecrets/status"], "verbs": ["update"]},
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "create", "update", "delete", "watch"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
]


def version() -> str:
    """SEALED_SECRETS_VERSION from tests/testbin/sealed-secrets.env."""
    for line in (TESTBIN / "sealed-secrets.env").read_text().splitlines():
        if line.startswith("SEALED_SECRETS_VERSION="):
            return line.split("=", 1)[1].strip()
    raise MissingBinaryError("tests/testbin/sealed-secrets.env: no SEALED_SECRETS_VERSION")


def find_controller() -> tuple[Path, Path]:
    """(controller binary, CRD file) in the cache, or MissingBinaryError saying how to build them."""
    folder = cache_dir() / "bin" / f"sealed-secrets-controller-{version()}"
    binary, crd = folder / "controller", folder / "crd.yaml"
    if not (binary.is_file() and crd.is_file()):
        raise MissingBinaryError(f"sealed-secrets controller not found at {folder}: "
                                 "run tests/testbin/build-sealed-secrets.sh")
    return binary, crd


class SealedSecretsController:
    """One controller process for one KubeCluster; ``start()`` installs the CRD, RBAC and runs it."""

    def __init__(self, cluster: KubeCluster, binary: Path, crd: Path, workdir: Path) -> None:
        self.cluster, self.binary, self.crd, self.workdir = cluster, binary, crd, workdir
        self.proc: _Proc | None = None
        self.url = ""

    def start(self, timeout: float = 120.0) -> SealedSecretsController:
        kc = self.cluster
        if not shutil.which("unshare"):
            raise MissingBinaryError("unshare (util-linux) not found: needed to give the controller its "
                                     "service account files")
        kc.kubectl("apply", "--server-side", "--field-manager=comind-tests", "-f", str(self.crd))
        kc.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                   "crd/sealedsecrets.bitnami.com")
        rbac: list[dict[str, Any]] = [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": NAME, "namespace": NAMESPACE}},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "metadata": {"name": f"secrets-unsealer-{NAMESPACE}"}, "rules": _CLUSTER_RULES},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
             "metadata": {"name": f"{NAME}-{NAMESPACE}"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                         "name": f"secrets-unsealer-{NAMESPACE}"},
             "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]},
        ]
        kc.kubectl("apply", "--server-side", "--field-manager=comind-tests", "-f", "-",
                   input=yaml.safe_dump_all(rbac))
        token = kc.kubectl("create", "token", NAME, "-n", NAMESPACE, "--duration=6h").stdout.strip()
        sa = self.workdir / "run" / "secrets" / "kubernetes.io" / "serviceaccount"
        sa.mkdir(parents=True, exist_ok=True)
        (sa / "token").write_text(token)
        assert kc.workdir is not None
        shutil.copy(kc.workdir / "pki" / "ca.crt", sa / "ca.crt")
        (sa / "namespace").write_text(NAMESPACE)

        port, metrics = _free_port(), _free_port()
        self.url = f"http://127.0.0.1:{port}"
        host, api_port = kc.server.removeprefix("https://").rsplit(":", 1)
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                'mount --bind "$0" /run && exec "$@"', str(self.workdir / "run"),
                str(self.binary), f"--listen-addr=127.0.0.1:{port}", f"--listen-metrics-addr=127.0.0.1:{metrics}",
                "--key-renew-period=0"]
        env = {**kc._env(), "KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": api_port,
               "POD_NAMESPACE": NAMESPACE, "HOME": str(self.workdir)}
        self.proc = _Proc("sealed-secrets-controller", argv, self.workdir / "controller.log", env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.proc.alive():
                raise RuntimeError(f"sealed-secrets controller exited:\n{self.proc.tail(40)}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200 and self.key_secrets():
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"sealed-secrets controller not ready in {timeout:.0f}s:\n{self.proc.tail(40)}")

    def key_secrets(self) -> list[str]:
        """Names of the controller's active key Secrets."""
        out = self.cluster.kubectl("get", "secrets", "-n", NAMESPACE, "-l", f"{KEY_LABEL}=active",
                                   "-o", "name", check=False)
        return out.stdout.split() if out.returncode == 0 else []

    def cert_pem(self) -> bytes:
        """The certificate the controller itself serves on /v1/cert.pem."""
        with urllib.request.urlopen(f"{self.url}/v1/cert.pem", timeout=10) as answer:
            return bytes(answer.read())

    def log(self) -> str:
        return self.proc.tail(60) if self.proc else "(not started)"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None


def run_build() -> subprocess.CompletedProcess[str]:
    """Run the build script (warm: a few ms)."""
    return subprocess.run(["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, check=False)
