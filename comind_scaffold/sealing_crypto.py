"""The sealed-secrets controller's encryption, done offline: what `comind seal` puts in `encryptedData`.

The format is the controller's own (bitnami-labs/sealed-secrets `pkg/crypto`, HybridEncrypt): a fresh 32-byte
AES-256 session key encrypts the value with AES-GCM under an all-zero 12-byte nonce (the key is used once) and
no additional data; the session key is encrypted with RSA-OAEP (SHA-256, MGF1-SHA-256) under the controller's
public key, with a label that binds the value to where it may be unsealed (strict: `namespace/name`,
namespace-wide: `namespace`, cluster-wide: empty). Each `encryptedData` value is the standard base64 of
`len(rsa_ciphertext)` (2 bytes, big-endian) + the RSA ciphertext + the AES-GCM ciphertext and tag.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from typing import Any

from comind_scaffold.errors import InputError

__all__ = ["encryption_label", "hybrid_encrypt", "load_public_key"]

_SESSION_KEY_BYTES = 32
_GCM_NONCE = bytes(12)  # the session key encrypts one value only, so a zero nonce is safe (as upstream does)


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
