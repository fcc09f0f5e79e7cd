"""A real Kubernetes control plane for the test suite, on 127.0.0.1 only.

``KubeCluster`` starts etcd, kube-apiserver (client-certificate authentication, RBAC),
kube-controller-manager, kube-scheduler and kwok (which plays the kubelets of fake nodes),
creates fake nodes, installs Argo CD's CRDs and hands out a kubeconfig. The binaries are
built from Go modules by ``tests/testbin/build-kube.sh``; nothing is pulled from anywhere.

Beyond the kubelets, this cluster runs no Argo CD and nothing writes an Application's ``status``: tests that need
one run against real Argo CD (repo-server and application-controller) on a cluster of its own
(``tests/components/argocd.py``, ``tests/components/fixtures_argocd.py``).

    with KubeCluster(nodes=3) as kc:
        kc.kubectl("apply", "-f", "-", input=manifest_yaml)
        kc.wait_deployment_available("web", "demo")
"""

from __future__ import annotations

import concurrent.futures
import datetime as _dt
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTBIN = REPO_ROOT / "tests" / "testbin"
BUILD_SCRIPT = TESTBIN / "build-kube.sh"

KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"
KWOK_NODE_VALUE = "fake"
ARGOCD_GROUP = "argoproj.io"
ARGOCD_VERSION = "v1alpha1"
SERVICE_CIDR = "10.96.0.0/16"  # API data only: nothing listens or connects there
POD_CIDR = "10.244.0.0/16"  # fake pod IPs kwok writes into pod status (data only)
LOCALHOST = "127.0.0.1"

T = TypeVar("T")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 1.5 s vs 8 s for the CRDs


class KubeClusterError(RuntimeError):
    """The control plane could not be started or did not behave."""


class MissingBinaryError(KubeClusterError):
    """A control-plane binary is not built / not found."""


class ArgoCDCRDsMissing(KubeClusterError):
    """Argo CD's CRD folder is not there, so Argo CD resources cannot be served."""


# --------------------------------------------------------------------------- binaries


def read_versions(path: Path = TESTBIN / "versions.env") -> dict[str, str]:
    """The pinned component versions (KEY=VALUE lines of tests/testbin/versions.env)."""
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def cache_dir() -> Path:
    return Path(os.environ.get("COMIND_CACHE") or Path.home() / ".cache" / "comind-ops")


def find_binaries() -> dict[str, Path]:
    """Locate every binary the control plane needs; raise MissingBinaryError naming the first missing.

    Order: ``KUBEBUILDER_ASSETS`` (envtest layout: a folder with kube-apiserver, etcd, …), then
    the cache filled by build-kube.sh: ``$COMIND_CACHE/bin/<component>-<version>/<binary>``.
    """
    versions = read_versions()
    wanted = {
        "etcd": versions["ETCD_VERSION"],
        "kube-apiserver": versions["KUBE_VERSION"],
        "kube-controller-manager": versions["KUBE_VERSION"],
        "kube-scheduler": versions["KUBE_VERSION"],
        "kwok": versions["KWOK_VERSION"],
    }
    assets = os.environ.get("KUBEBUILDER_ASSETS")
    found: dict[str, Path] = {}
    for name, version in wanted.items():
        candidates = []
        if assets:
            candidates.append(Path(assets) / name)
        candidates.append(cache_dir() / "bin" / f"{name}-{version}" / name)
        for cand in candidates:
            if cand.is_file() and os.access(cand, os.X_OK):
                found[name] = cand
                break
        else:
            raise MissingBinaryError(
                f"{name} not found: run tests/testbin/build-kube.sh or set KUBEBUILDER_ASSETS "
                f"(looked at: {', '.join(str(c) for c in candidates)})"
            )
    stages = found["kwok"].parent / "stages.yaml"
    if not stages.is_file():
        stages = cache_dir() / "bin" / f"kwok-{wanted['kwok']}" / "stages.yaml"
    if not stages.is_file():
        raise MissingBinaryError(
            f"kwok stages.yaml not found next to {found['kwok']}: run tests/testbin/build-kube.sh"
        )
    found["kwok-stages"] = stages
    return found


