"""`comind seal` offline: the controller's format, the overlay it writes, bad input (exit 2, nothing written).

The real controller unsealing what `comind seal` writes is tests/test_seal_controller.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from comind_scaffold.cli import main
from comind_scaffold.sealing_crypto import encryption_label, hybrid_encrypt, load_public_key
from tests.helpers_seal import controller_decrypt, copy_platform, make_key, tree

OVERLAY = "apps/orders-api/k8s/overlays/dev"


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    return copy_platform(tmp_path / "platform")


@pytest.fixture
def key(tmp_path: Path) -> tuple[object, Path]:
    return make_key(tmp_path / "certs")


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_values_decrypt_only_with_their_label(key: tuple[object, Path]) -> None:
    private, cert = key
    public = load_public_key(cert.read_bytes(), "cert")
    label = encryption_label("shop-dev", "shop-secrets")
    assert label == b"shop-dev/shop-secrets"
    assert encryption_label("shop-dev", "x", "namespace-wide") == b"shop-dev"
    assert encryption_label("shop-dev", "x", "cluster-wide") == b""
    sealed = hybrid_encrypt(public, b"s3cr3t value", label)
    assert int.from_bytes(sealed[:2], "big") == 256  # a 2048-bit key wraps the session key in 256 bytes
    assert len(sealed) == 2 + 256 + len(b"s3cr3t value") + 16  # + the GCM tag
    import base64

    from cryptography.exceptions import InvalidTag

    encoded = base64.b64encode(sealed).decode()
    assert controller_decrypt(private, encoded, label) == b"s3cr3t value"
    with pytest.raises(ValueError):  # RSA-OAEP refuses another label: another name cannot unseal it
        controller_decrypt(private, encoded, b"shop-dev/other")
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(InvalidTag):
        controller_decrypt(private, base64.b64encode(bytes(tampered)).decode(), label)
    assert hybrid_encrypt(public, b"same", label) != hybrid_encrypt(public, b"same", label)  # fresh session keys


def test_seal_writes_a_sealed_secret_into_the_overlay(capsys: pytest.CaptureFixture[str], platform: Path,
                                                      key: tuple[object, Path], tmp_path: Path) -> None:
    private, cert = key
    before = (platform / OVERLAY / "kustomization.yaml").read_text()
    code, out, err = _run(capsys, "seal", "orders-api", "--env", "dev", "--from-literal", "API_TOKEN=abc=def",
                          "--from-literal", "PASSWORD=hunter2", "--cert", cert, "--platform-dir", platform)
    assert (code, err) == (0, "")
    assert "sealed API_TOKEN, PASSWORD into apps/orders-api/k8s/overlays/dev/sealedsecret-orders-api-secrets.yaml" \
        in out
    written = platform / OVERLAY / "sealedsecret-orders-api-secrets.yaml"
    text = written.read_text()
    assert "hunter2" not in text and "abc=def" not in text
    doc = yaml.safe_load(text)
    assert (doc["apiVersion"], doc["kind"]) == ("bitnami.com/v1alpha1", "SealedSecret")
    assert doc["metadata"] == {"name": "orders-api-secrets", "namespace": "orders-api-dev"}
    assert doc["spec"]["template"]["metadata"]["name"] == "orders-api-secrets"
    assert doc["spec"]["template"]["type"] == "Opaque"
    label = b"orders-api-dev/orders-api-secrets"
    assert {k: controller_decrypt(private, v, label) for k, v in doc["spec"]["encryptedData"].items()} == {
        "API_TOKEN": b"abc=def", "PASSWORD": b"hunter2"}
    # Only one line is added to the kustomization; everything else stays as it was.
    after = (platform / OVERLAY / "kustomization.yaml").read_text()
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added == ["  - sealedsecret-orders-api-secrets.yaml"]
    rendered = subprocess.run(["kubectl", "kustomize", str(platform / OVERLAY)], capture_output=True, text=True,
                              check=True).stdout
    kinds = [(d["kind"], d["metadata"].get("namespace")) for d in yaml.safe_load_all(rendered) if d]
    assert ("SealedSecret", "orders-api-dev") in kinds and not any(k == "Secret" for k, _ in kinds)

    # Again with one key from an env file: that key is re-sealed, the other kept, the resource listed once.
    env_file = tmp_path / "values.env"
    env_file.write_text("# comment\n\nPASSWORD=correct horse\n")
    code, out, err = _run(capsys, "seal", "orders-api", "--env", "dev", "--from-env-file", env_file,
                          "--cert", cert, "--platform-dir", platform, "--json")
    assert code == 0, err
    import json

    report = json.loads(out)["sealed"]
    assert (report["keys"], report["kept"], report["scope"]) == (["PASSWORD"], ["API_TOKEN"], "strict")
    doc = yaml.safe_load(written.read_text())
    assert controller_decrypt(private, doc["spec"]["encryptedData"]["PASSWORD"], label) == b"correct horse"
    assert controller_decrypt(private, doc["spec"]["encryptedData"]["API_TOKEN"], label) == b"abc=def"
    assert (platform / OVERLAY / "kustomization.yaml").read_text() == after


def test_seal_output_passes_comind_validate(capsys: pytest.CaptureFixture[str], platform: Path,
                                            key: tuple[object, Path]) -> None:
    _, cert = key
    (platform / ".comind").mkdir()  # where --fetch-cert keeps it: git-ignored, so not taken for a leaked key
    (platform / ".comind" / "sealed-secrets-local.pem").write_bytes(cert.read_bytes())
    assert _run(capsys, "seal", "orders-api", "--env", "prod", "--from-literal", "DB_PASSWORD=x7Gq2!pLm09",
                "--platform-dir", platform)[0] == 0
    code, out, err = _run(capsys, "validate", platform)
    assert code == 0, out + err


def test_namespace_wide_scope_is_annotated_and_kept(capsys: pytest.CaptureFixture[str], platform: Path,
                                                    key: tuple[object, Path]) -> None:
    private, cert = key
    assert _run(capsys, "seal", "orders-api", "--env", "dev", "--from-literal", "A=1", "--name", "shared",
                "--scope", "namespace-wide", "--cert", cert, "--platform-dir", platform)[0] == 0
    doc = yaml.safe_load((platform / OVERLAY / "sealedsecret-shared.yaml").read_text())
    assert doc["metadata"]["annotations"] == {"sealedsecrets.bitnami.com/namespace-wide": "true"}
    assert controller_decrypt(private, doc["spec"]["encryptedData"]["A"], b"orders-api-dev") == b"1"
    code, _, err = _run(capsys, "seal", "orders-api", "--env", "dev", "--from-literal", "B=2", "--name", "shared",
                        "--cert", cert, "--platform-dir", platform)
    assert code == 2
    assert err.strip() == ("error: --scope: sealedsecret-shared.yaml is sealed namespace-wide; "
                           "values of one SealedSecret share one scope")


def test_the_platform_certificate_is_used_by_default(capsys: pytest.CaptureFixture[str], platform: Path,
                                                     key: tuple[object, Path]) -> None:
    private, cert = key
    (platform / ".comind").mkdir()
    (platform / ".comind" / "sealed-secrets-local.pem").write_bytes(cert.read_bytes())
    code, out, err = _run(capsys, "seal", "billing-worker", "--env", "stage", "--from-literal", "K=v",
                          "--platform-dir", platform, "--json")
    assert code == 0, err
    import json

    assert json.loads(out)["sealed"]["cert"] == str(platform / ".comind" / "sealed-secrets-local.pem")


BAD = [
    (["nope", "--env", "dev", "--from-literal", "A=b"],
     "error: app: 'nope' is not an app under apps/ (known: billing-worker, orders-api)"),
    (["orders-api", "--env", "qa", "--from-literal", "A=b"],
     "error: --env: 'qa' is not an environment of orders-api (has: dev, stage, prod)"),
    (["orders-api", "--env", "dev", "--from-literal", "A="], "error: --from-literal: A: the value is empty"),
    (["orders-api", "--env", "dev", "--from-literal", "AB"], "error: --from-literal: 'AB' must be KEY=VALUE"),
    (["orders-api", "--env", "dev", "--from-literal", "=b"], "error: --from-literal: the key before '=' is empty"),
    (["orders-api", "--env", "dev", "--from-literal", "A B=c"],
     "error: --from-literal: key 'A B' must be letters, digits, '-', '_' or '.' (at most 253), "
     "as Kubernetes requires of Secret keys"),
    (["orders-api", "--env", "dev", "--from-literal", "A=1", "--from-literal", "A=2"],
     "error: --from-literal: A: given twice"),
    (["orders-api", "--env", "dev"],
     "error: --from-literal/--from-env-file: nothing to seal: give KEY=VALUE pairs or a file"),
    (["orders-api", "--from-literal", "A=b"],
     "error: --env: required: the environment whose overlay gets the SealedSecret"),
    (["orders-api", "--env", "dev", "--from-literal", "A=b", "--name", "Bad_Name"],
     "error: --name: 'Bad_Name' must be a DNS-1123 subdomain (lower-case letters, digits, '-', '.')"),
    (["orders-api", "--env", "dev", "--from-literal", "A=b", "--scope", "loose"],
     "error: --scope: 'loose' must be one of strict, namespace-wide, cluster-wide"),
    ([], "error: APP: required (or --fetch-cert alone to fetch the certificate)"),
]


@pytest.mark.parametrize(("args", "line"), BAD)
def test_bad_input_is_one_line_exit_2_nothing_written(capsys: pytest.CaptureFixture[str], platform: Path,
                                                      key: tuple[object, Path], args: list[str], line: str) -> None:
    _, cert = key
    before = tree(platform)
    code, out, err = _run(capsys, "seal", *args, "--cert", cert, "--platform-dir", platform)
    assert (code, out, err.strip()) == (2, "", line)
    assert tree(platform) == before


def test_no_certificate_and_bad_certificates(capsys: pytest.CaptureFixture[str], platform: Path,
                                             tmp_path: Path) -> None:
    before = tree(platform)
    code, _, err = _run(capsys, "seal", "orders-api", "--env", "dev", "--from-literal", "A=b",
                        "--platform-dir", platform)
    assert code == 2
    assert err.splitlines()[0] == ("error: cert: no sealed-secrets certificate: "
                                   ".comind/sealed-secrets-local.pem does not exist")
    assert "comind seal --fetch-cert" in err
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello\n")
    code, _, err = _run(capsys, "seal", "orders-api", "--env", "dev", "--from-literal", "A=b", "--cert", not_pem,
                        "--platform-dir", platform)
    assert (code, err.strip()) == (2, f"error: cert: {not_pem}: not a PEM certificate or public key")
    code, _, err = _run(capsys, "seal", "orders-api", "--env", "dev", "--from-literal", "A=b",
                        "--cert", tmp_path / "missing.pem", "--platform-dir", platform)
    assert (code, err.strip()) == (2, f"error: --cert: {tmp_path / 'missing.pem'}: no such file")
    env_file = tmp_path / "bad.env"
    env_file.write_text("GOOD=1\nEMPTY=\n")
    code, _, err = _run(capsys, "seal", "orders-api", "--env", "dev", "--from-env-file", env_file,
                        "--cert", not_pem, "--platform-dir", platform)
    assert (code, err.strip()) == (2, f"error: --from-env-file: {env_file}:2: EMPTY: the value is empty")
    assert tree(platform) == before


def test_help_names_every_option() -> None:
    done = subprocess.run(["comind", "seal", "--help"], capture_output=True, text=True, check=False,
                          env={"COLUMNS": "200", "PATH": __import__("os").environ["PATH"]})
    assert done.returncode == 0
    for option in ("--env", "--from-literal", "--from-env-file", "--name", "--cert", "--scope", "--fetch-cert",
                   "--json"):
        assert option in done.stdout


@pytest.mark.parametrize(("env", "file"), [("local", "main.tf"), ("aws", "sealed-secrets.tf")])
def test_both_profiles_install_the_controller_where_comind_seal_looks(env: str, file: str) -> None:
    import re

    from comind_scaffold.sealing_cert import CONTROLLER_NAME, CONTROLLER_NAMESPACE
    from tests.helpers_seal import REPO_ROOT

    for root in (REPO_ROOT / "templates/platform", REPO_ROOT):  # the template and this repository's render
        text = (root / "infra/terraform/environments" / env / file).read_text()
        block = re.search(r'resource "helm_release" "sealed_secrets" \{\n(.*?)\n\}\n', text, re.S)
        assert block, f"{env}: no sealed-secrets release"
        body = block.group(1)
        assert 'chart      = "sealed-secrets"' in body and 'wait       = true' in body
        assert f'fullnameOverride = "{CONTROLLER_NAME}"' in body
        namespace = "sealed-secrets" if env == "aws" else "platform[\"sealed-secrets\"]"
        assert namespace in body and CONTROLLER_NAMESPACE == "sealed-secrets"
