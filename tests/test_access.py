"""`comind argocd url|password|port-forward` and `comind kubeconfig [--merge]`, against the real control plane.

What cannot be shown here: a port-forward carrying bytes. kwok plays the kubelets and serves no kubelet API, so
the API server's port-forward stream to a kwok pod fails; the test shows that the failure reaches the user as
an error (and the forward keeps listening), not that bytes arrive.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from comind_scaffold import access
from comind_scaffold._kube import KubeClient
from comind_scaffold.errors import InputError
from tests.components.kube import KubeCluster
from tests.helpers_seal import copy_platform, tree


def comind(*args: str | Path, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    if home is not None:
        env["HOME"] = str(home)
    env.pop("KUBECONFIG", None)
    return subprocess.run(["comind", *map(str, args)], capture_output=True, text=True, env=env, check=False,
                          timeout=120)


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    return copy_platform(tmp_path / "platform")


def test_url_per_profile(platform: Path) -> None:
    done = comind("argocd", "url", "--platform-dir", platform)
    assert (done.returncode, done.stdout.strip()) == (0, "http://argocd.127.0.0.1.nip.io")
    done = comind("argocd", "url", "--profile", "aws", "--json", "--platform-dir", platform)
    assert json.loads(done.stdout) == {"url": "https://argocd.comind.pro", "user": "admin"}
    done = comind("argocd", "url", "--profile", "gcp", "--platform-dir", platform)
    assert (done.returncode, done.stderr.strip()) == (2, "error: --profile: 'gcp' must be one of local, aws")


def test_kubeconfig_before_bootstrap_is_one_line_exit_2(platform: Path) -> None:
    done = comind("kubeconfig", "--platform-dir", platform)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        f"error: kubeconfig: {platform}/.comind/kubeconfig-local: not written yet for profile local")
    done = comind("kubeconfig", "--profile", "aws", "--platform-dir", platform)
    assert "aws eks update-kubeconfig --region us-west-2" in done.stderr


@pytest.mark.cluster
def test_password_is_read_from_the_initial_admin_secret(kube_cluster: KubeCluster, kube_namespace: str,
                                                        platform: Path) -> None:
    args = ("--kubeconfig", kube_cluster.kubeconfig, "--namespace", kube_namespace, "--platform-dir", platform)
    done = comind("argocd", "password", *args)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == f"error: Secret {kube_namespace}/argocd-initial-admin-secret: not found"
    kube_cluster.apply({"apiVersion": "v1", "kind": "Secret",
                        "metadata": {"name": "argocd-initial-admin-secret", "namespace": kube_namespace},
                        "data": {"password": base64.b64encode(b"Zq9-generated").decode()}})
    done = comind("argocd", "password", *args)
    assert (done.returncode, done.stdout) == (0, "Zq9-generated\n")
    done = comind("argocd", "password", "--json", *args)
    assert json.loads(done.stdout) == {"user": "admin", "password": "Zq9-generated"}


@pytest.mark.cluster
def test_kubeconfig_merge_keeps_other_contexts_and_kubectl_then_works(kube_cluster: KubeCluster,
                                                                      kube_namespace: str, platform: Path,
                                                                      tmp_path: Path) -> None:
    (platform / ".comind").mkdir()
    platform_config = platform / ".comind" / "kubeconfig-local"
    shutil.copy(kube_cluster.kubeconfig, platform_config)  # what bootstrap's k3d step writes
    done = comind("kubeconfig", "--platform-dir", platform)
    assert (done.returncode, done.stdout) == (0, f"{platform_config}\n")

    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    other = {"apiVersion": "v1", "kind": "Config", "current-context": "work",
             "clusters": [{"name": "work", "cluster": {"server": "https://127.0.0.1:1"}}],
             "users": [{"name": "work", "user": {"token": "keep-me"}}],
             "contexts": [{"name": "work", "context": {"cluster": "work", "user": "work"}}]}
    (home / ".kube" / "config").write_text(yaml.safe_dump(other))
    (home / ".kube" / "config").chmod(0o600)

    done = comind("kubeconfig", "--merge", "--json", "--platform-dir", platform, home=home)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["added"] == ["cluster comind-test", "user admin", "context comind-test"]
    assert report["current_context"] == "work"  # not switched without --use
    merged = yaml.safe_load((home / ".kube" / "config").read_text())
    assert [c["name"] for c in merged["contexts"]] == ["work", "comind-test"]
    assert merged["users"][0] == other["users"][0]
    assert (home / ".kube" / "config").stat().st_mode & 0o777 == 0o600

    done = comind("kubeconfig", "--merge", "--use", "--platform-dir", platform, home=home)
    assert done.returncode == 0, done.stderr
    assert "already merged; current context comind-test" in done.stdout
    kubectl = subprocess.run(["kubectl", "get", "pods", "-n", kube_namespace], capture_output=True, text=True,
                             env={**{k: v for k, v in os.environ.items() if k != "KUBECONFIG"}, "HOME": str(home)},
                             check=False, timeout=60)
    assert kubectl.returncode == 0, kubectl.stderr  # the README's `kubectl get pods -n my-app-dev`
    assert "No resources found" in kubectl.stderr

    # Another cluster of the same name (a re-created one) is never replaced silently.
    changed = yaml.safe_load(platform_config.read_text())
    changed["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:2"
    platform_config.write_text(yaml.safe_dump(changed))
    before = tree(home)
    done = comind("kubeconfig", "--merge", "--platform-dir", platform, home=home)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        f"error: --merge: {home}/.kube/config already has a different cluster comind-test; nothing written")
    assert tree(home) == before
    done = comind("kubeconfig", "--merge", "--overwrite", "--json", "--platform-dir", platform, home=home)
    assert json.loads(done.stdout)["replaced"] == ["cluster comind-test"]
    merged = yaml.safe_load((home / ".kube" / "config").read_text())
    assert [c["cluster"]["server"] for c in merged["clusters"]] == ["https://127.0.0.1:1", "https://127.0.0.1:2"]


@pytest.mark.cluster
def test_port_forward_reaches_the_api_server_and_reports_the_kubelet_failure(kube_cluster: KubeCluster,
                                                                              kube_namespace: str,
                                                                              platform: Path) -> None:
    done = comind("argocd", "port-forward", "--port", "0", "--namespace", kube_namespace,
                  "--kubeconfig", kube_cluster.kubeconfig, "--platform-dir", platform)
    assert (done.returncode, done.stderr.strip()) == (
        2, f"error: pod: no Running pod labelled app.kubernetes.io/name=argocd-server in namespace {kube_namespace}")
    with KubeClient(str(kube_cluster.kubeconfig)) as kube:
        with pytest.raises(InputError) as missing:
            access.find_pod(kube, kube_namespace, access.ARGOCD_SERVER_SELECTOR)
        assert str(missing.value) == (f"pod: no Running pod labelled app.kubernetes.io/name=argocd-server in "
                                      f"namespace {kube_namespace}")
        kube_cluster.apply({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "argocd-server-0", "namespace": kube_namespace,
                         "labels": {"app.kubernetes.io/name": "argocd-server"}},
            "spec": {"containers": [{"name": "server", "image": "argocd:stand-in",
                                     "ports": [{"containerPort": 8080}]}],
                     "tolerations": [{"operator": "Exists"}]},
        })
        pod = kube_cluster.wait_for("the kwok pod to run", lambda: (
            lambda name: name)(_running(kube, kube_namespace)), timeout=60)
        assert pod == "argocd-server-0"

        stop = threading.Event()
        ready = threading.Event()
        started: list[access.Forward] = []
        result: list[access.Forward] = []

        def on_ready(forward: access.Forward) -> None:
            started.append(forward)
            ready.set()

        worker = threading.Thread(target=lambda: result.append(access.port_forward(
            kube, kube_namespace, pod, 8080, local_port=0, stop=stop, on_ready=on_ready)), daemon=True)
        worker.start()
        assert ready.wait(60), "the proxy did not start listening"
        forward = started[0]
        assert forward.host == "127.0.0.1" and forward.port > 0
        with socket.create_connection(("127.0.0.1", forward.port), timeout=20) as client:
            client.sendall(b"GET / HTTP/1.0\r\n\r\n")
            client.settimeout(20)
            try:  # the stream failed: the connection is closed (reset: our request was never read), not hung
                assert client.recv(100) == b""
            except ConnectionResetError:
                pass
        deadline = time.monotonic() + 20
        while not forward.errors and time.monotonic() < deadline:
            time.sleep(0.1)
        # The API server took the request and could not dial the (kwok) node's kubelet: kwok nodes have no address.
        assert forward.errors == [f"{kube_namespace}/{pod}:8080: Handshake status 500 Internal Server Error: "
                                  "no preferred addresses found; known addresses: []"]
        # Still listening after a failed stream.
        socket.create_connection(("127.0.0.1", forward.port), timeout=5).close()
        stop.set()
        worker.join(10)
        assert result and result[0].connections >= 2
        with pytest.raises(InputError):
            access.port_forward(kube, kube_namespace, pod, 8080, host="0.0.0.0")

    # The command: says where it listens, reports the failed stream on one line, stops on Ctrl-C.
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    proc = subprocess.Popen(["comind", "argocd", "port-forward", "--port", "0", "--namespace", kube_namespace,
                             "--kubeconfig", str(kube_cluster.kubeconfig), "--platform-dir", str(platform)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("forwarding http://127.0.0.1:"), line
        port = int(line.split("http://127.0.0.1:", 1)[1].split(" ", 1)[0])
        assert f"→ {kube_namespace}/argocd-server-0:8080" in line
        with socket.create_connection(("127.0.0.1", port), timeout=20) as client:
            try:
                client.recv(100)  # returns (or is reset) once the stream has failed
            except ConnectionResetError:
                pass
        time.sleep(1)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode in (0, 130), err
    assert "error: " in err and "no preferred addresses found" in err


def _running(kube: KubeClient, namespace: str) -> str | None:
    try:
        return access.find_pod(kube, namespace, access.ARGOCD_SERVER_SELECTOR)
    except InputError:
        return None
