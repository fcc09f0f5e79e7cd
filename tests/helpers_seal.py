"""Helpers for the `comind seal` tests: a platform copy, a throw-away controller key, the controller's decrypt."""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import struct
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]


def copy_platform(where: Path) -> Path:
    """This repository's own platform (answers, infra, k8s, the two sample apps) copied to `where`."""
    where.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / ".copier-answers.yml", where / ".copier-answers.yml")
    for part in ("apps", "infra", "k8s"):
        shutil.copytree(REPO_ROOT / part, where / part,
                        ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "__pycache__"))
    return where


def make_key(folder: Path, bits: int = 2048) -> tuple[Any, Path]:
    """An RSA key and a self-signed certificate PEM of it, as the controller makes (CN sealed-secret)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cert.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, path


def controller_decrypt(private_key: Any, value: str, label: bytes) -> bytes:
    """What the controller's HybridDecrypt does, written from its documented layout (for offline tests only)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = base64.b64decode(value)
    (length,) = struct.unpack(">H", raw[:2])
    wrapped, sealed = raw[2:2 + length], raw[2 + length:]
    session = private_key.decrypt(wrapped, padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()),
                                                        algorithm=hashes.SHA256(), label=label or None))
    return AESGCM(session).decrypt(bytes(12), sealed, None)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` by relative path (to show that nothing was written)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
