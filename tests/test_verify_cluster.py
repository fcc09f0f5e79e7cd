"""cluster, gitops and apps layers against the real control plane (etcd + kube-apiserver + controllers + kwok).

The demo platform is rendered from the real templates and its objects applied by hand, so that faults can be made
by hand too (Argo CD's selfHeal would put them back). No Argo CD runs on this control plane, so nothing computes
an Application's status and the checks that read one (ARGOCD_STATUS_CHECKS) are left out here: they, the whole
verifier on a healthy platform and every gitops fault run against real Argo CD in tests/test_argocd_platform.py.
Each fault is injected, found by the right check with a message naming the object, and undone.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from comind_scaffold._kube import KubeClient
from comind_scaffold.checks import cluster as cluster_checks
from comind_scaffold.checks.expected import Expected
from comind_scaffold.checks.resources import Snapshot
from comind_scaffold.models import CheckResult, Status
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.verifier.layers import kube_results
from tests.helpers_verify import (  # noqa: F401
    deploy_platform,
    free_port,
    kustomize,
    platform_repo,
    run_verify,
)

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

ARGOCD_STATUS_CHECKS = ("application.synced_healthy", "app.application")  # read what Argo CD computes


def results(cluster: Any, repo: PlatformRepo, *, kubeconfig: str | None = None) -> list[CheckResult]:
    with KubeClient(kubeconfig or str(cluster.kubeconfig)) as client:
        found = kube_results(Snapshot(client), Expected(repo), "local", 0.0)
    return [r for r in found if r.name not in ARGOCD_STATUS_CHECKS]


def failures(found: list[CheckResult]) -> dict[str, CheckResult]:
    return {f"{r.name} {r.object}": r for r in found if r.status is Status.FAIL}


def settle(cluster: Any, repo: PlatformRepo, timeout: float = 120.0) -> list[CheckResult]:
    """Re-check until nothing fails (controllers converge asynchronously); the last results."""
    deadline = time.monotonic() + timeout
    while True:
        found = results(cluster, repo)
        if not failures(found) or time.monotonic() > deadline:
            return found
        time.sleep(1)


@pytest.fixture(scope="module")
def deployed(argocd_cluster: Any, platform_repo: PlatformRepo) -> tuple[Any, PlatformRepo]:  # noqa: F811
    deploy_platform(argocd_cluster, platform_repo)
    left = failures(settle(argocd_cluster, platform_repo))
    assert not left, "the demo platform did not become healthy:\n" + "\n".join(r.line() for r in left.values())
    return argocd_cluster, platform_repo


@contextlib.contextmanager
def fault(undo: Callable[[], None], cluster: Any, repo: PlatformRepo) -> Iterator[None]:
    """Run the body with a fault in place; undo it and wait until the platform is healthy again."""
    try:
        yield
    finally:
        undo()
        left = failures(settle(cluster, repo))
        assert not left, "fault not undone:\n" + "\n".join(r.line() for r in left.values()) + _why(cluster, left)


def _why(cluster: Any, left: dict[str, CheckResult]) -> str:
    """What the control plane says about the objects still failing: its processes that exited, the pods of their
    namespaces that are not ready and the namespaces' warning events."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    core = client.CoreV1Api(cluster.api_client)
    lines = [f"exited: {p.name} ({p.popen.returncode}):\n{p.tail(20)}" for p in cluster._procs if not p.alive()]
    # objects read "Kind namespace/name"; cluster-scoped ones have no namespace
    namespaces = {r.object.rpartition(" ")[2].partition("/")[0] for r in left.values() if "/" in r.object}
    for namespace in sorted(namespaces):
        try:
            pods, events = core.list_namespaced_pod(namespace).items, core.list_namespaced_event(namespace).items
        except (ApiException, OSError) as err:
            lines.append(f"namespace {namespace}: could not be read: {err}")
            continue
        for pod in pods:
            ready = {c.type: c.status for c in pod.status.conditions or []}
            if ready.get("Ready") != "True":
                lines.append(f"pod {namespace}/{pod.metadata.name}: {pod.status.phase} on {pod.spec.node_name}, "
                             f"conditions {ready}, deleting {pod.metadata.deletion_timestamp}")
        lines += [f"event {namespace}: {e.reason} {e.involved_object.kind}/{e.involved_object.name}: {e.message}"
                  for e in events if e.type == "Warning"][-10:]
    return "\n" + "\n".join(lines) if lines else "\n(every control-plane process is running; no pod or event)"