def argocd_crds_dir() -> Path:
    """Where Argo CD's CRD YAMLs are: $COMIND_ARGOCD_CRDS, else those of the Argo CD that
    tests/testbin/build-argocd.sh built (same version as the controllers the tests run), else
    <repo>/../shared/argocd-crds."""
    from tests.helpers_validate import SHARED_ARGOCD_CRDS

    if os.environ.get("COMIND_ARGOCD_CRDS"):
        return Path(os.environ["COMIND_ARGOCD_CRDS"])
    from tests.components.argocd import built_argocd_crds

    return built_argocd_crds() or SHARED_ARGOCD_CRDS


# --------------------------------------------------------------------------- PKI


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOCALHOST, 0))
        return int(s.getsockname()[1])


class _PKI:
    """A throw-away CA and the certificates the control plane needs (ECDSA P-256)."""

    def __init__(self, folder: Path):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        self._x509, self._hashes, self._ser, self._ec = x509, hashes, serialization, ec
        self._eku, self._name_oid = ExtendedKeyUsageOID, NameOID
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        now = _dt.datetime.now(_dt.UTC)
        self._not_before = now - _dt.timedelta(hours=1)
        self._not_after = now + _dt.timedelta(days=2)

        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "comind-test-ca")])
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._not_before)
            .not_valid_after(self._not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, key_cert_sign=True, crl_sign=True,
                    content_commitment=False, key_encipherment=False, data_encipherment=False,
                    key_agreement=False, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.ca_key.public_key()),
                           critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.ca_crt_path = self._write_cert("ca.crt", self.ca_cert)
        self.ca_key_path = self._write_key("ca.key", self.ca_key)

    def _write_key(self, filename: str, key: Any) -> Path:
        path = self.folder / filename
        path.write_bytes(key.private_bytes(self._ser.Encoding.PEM,
                                           self._ser.PrivateFormat.TraditionalOpenSSL,
                                           self._ser.NoEncryption()))
        path.chmod(0o600)
        return path

    def _write_cert(self, filename: str, cert: Any) -> Path:
        path = self.folder / filename
        path.write_bytes(cert.public_bytes(self._ser.Encoding.PEM))
        return path

    def issue(self, stem: str, common_name: str, *, organizations: Iterable[str] = (),
              server_names: Iterable[str] = (), server_ips: Iterable[str] = (),
              client: bool = True) -> tuple[Path, Path]:
        x509, NameOID = self._x509, self._name_oid
        key = self._ec.generate_private_key(self._ec.SECP256R1())
        attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
        usages = [self._eku.CLIENT_AUTH] if client else []
        sans: list[Any] = [x509.DNSName(n) for n in server_names]
        sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in server_ips]
        if sans:
            usages.append(self._eku.SERVER_AUTH)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(attrs))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._not_before)
            .not_valid_after(self._not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, key_encipherment=False, content_commitment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=False,
                    crl_sign=False, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.ca_key.public_key()), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(self.ca_key, self._hashes.SHA256())
        return self._write_cert(f"{stem}.crt", cert), self._write_key(f"{stem}.key", key)

    def service_account_keys(self) -> tuple[Path, Path]:
        key = self._ec.generate_private_key(self._ec.SECP256R1())
        priv = self._write_key("sa.key", key)
        pub = self.folder / "sa.pub"
        pub.write_bytes(key.public_key().public_bytes(self._ser.Encoding.PEM,
                                                      self._ser.PublicFormat.SubjectPublicKeyInfo))
        return priv, pub


def write_kubeconfig(path: Path, server: str, ca: Path, cert: Path, key: Path,
                     user: str = "admin", cluster: str = "comind-test") -> Path:
    """A kubeconfig that authenticates with a client certificate (files referenced by path)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {"server": server,
                                                   "certificate-authority": str(ca)}}],
        "users": [{"name": user, "user": {"client-certificate": str(cert),
                                          "client-key": str(key)}}],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": user}}],
        "current-context": cluster,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path


# --------------------------------------------------------------------------- processes


class _Proc:
    def __init__(self, name: str, argv: list[str], log: Path, env: Mapping[str, str]):
        self.name, self.argv, self.log = name, argv, log
        self._log_fh = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            argv, stdout=self._log_fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(env), start_new_session=True, preexec_fn=_die_with_parent,
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 30) -> str:
        try:
            data = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(data[-lines:])

    def stop(self, grace: float = 10.0) -> None:
        if self.alive():
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(10)
        self._log_fh.close()


try:  # resolved here, not in the forked child (no imports or locks between fork and exec)
    import ctypes

    _PRCTL: Any = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _PRCTL = None


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies (even by SIGKILL). Linux only."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _wait_for(what: str, check: Callable[[], T | None], timeout: float,
              procs: Iterable[_Proc] = (), interval: float = 0.2) -> T:
    """Poll ``check`` until it returns a truthy value; fail early if a process died."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        for p in procs:
            if not p.alive():
                raise KubeClusterError(
                    f"{p.name} exited with code {p.popen.returncode} while waiting for {what}; "
                    f"last lines of {p.log}:\n{p.tail()}"
                )
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last_error = exc
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)


