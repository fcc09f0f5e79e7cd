"""The monitoring stack (answer `monitoring`) as Argo CD should have deployed it: its namespace and Applications.

What a live API server can tell honestly: namespace `monitoring` exists with Pod Security `restricted` enforced (the
chart's pods run under it), and Argo CD holds the two Applications of k8s/kustomize/monitoring.yaml, the chart one
at the pinned chart version. Whether they are Synced and Healthy is the gitops layer's check of every Application;
this one names them when they are missing altogether, which that check cannot see.
"""

from __future__ import annotations

from comind_scaffold import constants as c
from comind_scaffold import layers
from comind_scaffold.checks.resources import Application, Snapshot
from comind_scaffold.errors import ClusterUnreachableError
from comind_scaffold.models import CheckResult, failed, passed, skipped
from comind_scaffold.specs import PlatformSpec

LAYER = layers.GITOPS.name
PSS_LEVEL = "restricted"
CHART = "kube-prometheus-stack"
# The Applications k8s/kustomize/monitoring.yaml renders: the namespace layer (wave 0), then the chart (wave 1).
APPLICATIONS = ("monitoring", CHART)
_FIX = "set answer monitoring, commit and push: the root app deploys k8s/kustomize/monitoring.yaml"


def check_monitoring(snapshot: Snapshot, spec: PlatformSpec) -> list[CheckResult]:
    """Namespace `monitoring` enforces `restricted`; Applications `monitoring` and `kube-prometheus-stack` exist.

    SKIP (with the reason) when the platform's answer `monitoring` is off.
    """
    if not spec.monitoring:
        return [skipped("monitoring.stack", LAYER, f"Namespace {c.MONITORING_NAMESPACE}",
                        "answer monitoring is not enabled in the platform's answers")]
    try:
        return [_check_namespace(snapshot), *(_check_application(snapshot, spec, name) for name in APPLICATIONS)]
    except ClusterUnreachableError as err:
        return [failed("monitoring.stack", LAYER, f"Namespace {c.MONITORING_NAMESPACE}", err.message, err.hint or "")]


def _check_namespace(snapshot: Snapshot) -> CheckResult:
    ref = f"Namespace {c.MONITORING_NAMESPACE}"
    obj = snapshot.named("Namespace", c.MONITORING_NAMESPACE)
    if obj is None:
        return failed("monitoring.namespace", LAYER, ref, "does not exist", _FIX)
    phase = (obj.get("status") or {}).get("phase", "Active")
    if phase != "Active":
        return failed("monitoring.namespace", LAYER, ref, f"is {phase}")
    label = "pod-security.kubernetes.io/enforce"
    level = ((obj.get("metadata") or {}).get("labels") or {}).get(label)
    if level != PSS_LEVEL:
        found = f"is {level!r}" if level else "is missing"
        return failed("monitoring.namespace", LAYER, ref, f"label {label} {found}, expected {PSS_LEVEL!r}",
                      "Application monitoring deploys the namespace with it (k8s/monitoring/namespace.yaml)")
    return passed("monitoring.namespace", LAYER, ref, f"Pod Security {PSS_LEVEL} enforced")


def _check_application(snapshot: Snapshot, spec: PlatformSpec, name: str) -> CheckResult:
    ref = f"Application {c.ARGOCD_NAMESPACE}/{name}"
    obj = snapshot.named("Application", name, c.ARGOCD_NAMESPACE)
    if obj is None:
        return failed("monitoring.application", LAYER, ref, "does not exist", _FIX)
    app = Application(obj)
    project = f"{spec.platform_name}-monitoring"
    if app.project != project:
        return failed("monitoring.application", LAYER, ref, f"project is {app.project!r}, expected {project!r}")
    if name != CHART:
        return passed("monitoring.application", LAYER, ref, f"project {project}")
    chart, version = app.source.get("chart"), app.source.get("targetRevision")
    if (chart, version) != (CHART, spec.monitoring_chart_version):
        return failed("monitoring.application", LAYER, ref,
                      f"deploys chart {chart} {version}, the answers pin {CHART} {spec.monitoring_chart_version}")
    return passed("monitoring.application", LAYER, ref, f"chart {CHART} {version}, project {project}")
