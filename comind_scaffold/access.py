"""Getting at a running platform: its kubeconfig, Argo CD's URL and admin password, a local port-forward.

`comind kubeconfig` prints (or merges into `~/.kube/config`) the kubeconfig bootstrap wrote;
`comind argocd url|password|port-forward` read what Argo CD's chart made, through the kubernetes client.
"""

from __future__ import annotations

import base64
import json
import select
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from comind_scaffold import constants as c
from comind_scaffold._files import write_atomic
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.repo import PlatformRepo

__all__ = [
    "ARGOCD_ADMIN_SECRET",
    "PLATFORM_KUBECONFIGS",
    "MergeResult",
    "argocd_password",
    "argocd_url",
    "find_pod",
    "kube_target",
    "merge_kubeconfig",
    "platform_kubeconfig",
    "port_forward",
]

# What bootstrap leaves behind per profile: environments/local writes the k3d kubeconfig; on aws the
# environment's `kubeconfig_command` output writes it (`aws eks update-kubeconfig … --kubeconfig PATH`).
PLATFORM_KUBECONFIGS = {profile: c.KUBECONFIG_FILE.format(profile=profile) for profile in c.PROFILES}
ARGOCD_ADMIN_SECRET = "argocd-initial-admin-secret"
ARGOCD_SERVER_SELECTOR = "app.kubernetes.io/name=argocd-server"
ARGOCD_SERVER_PORT = 8080  # the chart's server container port; the platform runs it with server.insecure
_SECTIONS = (("clusters", "cluster"), ("users", "user"), ("contexts", "context"))


def _profile(repo: PlatformRepo, profile: str | None) -> str:
    chosen = profile or repo.spec.default_profile
    if chosen not in c.PROFILES:
        raise InputError("--profile", f"{chosen!r} must be one of {', '.join(c.PROFILES)}")
    return chosen


def platform_kubeconfig(repo: PlatformRepo, profile: str | None = None) -> Path:
    """The kubeconfig bootstrap wrote for `profile` (default: the platform's); InputError if there is none."""
    chosen = _profile(repo, profile)
    path = repo.root / PLATFORM_KUBECONFIGS[chosen]
    if not path.is_file():
        how = ("run `comind bootstrap --profile local`" if chosen == "local" else
               f"run `aws eks update-kubeconfig --region {repo.spec.aws_region} --name {repo.spec.platform_name} "
               f"--kubeconfig {PLATFORM_KUBECONFIGS['aws']}` (the environment's kubeconfig_command output)")
        raise InputError("kubeconfig", f"{path}: not written yet for profile {chosen}", hint=how)
    return path


def kube_target(repo: PlatformRepo | None, profile: str | None, kubeconfig: Path | None,
                context: str | None) -> tuple[str | None, str | None]:
    """(kubeconfig, context) to talk to: the ones given, else the platform's, else kubectl's default."""
    if kubeconfig is not None:
        return str(kubeconfig), context
    if repo is not None:
        path = repo.root / PLATFORM_KUBECONFIGS[_profile(repo, profile)]
        if path.is_file():
            return str(path), context
    return None, context


# --------------------------------------------------------------------------- Argo CD


def argocd_url(repo: PlatformRepo, profile: str | None = None) -> str:
    """Argo CD's address as the platform's ingress serves it (environments/<profile>: server ingress)."""
    chosen = _profile(repo, profile)
    if chosen == "local":
        return f"http://argocd.{repo.spec.local_domain}"
    return f"https://argocd.{repo.spec.aws_domain}"


def argocd_password(kube: Any, namespace: str = c.ARGOCD_NAMESPACE) -> str:
    """The admin password from `argocd-initial-admin-secret` (Argo CD deletes it once it was changed)."""
    secret = kube.get("Secret", ARGOCD_ADMIN_SECRET, namespace)
    encoded = ((secret or {}).get("data") or {}).get("password")
    if not encoded:
        raise TemplateError(
            f"Secret {namespace}/{ARGOCD_ADMIN_SECRET}: " + ("has no password" if secret else "not found"),
            hint="Argo CD deletes it when the admin password was changed; use that password (or reset it)",
        )
    return base64.b64decode(encoded).decode("utf-8")


