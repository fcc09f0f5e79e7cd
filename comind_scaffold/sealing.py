"""`comind seal`: SealedSecrets sealed offline with the platform's public certificate.

The format is the sealed-secrets controller's own (bitnami-labs/sealed-secrets `pkg/crypto`, HybridEncrypt):
a fresh 32-byte AES-256 session key encrypts the value with AES-GCM under an all-zero 12-byte nonce (the key
is used once) and no additional data; the session key is encrypted with RSA-OAEP (SHA-256, MGF1-SHA-256)
under the controller's public key, with a label that binds the value to where it may be unsealed (strict:
`namespace/name`, namespace-wide: `namespace`, cluster-wide: empty). Each `encryptedData` value is the
standard base64 of `len(rsa_ciphertext)` (2 bytes, big-endian) + the RSA ciphertext + the AES-GCM ciphertext
and tag. Nothing here ever writes a plaintext Secret.

The certificate is the one of the cluster the overlay deploys to: `--cert`, else the platform's
`.comind/sealed-secrets-<profile>.pem`, which `comind seal --fetch-cert` writes (one cluster per profile, so
one certificate per profile; every environment of a profile shares it). It is the public half only, but it
stays under the git-ignored `.comind/` because `comind validate` takes a committed PEM for a leaked key.
"""

from __future__ import annotations

import base64
import os
import re
import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from comind_scaffold import constants as c
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.tf import find_app

__all__ = [
    "CERT_FILE",
    "CONTROLLER_NAME",
    "CONTROLLER_NAMESPACE",
    "SCOPES",
    "FetchedCert",
    "SealResult",
    "encryption_label",
    "fetch_certificate",
    "find_certificate",
    "platform_certificate",
    "hybrid_encrypt",
    "load_public_key",
    "parse_env_file",
    "parse_literals",
    "seal",
]

# Where the controller runs on both profiles (infra/terraform/environments/*: the sealed-secrets chart). Its
# Service is `sealed-secrets-controller` with the chart's fullnameOverride (kubeseal's default), else the
# release name `sealed-secrets`; both are tried.
CONTROLLER_NAMESPACE = "sealed-secrets"
CONTROLLER_NAME = "sealed-secrets-controller"
CONTROLLER_NAMES = (CONTROLLER_NAME, "sealed-secrets")
CONTROLLER_PORT_NAME = "http"
KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key"
CERT_FILE = c.SEALED_SECRETS_CERT

SCOPES = ("strict", "namespace-wide", "cluster-wide")
_SCOPE_ANNOTATIONS = {
    "namespace-wide": "sealedsecrets.bitnami.com/namespace-wide",
    "cluster-wide": "sealedsecrets.bitnami.com/cluster-wide",
}
_SESSION_KEY_BYTES = 32
_GCM_NONCE = bytes(12)  # the session key encrypts one value only, so a zero nonce is safe (as upstream does)

_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")  # Kubernetes' rule for Secret data keys
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


# --------------------------------------------------------------------------- the format


def encryption_label(namespace: str, name: str, scope: str = "strict") -> bytes:
    """The RSA-OAEP label that ties a value to where the controller may unseal it."""
    if scope == "cluster-wide":
        return b""
    if scope == "namespace-wide":
        return namespace.encode()
    return f"{namespace}/{name}".encode()


def hybrid_encrypt(public_key: Any, plaintext: bytes, label: bytes,
                   random: Callable[[int], bytes] = os.urandom) -> bytes:
    """Encrypt one value the way the controller decrypts it (see the module docstring)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    session_key = random(_SESSION_KEY_BYTES)
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(),
                        label=label or None)
    wrapped: bytes = public_key.encrypt(session_key, oaep)
    return struct.pack(">H", len(wrapped)) + wrapped + AESGCM(session_key).encrypt(_GCM_NONCE, plaintext, None)


def load_public_key(pem: bytes, source: str) -> Any:
    """The RSA public key of a PEM certificate (or PEM public key); InputError names `source` otherwise."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key: object
    try:
        key = x509.load_pem_x509_certificate(pem).public_key()
    except ValueError:
        try:
            key = load_pem_public_key(pem)
        except ValueError as err:
            raise InputError("cert", f"{source}: not a PEM certificate or public key") from err
    if not isinstance(key, rsa.RSAPublicKey):
        raise InputError("cert", f"{source}: the sealed-secrets controller uses RSA keys; this one is not RSA")
    return key


