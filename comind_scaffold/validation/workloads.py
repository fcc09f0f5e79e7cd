"""Offline rules of workload hygiene: pinned images, resources and probes, default-deny policies, Pod Security."""

from __future__ import annotations

from collections.abc import Iterator

from comind_scaffold import constants as c
from comind_scaffold.models import CheckResult, failed
from comind_scaffold.validation.objects import POD_SPEC_PATHS, RenderedObject, containers
from comind_scaffold.validation.pod_security import pod_violations
from comind_scaffold.validation.rule import LAYER, summary
from comind_scaffold.validation.scan import RepoScan

PSA_ENFORCE = "pod-security.kubernetes.io/enforce"


DEV_ENVIRONMENT = "dev"


def _image_problem(image: str) -> str | None:
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses the tag 'latest'"
    return None


def check_image_tags(scan: RepoScan) -> list[CheckResult]:
    """No container outside dev runs an untagged or `latest` image."""
    findings = []
    for obj in scan.objects:
        if obj.env == DEV_ENVIRONMENT:
            continue
        for container in containers(obj):
            image = container.spec.get("image")
            image = image if isinstance(image, str) else ""
            problem = f"image {image!r} {_image_problem(image)}" if image else "no image"
            if not problem.endswith("None"):
                findings.append(failed("image.tag", LAYER, container.ref, f"{problem} (outside dev)"))
    return summary("image.tag", ".", "images outside dev are pinned", findings)


def check_containers(scan: RepoScan) -> list[CheckResult]:
    """Every container sets cpu/memory requests and limits; long-running ones have readiness and liveness probes."""
    findings = []
    for obj in scan.objects:
        for container in containers(obj):
            resources = container.spec.get("resources")
            resources = resources if isinstance(resources, dict) else {}
            missing = [
                f"{level}.{res}"
                for level in ("requests", "limits")
                for res in ("cpu", "memory")
                if not (isinstance(resources.get(level), dict) and resources[level].get(res))
            ]
            if missing:
                findings.append(
                    failed("container.resources", LAYER, container.ref, "no resources." + ", ".join(missing))
                )
            if container.long_running:
                probes = [p for p in ("readinessProbe", "livenessProbe") if not container.spec.get(p)]
                if probes:
                    findings.append(failed("container.probes", LAYER, container.ref, "no " + " and no ".join(probes)))
    return summary("container", ".", "containers set resources and probes", findings)


def _app_namespaces(scan: RepoScan) -> dict[str, str]:
    """Namespaces that must be locked down: every app's `<app>-<env>`, and any namespace running workloads."""
    found = {app.namespace(env): f"app {app.app_name}" for app in scan.apps for env in app.environments}
    for obj in scan.objects:
        if obj.namespace and obj.namespace not in found and next(containers(obj), None) is not None:
            found[obj.namespace] = obj.source
    return found


def _is_default_deny(policy: RenderedObject) -> bool:
    return (
        not policy.get("spec", "podSelector")
        and "Ingress" in policy.get_list("spec", "policyTypes")
        and not policy.get("spec", "ingress")
    )


def _open_to_all(rule: object) -> str | None:
    """Why an ingress rule admits every source (no `from`, an empty peer, an ipBlock of /0), else None."""
    if not isinstance(rule, dict):
        return None
    peers = rule.get("from")
    if not peers:
        return "a rule without 'from'"
    for peer in peers if isinstance(peers, list) else []:
        if not peer:
            return "an empty 'from' peer"
        block = peer.get("ipBlock") if isinstance(peer, dict) else None
        cidr = str(block.get("cidr", "")) if isinstance(block, dict) else ""
        if cidr.endswith("/0"):
            return f"ipBlock {cidr}"
    return None


def _allow_all_findings(scan: RepoScan) -> Iterator[CheckResult]:
    """Each NetworkPolicy in an app's namespace that lets every address in: it would undo the default deny."""
    namespaces = {app.namespace(env) for app in scan.apps for env in app.environments}
    for policy in scan.objects:
        if policy.kind != "NetworkPolicy" or policy.namespace not in namespaces:
            continue
        reasons = [why for rule in policy.get_list("spec", "ingress") if (why := _open_to_all(rule))]
        if reasons:
            yield failed(
                "networkpolicy.allow-all",
                LAYER,
                policy.ref,
                f"admits ingress from every source ({reasons[0]})",
                "name the sources: a namespaceSelector, podSelector or an ipBlock such as the VPC's CIDR",
            )


def check_network_policies(scan: RepoScan) -> list[CheckResult]:
    """Each app namespace has a default-deny NetworkPolicy (all pods, Ingress, no allow rule) and none open to all."""
    denied = {p.namespace for p in scan.objects if p.kind == "NetworkPolicy" and _is_default_deny(p)}
    findings = [
        failed(
            "networkpolicy.default-deny",
            LAYER,
            f"namespace {namespace} ({owner})",
            "no default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress, …], no ingress rules)",
        )
        for namespace, owner in sorted(_app_namespaces(scan).items())
        if namespace not in denied
    ]
    findings += _allow_all_findings(scan)
    return summary("networkpolicy.default-deny", ".", "app namespaces deny by default, open to no one", findings)


def _pod_security_labels(scan: RepoScan) -> dict[str, tuple[str, str]]:
    """Namespace -> (enforce level, where it is set), from Namespace objects and Argo CD managed namespace metadata."""
    levels: dict[str, tuple[str, str]] = {}
    for obj in scan.objects:
        if obj.kind == "Namespace" and PSA_ENFORCE in obj.labels:
            levels[obj.name] = (obj.get_str("metadata", "labels", PSA_ENFORCE), obj.source)
        elif obj.kind == "Application" and obj.api_version == c.ARGOCD_API:
            options = obj.get_list("spec", "syncPolicy", "syncOptions")
            level = obj.get_str("spec", "syncPolicy", "managedNamespaceMetadata", "labels", PSA_ENFORCE)
            namespace = obj.get_str("spec", "destination", "namespace")
            if "CreateNamespace=true" in options and level and namespace:
                levels.setdefault(namespace, (level, obj.source))
    return levels


def _pod_security_violations(scan: RepoScan, levels: dict[str, tuple[str, str]]) -> Iterator[CheckResult]:
    """Each workload whose pods the level its namespace enforces would refuse."""
    for obj in scan.objects:
        level = levels.get(obj.namespace, ("", ""))[0]
        path = POD_SPEC_PATHS.get(obj.kind)
        pod = obj.get(*path) if level and path else None
        if not isinstance(pod, dict) or path is None:
            continue
        annotations = obj.get_dict(*path[:-1], "metadata", "annotations")
        violations = pod_violations(level, pod, annotations)
        if violations:
            yield failed("pod-security", LAYER, obj.ref, f"pods violate {level}: " + "; ".join(violations))


def check_pod_security(scan: RepoScan) -> list[CheckResult]:
    """Each app namespace enforces a Pod Security level (baseline or restricted), which its pods meet."""
    levels = _pod_security_labels(scan)
    findings = list(_pod_security_violations(scan, levels))
    for namespace, owner in sorted(_app_namespaces(scan).items()):
        level, where = levels.get(namespace, ("", ""))
        if not level:
            findings.append(
                failed("pod-security", LAYER, f"namespace {namespace} ({owner})", f"no {PSA_ENFORCE} label")
            )
        elif level not in ("baseline", "restricted"):
            findings.append(
                failed("pod-security", LAYER, f"namespace {namespace} ({where})", f"{PSA_ENFORCE} is {level!r}")
            )
    return summary("pod-security", ".", "every app namespace enforces Pod Security and its pods meet it", findings)
