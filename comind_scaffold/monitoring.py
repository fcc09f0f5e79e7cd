"""Getting at the platform's monitoring stack (answer `monitoring`).

Grafana's URL and admin login, a port-forward to Grafana or Prometheus, and a local proxy to Grafana through the
API server.
The stack is kube-prometheus-stack, deployed by Argo CD into namespace `monitoring` (k8s/kustomize/monitoring.yaml)
with fixed names: Service `grafana` and Service `monitoring-prometheus`. Grafana's admin login is Secret
`monitoring/grafana-admin`, which `comind bootstrap` creates with a generated password (`ensure_grafana_admin`).
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from comind_scaffold import access
from comind_scaffold import constants as c
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.repo import PlatformRepo

__all__ = [
    "GRAFANA_ADMIN_SECRET",
    "MONITORING_NAMESPACE",
    "TARGETS",
    "MonitoringAccess",
    "Proxy",
    "Target",
    "bootstrap_grafana_admin",
    "ensure_grafana_admin",
    "grafana_login",
    "monitoring_access",
    "monitoring_port_forward",
    "monitoring_proxy",
    "require_monitoring",
    "service_backend",
]

MONITORING_NAMESPACE = c.MONITORING_NAMESPACE
GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_USER = "admin"


@dataclass(frozen=True)
class Target:
    """A Service of the stack and the local port `comind monitoring port-forward` listens on by default."""

    service: str
    local_port: int


TARGETS = {"grafana": Target("grafana", 3000), "prometheus": Target("monitoring-prometheus", 9090)}


def require_monitoring(repo: PlatformRepo) -> None:
    """InputError unless the platform's answers enable monitoring."""
    if not repo.spec.monitoring:
        raise InputError("monitoring", "not enabled in this platform's answers (.copier-answers.yml)",
                         hint="copier update --trust --defaults --data monitoring=true in the platform repository, "
                              "then commit and push: Argo CD deploys the stack")


def _target(name: str) -> Target:
    if name not in TARGETS:
        raise InputError("SERVICE", f"{name!r} must be one of {', '.join(TARGETS)}")
    return TARGETS[name]


def ensure_grafana_admin(kube: Any, namespace: str = MONITORING_NAMESPACE) -> bool:
    """Create namespace `namespace` and Secret `grafana-admin` with a generated password, unless they exist.

    An existing Secret is never replaced (Grafana keeps the password it started with). Returns whether the
    Secret was created.
    """
    labels = {c.LABEL_MANAGED_BY: c.MANAGED_BY, "app.kubernetes.io/name": namespace}
    pss = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}
    kube.create("Namespace", {"apiVersion": "v1", "kind": "Namespace",
                              "metadata": {"name": namespace, "labels": {**labels, **pss}}})
    password = secrets.token_urlsafe(24)
    return bool(kube.create("Secret", {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": GRAFANA_ADMIN_SECRET, "namespace": namespace,
                     "labels": {c.LABEL_MANAGED_BY: c.MANAGED_BY, "app.kubernetes.io/name": "grafana"}},
        "stringData": {"admin-user": GRAFANA_USER, "admin-password": password},
    }, namespace))


def bootstrap_grafana_admin(repo: PlatformRepo, kubeconfig: Path | None, context: str | None, *,
                            dry_run: bool = False) -> str:
    """Bootstrap's part: with answer `monitoring`, make sure Grafana's login exists before Argo CD deploys Grafana.

    Returns a note for bootstrap's report ('' when monitoring is off).
    """
    if not repo.spec.monitoring:
        return ""
    where = f"Secret {MONITORING_NAMESPACE}/{GRAFANA_ADMIN_SECRET}"
    if dry_run:
        return f"; would create {where} unless it exists"
    from comind_scaffold._kube import KubeClient

    with KubeClient(str(kubeconfig) if kubeconfig else None, context, timeout=10) as kube:
        created = ensure_grafana_admin(kube)
    return f"; created {where}" if created else f"; {where} kept"


def grafana_login(kube: Any, namespace: str = MONITORING_NAMESPACE) -> tuple[str, str]:
    """(user, password) from Secret `grafana-admin`."""
    secret = kube.get("Secret", GRAFANA_ADMIN_SECRET, namespace)
    data = (secret or {}).get("data") or {}
    if not data.get("admin-password"):
        raise TemplateError(
            f"Secret {namespace}/{GRAFANA_ADMIN_SECRET}: " + ("has no admin-password" if secret else "not found"),
            hint="`comind bootstrap` creates it (before Argo CD deploys Grafana)",
        )
    user = base64.b64decode(data["admin-user"]).decode("utf-8") if data.get("admin-user") else GRAFANA_USER
    return user, base64.b64decode(data["admin-password"]).decode("utf-8")


@dataclass(frozen=True)
class MonitoringAccess:
    """Where Grafana and Prometheus are, and Grafana's login."""

    grafana_url: str | None
    user: str
    password: str
    namespace: str
    port_forward: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"grafana_url": self.grafana_url, "user": self.user, "password": self.password,
                "namespace": self.namespace, "port_forward": self.port_forward}