def _patch(cluster: Any, api_version: str, kind: str, name: str, namespace: str | None, body: dict[str, Any]) -> None:
    res = cluster.dynamic.resources.get(api_version=api_version, kind=kind)
    res.patch(body=body, name=name, namespace=namespace, content_type="application/merge-patch+json")


def _delete(cluster: Any, api_version: str, kind: str, name: str, namespace: str | None = None) -> None:
    cluster.dynamic.resources.get(api_version=api_version, kind=kind).delete(name=name, namespace=namespace)


def _rendered(repo: PlatformRepo, namespace: str, kind: str, name: str) -> dict[str, Any]:
    return next(o for o in Expected(repo).objects(namespace, kind) if o["metadata"]["name"] == name)


# ----------------------------------------------------------------------------------------------- healthy


def test_healthy_platform_gives_no_failure_and_no_warning(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    found = results(cluster, repo)
    assert [r.line() for r in found if r.status is not Status.PASS] == [
        "SKIP monitoring.stack Namespace monitoring: answer monitoring is not enabled in the platform's answers"]
    objects = {r.object for r in found}
    for expected in (
        "Deployment argocd/argocd-server",
        "StatefulSet argocd/argocd-application-controller",
        "DaemonSet metallb-system/speaker",
        "Application argocd/shop-dev",  # its source
        "AppProject argocd/backend",
        "Namespace web-prod",
        "ResourceQuota shop-dev",
        "Secret shop-dev/shop-infra",
    ):
        assert expected in objects, f"{expected} was not checked"


def test_patch_drift_warns_without_failing(deployed: tuple[Any, PlatformRepo], tmp_path: Path) -> None:
    cluster, repo = deployed
    copy = tmp_path / "platform"
    subprocess.run(["cp", "-a", str(repo.root), str(copy)], check=True)
    answers = yaml.safe_load((copy / ".copier-answers.yml").read_text())
    minor = ".".join(answers["kubernetes_version"].split(".")[:2])
    answers["kubernetes_version"] = f"{minor}.0"
    (copy / ".copier-answers.yml").write_text(yaml.safe_dump(answers))
    proc = run_verify(
        "--profile=local", "-m", "cluster", f"--kubeconfig={cluster.kubeconfig}", f"--platform-dir={copy}"
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "comind verify: warnings (not failures)" in proc.stdout
    assert f"patch drift: server runs {cluster.version.lstrip('v')}, configured {minor}.0" in proc.stdout


# ----------------------------------------------------------------------------------------------- cluster faults


def test_apiserver_unreachable_fails_once_and_fast(
    platform_repo: PlatformRepo,  # noqa: F811
    tmp_path: Path,  # noqa: F811
    argocd_cluster: Any,
) -> None:
    config = yaml.safe_load(Path(argocd_cluster.kubeconfig).read_text())
    for entry in config["clusters"]:
        entry["cluster"]["server"] = f"https://127.0.0.1:{free_port()}"
    closed = tmp_path / "kubeconfig"
    closed.write_text(yaml.safe_dump(config))
    [only] = results(argocd_cluster, platform_repo, kubeconfig=str(closed))
    assert only.status is Status.FAIL and only.name == "api.reachable" and "unreachable" in only.message
    proc = run_verify(
        "--profile=local",
        "-m",
        "cluster or gitops or apps",
        f"--kubeconfig={closed}",
        f"--platform-dir={platform_repo.root}",
    )
    assert proc.returncode == 1
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and "test_api_reachable" in failed[0], proc.stdout[-3000:]
    assert "not run: Kubernetes API unusable" in proc.stdout


def test_node_not_ready_is_named(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    node = cluster.node_names[-1]
    from kubernetes import client

    core = client.CoreV1Api(cluster.api_client)
    annotation = "kwok.x-k8s.io/node"

    def undo() -> None:
        core.patch_node(node, {"metadata": {"annotations": {annotation: "fake"}}})

    with fault(undo, cluster, repo):
        core.patch_node(node, {"metadata": {"annotations": {annotation: None}}})  # kwok stops playing its kubelet
        core.patch_node_status(
            node,
            {
                "status": {
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "False",
                            "reason": "KubeletNotReady",
                            "message": "test: kubelet stopped",
                            "lastHeartbeatTime": None,
                            "lastTransitionTime": None,
                        }
                    ]
                }
            },
        )
        found = failures(results(cluster, repo))
        assert f"node.ready Node {node}" in found, list(found)
        assert "KubeletNotReady" in found[f"node.ready Node {node}"].message


def test_platform_deployment_scaled_to_zero(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    scale = {"spec": {"replicas": 0}}
    with fault(
        lambda: _patch(cluster, "apps/v1", "Deployment", "argocd-server", "argocd", {"spec": {"replicas": 1}}),
        cluster,
        repo,
    ):
        _patch(cluster, "apps/v1", "Deployment", "argocd-server", "argocd", scale)
        found = failures(results(cluster, repo))
        assert found["workload.available Deployment argocd/argocd-server"].message == "scaled to 0 replicas"


def test_pod_in_crashloop_is_named_with_reason(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    from kubernetes import client

    core = client.CoreV1Api(cluster.api_client)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "crasher", "namespace": "ingress-nginx"},
        "spec": {"nodeName": "node-without-kubelet", "containers": [{"name": "main", "image": "registry.invalid/x:1"}]},
    }
    with fault(lambda: core.delete_namespaced_pod("crasher", "ingress-nginx", grace_period_seconds=0), cluster, repo):
        core.create_namespaced_pod("ingress-nginx", pod)
        core.patch_namespaced_pod_status(
            "crasher",
            "ingress-nginx",
            {
                "status": {
                    "phase": "Running",
                    "containerStatuses": [
                        {
                            "name": "main",
                            "image": "registry.invalid/x:1",
                            "imageID": "",
                            "ready": False,
                            "restartCount": 7,
                            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
                        }
                    ],
                }
            },
        )
        found = failures(results(cluster, repo))
        message = found["pods.healthy Namespace ingress-nginx"].message
        assert "crasher: container main CrashLoopBackOff (restarts: 7)" in message


def test_missing_ingress_class(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    ingress_class = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "nginx"},
        "spec": {"controller": "k8s.io/ingress-nginx"},
    }
    with fault(lambda: cluster.apply(ingress_class), cluster, repo):
        _delete(cluster, "networking.k8s.io/v1", "IngressClass", "nginx")
        found = failures(results(cluster, repo))
        assert "none exists" in found["ingressclass.present IngressClass"].message