def find_pod(kube: Any, namespace: str, selector: str) -> str:
    """The name of a Running pod matching `selector` (the newest), or InputError saying what there is."""
    pods = [p for p in kube.list("Pod", namespace=namespace, selector=selector)
            if (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]
    if not pods:
        raise InputError("pod", f"no Running pod labelled {selector} in namespace {namespace}")
    pods.sort(key=lambda p: str(p["metadata"].get("creationTimestamp", "")))
    return str(pods[-1]["metadata"]["name"])


@dataclass
class Forward:
    """A running port-forward: where it listens, and the errors of connections that failed."""

    host: str
    port: int
    pod: str
    namespace: str
    remote_port: int
    errors: list[str] = field(default_factory=list)
    connections: int = 0


def port_forward(kube: Any, namespace: str, pod: str, remote_port: int, *, local_port: int = 0,
                 host: str = "127.0.0.1", stop: threading.Event | None = None,
                 on_ready: Callable[[Forward], None] | None = None,
                 on_error: Callable[[str], None] | None = None) -> Forward:
    """Listen on host:local_port and forward each connection to `pod`:`remote_port` through the API server.

    Runs until `stop` is set (the CLI stops on Ctrl-C). Each connection opens its own port-forward stream
    (`KubeClient.port_forward_stream`); a stream that fails is reported through `on_error` and closed.
    """
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise InputError("--address", f"{host!r}: port-forwards listen on the loopback interface only")
    if not 0 <= local_port <= 65535:
        raise InputError("--port", f"{local_port} is not a TCP port")
    stop = stop or threading.Event()
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, local_port))
    except OSError as err:
        listener.close()
        raise InputError("--port", f"{host}:{local_port}: cannot listen ({err.strerror})") from err
    listener.listen(8)
    listener.settimeout(0.2)
    forward = Forward(host, listener.getsockname()[1], pod, namespace, remote_port)
    report = on_error or (lambda _message: None)

    def failed(message: str) -> None:
        forward.errors.append(message)
        report(message)

    def serve(client: socket.socket) -> None:
        stream: Any = None
        try:
            stream = kube.port_forward_stream(namespace, pod, remote_port)
            remote = stream.socket(remote_port)
            remote.setblocking(True)
            _pump(client, remote, stop)
            problem = stream.error(remote_port)
            if problem:
                failed(f"{namespace}/{pod}:{remote_port}: {problem.strip()}")
        except Exception as err:  # one failed stream must not end the forward; report it and go on
            failed(f"{namespace}/{pod}:{remote_port}: {_first_line(err)}")
        finally:
            client.close()
            if stream is not None:
                stream.close()

    if on_ready:
        on_ready(forward)
    try:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            forward.connections += 1
            threading.Thread(target=serve, args=(client,), daemon=True).start()
    finally:
        listener.close()
    return forward


def _pump(a: socket.socket, b: Any, stop: threading.Event) -> None:
    """Copy bytes both ways until either side closes."""
    while not stop.is_set():
        readable, _, _ = select.select([a, b], [], [], 0.2)
        for source in readable:
            data = source.recv(65536)
            if not data:
                return
            (b if source is a else a).sendall(data)


def _first_line(err: BaseException) -> str:
    """The error on one line; for a refused websocket handshake, its status and the API server's message."""
    text = str(err)
    if "-+-+-" in text:  # the client's handshake error: "Reason: Handshake status … -+-+- headers -+-+- body"
        reason, body = text.split("-+-+-", 1)[0], text.rsplit("-+-+-", 1)[-1]
        try:
            message = json.loads(body).get("message")
        except (ValueError, AttributeError):
            message = None
        reason = reason.split("Reason:", 1)[-1].strip()
        if message:
            return f"{reason}: {message}"[:300]
    return (" ".join(text.split()) or err.__class__.__name__)[:300]


# --------------------------------------------------------------------------- kubeconfig merge


@dataclass(frozen=True)
class MergeResult:
    """What `merge_kubeconfig` did to the target file."""

    target: Path
    added: list[str]
    unchanged: list[str]
    replaced: list[str]
    current_context: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"target": str(self.target), "added": self.added, "unchanged": self.unchanged,
                "replaced": self.replaced, "current_context": self.current_context}


def _load_kubeconfig(path: Path, field_name: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise InputError(field_name, f"{path}: cannot be read as a kubeconfig ({err.__class__.__name__})") from err
    if data is None:
        return {"apiVersion": "v1", "kind": "Config", "preferences": {}}
    if not isinstance(data, dict) or any(not isinstance(data.get(s) or [], list) for s, _ in _SECTIONS):
        raise InputError(field_name, f"{path}: not a kubeconfig (clusters, users and contexts must be lists)")
    return data


def merge_kubeconfig(source: Path, target: Path | None = None, *, use: bool = False,
                     overwrite: bool = False) -> MergeResult:
    """Merge the clusters, users and contexts of `source` into `target` (default `~/.kube/config`).

    Entries of other names are never touched. An entry of the same name and the same content is left as it
    is; one of the same name and different content is replaced only with `overwrite` (else InputError, nothing
    written). The current context is set to the source's when `use` is given or the target has none.
    """
    target = target or Path.home() / ".kube" / "config"
    incoming = _load_kubeconfig(source, "kubeconfig")
    merged = _load_kubeconfig(target, "--merge target")
    current_before = merged.get("current-context")
    added: list[str] = []
    unchanged: list[str] = []
    replaced: list[str] = []
    for section, item in _SECTIONS:
        existing = {str(e.get("name")): i for i, e in enumerate(merged.get(section) or [])}
        merged[section] = list(merged.get(section) or [])
        for entry in incoming.get(section) or []:
            name = str(entry.get("name"))
            label = f"{item} {name}"
            if name not in existing:
                merged[section].append(entry)
                added.append(label)
            elif merged[section][existing[name]] == entry:
                unchanged.append(label)
            elif overwrite:
                merged[section][existing[name]] = entry
                replaced.append(label)
            else:
                raise InputError("--merge", f"{target} already has a different {label}; nothing written",
                                 hint="pass --overwrite to replace it (other entries are never touched)")
    wanted = incoming.get("current-context")
    if wanted and (use or not merged.get("current-context")):
        merged["current-context"] = wanted
    if added or replaced or merged.get("current-context") != current_before:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        mode = target.stat().st_mode & 0o777 if target.is_file() else 0o600
        write_atomic(target, yaml.safe_dump(merged, sort_keys=False), mode=mode)
    return MergeResult(target, added, unchanged, replaced, merged.get("current-context"))