# --------------------------------------------------------------------------- the cluster


class KubeCluster:
    """etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kwok on 127.0.0.1.

    Attributes after ``start()`` / ``__enter__``:
      ``kubeconfig`` (Path, admin = group system:masters), ``server`` (https URL),
      ``version`` (gitVersion from /version), ``workdir`` (tmp folder with logs, certs),
      ``api_client`` (kubernetes.client.ApiClient), ``node_names``,
      ``argocd_crds_error`` (None when Argo CD's CRDs are installed, else the reason).
    """

    def __init__(self, nodes: int = 3, *, install_argocd_crds: bool = True,
                 startup_timeout: float = 120.0, workdir: str | os.PathLike[str] | None = None,
                 keep_workdir: bool | None = None):
        self.node_count = nodes
        self.install_argocd_crds = install_argocd_crds
        self.startup_timeout = startup_timeout
        self._workdir_arg = workdir
        self.keep_workdir = (os.environ.get("COMIND_KEEP_KUBE_DIR") == "1"
                             if keep_workdir is None else keep_workdir)
        self.workdir: Path | None = None
        self.kubeconfig: Path | None = None
        self.server: str = ""
        self.version: str = ""
        self.api_client: Any = None
        self.node_names: list[str] = []
        self.argocd_crds_error: str | None = None
        self.binaries: dict[str, Path] = {}
        self.startup_seconds: float = 0.0
        self.timings: dict[str, float] = {}  # phase -> seconds since start() (for reports)
        self._procs: list[_Proc] = []
        self._dynamic: Any = None
        self._owns_workdir = False

    # ----------------------------------------------------------------- lifecycle

    def __enter__(self) -> KubeCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> KubeCluster:
        t0 = self._t0 = time.monotonic()
        self.binaries = find_binaries()  # MissingBinaryError before anything is created
        if self._workdir_arg:
            self.workdir = Path(self._workdir_arg)
            self.workdir.mkdir(parents=True, exist_ok=True)
        else:
            self.workdir = Path(tempfile.mkdtemp(prefix="comind-kube-"))
            self._owns_workdir = True
        try:
            self._start_all()
        except BaseException as exc:
            tails = "\n".join(
                f"---- {p.name} ({p.log}) ----\n{p.tail(40)}" for p in self._procs
            )
            self.stop(remove=not self.keep_workdir)
            if isinstance(exc, Exception):
                keep = "" if self.keep_workdir else " (workdir removed; COMIND_KEEP_KUBE_DIR=1 keeps it)"
                raise KubeClusterError(
                    f"control plane failed to start: {exc}{keep}\n{tails}") from exc
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def stop(self, remove: bool | None = None) -> None:
        """SIGTERM every process (reverse start order), SIGKILL after 10 s, remove the workdir."""
        for p in reversed(self._procs):
            p.stop()
        self._procs.clear()
        if self.api_client is not None:
            try:
                self.api_client.close()
            except Exception:  # noqa: BLE001
                pass
            self.api_client = None
        if remove is None:
            remove = not self.keep_workdir
        if remove and self._owns_workdir and self.workdir and self.workdir.exists():
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _env(self) -> dict[str, str]:
        assert self.workdir is not None
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.workdir),  # kwok reads ~/.kwok/kwok.yaml: keep it ours
            "GOMAXPROCS": os.environ.get("COMIND_KUBE_GOMAXPROCS", "2"),
            "GOMEMLIMIT": "1GiB",
        }

    def _spawn(self, name: str, argv: list[str]) -> _Proc:
        assert self.workdir is not None
        proc = _Proc(name, argv, self.workdir / f"{name}.log", self._env())
        self._procs.append(proc)
        return proc

    def _start_all(self) -> None:
        wd = self.workdir
        assert wd is not None
        b = self.binaries
        pki = _PKI(wd / "pki")
        ca = pki.ca_crt_path
        srv_crt, srv_key = pki.issue(
            "apiserver", "kube-apiserver", client=False,
            server_names=["localhost", "kubernetes", "kubernetes.default",
                          "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
            server_ips=[LOCALHOST, str(next(ipaddress.ip_network(SERVICE_CIDR).hosts()))],
        )
        admin_crt, admin_key = pki.issue("admin", "comind-admin", organizations=["system:masters"])
        kcm_crt, kcm_key = pki.issue("controller-manager", "system:kube-controller-manager")
        sch_crt, sch_key = pki.issue("scheduler", "system:kube-scheduler")
        # kwok plays every kubelet (node status, leases, pod status, deletions): cluster-admin.
        kwok_crt, kwok_key = pki.issue("kwok", "kwok-controller", organizations=["system:masters"])
        sa_key, sa_pub = pki.service_account_keys()

        etcd_port, etcd_peer = _free_port(), _free_port()
        api_port = _free_port()
        self.server = f"https://{LOCALHOST}:{api_port}"
        self.kubeconfig = write_kubeconfig(wd / "kubeconfig", self.server, ca, admin_crt, admin_key)
        kcm_kc = write_kubeconfig(wd / "controller-manager.kubeconfig", self.server, ca, kcm_crt,
                                  kcm_key, user="system:kube-controller-manager")
        sch_kc = write_kubeconfig(wd / "scheduler.kubeconfig", self.server, ca, sch_crt, sch_key,
                                  user="system:kube-scheduler")
        kwok_kc = write_kubeconfig(wd / "kwok.kubeconfig", self.server, ca, kwok_crt, kwok_key,
                                   user="kwok")
        timeout = self.startup_timeout

        # etcd ---------------------------------------------------------------
        etcd_url = f"http://{LOCALHOST}:{etcd_port}"
        peer_url = f"http://{LOCALHOST}:{etcd_peer}"
        etcd = self._spawn("etcd", [
            str(b["etcd"]), "--name=comind", f"--data-dir={wd / 'etcd'}",
            f"--listen-client-urls={etcd_url}", f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}", f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=comind={peer_url}", "--initial-cluster-state=new",
            "--unsafe-no-fsync=true", "--log-level=warn",
            "--quota-backend-bytes=2147483648",
        ])
        _wait_for("etcd /health", lambda: _http_ok(f"{etcd_url}/health", b'"health":"true"'),
                  timeout, [etcd])
        self._mark("etcd")

        # kube-apiserver -----------------------------------------------------
        api = self._spawn("kube-apiserver", [
            str(b["kube-apiserver"]),
            f"--etcd-servers={etcd_url}",
            f"--bind-address={LOCALHOST}", f"--advertise-address={LOCALHOST}",
            f"--secure-port={api_port}",
            f"--cert-dir={wd / 'apiserver-certs'}",
            f"--tls-cert-file={srv_crt}", f"--tls-private-key-file={srv_key}",
            f"--client-ca-file={ca}",
            "--authorization-mode=RBAC",
            f"--service-account-key-file={sa_pub}",
            f"--service-account-signing-key-file={sa_key}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            # The lease reconciler would publish the advertise address (127.0.0.1) as the
            # endpoint of Service "kubernetes", which Endpoints validation refuses (loopback).
            "--endpoint-reconciler-type=none",
            "--allow-privileged=true",
            # benchmarks/bench_gitops.py --profile reads the apiserver's CPU profile
            f"--profiling={'true' if os.environ.get('COMIND_KUBE_PROFILING') else 'false'}",
            "--v=1",
        ])
        ctx = ssl.create_default_context(cafile=str(ca))
        ctx.load_cert_chain(str(admin_crt), str(admin_key))
        self._ssl = ctx
        _wait_for("kube-apiserver /readyz",
                  lambda: _http_ok(f"{self.server}/readyz", b"ok", ctx), timeout, [etcd, api])

        from kubernetes import client, config

        self.api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(self.kubeconfig))
        self.version = client.VersionApi(self.api_client).get_code().git_version
        self._mark("kube-apiserver")


        # controller-manager, scheduler, kwok --------------------------------
        kcm = self._spawn("kube-controller-manager", [
            str(b["kube-controller-manager"]),
            f"--kubeconfig={kcm_kc}",
            f"--authentication-kubeconfig={kcm_kc}", f"--authorization-kubeconfig={kcm_kc}",
            f"--bind-address={LOCALHOST}", "--secure-port=0",
            "--leader-elect=false",
            f"--service-account-private-key-file={sa_key}",
            f"--root-ca-file={ca}",
            "--use-service-account-credentials=true",
            f"--cluster-signing-cert-file={ca}", f"--cluster-signing-key-file={pki.ca_key_path}",
            # deployment, replicaset, endpointslice(+mirroring), namespace, serviceaccount(+token),
            # garbagecollector, nodelifecycle (removes the not-ready taint) … are all in "*".
            "--controllers=*",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--profiling=false",
            "--v=1",
        ])
        sch = self._spawn("kube-scheduler", [
            str(b["kube-scheduler"]),
            f"--kubeconfig={sch_kc}",
            f"--authentication-kubeconfig={sch_kc}", f"--authorization-kubeconfig={sch_kc}",
            f"--bind-address={LOCALHOST}", "--secure-port=0",
            "--leader-elect=false", "--profiling=false", "--v=1",
        ])
        kwok = self._spawn("kwok", [
            str(b["kwok"]),
            f"--kubeconfig={kwok_kc}",
            f"--config={b['kwok-stages']}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}={KWOK_NODE_VALUE}",
            f"--cidr={POD_CIDR}",
            "--node-lease-duration-seconds=40",
        ])
        procs = [etcd, api, kcm, sch, kwok]

        # Argo CD CRDs: created in a thread while the others start (ApplicationSet's is 1.4 MB)
        crd_future = None
        if self.install_argocd_crds:
            crds = argocd_crds_dir()
            files = sorted(crds.glob("*-crd.yaml")) if crds.is_dir() else []
            if not files:
                self.argocd_crds_error = (
                    f"Argo CD CRDs not found at {crds} (set COMIND_ARGOCD_CRDS to a folder "
                    f"holding application-crd.yaml, appproject-crd.yaml, applicationset-crd.yaml)"
                )
            else:
                pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="crds")
                crd_future = pool.submit(self._create_crds, files)

        from kubernetes.client.exceptions import ApiException

        core: Any = client.CoreV1Api(self.api_client)

        def default_sa() -> bool:
            try:
                core.read_namespaced_service_account("default", "default")
                return True
            except ApiException as exc:
                if exc.status == 404:
                    return False
                raise

        _wait_for("the controller-manager to create serviceaccount default/default", default_sa,
                  timeout, procs)
        self._mark("kube-controller-manager")

        # fake nodes -----------------------------------------------------------
        self.node_names = [f"kwok-node-{i}" for i in range(self.node_count)]
        for name in self.node_names:
            core.create_node(_fake_node(name))

        def nodes_ready() -> bool:
            nodes = {n.metadata.name: n for n in core.list_node().items}
            for name in self.node_names:
                n = nodes.get(name)
                if n is None or n.spec.taints:
                    return False
                if not any(c.type == "Ready" and c.status == "True"
                           for c in (n.status.conditions or [])):
                    return False
            return True

        _wait_for(f"{self.node_count} kwok nodes to be Ready and untainted", nodes_ready, timeout,
                  procs)
        self._mark("nodes")

        if crd_future is not None:
            try:
                names = crd_future.result(timeout=timeout)
                self._mark("crds-created")
            finally:
                pool.shutdown(wait=True)
            self._await_crds(names, timeout, procs)

    def _create_crds(self, files: list[Path]) -> list[str]:
        """Create the CRDs (run in a thread while the other components start)."""
        from kubernetes import client

        ext: Any = client.ApiextensionsV1Api(self.api_client)
        names = []
        for f in files:
            for doc in yaml.load_all(f.read_text(), Loader=_YAML_LOADER):
                if doc and doc.get("kind") == "CustomResourceDefinition":
                    ext.create_custom_resource_definition(doc)
                    names.append(doc["metadata"]["name"])
        return names

    def _await_crds(self, names: list[str], timeout: float, procs: list[_Proc]) -> None:
        from kubernetes import client

        ext: Any = client.ApiextensionsV1Api(self.api_client)

        def established() -> bool:
            for n in names:
                crd = ext.read_custom_resource_definition(n)
                conds = crd.status.conditions or []
                if not any(c.type == "Established" and c.status == "True" for c in conds):
                    return False
            return True

        _wait_for(f"CRDs {', '.join(names)} to be Established", established, timeout, procs)
        self._mark("crds-established")
        self._wait_served(ARGOCD_GROUP, ARGOCD_VERSION, {"applications", "appprojects",
                                                         "applicationsets"}, timeout)
        self.argocd_crds = names
        self._mark("argocd-crds")

    def _mark(self, phase: str) -> None:
        self.timings[phase] = round(time.monotonic() - self._t0, 2)

    def _wait_served(self, group: str, version: str, plurals: set[str], timeout: float) -> None:
        def served() -> bool:
            data = self.request("GET", f"/apis/{group}/{version}")[1]
            return plurals <= {r["name"] for r in data.get("resources", [])}

        _wait_for(f"{group}/{version} {sorted(plurals)} in discovery", served, timeout,
                  self._procs)

    # ----------------------------------------------------------------- helpers

    def require_argocd_crds(self) -> None:
        """Raise ArgoCDCRDsMissing("Argo CD CRDs not found at …") unless they are installed."""
        if self.argocd_crds_error:
            raise ArgoCDCRDsMissing(self.argocd_crds_error)
        if not self.install_argocd_crds:
            raise ArgoCDCRDsMissing("Argo CD CRDs were not requested (install_argocd_crds=False)")

    def request(self, method: str, path: str, body: Any = None, *,
                content_type: str = "application/json", authenticated: bool = True,
                timeout: float = 30.0) -> tuple[int, Any]:
        """Raw HTTPS request to the apiserver; returns (status, parsed JSON or text).

        ``authenticated=False`` sends no client certificate (still verifies the server).
        """
        if authenticated:
            ctx = self._ssl
        else:
            assert self.workdir is not None
            ctx = ssl.create_default_context(cafile=str(self.workdir / "pki" / "ca.crt"))
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method,
                                     headers={"Content-Type": content_type,
                                              "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Run the real kubectl against this cluster (``$KUBECTL`` or kubectl on PATH)."""
        exe = os.environ.get("KUBECTL") or shutil.which("kubectl")
        if not exe:
            raise MissingBinaryError("kubectl not found on PATH (set KUBECTL)")
        proc = subprocess.run([exe, f"--kubeconfig={self.kubeconfig}", *args], input=input,
                              capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "HOME": str(self.workdir)})
        if check and proc.returncode != 0:
            raise KubeClusterError(
                f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}{proc.stdout}")
        return proc

    @property
    def dynamic(self) -> Any:
        """A kubernetes.dynamic.DynamicClient (discovery cache kept in the workdir)."""
        if self._dynamic is None:
            from kubernetes.dynamic import DynamicClient

            assert self.workdir is not None
            self._dynamic = DynamicClient(self.api_client,  # type: ignore[no-untyped-call]
                                          cache_file=str(self.workdir / "discovery.json"))
        return self._dynamic

    def _resource(self, api_version: str, kind: str) -> Any:
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        try:
            return self.dynamic.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            self.dynamic.invalidate_cache()
            return self.dynamic.resources.get(api_version=api_version, kind=kind)

    def apply(self, manifests: str | Mapping[str, Any] | Iterable[Mapping[str, Any]], *,
              namespace: str | None = None, field_manager: str = "comind-tests",
              force: bool = True) -> list[dict[str, Any]]:
        """Server-side apply YAML text (multi-document) or object dicts; returns the results.

        ``namespace`` fills in namespaced objects that carry none. ``List`` kinds are unpacked.
        """
        if isinstance(manifests, str):
            docs = [d for d in yaml.load_all(manifests, Loader=_YAML_LOADER) if d]
        elif isinstance(manifests, Mapping):
            docs = [dict(manifests)]
        else:
            docs = [dict(d) for d in manifests if d]
        flat: list[dict[str, Any]] = []
        for d in docs:
            if d.get("kind", "").endswith("List") and "items" in d:
                flat.extend(d["items"])
            else:
                flat.append(d)
        out = []
        for obj in flat:
            res = self._resource(obj["apiVersion"], obj["kind"])
            ns = None
            if res.namespaced:
                ns = obj.get("metadata", {}).get("namespace") or namespace or "default"
            result = self.dynamic.server_side_apply(res, body=obj, name=obj["metadata"]["name"],
                                                    namespace=ns, field_manager=field_manager,
                                                    force_conflicts=force)
            out.append(result.to_dict())
        return out

    def get(self, api_version: str, kind: str, name: str,
            namespace: str | None = None) -> dict[str, Any]:
        res = self._resource(api_version, kind)
        return cast(dict[str, Any], self.dynamic.get(res, name=name, namespace=namespace).to_dict())

    def get_application(self, name: str, namespace: str = "argocd") -> dict[str, Any]:
        self.require_argocd_crds()
        return self.get(f"{ARGOCD_GROUP}/{ARGOCD_VERSION}", "Application", name, namespace)

    def wait_deployment_available(self, name: str, namespace: str = "default",
                                  timeout: float = 90.0) -> dict[str, Any]:
        """Wait until the Deployment is rolled out: Available, all replicas updated and available."""
        from kubernetes import client

        apps: Any = client.AppsV1Api(self.api_client)
        last: dict[str, Any] = {}

        def available() -> dict[str, Any] | None:
            d = apps.read_namespaced_deployment(name, namespace)
            last["status"] = d.status.to_dict() if d.status else None
            want = d.spec.replicas if d.spec.replicas is not None else 1
            st = d.status
            ok = (st is not None and (st.observed_generation or 0) >= d.metadata.generation
                  and (st.updated_replicas or 0) == want and (st.available_replicas or 0) == want
                  and (st.replicas or 0) == want
                  and any(c.type == "Available" and c.status == "True"
                          for c in (st.conditions or [])))
            return self.api_client.sanitize_for_serialization(d) if ok else None

        try:
            return _wait_for(f"deployment {namespace}/{name} to be available", available, timeout,
                             self._procs)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; last status: {last.get('status')}") from exc

    def ready_endpoints(self, service: str, namespace: str = "default") -> list[str]:
        """Addresses of ready endpoints in the Service's EndpointSlices."""
        from kubernetes import client

        slices = client.DiscoveryV1Api(self.api_client).list_namespaced_endpoint_slice(
            namespace, label_selector=f"kubernetes.io/service-name={service}")
        addrs = []
        for s in slices.items:
            for ep in s.endpoints or []:
                if ep.conditions and ep.conditions.ready:
                    addrs.extend(ep.addresses)
        return sorted(addrs)

    def wait_endpoints_ready(self, service: str, namespace: str = "default", count: int = 1,
                             timeout: float = 60.0) -> list[str]:
        return _wait_for(f"{count} ready endpoints of service {namespace}/{service}",
                         lambda: (lambda a: a if len(a) >= count else None)(
                             self.ready_endpoints(service, namespace)),
                         timeout, self._procs)

    def create_namespace(self, name: str, labels: Mapping[str, str] | None = None) -> None:
        from kubernetes import client

        core: Any = client.CoreV1Api(self.api_client)
        core.create_namespace(
            {"metadata": {"name": name, "labels": dict(labels or {})}})

    def delete_namespace(self, name: str) -> None:
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        try:
            client.CoreV1Api(self.api_client).delete_namespace(name)
        except ApiException as exc:
            if exc.status != 404:
                raise

    def env(self) -> dict[str, str]:
        """os.environ plus KUBECONFIG for this cluster: for subprocesses (kubectl, the product's CLI)."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}

    def wait_for(self, what: str, check: Callable[[], T | None], timeout: float = 60.0,
                 interval: float = 0.2) -> T:
        """Poll ``check`` until truthy (returned); TimeoutError naming ``what``; fails fast if a
        control-plane process died."""
        return _wait_for(what, check, timeout, self._procs, interval)

    def log_tails(self, lines: int = 30) -> str:
        return "\n".join(f"---- {p.name} ----\n{p.tail(lines)}" for p in self._procs)


def _fake_node(name: str) -> dict[str, Any]:
    capacity = {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "1Ti"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {KWOK_NODE_ANNOTATION: KWOK_NODE_VALUE,
                            "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "type": "kwok",
                KWOK_NODE_ANNOTATION: KWOK_NODE_VALUE,
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node-role.kubernetes.io/agent": "",
            },
        },
        "spec": {},
        "status": {"capacity": capacity, "allocatable": capacity},
    }


def _http_ok(url: str, expect: bytes, ctx: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=5) as resp:
            return resp.status == 200 and expect in resp.read()
    except (urllib.error.URLError, OSError):
        return False
