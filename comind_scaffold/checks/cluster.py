"""Cluster layer: API, version, nodes, platform namespaces, controllers, pods and the IngressClass."""

from __future__ import annotations

from comind_scaffold import constants as c
from comind_scaffold import layers
from comind_scaffold.checks.resources import Node, Pod, Snapshot, Workload
from comind_scaffold.errors import ClusterUnreachableError
from comind_scaffold.models import CheckResult, failed, passed, warned
from comind_scaffold.specs import PlatformSpec

LAYER = layers.CLUSTER.name
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def platform_namespaces(spec: PlatformSpec, profile: str, envs: list[str]) -> list[str]:
    """Namespaces the platform owns: controllers' namespaces plus `platform-<env>` per environment."""
    fixed = c.PLATFORM_NAMESPACES_LOCAL if profile == "local" else c.PLATFORM_NAMESPACES_AWS
    return [*fixed, *(spec.platform_namespace(env) for env in envs)]


def controller_namespaces(profile: str) -> tuple[str, ...]:
    """Namespaces that must run controllers (Argo CD, sealed-secrets, ingress, MetalLB)."""
    return c.PLATFORM_NAMESPACES_LOCAL if profile == "local" else c.PLATFORM_NAMESPACES_AWS


def expected_node_count(spec: PlatformSpec, profile: str) -> int:
    """Nodes the platform's answers ask for."""
    if profile == "local":
        return spec.k3d_servers + spec.k3d_agents
    return sum(group.desired_size for group in spec.eks_node_groups)


def check_api(snapshot: Snapshot) -> CheckResult:
    """Check that the API server answers."""
    try:
        version = snapshot.version
    except ClusterUnreachableError as err:
        return failed("api.reachable", LAYER, snapshot.client.server, err.message, err.hint or "")
    return passed("api.reachable", LAYER, snapshot.client.server, f"answers, version {version}")


def check_server_version(snapshot: Snapshot, spec: PlatformSpec) -> CheckResult:
    """Server minor equals the configured one (FAIL); a different patch is only a WARN."""
    found = snapshot.version.lstrip("v").split("+")[0].split("-")[0]
    want = spec.kubernetes_version
    name, obj = "api.version", snapshot.client.server
    if found.split(".")[:2] != want.split(".")[:2]:
        return failed(
            name,
            LAYER,
            obj,
            f"server runs {found}, the platform is configured for {want}",
            "upgrade the cluster or change kubernetes_version in the platform answers",
        )
    if found != want:
        return warned(name, LAYER, obj, f"patch drift: server runs {found}, configured {want}")
    return passed(name, LAYER, obj, f"server runs {found}")


def check_nodes(snapshot: Snapshot, minimum: int) -> list[CheckResult]:
    """At least `minimum` Ready nodes; each NotReady node fails, a pressure condition warns."""
    nodes = [Node(o) for o in snapshot.all("Node")]
    ready = [n for n in nodes if n.is_ready]
    results: list[CheckResult] = []
    for node in nodes:
        if not node.is_ready:
            results.append(failed("node.ready", LAYER, node.ref, node.ready_reason))
        elif node.pressures:
            results.append(warned("node.pressure", LAYER, node.ref, ", ".join(node.pressures)))
    if len(ready) < minimum:
        results.append(failed("node.count", LAYER, "nodes", f"{len(ready)} Ready of {len(nodes)}; need ≥ {minimum}"))
    else:
        results.append(passed("node.count", LAYER, "nodes", f"{len(ready)} Ready (need ≥ {minimum})"))
    return results


def check_namespace(snapshot: Snapshot, namespace: str) -> CheckResult:
    """Check that the namespace exists and is Active."""
    obj = snapshot.named("Namespace", namespace)
    ref = f"Namespace {namespace}"
    if obj is None:
        return failed("namespace.exists", LAYER, ref, "does not exist")
    phase = (obj.get("status") or {}).get("phase", "Active")
    if phase != "Active":
        return failed("namespace.exists", LAYER, ref, f"is {phase}")
    return passed("namespace.exists", LAYER, ref)


def check_workloads(snapshot: Snapshot, namespace: str) -> list[CheckResult]:
    """Every Deployment/StatefulSet/DaemonSet in the namespace is Available; none at all fails."""
    workloads = [Workload(o) for kind in WORKLOAD_KINDS for o in snapshot.in_namespace(kind, namespace)]
    if not workloads:
        return [failed("workload.available", LAYER, f"Namespace {namespace}", "runs no workloads")]
    return [
        passed("workload.available", LAYER, w.ref, f"{w.ready}/{w.desired} ready")
        if w.is_available
        else failed("workload.available", LAYER, w.ref, w.problem())
        for w in workloads
    ]


def check_pods(snapshot: Snapshot, namespace: str, pending_budget: float = 300.0) -> CheckResult:
    """No pod of the namespace is crash-looping, failing to pull, failed, or Pending beyond its budget."""
    broken = []
    for obj in snapshot.in_namespace("Pod", namespace):
        pod = Pod(obj)
        problem = pod.problem(pending_budget)
        if problem:
            broken.append(f"{pod.name}: {problem}")
    if broken:
        return failed("pods.healthy", LAYER, f"Namespace {namespace}", "; ".join(broken))
    return passed("pods.healthy", LAYER, f"Namespace {namespace}")


def check_ingress_class(snapshot: Snapshot) -> CheckResult:
    """At least one IngressClass exists (a default one, or the only one)."""
    classes = snapshot.all("IngressClass")
    if not classes:
        return failed("ingressclass.present", LAYER, "IngressClass", "none exists: Ingresses will not be served")
    names = sorted((o.get("metadata") or {}).get("name", "") for o in classes)
    return passed("ingressclass.present", LAYER, "IngressClass", ", ".join(names))