# --------------------------------------------------------------------------- input


def _check_key(field: str, key: str) -> None:
    if not key:
        raise InputError(field, "the key before '=' is empty")
    if not _SECRET_KEY.fullmatch(key) or len(key) > 253:
        raise InputError(field, f"key {key!r} must be letters, digits, '-', '_' or '.' (at most 253), "
                                "as Kubernetes requires of Secret keys")


def parse_literals(items: Iterable[str]) -> dict[str, str]:
    """`K=V` pairs (the value may hold '='); every key once, no value empty."""
    data: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError("--from-literal", f"{item.split('=')[0]!r} must be KEY=VALUE")
        _check_key("--from-literal", key)
        if not value:
            raise InputError("--from-literal", f"{key}: the value is empty")
        if key in data:
            raise InputError("--from-literal", f"{key}: given twice")
        data[key] = value
    return data


def parse_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as kubectl's --from-env-file reads them.

    '#' comments and blank lines are skipped, the value taken as written (no quote removal); every key once, no
    value empty.
    """
    field = "--from-env-file"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise InputError(field, f"{path}: no such file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(field, f"{path}: cannot be read as UTF-8 text ({err.__class__.__name__})") from err
    data: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        where = f"{path}:{number}"
        if not sep:
            raise InputError(field, f"{where}: must be KEY=VALUE")
        _check_key(f"{field} {where}", key)
        if not value:
            raise InputError(field, f"{where}: {key}: the value is empty")
        if key in data:
            raise InputError(field, f"{where}: {key}: given twice")
        data[key] = value
    if not data:
        raise InputError(field, f"{path}: holds no KEY=VALUE line")
    return data


def platform_certificate(repo: PlatformRepo, profile: str | None = None) -> Path:
    """Where the platform keeps the certificate of `profile`'s cluster (default: the platform's profile)."""
    chosen = profile or repo.spec.default_profile
    if chosen not in c.PROFILES:
        raise InputError("--profile", f"{chosen!r} must be one of {', '.join(c.PROFILES)}")
    return repo.root / CERT_FILE.format(profile=chosen)


def find_certificate(repo: PlatformRepo, cert: Path | None = None, profile: str | None = None) -> Path:
    """The certificate to seal with: `cert`, else the platform's for `profile`."""
    if cert is not None:
        if not cert.is_file():
            raise InputError("--cert", f"{cert}: no such file")
        return cert
    path = platform_certificate(repo, profile)
    if path.is_file():
        return path
    raise InputError(
        "cert", f"no sealed-secrets certificate: {path.relative_to(repo.root)} does not exist",
        hint="run `comind seal --fetch-cert` against the running platform, or pass --cert PEM",
    )


# --------------------------------------------------------------------------- sealing into an overlay


@dataclass(frozen=True)
class SealResult:
    """What `seal` wrote.

    Attributes:
        app: The app.
        env: The environment.
        name: The SealedSecret's (and the unsealed Secret's) name.
        namespace: Its namespace.
        scope: strict, namespace-wide or cluster-wide.
        file: The SealedSecret manifest.
        kustomization: The overlay's kustomization (lists `file`).
        keys: The keys sealed by this run.
        kept: Keys of an earlier run of the same SealedSecret, left as they were.
        cert: The certificate used.

    """

    app: str
    env: str
    name: str
    namespace: str
    scope: str
    file: Path
    kustomization: Path
    keys: list[str]
    kept: list[str]
    cert: Path

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"app": self.app, "env": self.env, "name": self.name, "namespace": self.namespace,
                "scope": self.scope, "file": str(self.file), "kustomization": str(self.kustomization),
                "keys": self.keys, "kept": self.kept, "cert": str(self.cert)}


