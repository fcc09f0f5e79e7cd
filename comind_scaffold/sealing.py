"""`comind seal`: SealedSecrets sealed offline into an app's overlay, with the platform's public certificate.

This module checks the values and writes the SealedSecret and its place in the overlay's kustomization;
the encryption is sealing_crypto.py, the certificate (where it is kept, fetching it) sealing_cert.py.
Nothing here ever writes a plaintext Secret.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from comind_scaffold import constants as c
from comind_scaffold._files import write_atomic
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.sealing_cert import find_certificate
from comind_scaffold.sealing_crypto import encryption_label, hybrid_encrypt, load_public_key
from comind_scaffold.tf import find_app

__all__ = ["SCOPES", "SealResult", "parse_env_file", "parse_literals", "seal"]

SCOPES = ("strict", "namespace-wide", "cluster-wide")
_SCOPE_ANNOTATIONS = {
    "namespace-wide": "sealedsecrets.bitnami.com/namespace-wide",
    "cluster-wide": "sealedsecrets.bitnami.com/cluster-wide",
}
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")  # Kubernetes' rule for Secret data keys
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


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
    write_atomic(kustomization, text)




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
    write_atomic(target, header + yaml.safe_dump(document, sort_keys=False, width=1_000_000))
    if not _listed(kdata, filename):
        _add_resource(kustomization, filename)
    return SealResult(app_name, env, name, namespace, scope, target, kustomization, sorted(data), kept, cert_path)