# ----------------------------------------------------------------------------------------------- gitops faults


def test_app_project_with_wildcard(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    project = yaml.safe_load((repo.root / "k8s" / "kustomize" / "projects" / "backend.yaml").read_text())
    with fault(lambda: cluster.apply(project), cluster, repo):
        _patch(
            cluster,
            "argoproj.io/v1alpha1",
            "AppProject",
            "backend",
            "argocd",
            {"spec": {"destinations": [{"server": "*", "namespace": "*"}]}},
        )
        found = failures(results(cluster, repo))
        message = found["project.least_privilege AppProject argocd/backend"].message
        assert "any namespace ('*')" in message and "any server ('*')" in message


def test_application_pointing_at_another_repo(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    application = yaml.safe_load((repo.app_dir("web") / "argocd" / "dev.yaml").read_text())
    with fault(lambda: cluster.apply(application), cluster, repo):
        _patch(
            cluster,
            "argoproj.io/v1alpha1",
            "Application",
            "web-dev",
            "argocd",
            {"spec": {"source": {"repoURL": "https://github.com/someone-else/fork"}}},
        )
        found = failures(results(cluster, repo))
        message = found["application.source Application argocd/web-dev"].message
        assert "https://github.com/someone-else/fork" in message and repo.spec.repo_url in message


# ----------------------------------------------------------------------------------------------- apps faults


def test_quota_edited_by_hand_is_named_field_by_field(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    quota = _rendered(repo, "shop-dev", "ResourceQuota", "shop")
    field, value = next(iter(quota["spec"]["hard"].items()))
    with fault(lambda: cluster.apply(quota), cluster, repo):
        _patch(cluster, "v1", "ResourceQuota", "shop", "shop-dev", {"spec": {"hard": {field: "999"}}})
        message = failures(results(cluster, repo))["app.resourcequota ResourceQuota shop-dev"].message
        assert f"ResourceQuota shop-dev/shop drifted: spec.hard.{field}: expected {value!r}, found '999'" in message


def test_missing_quota_and_network_policy(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    quota = _rendered(repo, "web-prod", "ResourceQuota", "web")
    policy = _rendered(repo, "shop-prod", "NetworkPolicy", "default-deny")

    def undo() -> None:
        cluster.apply([quota, policy])

    with fault(undo, cluster, repo):
        _delete(cluster, "v1", "ResourceQuota", "web", "web-prod")
        _delete(cluster, "networking.k8s.io/v1", "NetworkPolicy", "default-deny", "shop-prod")
        found = failures(results(cluster, repo))
        assert "ResourceQuota web-prod/web: missing" in found["app.resourcequota ResourceQuota web-prod"].message
        assert (
            "NetworkPolicy shop-prod/default-deny: missing"
            in found["app.networkpolicy NetworkPolicy shop-prod"].message
        )


def test_app_scaled_to_zero_has_no_endpoints(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    with fault(
        lambda: _patch(cluster, "apps/v1", "Deployment", "web", "web-dev", {"spec": {"replicas": 1}}), cluster, repo
    ):
        _patch(cluster, "apps/v1", "Deployment", "web", "web-dev", {"spec": {"replicas": 0}})
        deadline = time.monotonic() + 60
        while "app.endpoints Service web-dev/web" not in (found := failures(results(cluster, repo))):
            assert time.monotonic() < deadline, f"endpoints never emptied: {list(found)}"
            time.sleep(1)
        assert found["app.deployment Deployment web-dev/web"].message.endswith("scaled to 0 replicas")


def test_missing_connection_secret(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "shop-infra", "namespace": "shop-dev"},
        "stringData": {"DATABASE_PASSWORD": "test-only"},
    }
    with fault(lambda: cluster.apply(secret), cluster, repo):
        _delete(cluster, "v1", "Secret", "shop-infra", "shop-dev")
        assert failures(results(cluster, repo))["app.secret Secret shop-dev/shop-infra"].message == "does not exist"


def test_missing_app_namespace(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    expected = Expected(repo)
    application = yaml.safe_load((repo.app_dir("web") / "argocd" / "prod.yaml").read_text())
    from tests.helpers_verify import app_namespace_labels

    def undo() -> None:
        deadline = time.monotonic() + 120
        while cluster.request("GET", "/api/v1/namespaces/web-prod")[0] != 404:
            assert time.monotonic() < deadline, "namespace web-prod never finished terminating"
            time.sleep(1)
        cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "web-prod", "labels": app_namespace_labels(application)},
            }
        )
        cluster.apply(expected.rendered.objects["web-prod"])

    with fault(undo, cluster, repo):
        cluster.delete_namespace("web-prod")
        found = failures(results(cluster, repo))
        assert found["app.namespace Namespace web-prod"].message in ("does not exist", "is Terminating")


def test_pending_pod_beyond_budget(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    from kubernetes import client

    core = client.CoreV1Api(cluster.api_client)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "unschedulable", "namespace": "sealed-secrets"},
        "spec": {
            "nodeSelector": {"no-such-label": "x"},
            "containers": [{"name": "main", "image": "registry.invalid/x:1"}],
        },
    }
    core.create_namespaced_pod("sealed-secrets", pod)
    try:
        with KubeClient(str(cluster.kubeconfig)) as kube:
            result = cluster_checks.check_pods(Snapshot(kube), "sealed-secrets", pending_budget=-1)
        assert result.status is Status.FAIL and "unschedulable: Pending for" in result.message
    finally:
        core.delete_namespaced_pod("unschedulable", "sealed-secrets", grace_period_seconds=0)


def test_node_pressure_warns_without_failing(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    node = cluster.node_names[0]
    from kubernetes import client

    core = client.CoreV1Api(cluster.api_client)
    annotation = "kwok.x-k8s.io/node"

    def undo() -> None:
        core.patch_node_status(node, {"status": {"conditions": [{"type": "MemoryPressure", "status": "False"}]}})
        core.patch_node(node, {"metadata": {"annotations": {annotation: "fake"}}})

    with fault(undo, cluster, repo):
        core.patch_node(node, {"metadata": {"annotations": {annotation: None}}})
        core.patch_node_status(
            node,
            {
                "status": {
                    "conditions": [
                        {"type": "MemoryPressure", "status": "True", "reason": "KubeletHasInsufficientMemory"}
                    ]
                }
            },
        )
        found = results(cluster, repo)
        warned = [r for r in found if r.status is Status.WARN]
        assert [(r.name, r.object, r.message) for r in warned] == [("node.pressure", f"Node {node}", "MemoryPressure")]


def test_lb_controller_check_on_the_cluster(deployed: tuple[Any, PlatformRepo]) -> None:
    from comind_scaffold.checks.aws import LB_CONTROLLER, check_lb_controller
    from tests.helpers_verify import controller_manifest

    cluster, _ = deployed
    with KubeClient(str(cluster.kubeconfig)) as kube:
        missing = check_lb_controller(Snapshot(kube))
    assert missing.status is Status.FAIL and missing.message == "does not exist"
    cluster.apply(controller_manifest("kube-system", "Deployment", LB_CONTROLLER))
    try:
        cluster.wait_deployment_available(LB_CONTROLLER, "kube-system")
        with KubeClient(str(cluster.kubeconfig)) as kube:
            running = check_lb_controller(Snapshot(kube))
        assert running.status is Status.PASS and running.object == f"Deployment kube-system/{LB_CONTROLLER}"
    finally:
        _delete(cluster, "apps/v1", "Deployment", LB_CONTROLLER, "kube-system")


def test_image_tag_mismatch_warns_without_failing(deployed: tuple[Any, PlatformRepo]) -> None:
    cluster, repo = deployed
    rendered = _rendered(repo, "web-dev", "Deployment", "web")
    image = rendered["spec"]["template"]["spec"]["containers"][0]["image"]
    patch = {
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "registry.invalid/demo/web:9.9"}]}}}
    }
    undo = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}}
    res = cluster.dynamic.resources.get(api_version="apps/v1", kind="Deployment")
    strategic = "application/strategic-merge-patch+json"  # containers merge by name

    def undo_patch() -> None:
        res.patch(body=undo, name="web", namespace="web-dev", content_type=strategic)

    with fault(undo_patch, cluster, repo):
        res.patch(body=patch, name="web", namespace="web-dev", content_type=strategic)
        cluster.wait_deployment_available("web", "web-dev")
        warned = [r for r in results(cluster, repo) if r.status is Status.WARN]
        assert [(r.name, r.object) for r in warned] == [("app.image", "Deployment web-dev")]
        assert f"web/web: runs registry.invalid/demo/web:9.9, overlay renders {image}" == warned[0].message