def _read_yaml(path: Path, what: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise TemplateError(f"{path}: cannot be read as the {what} ({err.__class__.__name__})") from err


def _overlay(repo: PlatformRepo, app_name: str, env: str) -> tuple[Path, dict[str, Any], str]:
    app = find_app(repo, app_name)
    if env not in app.environments:
        raise InputError("--env", f"{env!r} is not an environment of {app_name} (has: {', '.join(app.environments)})")
    overlay = repo.app_dir(app_name) / c.APP_K8S_OVERLAYS / env
    kustomization = overlay / "kustomization.yaml"
    if not kustomization.is_file():
        raise TemplateError(f"{kustomization}: missing (render the app with `comind update {app_name}`)")
    data = _read_yaml(kustomization, "overlay's kustomization")
    if not isinstance(data, dict):
        raise TemplateError(f"{kustomization}: not a kustomization (a mapping)")
    if data.get("namePrefix") or data.get("nameSuffix"):
        # The name is part of the strict-scope label: kustomize renaming the object would break unsealing.
        raise TemplateError(f"{kustomization}: namePrefix/nameSuffix would rename the SealedSecret after sealing")
    namespace = str(data.get("namespace") or app.namespace(env))
    return kustomization, data, namespace


def _existing(path: Path, scope: str) -> dict[str, str]:
    """The `encryptedData` of an earlier SealedSecret in `path` (same scope), else {}."""
    if not path.is_file():
        return {}
    doc = _read_yaml(path, "SealedSecret")
    if not isinstance(doc, dict) or doc.get("kind") != "SealedSecret":
        raise TemplateError(f"{path}: exists and is not a SealedSecret; move it away or choose another --name")
    annotations = (doc.get("metadata") or {}).get("annotations") or {}
    had = next((s for s, a in _SCOPE_ANNOTATIONS.items() if annotations.get(a) == "true"), "strict")
    if had != scope:
        raise InputError("--scope", f"{path.name} is sealed {had}; values of one SealedSecret share one scope")
    encrypted = (doc.get("spec") or {}).get("encryptedData") or {}
    return {str(k): str(v) for k, v in encrypted.items()}


def _listed(data: Mapping[str, Any], filename: str) -> bool:
    return filename in [str(r) for r in (data.get("resources") or [])]


def _add_resource(kustomization: Path, filename: str) -> None:
    """Append `filename` to the kustomization's `resources:` list, keeping every other line as it is."""
    lines = kustomization.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if re.fullmatch(r"resources:\s*(#.*)?", line)), None)
    if start is None:
        if any(re.match(r"resources:", line) for line in lines):
            raise TemplateError(f"{kustomization}: `resources:` is not a block list; add {filename} by hand")
        lines += ["resources:", f"  - {filename}"]
    else:
        end, indent = start, "  "
        for i in range(start + 1, len(lines)):
            item = re.match(r"(\s*)- ", lines[i])
            if item:
                end, indent = i, item.group(1)
            elif lines[i].strip() and not lines[i].lstrip().startswith("#"):
                break
        lines.insert(end + 1, f"{indent}- {filename}")
    text = "\n".join(lines) + "\n"
    parsed = yaml.safe_load(text)
    if not isinstance(parsed, dict) or not _listed(parsed, filename):  # never leave a broken overlay behind
        raise TemplateError(f"{kustomization}: could not add {filename} to resources; add it by hand")
    _write(kustomization, text)