def monitoring_access(repo: PlatformRepo, kube: Any, profile: str | None = None,
                      namespace: str = MONITORING_NAMESPACE) -> MonitoringAccess:
    """Grafana's URL (the local ingress; none on aws, which exposes no monitoring ingress) and admin login."""
    require_monitoring(repo)
    chosen = profile or repo.spec.default_profile
    if chosen not in c.PROFILES:
        raise InputError("--profile", f"{chosen!r} must be one of {', '.join(c.PROFILES)}")
    url = f"http://grafana.{repo.spec.local_domain}" if chosen == "local" else None
    user, password = grafana_login(kube, namespace)
    forwards = {name: f"http://127.0.0.1:{t.local_port} (comind monitoring port-forward {name})"
                for name, t in TARGETS.items()}
    return MonitoringAccess(url, user, password, namespace, forwards)


def service_backend(kube: Any, namespace: str, service: str) -> tuple[str, int]:
    """(pod, container port) behind a Service's first port: a Running pod its selector matches."""
    svc = kube.get("Service", service, namespace)
    if svc is None:
        raise TemplateError(f"Service {namespace}/{service}: not found",
                            hint="has Argo CD synced the monitoring stack? (comind status)")
    spec = svc.get("spec") or {}
    selector = spec.get("selector") or {}
    ports = spec.get("ports") or []
    if not selector or not ports:
        raise TemplateError(f"Service {namespace}/{service}: has no selector or no port to forward to")
    pod_name = access.find_pod(kube, namespace, ",".join(f"{k}={v}" for k, v in sorted(selector.items())))
    target = ports[0].get("targetPort", ports[0].get("port"))
    if isinstance(target, int) or str(target).isdigit():
        return pod_name, int(target)
    pod = kube.get("Pod", pod_name, namespace) or {}
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target:
                return pod_name, int(port["containerPort"])
    raise TemplateError(f"Service {namespace}/{service}: pod {pod_name} has no container port named {target}")


def monitoring_port_forward(repo: PlatformRepo, kube: Any, service: str = "grafana", *, local_port: int | None = None,
                            namespace: str = MONITORING_NAMESPACE, stop: threading.Event | None = None,
                            on_ready: Callable[[access.Forward], None] | None = None,
                            on_error: Callable[[str], None] | None = None) -> access.Forward:
    """Forward 127.0.0.1:`local_port` to the pod behind `service` (grafana or prometheus) until `stop` is set."""
    require_monitoring(repo)
    target = _target(service)
    pod, remote_port = service_backend(kube, namespace, target.service)
    port = target.local_port if local_port is None else local_port
    return access.port_forward(kube, namespace, pod, remote_port, local_port=port, stop=stop,
                               on_ready=on_ready, on_error=on_error)


# Headers that describe one connection, not the message: never relayed.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                         "transfer-encoding", "upgrade", "content-length", "host", "authorization"})


@dataclass
class Proxy:
    """A running proxy: where it listens and which Service path of the API server it relays to."""

    host: str
    port: int
    upstream: str
    requests: int = 0


def monitoring_proxy(repo: PlatformRepo, kube: Any, *, local_port: int = 3000, host: str = "127.0.0.1",
                     namespace: str = MONITORING_NAMESPACE, stop: threading.Event | None = None,
                     on_ready: Callable[[Proxy], None] | None = None) -> Proxy:
    """Serve Grafana on http://host:local_port through the API server's service proxy until `stop` is set.

    Like a `kubectl proxy` scoped to one Service: each request is sent with the kubeconfig's credentials to
    `/api/v1/namespaces/monitoring/services/grafana:PORT/proxy/…`, and the answer relayed as it is.

    Unlike a port-forward it needs no kubelet stream, only RBAC `services/proxy`; Grafana's NetworkPolicy lets the
    API server in (Prometheus stays behind the default deny: use the port-forward for it).
    """
    require_monitoring(repo)
    if host not in ("127.0.0.1", "localhost"):
        raise InputError("--address", f"{host!r}: the proxy listens on the loopback interface only")
    if not 0 <= local_port <= 65535:
        raise InputError("--port", f"{local_port} is not a TCP port")
    service = TARGETS["grafana"].service
    svc = kube.get("Service", service, namespace)
    if svc is None:
        raise TemplateError(f"Service {namespace}/{service}: not found",
                            hint="has Argo CD synced the monitoring stack? (comind status)")
    first = ((svc.get("spec") or {}).get("ports") or [{}])[0]
    upstream = f"/api/v1/namespaces/{namespace}/services/{service}:{first.get('name') or first.get('port')}/proxy"
    stop = stop or threading.Event()

    class Relay(BaseHTTPRequestHandler):
        def _relay(self) -> None:
            state.requests += 1
            path = self.path if self.path.startswith(upstream + "/") else upstream + self.path
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            try:
                status, reason, answer_headers, data = kube.raw_request(self.command, path, headers, body)
            except Exception as err:  # the API server is gone: answer 502 with why, keep serving
                status, reason, answer_headers, data = 502, "Bad Gateway", {}, f"{err}\n".encode()
            self.send_response(status, reason)
            for key, value in answer_headers.items():
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _relay

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            """Quiet: the CLI prints where it listens, not every request."""

    try:
        server = ThreadingHTTPServer((host, local_port), Relay)
    except OSError as err:
        raise InputError("--port", f"{host}:{local_port}: cannot listen ({err.strerror})") from err
    server.daemon_threads = True
    state = Proxy(host, server.server_address[1], upstream)
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    worker.start()
    try:
        if on_ready:
            on_ready(state)
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
    return state
