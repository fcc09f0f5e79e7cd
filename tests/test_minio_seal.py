"""Where the known answers of the localdev provider's MinIO admin sealing come from, checked.

comind_scaffold/provider_localdev/minio_admin_test.go holds sealed bytes for a fixed salt and nonce. Here they are
derived again with Python's cryptography and argon2-cffi, written from madmin-go's EncryptData format (not from
the provider's Go), and decrypted with MinIO's own Python SDK, so the Go test's vectors are independent of the
code they test.
"""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from minio.crypto import decrypt
from urllib3.response import HTTPResponse

from tests.helpers_scaffold import REPO_ROOT

GO_TEST = REPO_ROOT / "comind_scaffold/provider_localdev/minio_admin_test.go"
SALT = bytes(range(32))
NONCE = bytes(range(0xA0, 0xA8))
FRAGMENT = 16 * 1024


def _pattern(size: int) -> bytes:
    return bytes(index % 251 for index in range(size))


# In the order of sealVectors in the Go test.
VECTORS = [
    ("minio-admin-secret", b'{"secretKey":"s3cr3t-value","status":"enabled"}'),
    ("minio-admin-secret", b""),
    ("another password", _pattern(FRAGMENT)),
    ("another password", _pattern(2 * FRAGMENT + 5)),
]


def madmin_encrypt(password: str, payload: bytes) -> bytes:
    """salt | AEAD id 0 (AES-256-GCM) | nonce | fragments; key argon2id(t=1, m=64 MiB, p=4); fragment i (from 1)
    sealed under nonce || i (uint32 little endian) with associated data flag || tag of nothing under nonce || 0,
    the flag 0x80 on the last fragment, 0x00 before."""
    key = hash_secret_raw(password.encode(), SALT, time_cost=1, memory_cost=64 * 1024, parallelism=4, hash_len=32,
                          type=Type.ID)
    aead = AESGCM(key)
    tag = aead.encrypt(NONCE + (0).to_bytes(4, "little"), b"", None)
    fragments = [payload[start:start + FRAGMENT] for start in range(0, len(payload), FRAGMENT)] or [b""]
    sealed = SALT + b"\x00" + NONCE
    for index, fragment in enumerate(fragments, start=1):
        flag = b"\x80" if index == len(fragments) else b"\x00"
        sealed += aead.encrypt(NONCE + index.to_bytes(4, "little"), fragment, flag + tag)
    return sealed


def _go_vectors() -> list[dict[str, str]]:
    text = GO_TEST.read_text()
    body = text[text.index("var sealVectors"):text.index("\n}\n", text.index("var sealVectors"))]
    vectors = []
    for entry in re.findall(r"\n\t\{\n(.*?)\n\t\},", body, re.S):
        fields = {}
        for name in ("length", "sealed", "digest"):
            found = re.search(rf"\b{name}:\s+(.*?),\n", entry + ",\n", re.S)
            if found:
                fields[name] = "".join(re.findall(r'"([0-9a-f]*)"', found[1])) if name != "length" else found[1]
        vectors.append(fields)
    return vectors


def test_the_go_vectors_are_the_ones_derived_from_the_format() -> None:
    go = _go_vectors()
    assert len(go) == len(VECTORS)
    for fields, (password, payload) in zip(go, VECTORS, strict=True):
        sealed = madmin_encrypt(password, payload)
        assert fields["length"] == str(len(sealed))
        assert fields["digest"] == hashlib.sha256(sealed).hexdigest()
        if "sealed" in fields:
            assert fields["sealed"] == sealed.hex()


@pytest.mark.parametrize("which", [0, 2, 3])
def test_minio_decrypts_the_derived_vectors(which: int) -> None:
    password, payload = VECTORS[which]
    response = HTTPResponse(body=io.BytesIO(madmin_encrypt(password, payload)), preload_content=False)
    assert decrypt(response, password) == payload
    response = HTTPResponse(body=io.BytesIO(madmin_encrypt(password, payload)), preload_content=False)
    with pytest.raises(ValueError):
        decrypt(response, password + "x")
