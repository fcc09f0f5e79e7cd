"""Real Argo CD for the test suite: its own controllers against the test control plane, on 127.0.0.1.

``ArgoCD`` runs, out of cluster as Argo CD's own local development setup does, a Redis (Debian's
``redis-server``), ``argocd-repo-server`` and ``argocd-application-controller`` — one multi-call binary built
from Go modules by ``tests/testbin/build-argocd.sh``, the role chosen by ``ARGOCD_BINARY_NAME`` — against a
:class:`~tests.components.kube.KubeCluster` (``ARGOCD_FAKE_IN_CLUSTER=true`` + ``KUBECONFIG``: the
destination ``https://kubernetes.default.svc`` is that cluster). It creates namespace ``argocd`` with
``argocd-cm`` and ``argocd-cmd-params-cm`` (the platform's own configuration, see
:func:`platform_argocd_config`),
``argocd-rbac-cm`` and ``argocd-secret``. No applicationset-controller: the platform template renders no
ApplicationSet.

``GitServer`` serves bare repositories over HTTPS on 127.0.0.1 (git's smart HTTP, ``git http-backend``), so the
repo-server clones a platform repository under test exactly as from a remote; tests push to the bare folder.

Everything Argo CD reports — sync status, health, operation state, conditions — is computed by Argo CD.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.components.kube import (
    LOCALHOST,
    TESTBIN,
    KubeCluster,
    KubeClusterError,
    MissingBinaryError,
    _Proc,
    _wait_for,
    cache_dir,
    read_versions,
)

BUILD_SCRIPT = TESTBIN / "build-argocd.sh"
KUSTOMIZE_BUILD_SCRIPT = TESTBIN / "build-kustomize.sh"
KUSTOMIZE_VERSION = "v5.5.0"  # tests/testbin/build-kustomize.sh
NAMESPACE = "argocd"
PART_OF = {"app.kubernetes.io/part-of": "argocd"}
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
# The platform's Argo CD configuration, as the platform template renders it (relative to a platform root).
ARGOCD_VALUES_FILE = "infra/terraform/argocd-values.yaml"
# The upstream manifests build-argocd.sh copies next to the binary (their env entries read these configmaps).
UPSTREAM_MANIFESTS = {
    "argocd-application-controller": "base/application-controller/argocd-application-controller-statefulset.yaml",
    "argocd-repo-server": "base/repo-server/argocd-repo-server-deployment.yaml",
}
LOCAL_ENVIRONMENT = "infra/terraform/environments/local"


def argocd_version() -> str:
    return read_versions()["ARGOCD_VERSION"]


def argocd_dir() -> Path:
    """``$COMIND_CACHE/bin/argocd-<version>``: the binary and the CRDs of the same version."""
    return cache_dir() / "bin" / f"argocd-{argocd_version()}"


def built_argocd_crds() -> Path | None:
    """The CRDs build-argocd.sh copied from the Argo CD module (same version as the controllers), if built."""
    crds = argocd_dir() / "crds"
    names = ("application-crd.yaml", "appproject-crd.yaml", "applicationset-crd.yaml")
    return crds if all((crds / n).is_file() for n in names) else None


def find_argocd() -> dict[str, Path]:
    """Locate argocd, redis-server, kustomize, git; raise MissingBinaryError naming the first missing."""
    found: dict[str, Path] = {}
    binary = argocd_dir() / "argocd"
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        raise MissingBinaryError(f"argocd {argocd_version()} not found at {binary}: run {BUILD_SCRIPT}")
    found["argocd"] = binary
    if built_argocd_crds() is None or not all((argocd_dir() / m).is_file() for m in UPSTREAM_MANIFESTS.values()):
        raise MissingBinaryError(f"Argo CD {argocd_version()} CRDs or manifests not found in {argocd_dir()}: "
                                 f"run {BUILD_SCRIPT}")
    redis = shutil.which("redis-server")
    if not redis:
        raise MissingBinaryError(f"redis-server not found on PATH: run {BUILD_SCRIPT} (apt-get install redis-server)")
    found["redis-server"] = Path(redis)
    kustomize = cache_dir() / "bin" / f"kustomize-{KUSTOMIZE_VERSION}" / "kustomize"
    if not kustomize.is_file():
        raise MissingBinaryError(f"kustomize {KUSTOMIZE_VERSION} not found at {kustomize}: "
                                 f"run {KUSTOMIZE_BUILD_SCRIPT} (the repo-server renders with it)")
    found["kustomize"] = kustomize
    git = shutil.which("git")
    if not git:
        raise MissingBinaryError("git not found on PATH (the repo-server and the git server need it)")
    found["git"] = Path(git)
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection((LOCALHOST, port), timeout=1):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------- the platform's configuration


def _tf_default(variables_tf: Path, name: str) -> str:
    import hcl2  # python-hcl2: already used by the Terraform tests

    with variables_tf.open() as fh:
        parsed = hcl2.load(fh)
    for block in parsed.get("variable", []):
        for key, body in block.items():  # python-hcl2 8 keeps the quotes of labels and strings
            default = body.get("default")
            if key.strip('"') == name and isinstance(default, (str, int)) and not isinstance(default, bool):
                return str(default).strip('"')
    raise KeyError(f"{variables_tf}: no variable {name!r} with a string or number default")


# What environments/local/main.tf adds to argocd-values.yaml: (configmap, key, how main.tf passes it, variable)
LOCAL_ARGOCD_SETTINGS = (
    ("cm", "timeout.reconciliation", "var.argocd_reconciliation", "argocd_reconciliation"),
    ("params", "controller.status.processors", "tostring(var.argocd_status_processors)",
     "argocd_status_processors"),
)


def _configmap_data(values: Mapping[str, Any]) -> dict[str, str]:
    """Chart values -> ConfigMap data, as the chart's templates quote them (true -> "true")."""
    return {str(k): (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in (values or {}).items()}


def platform_argocd_config(platform_root: Path) -> dict[str, dict[str, str]]:
    """``{"cm": …, "params": …}``: the data of argocd-cm and argocd-cmd-params-cm that the platform's local
    Terraform gives Argo CD's chart, read from the rendered platform: ``infra/terraform/argocd-values.yaml``
    (``configs.cm``, ``configs.params``) plus what ``environments/local/main.tf`` adds from its variables'
    defaults (LOCAL_ARGOCD_SETTINGS). Fails if main.tf no longer passes them, so the test configuration cannot
    drift from what the platform deploys."""
    main_tf = (platform_root / LOCAL_ENVIRONMENT / "main.tf").read_text()
    passed = [f'"{key}" = {expr}' for _, key, expr, _ in LOCAL_ARGOCD_SETTINGS]
    missing = [setting for setting in passed if setting not in main_tf]
    if 'file("${path.module}/../../argocd-values.yaml")' not in main_tf or missing:
        raise AssertionError(f"{LOCAL_ENVIRONMENT}/main.tf no longer passes {ARGOCD_VALUES_FILE} and "
                             f"{', '.join(missing) or 'its settings'} to the argo-cd chart: update "
                             "LOCAL_ARGOCD_SETTINGS")
    configs = (yaml.safe_load((platform_root / ARGOCD_VALUES_FILE).read_text()) or {}).get("configs") or {}
    data = {"cm": _configmap_data(configs.get("cm") or {}), "params": _configmap_data(configs.get("params") or {})}
    for configmap, key, _, variable in LOCAL_ARGOCD_SETTINGS:
        data[configmap][key] = _tf_default(platform_root / LOCAL_ENVIRONMENT / "variables.tf", variable)
    return data


def upstream_env(role: str, configmaps: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The environment the upstream manifest of ``role`` gives its container from ConfigMaps
    (``valueFrom.configMapKeyRef``), resolved against ``configmaps`` (name -> data); absent keys are skipped,
    as Kubernetes does for ``optional: true``."""
    manifest = yaml.safe_load((argocd_dir() / UPSTREAM_MANIFESTS[role]).read_text())
    env: dict[str, str] = {}
    for container in manifest["spec"]["template"]["spec"]["containers"]:
        for entry in container.get("env") or []:
            ref = (entry.get("valueFrom") or {}).get("configMapKeyRef")
            if ref and ref.get("key") in (configmaps.get(ref.get("name")) or {}):
                env[entry["name"]] = configmaps[ref["name"]][ref["key"]]
    return env


# --------------------------------------------------------------------------- git server


class GitServer:
    """Git's smart HTTP protocol over TLS on 127.0.0.1 (``git http-backend`` behind a small threaded server),
    serving the bare repositories under ``root`` read-only — the tests push to the bare folders directly.

    HTTPS because the platform template accepts only https/ssh repository URLs (``repo_url``), as Argo CD's
    users have them: ``https://127.0.0.1:<port>/<name>``. The certificate comes from a throw-away CA
    (``ca_pem``); Argo CD trusts it the way ``argocd-tls-certs-cm`` makes it do (a file named after the host
    in ``ARGOCD_TLS_DATA_PATH``). Stopping and starting again keeps the port (fault: repository unreachable).
    """

    def __init__(self, root: Path, workdir: Path):
        self.root = root
        self.workdir = workdir
        self.port = _free_port()
        self._server: Any = None
        self._thread: Any = None
        self.requests: list[str] = []
        root.mkdir(parents=True, exist_ok=True)
        workdir.mkdir(parents=True, exist_ok=True)
        self.ca_pem, self._cert, self._key = _self_signed(workdir)

    def url(self, name: str) -> str:
        return f"https://{LOCALHOST}:{self.port}/{name}"

    def start(self) -> GitServer:
        import http.server
        import ssl
        import threading

        server = http.server.ThreadingHTTPServer((LOCALHOST, self.port), _handler(self))
        server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self._cert, self._key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="git-https", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(10)
            self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def create(self, name: str) -> Path:
        """A new empty bare repository ``name`` (e.g. ``demo.git``); returns its folder (push there)."""
        path = self.root / name
        subprocess.run(["git", "init", "--bare", "--quiet", "-b", "main", str(path)],
                       check=True, capture_output=True, timeout=30)
        return path


def _self_signed(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate chain, key) for 127.0.0.1, ECDSA P-256, valid for a day."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "comind-tests git CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LOCALHOST)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOCALHOST)),
                                                        x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    ca_file, cert_file, key_file = folder / "git-ca.crt", folder / "git.crt", folder / "git.key"
    ca_file.write_bytes(ca.public_bytes(pem))
    cert_file.write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    key_file.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


def _handler(git: GitServer) -> type:
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            git.requests.append(format % args)

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = bytearray()
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return bytes(data)
                    data += self.rfile.read(size)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _cgi(self) -> None:
            path, _, query = self.path.partition("?")
            if "git-receive-pack" in path or "git-receive-pack" in query:
                self.send_error(403, "read-only: push to the bare repository folder")
                return
            body = self._body() if self.command == "POST" else b""
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_PROJECT_ROOT": str(git.root), "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command, "PATH_INFO": path, "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
                "REMOTE_ADDR": self.client_address[0], "SERVER_PROTOCOL": "HTTP/1.1",
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            }
            done = subprocess.run(["git", "http-backend"], input=body, capture_output=True, env=env,
                                  timeout=120, check=False)
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            if not _:
                head, _, payload = done.stdout.partition(b"\n\n")
            headers = [line.split(b":", 1) for line in head.splitlines() if b":" in line]
            status = 200
            for name, value in headers:
                if name.strip().lower() == b"status":
                    status = int(value.split()[0])
            self.send_response(status)
            for name, value in headers:
                if name.strip().lower() not in (b"status", b"content-length"):
                    self.send_header(name.decode().strip(), value.decode().strip())
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _cgi
        do_POST = _cgi

    return Handler


# --------------------------------------------------------------------------- Argo CD


class ArgoCD:
    """Redis + argocd-repo-server + argocd-application-controller for ``cluster``, out of cluster."""

    def __init__(self, cluster: KubeCluster, workdir: Path, binaries: Mapping[str, Path] | None = None,
                 tls_certs: Mapping[str, Path] | None = None):
        """``tls_certs``: host -> CA certificate file Argo CD trusts for git over HTTPS to that host."""
        self.cluster = cluster
        self.tls_certs = dict(tls_certs or {})
        self.workdir = workdir
        self.binaries = dict(binaries or find_argocd())
        self.redis_port = _free_port()
        self.repo_port = _free_port()
        self.repo_metrics_port = _free_port()
        self.controller_metrics_port = _free_port()
        self.cm: dict[str, str] = {}
        self.params: dict[str, str] = {}
        self.upstream_env: dict[str, dict[str, str]] = {}  # role -> what came from the configmaps
        self._procs: list[_Proc] = []
        self.version = argocd_version()
        workdir.mkdir(parents=True, exist_ok=True)

    # ----------------------------------------------------------------- lifecycle

    def configure(self, cm: Mapping[str, str], params: Mapping[str, str] | None = None) -> None:
        """Namespace argocd, argocd-cm (``cm``), argocd-cmd-params-cm (``params``), argocd-rbac-cm and
        argocd-secret, as the chart creates them."""
        self.cm, self.params = dict(cm), dict(params or {})
        self.cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        meta = lambda name: {"name": name, "namespace": NAMESPACE, "labels": dict(PART_OF)}  # noqa: E731
        self.cluster.apply([
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("argocd-cm"), "data": self.cm},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("argocd-cmd-params-cm"), "data": self.params},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("argocd-rbac-cm"), "data": {}},
            {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta("argocd-secret"),
             "stringData": {"server.secretkey": secrets.token_urlsafe(32)}},
        ])

    def _env(self, role: str) -> dict[str, str]:
        wd = self.workdir
        for sub in ("tls", "ssh", "gnupg", "gpg", "plugins", "tmp", "home"):
            (wd / sub).mkdir(exist_ok=True)
        (wd / "ssh" / "ssh_known_hosts").touch()
        (wd / "gnupg").chmod(0o700)
        for host, ca in self.tls_certs.items():  # what argocd-tls-certs-cm mounts: one file per host
            (wd / "tls" / host).write_bytes(Path(ca).read_bytes())
        path = os.pathsep.join([str(self.binaries["kustomize"].parent), os.environ.get("PATH", "/usr/bin:/bin")])
        env = {
            "PATH": path,
            "HOME": str(wd / "home"),
            "TMPDIR": str(wd / "tmp"),
            "ARGOCD_BINARY_NAME": role,
            "ARGOCD_FAKE_IN_CLUSTER": "true",
            "KUBECONFIG": str(self.cluster.kubeconfig),
            "ARGOCD_GPG_ENABLED": "false",
            "ARGOCD_TLS_DATA_PATH": str(wd / "tls"),
            "ARGOCD_SSH_DATA_PATH": str(wd / "ssh"),
            "ARGOCD_GNUPGHOME": str(wd / "gnupg"),
            "ARGOCD_GPG_DATA_PATH": str(wd / "gpg"),
            "ARGOCD_PLUGINSOCKFILEPATH": str(wd / "plugins"),
            # /debug/pprof on the metrics port answers once this file says "true" (benchmarks/bench_gitops.py
            # --profile); by default Argo CD reads it from /home/argocd/params, a path of the machine's.
            "ARGOCD_ENABLE_PROFILER_FILE_PATH": str(wd / "profiler.enabled"),
            "GOMAXPROCS": "2",
            "GOMEMLIMIT": "1GiB",
        }
        # What the upstream pod gets from argocd-cm / argocd-cmd-params-cm (e.g. ARGOCD_RECONCILIATION_TIMEOUT,
        # ARGOCD_APPLICATION_CONTROLLER_PERSIST_RESOURCE_HEALTH); our own settings above win.
        configured = upstream_env(role, {"argocd-cm": self.cm, "argocd-cmd-params-cm": self.params})
        self.upstream_env[role] = configured
        return {**configured, **env}

    def _spawn(self, name: str, argv: list[str], env: Mapping[str, str]) -> _Proc:
        proc = _Proc(name, argv, self.workdir / f"{name}.log", env)
        self._procs.append(proc)
        return proc

    def start(self, timeout: float = 120.0) -> ArgoCD:
        t0 = time.monotonic()
        try:
            self._start(timeout)
        except BaseException as exc:
            tails = self.log_tails(40)
            self.stop()
            if isinstance(exc, Exception):
                raise KubeClusterError(f"Argo CD failed to start: {exc}\n{tails}") from exc
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _start(self, timeout: float) -> None:
        (self.workdir / "redis").mkdir(exist_ok=True)
        redis = self._spawn("redis", [
            str(self.binaries["redis-server"]), "--bind", LOCALHOST, "--port", str(self.redis_port),
            "--save", "", "--appendonly", "no", "--dir", str(self.workdir / "redis"), "--protected-mode", "yes",
        ], {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        _wait_for(f"redis on {LOCALHOST}:{self.redis_port}", lambda: _listening(self.redis_port), timeout, [redis])
        argocd = str(self.binaries["argocd"])
        redis_addr = f"{LOCALHOST}:{self.redis_port}"
        repo = self._spawn("argocd-repo-server", [
            argocd, "--address", LOCALHOST, "--port", str(self.repo_port), "--disable-tls", "--redis", redis_addr,
            "--metrics-address", LOCALHOST, "--metrics-port", str(self.repo_metrics_port), "--loglevel", "info",
        ], self._env("argocd-repo-server"))
        # The controller's metrics server binds 0.0.0.0:<port> (not configurable in v3.2); the port is ours.
        controller = self._spawn("argocd-application-controller", [
            argocd, "--namespace", NAMESPACE, "--repo-server", f"{LOCALHOST}:{self.repo_port}",
            "--repo-server-plaintext", "--redis", redis_addr, "--metrics-port", str(self.controller_metrics_port),
            "--loglevel", "info",  # processors: the platform's argocd-cmd-params-cm or Argo CD's defaults (20/10)
        ], self._env("argocd-application-controller"))
        procs = [redis, repo, controller]
        _wait_for(f"argocd-repo-server on {LOCALHOST}:{self.repo_port}", lambda: _listening(self.repo_port),
                  timeout, procs)
        _wait_for("argocd-application-controller /healthz",
                  lambda: _http_ok(f"http://{LOCALHOST}:{self.controller_metrics_port}/healthz"), timeout, procs)

    def stop(self) -> None:
        for p in reversed(self._procs):
            p.stop()
        self._procs.clear()

    def alive(self) -> bool:
        return bool(self._procs) and all(p.alive() for p in self._procs)

    def log_tails(self, lines: int = 30) -> str:
        return "\n".join(f"---- {p.name} ({p.log}) ----\n{p.tail(lines)}" for p in self._procs)

    # ----------------------------------------------------------------- Applications (read only: Argo CD writes status)

    def applications(self) -> list[dict[str, Any]]:
        status, data = self.cluster.request("GET", f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}/applications")
        if status != 200:
            raise KubeClusterError(f"listing Applications: HTTP {status}: {data}")
        return list(data.get("items") or [])

    def refresh(self, names: Iterable[str] | None = None, kind: str = "normal") -> None:
        """Ask Argo CD to compare again now (annotation ``argocd.argoproj.io/refresh``, as ``argocd app get
        --refresh`` does); Argo CD removes the annotation when done."""
        if names is None:
            names = [a["metadata"]["name"] for a in self.applications()]
        for name in names:
            self.cluster.request(
                "PATCH", f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}/applications/{name}",
                {"metadata": {"annotations": {REFRESH_ANNOTATION: kind}}},
                content_type="application/merge-patch+json")

    def wait_settled(self, expect: Iterable[str] = (), timeout: float = 240.0, refresh_every: float = 20.0
                     ) -> list[dict[str, Any]]:
        """Wait until every Application (and at least those named in ``expect``) is Synced and Healthy as Argo
        CD computed it, refreshing the stragglers now and then; TimeoutError lists the state of each."""
        expect = set(expect)
        last_refresh = time.monotonic()

        def settled() -> list[dict[str, Any]] | None:
            nonlocal last_refresh
            apps = self.applications()
            names = {a["metadata"]["name"] for a in apps}
            pending = [a for a in apps if summarize(a)[:2] != ("Synced", "Healthy")]
            if not pending and expect <= names and apps:
                return apps
            if time.monotonic() - last_refresh > refresh_every:
                self.refresh([a["metadata"]["name"] for a in pending])
                last_refresh = time.monotonic()
            return None

        try:
            return _wait_for("every Application Synced and Healthy", settled, timeout, self._procs, interval=1.0)
        except TimeoutError as err:
            states = "\n".join(f"  {a['metadata']['name']}: {summarize(a)}" for a in self.applications())
            missing = expect - {a["metadata"]["name"] for a in self.applications()}
            raise TimeoutError(f"{err}\n{states}\n  missing: {sorted(missing)}\n{self.log_tails(15)}") from err


def summarize(app: Mapping[str, Any]) -> tuple[str, str, str]:
    """(sync status, health status, first condition or operation message) as Argo CD wrote them."""
    status = app.get("status") or {}
    sync = (status.get("sync") or {}).get("status") or "?"
    health = (status.get("health") or {}).get("status") or "?"
    notes = [f"{c.get('type')}: {c.get('message')}" for c in status.get("conditions") or []]
    op = status.get("operationState") or {}
    if op.get("phase") not in (None, "Succeeded"):
        notes.append(f"operation {op.get('phase')}: {op.get('message')}")
    return sync, health, "; ".join(notes)


def _http_ok(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def push_platform(repo_root: Path, remote: Path | str, message: str, env: Mapping[str, str]) -> str:
    """Commit everything in ``repo_root`` (a git work tree, created if needed) and push it to ``remote`` (the
    bare repository's folder) as branch main; returns the commit id."""
    run = lambda *a: subprocess.run(["git", *a], cwd=repo_root, check=True, capture_output=True,  # noqa: E731
                                    text=True, timeout=60, env={**os.environ, **env})
    if not (repo_root / ".git").exists():
        run("init", "--quiet", "-b", "main")
        run("remote", "add", "origin", str(remote))
    run("add", "-A")
    if run("status", "--porcelain").stdout.strip():
        run("commit", "--quiet", "-m", message)
    run("push", "--quiet", "origin", "HEAD:main")
    return run("rev-parse", "HEAD").stdout.strip()


