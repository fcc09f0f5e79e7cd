"""Offline rules that names are claimed once: namespaces, databases, buckets, queues, hosts, ports."""

from __future__ import annotations

from collections import defaultdict

from comind_scaffold import constants as c
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.models import CheckResult, failed
from comind_scaffold.specs import load_services_spec
from comind_scaffold.validation.rule import LAYER, summary
from comind_scaffold.validation.scan import RepoScan

# Settings the app template renders into each app's ConfigMap, and the kind of name each one holds.
_RENDERED_NAMES = {
    "DATABASE_NAME": "database",
    "S3_BUCKET": "bucket",
    "QUEUE_NAME": "queue",
    "DEAD_LETTER_QUEUE_NAME": "queue",
}


def _claims(scan: RepoScan) -> dict[str, dict[str, set[str]]]:
    """What each app claims, by kind of name: {'namespace': {'shop-dev': {'shop'}}, …}."""
    claims: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    platform = scan.platform.platform_name if scan.platform else ""
    domain = scan.platform.ingress_domain() if scan.platform else ""
    for app in scan.apps:
        for env in app.environments:
            claims["namespace"][app.namespace(env)].add(app.app_name)
            if app.with_database:
                claims["database"][app.database(env)].add(app.app_name)
            if app.with_storage:
                claims["bucket"][app.bucket(platform, env)].add(app.app_name)
            if app.with_queue:
                claims["queue"][app.queue(env)].add(app.app_name)
                claims["queue"][app.queue(env) + "-dlq"].add(app.app_name)
            if app.ingress:
                claims["ingress host"][app.host(env, domain)].add(app.app_name)
    for obj in scan.objects:
        owner = obj.app or obj.source
        if obj.kind == "Ingress":
            for rule in obj.get_list("spec", "rules"):
                if isinstance(rule, dict) and rule.get("host"):
                    claims["ingress host"][str(rule["host"])].add(owner)
        if not obj.app or obj.api_version == c.ARGOCD_API:
            continue
        if obj.namespace:
            claims["namespace"][obj.namespace].add(owner)
        if obj.kind == "ConfigMap" and isinstance(obj.get("data"), dict):
            for key, what in _RENDERED_NAMES.items():
                if obj.data["data"].get(key):
                    claims[what][str(obj.data["data"][key])].add(owner)
    return claims


def check_unique_names(scan: RepoScan) -> list[CheckResult]:
    """No two apps share a namespace, database, bucket, queue or ingress host (declared or rendered)."""
    findings = []
    seen: dict[str, int] = defaultdict(int)
    for app in scan.apps:
        seen[app.app_name] += 1
    for name, count in sorted(seen.items()):
        if count > 1:
            findings.append(failed("unique.app", LAYER, name, f"{count} answers files under apps/ declare this app"))
    for what, names in sorted(_claims(scan).items()):
        for name, owners in sorted(names.items()):
            if len(owners) > 1:
                listed = ", ".join(sorted(owners))
                findings.append(failed(f"unique.{what.replace(' ', '-')}", LAYER, name, f"{what} claimed by {listed}"))
    return summary("unique", ".", "namespaces, databases, buckets, queues and ingress hosts are unique", findings)


def check_namespaces(scan: RepoScan) -> list[CheckResult]:
    """Every namespaced object of an app overlay lives in the app's `<app>-<env>` namespace."""
    findings = []
    for obj in scan.objects:
        app = scan.app(obj.app)
        if app is None or obj.env is None or obj.kind in ("Namespace", "Application", "AppProject"):
            continue
        expected = app.namespace(obj.env)
        if obj.namespace and obj.namespace != expected:
            findings.append(failed("namespace", LAYER, obj.ref, f"is in namespace {obj.namespace}, not {expected}"))
    return summary("namespace", ".", "app objects live in <app>-<env>", findings)


def check_service_ports(scan: RepoScan) -> list[CheckResult]:
    """No two enabled local services (or a service's console/UI) listen on the same port of the bind address."""
    if scan.platform is None:
        return []
    try:
        services = load_services_spec(scan.root / c.SERVICES_FILE)
    except (InputError, TemplateError) as err:
        return [failed("services.ports", LAYER, c.SERVICES_FILE, err.message)]
    users: dict[int, list[str]] = defaultdict(list)
    for name, service in services.enabled().items():
        for field in ("port", "console_port", "ui_port"):
            port = getattr(service, field)
            if port is not None:
                users[port].append(f"{name} {field}")
    findings = [
        failed("services.ports", LAYER, c.SERVICES_FILE, f"port {port} is used by {' and '.join(names)}")
        for port, names in sorted(users.items())
        if len(names) > 1
    ]
    return summary("services.ports", c.SERVICES_FILE, f"{len(users)} port(s), each used once", findings)
