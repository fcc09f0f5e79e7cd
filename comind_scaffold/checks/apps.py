"""Apps layer, per app and environment: namespace, guard rails (equal to the overlay), workloads, traffic, GitOps."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from comind_scaffold import constants as c
from comind_scaffold import layers
from comind_scaffold.checks.expected import AppEnv, Expected
from comind_scaffold.checks.gitops import applications, check_application
from comind_scaffold.checks.resources import Resource, Snapshot, Workload
from comind_scaffold.models import CheckResult, failed, passed, warned

LAYER = layers.APPS.name
GUARD_KINDS = ("ResourceQuota", "LimitRange", "NetworkPolicy", "ServiceAccount")
POD_SECURITY_LABEL = "pod-security.kubernetes.io/enforce"
_SUFFIXES = {
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
}


def check_app_namespace(snapshot: Snapshot, expected: Expected, pair: AppEnv) -> CheckResult:
    """`<app>-<env>` exists with the comind labels and a Pod Security level (and the overlay's labels)."""
    ref = f"Namespace {pair.namespace}"
    obj = snapshot.named("Namespace", pair.namespace)
    if obj is None:
        return failed("app.namespace", LAYER, ref, "does not exist", "is the app's Application synced?")
    phase = (obj.get("status") or {}).get("phase", "Active")
    if phase != "Active":
        return failed("app.namespace", LAYER, ref, f"is {phase}")
    labels = Resource(obj).labels
    wanted = {c.LABEL_APP: pair.app.app_name, c.LABEL_ENV: pair.env, c.LABEL_TEAM: pair.app.team}
    for rendered in expected.objects(pair.namespace, "Namespace"):
        wanted.update((rendered.get("metadata") or {}).get("labels") or {})
    wrong = [f"{k}={labels.get(k)!r} (expected {v!r})" for k, v in wanted.items() if labels.get(k) != str(v)]
    if POD_SECURITY_LABEL not in labels:
        wrong.append(f"{POD_SECURITY_LABEL} missing")
    if wrong:
        return failed("app.namespace", LAYER, ref, "labels: " + "; ".join(wrong))
    return passed("app.namespace", LAYER, ref)


def check_app_guard(snapshot: Snapshot, expected: Expected, pair: AppEnv, kind: str) -> CheckResult:
    """Every `kind` object the overlay renders exists in the namespace and has not drifted (field by field)."""
    name = f"app.{kind.lower()}"
    live = {Resource(o).name: o for o in snapshot.in_namespace(kind, pair.namespace)}
    render_error = expected.render(pair.namespace)[1]
    if render_error:
        if not live:
            return failed(name, LAYER, f"{kind} {pair.namespace}/*", "none in the namespace")
        return warned(name, LAYER, f"{kind} {pair.namespace}/*", f"present; drift not checked ({render_error})")
    wanted = expected.objects(pair.namespace, kind)
    if not wanted:
        return failed(
            name,
            LAYER,
            f"{kind} {pair.namespace}/*",
            "the overlay renders none",
            f"add a {kind} to {pair.overlay(expected.repo)}",
        )
    problems = []
    for obj in wanted:
        obj_name = (obj.get("metadata") or {}).get("name", "")
        found = live.get(obj_name)
        if found is None:
            problems.append(f"{kind} {pair.namespace}/{obj_name}: missing")
            continue
        drift = diff_fields(_comparable(obj), _comparable(found))
        if drift:
            problems.append(f"{kind} {pair.namespace}/{obj_name} drifted: " + "; ".join(drift))
    if problems:
        return failed(
            name,
            LAYER,
            f"{kind} {pair.namespace}",
            " | ".join(problems),
            "let Argo CD sync it (selfHeal) instead of editing by hand",
        )
    return passed(name, LAYER, f"{kind} {pair.namespace}", f"{len(wanted)} equal to the overlay")


def check_app_deployments(snapshot: Snapshot, pair: AppEnv) -> CheckResult:
    """Every Deployment of the namespace is available with ready == desired."""
    deployments = [Workload(o) for o in snapshot.in_namespace("Deployment", pair.namespace)]
    if not deployments:
        return failed("app.deployment", LAYER, f"Deployment {pair.namespace}/*", "none in the namespace")
    broken = [f"{d.ref}: {d.problem()}" for d in deployments if not d.is_available]
    if broken:
        return failed("app.deployment", LAYER, broken[0].split(":")[0], "; ".join(broken))
    summary = ", ".join(f"{d.name} {d.ready}/{d.desired}" for d in deployments)
    return passed("app.deployment", LAYER, f"Deployment {pair.namespace}", summary)


def check_app_images(snapshot: Snapshot, expected: Expected, pair: AppEnv) -> CheckResult:
    """Check that each Deployment runs the images its overlay renders (a mismatch is a WARN, not a failure)."""
    ref = f"Deployment {pair.namespace}"
    live = {Resource(o).name: o for o in snapshot.in_namespace("Deployment", pair.namespace)}
    drifted = []
    for rendered in expected.objects(pair.namespace, "Deployment"):
        name = (rendered.get("metadata") or {}).get("name", "")
        if name in live:
            want, have = _images(rendered), _images(live[name])
            drifted += [
                f"{name}/{c}: runs {have[c]}, overlay renders {img}"
                for c, img in want.items()
                if have.get(c) not in (None, img)
            ]
    if drifted:
        return warned("app.image", LAYER, ref, "; ".join(drifted), "sync the Application or update the overlay")
    return passed("app.image", LAYER, ref, "images as rendered")


def _images(deployment: dict[str, Any]) -> dict[str, str]:
    pod = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    return {c.get("name", ""): c.get("image", "") for c in pod.get("containers") or []}


def check_app_endpoints(snapshot: Snapshot, pair: AppEnv) -> CheckResult:
    """Every Service of the namespace has at least one ready endpoint."""
    services = [Resource(o) for o in snapshot.in_namespace("Service", pair.namespace)]
    if not services:
        return failed("app.endpoints", LAYER, f"Service {pair.namespace}/*", "none in the namespace")
    ready: dict[str, int] = {}
    for obj in snapshot.in_namespace("EndpointSlice", pair.namespace):
        owner = Resource(obj).labels.get("kubernetes.io/service-name", "")
        count = sum(1 for ep in obj.get("endpoints") or [] if (ep.get("conditions") or {}).get("ready", True))
        ready[owner] = ready.get(owner, 0) + count
    empty = [s.ref for s in services if not ready.get(s.name)]
    if empty:
        return failed("app.endpoints", LAYER, empty[0], "no ready endpoints: " + ", ".join(empty))
    return passed("app.endpoints", LAYER, f"Service {pair.namespace}", f"{sum(ready.values())} ready endpoint(s)")


def check_app_ingress(snapshot: Snapshot, pair: AppEnv, domain: str) -> CheckResult:
    """When the app has an ingress, an Ingress in the namespace serves `<app>.<env>.<domain>`."""
    host = pair.app.host(pair.env, domain)
    ref = f"Ingress {pair.namespace}/*"
    if not pair.app.ingress:
        return passed("app.ingress", LAYER, ref, "the app has no ingress")
    for obj in snapshot.in_namespace("Ingress", pair.namespace):
        hosts = [rule.get("host") for rule in (obj.get("spec") or {}).get("rules") or []]
        if host in hosts:
            return passed("app.ingress", LAYER, Resource(obj).ref, host)
    return failed("app.ingress", LAYER, ref, f"no Ingress serves host {host}")


def check_app_application(snapshot: Snapshot, pair: AppEnv, waited: float = 0.0) -> CheckResult:
    """Check that the app's Application (labelled with app and env, or named `<app>-<env>`) is Synced and Healthy."""
    for app in applications(snapshot):
        labelled = app.labels.get(c.LABEL_APP) == pair.app.app_name and app.labels.get(c.LABEL_ENV) == pair.env
        if labelled or app.name == pair.namespace:
            return check_application(app, waited).model_copy(update={"name": "app.application", "layer": LAYER})
    return failed("app.application", LAYER, f"Application {c.ARGOCD_NAMESPACE}/{pair.namespace}", "does not exist")


def check_app_secret(snapshot: Snapshot, pair: AppEnv) -> CheckResult:
    """When the app uses a database, cache, queue or storage, its connection Secret exists."""
    app = pair.app
    secret = app.secret_name()
    ref = f"Secret {pair.namespace}/{secret}"
    if not (app.with_database or app.with_cache or app.with_queue or app.with_storage):
        return passed("app.secret", LAYER, ref, "the app uses no infrastructure")
    if snapshot.named("Secret", secret, pair.namespace) is None:
        return failed("app.secret", LAYER, ref, "does not exist", "run `comind tf apply` for the app's infrastructure")
    return passed("app.secret", LAYER, ref)


def diff_fields(want: Any, have: Any, path: str = "") -> list[str]:
    """Differences, field by field, where `have` does not match `want` (fields only in `have` are defaults)."""
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return [f"{path or '.'}: expected a mapping, found {have!r}"]
        out: list[str] = []
        for key, value in want.items():
            out += diff_fields(value, have.get(key), f"{path}.{key}" if path else str(key))
        return out
    if isinstance(want, list):
        if not isinstance(have, list) or len(have) != len(want):
            return [f"{path}: expected {len(want)} item(s), found {len(have) if isinstance(have, list) else have!r}"]
        out = []
        for index, (w, h) in enumerate(zip(want, have, strict=True)):
            out += diff_fields(w, h, f"{path}[{index}]")
        return out
    if _same_scalar(want, have):
        return []
    return [f"{path}: expected {want!r}, found {have!r}"]


def _comparable(obj: dict[str, Any]) -> dict[str, Any]:
    keep: dict[str, Any] = {k: obj[k] for k in ("spec", "automountServiceAccountToken", "imagePullSecrets") if k in obj}
    labels = (obj.get("metadata") or {}).get("labels")
    if labels:
        keep["metadata"] = {"labels": labels}
    return keep


def _same_scalar(want: Any, have: Any) -> bool:
    if want == have or str(want) == str(have):
        return True
    a, b = _quantity(want), _quantity(have)
    return a is not None and a == b


def _quantity(value: Any) -> Decimal | None:
    text = str(value)
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix):
            text, factor = text[: -len(suffix)], _SUFFIXES[suffix]
            break
    else:
        factor = Decimal(1)
    try:
        return Decimal(text) * factor
    except InvalidOperation:
        return None
