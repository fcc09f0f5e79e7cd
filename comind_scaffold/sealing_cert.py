"""The sealed-secrets controller's public certificate: where the platform keeps it, and fetching it from the cluster.

The certificate is the one of the cluster the overlay deploys to: `--cert`, else the platform's
`.comind/sealed-secrets-<profile>.pem`, which `comind seal --fetch-cert` writes (one cluster per profile, so
one certificate per profile; every environment of a profile shares it). It is the public half only, but it
stays under the git-ignored `.comind/` because `comind validate` takes a committed PEM for a leaked key.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comind_scaffold import constants as c
from comind_scaffold._files import write_atomic
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.sealing_crypto import load_public_key

__all__ = [
    "CERT_FILE",
    "CONTROLLER_NAME",
    "CONTROLLER_NAMESPACE",
    "FetchedCert",
    "fetch_certificate",
    "find_certificate",
    "platform_certificate",
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
    write_atomic(out, pem.decode("ascii"))
    return FetchedCert(out, source, certificate.not_valid_after_utc.isoformat())