def _write(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def seal(repo: PlatformRepo, app_name: str, env: str, data: Mapping[str, str], *, name: str | None = None,
         cert: Path | None = None, scope: str = "strict", profile: str | None = None) -> SealResult:
    """Seal `data` for `app_name`'s `env` namespace into `apps/APP/k8s/overlays/ENV/sealedsecret-NAME.yaml`.

    Every input is checked before anything is written. An existing SealedSecret of the same name keeps the
    keys this run does not give.

    Raises:
        InputError: Unknown app or environment, bad name or scope, no data, no usable certificate.
        TemplateError: The overlay is missing or cannot take the SealedSecret.

    """
    if scope not in SCOPES:
        raise InputError("--scope", f"{scope!r} must be one of {', '.join(SCOPES)}")
    if not data:
        raise InputError("data", "nothing to seal: give --from-literal KEY=VALUE or --from-env-file FILE")
    for key, value in data.items():
        _check_key("data", key)
        if not value:
            raise InputError("data", f"{key}: the value is empty")
    kustomization, kdata, namespace = _overlay(repo, app_name, env)
    name = name or f"{app_name}-secrets"
    if not _DNS_SUBDOMAIN.fullmatch(name) or len(name) > 253:
        raise InputError("--name", f"{name!r} must be a DNS-1123 subdomain (lower-case letters, digits, '-', '.')")
    cert_path = find_certificate(repo, cert, profile)
    public_key = load_public_key(cert_path.read_bytes(), str(cert_path))
    filename = f"sealedsecret-{name}.yaml"
    target = kustomization.parent / filename
    encrypted = _existing(target, scope)
    kept = sorted(set(encrypted) - set(data))
    label = encryption_label(namespace, name, scope)
    for key in sorted(data):
        encrypted[key] = base64.b64encode(hybrid_encrypt(public_key, data[key].encode("utf-8"), label)).decode()

    labels = {c.LABEL_MANAGED_BY: c.MANAGED_BY, c.LABEL_APP: app_name, c.LABEL_ENV: env}
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if scope in _SCOPE_ANNOTATIONS:
        metadata["annotations"] = {_SCOPE_ANNOTATIONS[scope]: "true"}
    document = {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": metadata,
        "spec": {
            "encryptedData": dict(sorted(encrypted.items())),
            "template": {"metadata": {"name": name, "namespace": namespace, "labels": labels}, "type": "Opaque"},
        },
    }
    header = (f"# Sealed by `comind seal {app_name} --env {env}` ({scope} scope) with {cert_path.name}; only the\n"
              "# sealed-secrets controller of that cluster can unseal it. Safe to commit; re-run to change values.\n")
    _write(target, header + yaml.safe_dump(document, sort_keys=False, width=1_000_000))
    if not _listed(kdata, filename):
        _add_resource(kustomization, filename)
    return SealResult(app_name, env, name, namespace, scope, target, kustomization, sorted(data), kept, cert_path)


# --------------------------------------------------------------------------- the certificate from the cluster


@dataclass(frozen=True)
class FetchedCert:
    """Where `fetch_certificate` wrote the certificate and where it got it from."""

    path: Path
    source: str
    not_after: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"path": str(self.path), "source": self.source, "not_after": self.not_after}


def fetch_certificate(kube: Any, out: Path, *, namespace: str = CONTROLLER_NAMESPACE,
                      controllers: Iterable[str] = CONTROLLER_NAMES) -> FetchedCert:
    """Fetch the controller's current public certificate and write it to `out`.

    First through the API server's service proxy (`/v1/cert.pem` of the controller, as kubeseal does; needs
    only `services/proxy`), else from the newest active key Secret in the controller's namespace (needs read
    access to Secrets there; only its `tls.crt`, the public half, is kept).

    Raises:
        ClusterUnreachableError: The API server cannot be reached.
        TemplateError: Neither source has a certificate (the controller is not installed or not ready).

    """
    from cryptography import x509

    pem: bytes | None = None
    proxy_errors: list[str] = []
    for controller in controllers:
        try:
            pem = kube.service_proxy_get(namespace, f"{controller}:{CONTROLLER_PORT_NAME}", "/v1/cert.pem")
        except LookupError as err:
            proxy_errors.append(str(err))
            continue
        source = f"service proxy {namespace}/{controller}"
        break
    if pem is None:
        secrets = kube.secrets_with_data(namespace, selector=f"{KEY_LABEL}=active")
        secrets.sort(key=lambda s: str((s.get("metadata") or {}).get("creationTimestamp", "")))
        crt = ((secrets[-1].get("data") or {}).get("tls.crt") if secrets else None)
        if not crt:
            raise TemplateError(
                f"no sealed-secrets certificate in the cluster: {'; '.join(proxy_errors) or 'no service to ask'}; "
                f"and no Secret labelled {KEY_LABEL}=active in namespace {namespace}",
                hint="is the sealed-secrets controller installed and running (comind bootstrap)?",
            )
        pem = base64.b64decode(crt)
        source = f"key Secret {namespace}/{secrets[-1]['metadata']['name']}"
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError as err:
        raise TemplateError(f"{source}: did not return a PEM certificate") from err
    load_public_key(pem, source)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write(out, pem.decode("ascii"))
    return FetchedCert(out, source, certificate.not_valid_after_utc.isoformat())
