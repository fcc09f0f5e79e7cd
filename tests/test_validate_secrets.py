"""Plaintext-secret findings: each rule on a file that breaks exactly it, and what must not be reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from comind_scaffold.constants import LOCAL_DEV_SECRET_MARKER
from comind_scaffold.validation.run import validate
from comind_scaffold.validation.secrets import scan_file
from tests.helpers_validate import build_file_tree, copy_fixture, failures

# A throwaway key-shaped string (random letters and digits), never a real credential.
GENERATED = "q8Zr3VtXw7LmB2nYc5KdH9sJf4GpA6eU"

PLANTED = {
    "secret-object": (
        "apps/api/k8s/base/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-db\nstringData:\n  password: hunter2\n",
        6,
    ),
    "sensitive-key-yaml": (
        "apps/api/values.yaml",
        "database:\n  host: postgresql\n  password: postgres\n",
        3,
    ),
    "sensitive-key-env-var": (
        "apps/api/k8s/base/extra.yaml",
        "env:\n  - name: APP_ENV\n    value: dev\n  - name: DB_PASSWORD\n    value: hunter2\n",
        5,
    ),
    "sensitive-key-generator-literal": (
        "apps/api/k8s/gen/kustomization.yaml",
        "secretGenerator:\n  - name: api\n    literals:\n      - LOG_LEVEL=info\n      - API_TOKEN=abc123\n",
        5,
    ),
    "sensitive-key-hcl": (
        "infra/terraform/modules/db/variables.tf",
        'variable "name" {\n  type = string\n}\n\n'
        'variable "db_password" {\n  type    = string\n  default = "changeme123"\n}\n',
        7,
    ),
    "sensitive-key-hcl-attribute": (
        "infra/terraform/modules/db/main.tf",
        'resource "x" "this" {\n  name     = var.name\n  password = "minioadmin"\n}\n',
        3,
    ),
    "sensitive-key-env-file": (
        "apps/api/.env",
        "# settings\nAPP_ENV=dev\nAPI_TOKEN=s3cr3t\n",
        3,
    ),
    "high-entropy": (
        "apps/api/notes.yaml",
        f"note: plain words here\nchecksum: {GENERATED}\n",
        2,
    ),
    "private-key": (
        "certs/tls.key",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n",
        1,
    ),
    "known-token": (
        "apps/api/ci.yaml",
        "aws:\n  region: us-west-2\n  id: AKIAIOSFODNN7EXAMPLE\n",
        3,
    ),
}
RULE = {case: case.split("-yaml")[0].split("-env")[0].split("-hcl")[0].split("-generator")[0] for case in PLANTED}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_planted_secret_is_named(tmp_path: Path, case: str) -> None:
    rel, text, line = PLANTED[case]
    repo = copy_fixture(tmp_path / "repo", {rel: text})

    report = validate(repo)

    found = [r for r in failures(report.results) if r.name.startswith("secrets.")]
    assert [(r.name, r.object) for r in found] == [(f"secrets.{RULE[case]}", f"{rel}:{line}")]
    assert "hunter2" not in found[0].message and GENERATED not in found[0].message


def test_marked_local_dev_default_is_allowed(tmp_path: Path) -> None:
    text = (
        f"# {LOCAL_DEV_SECRET_MARKER}: the local PostgreSQL only listens on 127.0.0.1\n"
        "password: postgres\n"
        f"root_password: minioadmin  # {LOCAL_DEV_SECRET_MARKER}\n"
        "api_key: unmarked-value\n"
    )
    path = build_file_tree(tmp_path, {"dev.yaml": text}) / "dev.yaml"

    found = scan_file(path, "dev.yaml")

    assert [(f.line, f.rule) for f in found] == [(4, "sensitive-key")]


def test_local_state_folder_is_not_read(tmp_path: Path) -> None:
    repo = copy_fixture(tmp_path / "repo", {".comind/local-credentials.yaml": "postgresql:\n  password: x7Gq2mZ9\n"})

    report = validate(repo)

    assert report.ok, [r.line() for r in report.failures]


@pytest.mark.parametrize(
    "text",
    [
        "secretName: api-infra\n",
        "existingSecret: api-infra\n",
        "automountServiceAccountToken: false\n",
        "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef: {name: api-infra, key: password}\n",
        'password: ""\n',
        "password: ${DB_PASSWORD}\n",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\ntype: kubernetes.io/service-account-token\n",
        "image: ghcr.io/acme/api@sha256:9b2f0c1d4e5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e\n",
        "path: apps/my-service/k8s/overlays/production-eu-west\n",
    ],
)
def test_references_and_placeholders_are_not_secrets(tmp_path: Path, text: str) -> None:
    path = build_file_tree(tmp_path, {"ok.yaml": text}) / "ok.yaml"

    assert scan_file(path, "ok.yaml") == []


def test_sealed_secret_ciphertext_is_not_a_secret(tmp_path: Path) -> None:
    sealed = (
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: api-db, namespace: api-prod}\n"
        f"spec:\n  encryptedData:\n    password: AgB{GENERATED}x9Qz\n"
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  checksum: {GENERATED}\n"
    )
    path = build_file_tree(tmp_path, {"sealed.yaml": sealed}) / "sealed.yaml"

    assert [(f.line, f.rule) for f in scan_file(path, "sealed.yaml")] == [(12, "high-entropy")]
