"""The optional monitoring stack (answer `monitoring`) and `comind monitoring access|port-forward|proxy`.

Rendered wiring: the platform with and without monitoring, its AppProject, Applications and namespace; apps with a
`metrics_port` and their ServiceMonitors, checked by `comind validate` offline and by the real API server with the
Prometheus Operator's ServiceMonitor CRD (tests/testbin/fetch-prometheus-crd.sh). The commands run against the real
control plane with what the chart would make (a Service, its pod, the login Secret) created by the test; the chart
itself does not run here (see the README's "Not exercised by CI").
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from comind_scaffold import monitoring
from comind_scaffold._kube import KubeClient
from comind_scaffold.app_answers import platform_facts
from comind_scaffold.checks import monitoring as stack_checks
from comind_scaffold.checks.resources import Snapshot
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.models import CheckResult, Status
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.scaffold import sync_projects
from comind_scaffold.validation.run import validate
from tests.components.kube import KubeCluster
from tests.components.require import skip_or_fail
from tests.helpers_platform import render_platform, template_source
from tests.helpers_platform_checks import kustomize_build

CHART_REPO = "https://prometheus-community.github.io/helm-charts"
TESTBIN = Path(__file__).parent / "testbin"


def comind(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    return subprocess.run(["comind", *map(str, args)], capture_output=True, text=True, env={**env, "COLUMNS": "200"},
                          check=False, timeout=120)


def _render(where: Path, answers: dict[str, Any], apps: dict[str, dict[str, Any]]) -> Path:
    root = render_platform(where, answers)
    for name, data in apps.items():
        copier.run_copy(str(template_source()), root / "apps" / name,
                        data={"template": "app", "app_name": name, "team": "backend", **data},
                        defaults=True, unsafe=True, quiet=True)
    sync_projects(PlatformRepo(root))
    return root


APPS = {"shop": {"metrics_port": 9102}, "web": {"metrics_port": 8080, "metrics_path": "/prom"}, "docs": {}}


@pytest.fixture(scope="module")
def with_monitoring(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp("mon") / "platform", {"monitoring": True}, APPS)


@pytest.fixture(scope="module")
def without_monitoring(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp("nomon") / "platform", {}, APPS)


def _objects(folder: Path) -> list[dict[str, Any]]:
    return kustomize_build(folder)


def _by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _failures(root: Path) -> list[str]:
    return [f"{r.name} {r.object}: {r.message}" for r in validate(root).failures]


# --------------------------------------------------------------------------- rendered wiring


def test_without_monitoring_nothing_is_rendered_and_the_commands_say_so(without_monitoring: Path) -> None:
    root = without_monitoring
    assert not (root / "k8s" / "monitoring").exists()
    assert not list(root.glob("k8s/kustomize/**/*monitoring*"))
    assert "monitoring" not in _by_kind(_objects(root / "k8s/kustomize"), "Application")
    assert not [o for app in APPS for o in _objects(root / f"apps/{app}/k8s/overlays/dev")
                if o["kind"] == "ServiceMonitor"]
    backend = _by_kind(_objects(root / "k8s/kustomize"), "AppProject")["backend"]["spec"]
    assert "monitoring.coreos.com" not in {k["group"] for k in backend["namespaceResourceWhitelist"]}
    assert _failures(root) == []
    for verb in ("access", "port-forward", "proxy"):
        done = comind("monitoring", verb, "--platform-dir", root)
        assert done.returncode == 2, (verb, done.stderr)
        assert done.stderr.splitlines()[0] == (
            "error: monitoring: not enabled in this platform's answers (.copier-answers.yml)"), verb
        assert done.stdout == ""
    make = (root / "Makefile").read_text()
    assert "monitoring-check: ## Same checks as `status`" not in make
    for target in ("monitoring-access", "monitoring-port-forward", "monitoring-proxy", "monitoring-check"):
        assert f"\n{target}: ## " in make


def test_monitoring_project_allows_the_chart_repository_and_namespace_monitoring_only(with_monitoring: Path) -> None:
    root = with_monitoring
    spec = PlatformRepo(root).spec
    objects = _objects(root / "k8s/kustomize")
    project = _by_kind(objects, "AppProject")[f"{spec.platform_name}-monitoring"]["spec"]
    assert project["sourceRepos"] == [spec.repo_url, CHART_REPO]
    assert project["destinations"] == [{"server": "https://kubernetes.default.svc", "namespace": "monitoring"}]
    whitelisted = [*project["clusterResourceWhitelist"], *project["namespaceResourceWhitelist"]]
    assert all("*" not in (k["group"] + k["kind"]) for k in whitelisted)
    # What the namespace layer renders is allowed, and a project wide open to every kind is not what we ship.
    layer = {(o["apiVersion"].rpartition("/")[0], o["kind"]) for o in _objects(root / "k8s/monitoring")}
    assert layer <= {(k["group"], k["kind"]) for k in whitelisted}
    assert ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") not in {
        (k["group"], k["kind"]) for k in whitelisted}

    apps = _by_kind(objects, "Application")
    chart = apps["kube-prometheus-stack"]["spec"]
    assert chart["project"] == apps["monitoring"]["spec"]["project"] == f"{spec.platform_name}-monitoring"
    assert (chart["source"]["repoURL"], chart["source"]["chart"]) == (CHART_REPO, "kube-prometheus-stack")
    assert chart["source"]["targetRevision"] == spec.monitoring_chart_version == "79.10.0"
    values = chart["source"]["helm"]["valuesObject"]
    assert values["grafana"]["admin"] == {"existingSecret": monitoring.GRAFANA_ADMIN_SECRET}
    assert values["grafana"]["fullnameOverride"] == monitoring.TARGETS["grafana"].service
    assert f"{values['fullnameOverride']}-prometheus" == monitoring.TARGETS["prometheus"].service
    assert values["nodeExporter"] == {"enabled": False}  # it would need Pod Security "privileged"
    assert "password" not in json.dumps(values).lower().replace("existingsecret", "")
    assert values["grafana"]["ingress"]["hosts"] == [f"grafana.{spec.local_domain}"]
    assert apps["monitoring"]["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "0"
    assert apps["kube-prometheus-stack"]["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "1"


def test_namespace_monitoring_enforces_restricted_and_denies_by_default(with_monitoring: Path) -> None:
    objects = _objects(with_monitoring / "k8s/monitoring")
    namespace = _by_kind(objects, "Namespace")["monitoring"]["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "restricted"
    policies = _by_kind(objects, "NetworkPolicy")
    deny = policies["default-deny-all"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert {o["metadata"]["namespace"] for o in objects if o["kind"] != "Namespace"} == {"monitoring"}
    # Only Grafana (which asks for a login) is reachable from outside the namespace, on its port.
    ingress_rules = {name: p["spec"].get("ingress") for name, p in policies.items() if p["spec"].get("ingress")}
    assert set(ingress_rules) == {"allow-same-namespace", "allow-grafana-ingress"}
    assert policies["allow-grafana-ingress"]["spec"]["podSelector"] == {
        "matchLabels": {"app.kubernetes.io/name": "grafana"}}
    assert ingress_rules["allow-grafana-ingress"] == [{"ports": [{"protocol": "TCP", "port": 3000}]}]


@pytest.mark.parametrize("profile", ["local", "aws"])
def test_validate_is_clean_with_monitoring(tmp_path: Path, with_monitoring: Path, profile: str) -> None:
    root = with_monitoring if profile == "local" else _render(
        tmp_path / "p", {"monitoring": True, "default_profile": profile}, {"shop": APPS["shop"]})
    report = validate(root)
    assert [f"{r.name} {r.object}: {r.message}" for r in report.failures] == []
    skipped = [r for r in report.results if r.name == "schema" and "ServiceMonitor" in r.object]
    assert skipped == []  # a ServiceMonitor is schema-checked (a SKIP would name it), not skipped
    values = yaml.safe_load((root / "k8s/kustomize/monitoring.yaml").read_text().split("\n---\n")[1])
    ingress = values["spec"]["source"]["helm"]["valuesObject"]["grafana"].get("ingress")
    assert (ingress is not None) == (profile == "local")


def test_apps_with_metrics_get_a_servicemonitor_per_environment(with_monitoring: Path) -> None:
    root = with_monitoring
    envs = PlatformRepo(root).spec.environments
    for env in envs:
        shop = _objects(root / f"apps/shop/k8s/overlays/{env}")
        monitor = _by_kind(shop, "ServiceMonitor")["shop"]
        assert monitor["metadata"]["namespace"] == f"shop-{env}"
        assert monitor["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
        assert monitor["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "shop"}}
        service = _by_kind(shop, "Service")["shop"]["spec"]["ports"]
        assert {"name": "metrics", "port": 9102, "targetPort": "metrics", "protocol": "TCP"} in service
        container = _by_kind(shop, "Deployment")["shop"]["spec"]["template"]["spec"]["containers"][0]
        assert {"name": "metrics", "containerPort": 9102, "protocol": "TCP"} in container["ports"]
        scrape = _by_kind(shop, "NetworkPolicy")["allow-prometheus-scrape"]["spec"]["ingress"][0]
        assert scrape["ports"] == [{"port": "metrics", "protocol": "TCP"}]
        assert scrape["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}
    web = _by_kind(_objects(root / "apps/web/k8s/overlays/dev"), "ServiceMonitor")["web"]
    assert web["spec"]["endpoints"][0] | {"interval": "30s"} == {"port": "http", "path": "/prom", "interval": "30s"}
    web_ports = _by_kind(_objects(root / "apps/web/k8s/overlays/dev"), "Service")["web"]["spec"]["ports"]
    assert [p["name"] for p in web_ports] == ["http"]  # metrics on the app's own port: no second port
    assert "ServiceMonitor" not in {o["kind"] for o in _objects(root / "apps/docs/k8s/overlays/dev")}
    # The team project allows exactly what its apps render, ServiceMonitor included.
    backend = _by_kind(_objects(root / "k8s/kustomize"), "AppProject")["backend"]["spec"]
    allowed = {(k["group"], k["kind"]) for k in backend["namespaceResourceWhitelist"]}
    rendered = {(o["apiVersion"].rpartition("/")[0], o["kind"]) for app in APPS
                for o in _objects(root / f"apps/{app}/k8s/overlays/dev")}
    assert ("monitoring.coreos.com", "ServiceMonitor") in allowed & rendered


def test_comind_passes_the_platforms_monitoring_to_its_apps(with_monitoring: Path, without_monitoring: Path) -> None:
    # `comind new-app` / `comind update` render apps with these facts, so turning monitoring on and updating the
    # apps adds their ServiceMonitors.
    assert platform_facts(PlatformRepo(with_monitoring))["platform_monitoring"] is True
    assert platform_facts(PlatformRepo(without_monitoring))["platform_monitoring"] is False


def test_metrics_without_platform_monitoring_render_no_servicemonitor(without_monitoring: Path) -> None:
    shop = _objects(without_monitoring / "apps/shop/k8s/overlays/dev")
    assert "ServiceMonitor" not in {o["kind"] for o in shop}
    assert "allow-prometheus-scrape" not in _by_kind(shop, "NetworkPolicy")
    # The port is still declared, so turning monitoring on later only adds the ServiceMonitor.
    assert "metrics" in [p["name"] for p in _by_kind(shop, "Service")["shop"]["spec"]["ports"]]


def test_bad_metrics_answers_are_refused_with_one_line(tmp_path: Path, with_monitoring: Path) -> None:
    for data, message in (({"metrics_port": 80}, "metrics_port: 80 must be 0 (none) or 1024-65535"),
                          ({"metrics_port": 9102, "metrics_path": "metrics"},
                           'metrics_path: "metrics" must be an absolute URL path')):
        with pytest.raises(ValueError) as refused:
            copier.run_copy(str(template_source()), tmp_path / "bad" / "apps" / "x",
                            data={"template": "app", "app_name": "x", "team": "backend", **data},
                            defaults=True, unsafe=True, quiet=True)
        assert message in str(refused.value)
    with pytest.raises(ValueError) as refused:
        render_platform(tmp_path / "badplatform", {"monitoring": True, "monitoring_chart_version": "latest"})
    assert "monitoring_chart_version: must be a pinned chart version like 79.10.0" in str(refused.value)
    with pytest.raises(ValueError) as refused:
        render_platform(tmp_path / "badteam", {"teams": ["platform", "comind-ops-monitoring"]})
    assert "teams: comind-ops-monitoring is reserved for a platform AppProject" in str(refused.value)


def test_validate_finds_a_typo_in_a_servicemonitor(tmp_path: Path, with_monitoring: Path) -> None:
    root = _render(tmp_path / "p", {"monitoring": True}, {"shop": {"metrics_port": 9102}})
    path = root / "apps/shop/k8s/base/servicemonitor.yaml"
    path.write_text(path.read_text().replace("interval: 30s", "intervall: 30s"))
    failures = _failures(root)
    assert any(f.startswith("schema ServiceMonitor shop") and "intervall" in f for f in failures), failures


# --------------------------------------------------------------------------- the real API server


def _servicemonitor_crd(config: pytest.Config) -> dict[str, Any]:
    done = subprocess.run(["bash", str(TESTBIN / "fetch-prometheus-crd.sh"), "--print"], capture_output=True,
                          text=True, check=True)
    path = Path(done.stdout.strip().split("=", 1)[1])
    if not path.is_file():
        skip_or_fail(f"ServiceMonitor CRD not found at {path}: run tests/testbin/fetch-prometheus-crd.sh", config)
    return yaml.safe_load(path.read_text())


@pytest.mark.cluster
def test_rendered_servicemonitor_is_accepted_strictly_by_the_real_crd(
        kube_cluster: KubeCluster, kube_namespace: str, with_monitoring: Path, request: pytest.FixtureRequest) -> None:
    crd = _servicemonitor_crd(request.config)
    status, body = kube_cluster.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    assert status in (201, 409), body
    kube_cluster.wait_for("the ServiceMonitor CRD to be served", lambda: kube_cluster.request(
        "GET", "/apis/monitoring.coreos.com/v1")[0] == 200, timeout=60)
    monitor = _by_kind(_objects(with_monitoring / "apps/shop/k8s/overlays/dev"), "ServiceMonitor")["shop"]
    monitor["metadata"]["namespace"] = kube_namespace
    path = f"/apis/monitoring.coreos.com/v1/namespaces/{kube_namespace}/servicemonitors?fieldValidation=Strict"
    deadline = time.monotonic() + 30
    while True:  # a CRD just established may answer 404 for a moment
        status, body = kube_cluster.request("POST", path, monitor)
        if status != 404 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 201, body
    typo = json.loads(json.dumps(monitor))
    typo["metadata"]["name"] = "typo"
    typo["spec"]["endpoints"][0]["intervall"] = typo["spec"]["endpoints"][0].pop("interval")
    status, body = kube_cluster.request("POST", path, typo)
    # Strict field validation refuses an unknown field outright (400), naming it.
    assert status == 400 and 'unknown field \\"spec.endpoints[0].intervall\\"' in json.dumps(body), body


# --------------------------------------------------------------------------- the commands


def _grafana(kube_cluster: KubeCluster, namespace: str, *, pod: bool) -> None:
    """What the chart makes for Grafana: its Service (port 80 → 3000) and, with `pod`, a (kwok) pod behind it."""
    kube_cluster.apply({"apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": "grafana", "namespace": namespace},
                        "spec": {"selector": {"app.kubernetes.io/name": "grafana"},
                                 "ports": [{"name": "http-web", "port": 80, "targetPort": 3000}]}})
    if pod:
        kube_cluster.apply({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "grafana-0", "namespace": namespace, "labels": {"app.kubernetes.io/name": "grafana"}},
            "spec": {"containers": [{"name": "grafana", "image": "grafana:stand-in",
                                     "ports": [{"name": "grafana", "containerPort": 3000}]}],
                     "tolerations": [{"operator": "Exists"}]},
        })


@pytest.mark.cluster
def test_access_reads_the_login_bootstrap_created(kube_cluster: KubeCluster, kube_namespace: str,
                                                  with_monitoring: Path) -> None:
    args = ("--kubeconfig", kube_cluster.kubeconfig, "--namespace", kube_namespace, "--platform-dir", with_monitoring)
    done = comind("monitoring", "access", *args)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == f"error: Secret {kube_namespace}/grafana-admin: not found"
    with KubeClient(str(kube_cluster.kubeconfig)) as kube:
        assert monitoring.ensure_grafana_admin(kube, kube_namespace) is True
        first = kube.get("Secret", "grafana-admin", kube_namespace)
        assert monitoring.ensure_grafana_admin(kube, kube_namespace) is False  # never replaced
        assert kube.get("Secret", "grafana-admin", kube_namespace)["data"] == first["data"]
    assert first["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "comind"
    password = base64.b64decode(first["data"]["admin-password"]).decode()
    assert len(password) >= 24
    done = comind("monitoring", "access", "--json", *args)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "grafana_url": "http://grafana.127.0.0.1.nip.io", "user": "admin", "password": password,
        "namespace": kube_namespace,
        "port_forward": {"grafana": "http://127.0.0.1:3000 (comind monitoring port-forward grafana)",
                         "prometheus": "http://127.0.0.1:9090 (comind monitoring port-forward prometheus)"}}
    done = comind("monitoring", "access", "--profile", "aws", *args)
    assert done.returncode == 0 and "grafana:    no ingress on this profile" in done.stdout
    assert f"password:   {password}" in done.stdout
    done = comind("monitoring", "access", "--profile", "gcp", *args)
    assert (done.returncode, done.stderr.strip()) == (2, "error: --profile: 'gcp' must be one of local, aws")


@pytest.mark.cluster
def test_bootstrap_creates_namespace_and_login_once(kube_cluster: KubeCluster, with_monitoring: Path,
                                                    without_monitoring: Path) -> None:
    config = Path(kube_cluster.kubeconfig)
    off = monitoring.bootstrap_grafana_admin(PlatformRepo(without_monitoring), config, None)
    assert off == ""
    repo = PlatformRepo(with_monitoring)
    assert monitoring.bootstrap_grafana_admin(repo, config, None, dry_run=True) == (
        "; would create Secret monitoring/grafana-admin unless it exists")
    try:
        assert monitoring.bootstrap_grafana_admin(repo, config, None) == "; created Secret monitoring/grafana-admin"
        assert monitoring.bootstrap_grafana_admin(repo, config, None) == "; Secret monitoring/grafana-admin kept"
        namespace = kube_cluster.get("v1", "Namespace", "monitoring")["metadata"]["labels"]
        assert namespace["pod-security.kubernetes.io/enforce"] == "restricted"
        assert namespace["app.kubernetes.io/managed-by"] == "comind"
    finally:
        kube_cluster.delete_namespace("monitoring")


@pytest.mark.cluster
def test_port_forward_finds_the_pod_behind_the_service(kube_cluster: KubeCluster, kube_namespace: str,
                                                       with_monitoring: Path) -> None:
    args = ("--kubeconfig", kube_cluster.kubeconfig, "--namespace", kube_namespace, "--platform-dir", with_monitoring)
    done = comind("monitoring", "port-forward", "--port", "0", *args)
    assert (done.returncode, done.stderr.splitlines()[0]) == (2, f"error: Service {kube_namespace}/grafana: not found")
    done = comind("monitoring", "port-forward", "loki", *args)
    assert (done.returncode, done.stderr.strip()) == (2, "error: SERVICE: 'loki' must be one of grafana, prometheus")
    _grafana(kube_cluster, kube_namespace, pod=False)
    done = comind("monitoring", "port-forward", "--port", "0", *args)
    assert (done.returncode, done.stderr.strip()) == (
        2, f"error: pod: no Running pod labelled app.kubernetes.io/name=grafana in namespace {kube_namespace}")
    _grafana(kube_cluster, kube_namespace, pod=True)
    with KubeClient(str(kube_cluster.kubeconfig)) as kube:
        kube_cluster.wait_for("the kwok pod to run", lambda: _running(kube, kube_namespace), timeout=60)
        assert monitoring.service_backend(kube, kube_namespace, "grafana") == ("grafana-0", 3000)
        # A named targetPort is resolved through the pod's container ports.
        kube_cluster.apply({"apiVersion": "v1", "kind": "Service",
                            "metadata": {"name": "grafana", "namespace": kube_namespace},
                            "spec": {"selector": {"app.kubernetes.io/name": "grafana"},
                                     "ports": [{"name": "http-web", "port": 80, "targetPort": "grafana"}]}})
        assert monitoring.service_backend(kube, kube_namespace, "grafana") == ("grafana-0", 3000)

        stop = threading.Event()
        ready = threading.Event()
        started: list[Any] = []

        def on_ready(forward: Any) -> None:
            started.append(forward)
            ready.set()

        worker = threading.Thread(target=monitoring.monitoring_port_forward, daemon=True, kwargs={
            "repo": PlatformRepo(with_monitoring), "kube": kube, "service": "grafana", "local_port": 0,
            "namespace": kube_namespace, "stop": stop, "on_ready": on_ready})
        worker.start()
        assert ready.wait(60), "the proxy did not start listening"
        forward = started[0]
        assert (forward.pod, forward.remote_port, forward.host) == ("grafana-0", 3000, "127.0.0.1")
        with socket.create_connection(("127.0.0.1", forward.port), timeout=20) as client:
            client.sendall(b"GET /login HTTP/1.0\r\n\r\n")
            client.settimeout(20)
            try:
                client.recv(100)
            except ConnectionResetError:
                pass
        deadline = time.monotonic() + 20
        while not forward.errors and time.monotonic() < deadline:
            time.sleep(0.1)
        # The stream reached the API server, which cannot dial a kwok node's kubelet (as for `comind argocd`).
        assert forward.errors and "no preferred addresses found" in forward.errors[0]
        assert forward.errors[0].startswith(f"{kube_namespace}/grafana-0:3000: ")
        stop.set()
        worker.join(10)


@pytest.mark.cluster
def test_proxy_relays_through_the_api_servers_service_proxy(kube_cluster: KubeCluster, kube_namespace: str,
                                                             with_monitoring: Path) -> None:
    repo = PlatformRepo(with_monitoring)
    with KubeClient(str(kube_cluster.kubeconfig)) as kube:
        with pytest.raises(TemplateError) as missing:
            monitoring.monitoring_proxy(repo, kube, local_port=0, namespace=kube_namespace)
        assert str(missing.value) == f"Service {kube_namespace}/grafana: not found"
        with pytest.raises(InputError):
            monitoring.monitoring_proxy(repo, kube, local_port=0, host="0.0.0.0", namespace=kube_namespace)
        _grafana(kube_cluster, kube_namespace, pod=False)
        stop = threading.Event()
        ready = threading.Event()
        started: list[monitoring.Proxy] = []

        def on_ready(proxy: monitoring.Proxy) -> None:
            started.append(proxy)
            ready.set()

        worker = threading.Thread(target=monitoring.monitoring_proxy, args=(repo, kube), daemon=True,
                                  kwargs={"local_port": 0, "namespace": kube_namespace, "stop": stop,
                                          "on_ready": on_ready})
        worker.start()
        try:
            assert ready.wait(60), "the proxy did not start listening"
            proxy = started[0]
            assert proxy.upstream == f"/api/v1/namespaces/{kube_namespace}/services/grafana:http-web/proxy"
            # No pod is ready behind the Service: the API server itself answers (authenticated, on the Service's
            # proxy path), which the relay hands back as it is; without our credentials it would be 401/403.
            for path in ("/login", f"{proxy.upstream}/login"):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{proxy.port}{path}", timeout=20)
                    raise AssertionError("the API server answered 2xx without an endpoint")
                except urllib.error.HTTPError as err:
                    status, answer = err.code, json.loads(err.read())
                assert status == 503, answer
                assert answer["kind"] == "Status"
                assert answer["message"] == 'no endpoints available for service "grafana"'
            assert proxy.requests == 2
        finally:
            stop.set()
            worker.join(10)
        assert not worker.is_alive()


def _running(kube: KubeClient, namespace: str) -> bool:
    pods = kube.list("Pod", namespace=namespace, selector="app.kubernetes.io/name=grafana")
    return any((p.get("status") or {}).get("phase") == "Running" for p in pods)


# --------------------------------------------------------------------------- the verifier's check


def _stack_results(kube_cluster: KubeCluster, root: Path) -> list[CheckResult]:
    with KubeClient(str(kube_cluster.kubeconfig)) as kube:
        return stack_checks.check_monitoring(Snapshot(kube), PlatformRepo(root).spec)


def _stack_failures(kube_cluster: KubeCluster, root: Path) -> dict[str, str]:
    return {r.object: r.message for r in _stack_results(kube_cluster, root) if r.status is Status.FAIL}


def _namespace_gone(kube_cluster: KubeCluster) -> None:
    kube_cluster.delete_namespace(monitoring.MONITORING_NAMESPACE)
    kube_cluster.wait_for("namespace monitoring to be deleted", lambda: kube_cluster.request(
        "GET", f"/api/v1/namespaces/{monitoring.MONITORING_NAMESPACE}")[0] == 404, timeout=120)


@pytest.mark.cluster
def test_the_verifier_names_the_missing_monitoring_namespace_and_applications(
        argocd_cluster: KubeCluster, with_monitoring: Path, without_monitoring: Path) -> None:
    [off] = _stack_results(argocd_cluster, without_monitoring)
    assert (off.status, off.message) == (Status.SKIP, "answer monitoring is not enabled in the platform's answers")
    _namespace_gone(argocd_cluster)  # an earlier test may have left it terminating
    assert _stack_failures(argocd_cluster, with_monitoring) == {
        "Namespace monitoring": "does not exist",
        "Application argocd/monitoring": "does not exist",
        "Application argocd/kube-prometheus-stack": "does not exist",
    }
    # What the root app deploys for the stack: the two Applications (no Argo CD runs here to act on their
    # finalizer, so it is left out) and what Application `monitoring` syncs, namespace monitoring and its policies.
    applications = [{**o, "metadata": {k: v for k, v in o["metadata"].items() if k != "finalizers"}}
                    for o in _objects(with_monitoring / "k8s/kustomize")
                    if o["kind"] == "Application" and o["metadata"]["name"] in stack_checks.APPLICATIONS]
    argocd_cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}})
    argocd_cluster.apply(applications)
    argocd_cluster.apply(_objects(with_monitoring / "k8s/monitoring"))
    chart = "Application argocd/kube-prometheus-stack"
    try:
        results = _stack_results(argocd_cluster, with_monitoring)
        assert [(r.status, r.object) for r in results] == [
            (Status.PASS, "Namespace monitoring"), (Status.PASS, "Application argocd/monitoring"),
            (Status.PASS, chart)]
        spec = PlatformRepo(with_monitoring).spec
        assert results[2].message == (
            f"chart kube-prometheus-stack {spec.monitoring_chart_version}, project {spec.platform_name}-monitoring")
        argocd_cluster.dynamic.resources.get(api_version="argoproj.io/v1alpha1", kind="Application").delete(
            name="kube-prometheus-stack", namespace="argocd")
        assert _stack_failures(argocd_cluster, with_monitoring) == {chart: "does not exist"}
        argocd_cluster.apply(applications)
        argocd_cluster.kubectl("label", "namespace", "monitoring", "pod-security.kubernetes.io/enforce-")
        assert _stack_failures(argocd_cluster, with_monitoring) == {
            "Namespace monitoring": "label pod-security.kubernetes.io/enforce is missing, expected 'restricted'"}
    finally:
        for name in stack_checks.APPLICATIONS:
            argocd_cluster.kubectl("delete", "application", name, "-n", "argocd", "--ignore-not-found", check=False)
        _namespace_gone(argocd_cluster)
