"""The Terraform the templates render: formatted, valid where the providers exist, and sound in structure.

`terraform validate` needs every provider's schema. The local profile's providers are built here
(tests/testbin/build-providers.sh), so modules/app/local and the app's local root are validated for every
answer combination. hashicorp/aws, helm, kubernetes and the terraform-aws-modules cannot be obtained here
(tests/testbin/PROVIDERS.md), so the aws configurations and environments/local are checked by structure.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest

from comind_scaffold._terraform import Terraform, find_binary
from comind_scaffold.errors import ToolNotFoundError
from tests.components.require import skip_or_fail
from tests.helpers_terraform import (
    app_answers,
    render_app_terraform,
    render_platform_terraform,
)

FEATURES = ("with_database", "with_storage", "with_queue", "with_cache")
COMBINATIONS = [dict(zip(FEATURES, bits, strict=True)) for bits in itertools.product((False, True), repeat=4)]
INTERFACE = ("name", "environment", "tags", "platform", "team", *FEATURES)
_OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)


def _combo_name(combo: dict[str, bool]) -> str:
    return "app-" + "".join("1" if combo[f] else "0" for f in FEATURES)


@pytest.fixture(scope="module")
def platform_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A platform tree with the rendered infra/terraform and one app per answer combination."""
    root = tmp_path_factory.mktemp("platform")
    render_platform_terraform(root)
    for combo in COMBINATIONS:
        render_app_terraform(root, app_answers(_combo_name(combo), **combo))
    return root


def _parse(folder: Path) -> dict[str, list[Any]]:
    """Every top-level block of the folder's .tf files, by block type."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(folder.glob("*.tf")):
        with path.open() as handle:
            for kind, items in hcl2.load(handle, serialization_options=_OPTIONS).items():
                merged.setdefault(kind, []).extend(items)
    return merged


def _named(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """`[{name: body}, …]` → `{name: body}`."""
    return {name: body for block in blocks for name, body in block.items()}


def _resources(parsed: dict[str, list[Any]], kind: str) -> dict[str, Any]:
    return {name: body for block in parsed.get("resource", []) for k, named in block.items() if k == kind
            for name, body in named.items()}


def _variable_names(folder: Path) -> list[str]:
    with (folder / "variables.tf").open() as handle:
        return [name for block in hcl2.load(handle, serialization_options=_OPTIONS)["variable"] for name in block]


def _tf_folders(root: Path) -> Iterator[Path]:
    return iter(sorted({p.parent for p in root.rglob("*.tf")}))


# --------------------------------------------------------------------------- terraform fmt / validate


@pytest.fixture(scope="module")
def terraform_binary(request: pytest.FixtureRequest) -> str:
    try:
        return find_binary()
    except ToolNotFoundError as err:
        skip_or_fail(err.message, request.config)


@pytest.mark.terraform
def test_every_rendered_file_is_terraform_fmt_clean(platform_root: Path, terraform_binary: str) -> None:
    assert Terraform(platform_root, binary=terraform_binary).fmt_check() == []


@pytest.mark.terraform
@pytest.mark.slow
def test_local_roots_validate_for_every_answer_combination(platform_root: Path, terraform_binary: str,
                                                           provider_mirror: Path) -> None:
    errors: dict[str, list[str]] = {}
    folders = [platform_root / "infra/terraform/modules/app/local"]
    folders += [platform_root / "apps" / _combo_name(c) / "terraform" / "local" for c in COMBINATIONS]
    for folder in folders:
        runner = Terraform(folder, binary=terraform_binary)
        runner.init(backend=False)
        errors[folder.relative_to(platform_root).as_posix()] = runner.validate()
    assert errors == {name: [] for name in errors}


# --------------------------------------------------------------------------- structure (python-hcl2)


def test_both_app_implementations_share_the_interface_and_outputs(platform_root: Path) -> None:
    modules = platform_root / "infra/terraform/modules/app"
    local, aws = _parse(modules / "local"), _parse(modules / "aws")
    assert sorted(_named(local["output"])) == sorted(_named(aws["output"]))
    shared = {name: body for name, body in _named(local["variable"]).items() if name in INTERFACE}
    assert shared == {name: body for name, body in _named(aws["variable"]).items() if name in INTERFACE}
    assert sorted(shared) == sorted(INTERFACE)


def test_variables_come_first_as_name_environment_tags_and_are_described(platform_root: Path) -> None:
    terraform = platform_root / "infra/terraform"
    problems = []
    for folder in [*terraform.glob("modules/*/*"), *terraform.glob("environments/*")]:
        names = _variable_names(folder)
        if names[:3] != ["name", "environment", "tags"]:
            problems.append(f"{folder.name}: variables start {names[:3]}")
        undocumented = [n for n, body in _named(_parse(folder)["variable"]).items() if not body.get("description")]
        if undocumented:
            problems.append(f"{folder.name}: no description for {undocumented}")
    assert problems == []


def test_no_password_or_secret_is_a_literal(platform_root: Path) -> None:
    literal = re.compile(r'^\s*(password|secret_key|access_key|token)\s*=\s*"[^"$]', re.MULTILINE)
    files = sorted(platform_root.rglob("*.tf"))
    offenders = [str(p.relative_to(platform_root)) for p in files if literal.search(p.read_text())]
    assert offenders == []


def test_registry_modules_are_pinned_to_exact_versions(platform_root: Path) -> None:
    loose = []
    for folder in _tf_folders(platform_root):
        for name, body in _named(_parse(folder).get("module", [])).items():
            if body["source"].startswith((".", "/")):
                continue
            if not re.fullmatch(r"\d+\.\d+\.\d+", str(body.get("version", ""))):
                loose.append(f"{folder.name}/{name}: {body.get('version')!r}")
    assert loose == []


def test_aws_bucket_is_encrypted_versioned_and_private(platform_root: Path) -> None:
    parsed = _parse(platform_root / "infra/terraform/modules/app/aws")
    block = _resources(parsed, "aws_s3_bucket_public_access_block")["this"]
    assert [block[k] for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                               "restrict_public_buckets")] == [True] * 4
    versioning = _resources(parsed, "aws_s3_bucket_versioning")["this"]["versioning_configuration"]
    assert versioning[0]["status"] == "Enabled"
    sse = _resources(parsed, "aws_s3_bucket_server_side_encryption_configuration")["this"]["rule"][0]
    assert sse["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"


def test_aws_queue_redrives_to_its_dead_letter_queue(platform_root: Path) -> None:
    queues = _resources(_parse(platform_root / "infra/terraform/modules/app/aws"), "aws_sqs_queue")
    assert "aws_sqs_queue.dead_letter[0].arn" in queues["main"]["redrive_policy"]
    assert all(q["sqs_managed_sse_enabled"] is True for q in queues.values())


def test_aws_database_password_comes_from_random_password(platform_root: Path) -> None:
    parsed = _parse(platform_root / "infra/terraform/modules/app/aws")
    assert _resources(parsed, "aws_db_instance")["this"]["password"] == "${random_password.database[0].result}"
    assert _resources(parsed, "aws_db_instance")["this"]["publicly_accessible"] is False


def test_aws_app_role_has_no_wildcards(platform_root: Path) -> None:
    parsed = _parse(platform_root / "infra/terraform/modules/app/aws")
    documents = {name: body for block in parsed["data"] for kind, named in block.items()
                 if kind == "aws_iam_policy_document" for name, body in named.items()}
    statements = list(documents["access"]["statement"])
    statements += [block["statement"]["content"][0] for block in documents["access"]["dynamic"]]
    actions = [a for s in statements for a in s["actions"]]
    resources = [r for s in statements for r in s["resources"]]
    assert [a for a in actions if "*" in a] == []
    assert [r for r in resources if r.strip() in ("*", "arn:aws:s3:::*")] == []
    trust = documents["trust"]["statement"][0]["condition"]
    assert {c["variable"].split(":")[-1]: c["values"] for c in trust} == {
        "sub": ["system:serviceaccount:${local.namespace}:${var.name}"], "aud": ["sts.amazonaws.com"],
    }


def test_local_cluster_binds_loopback_and_pins_its_image(platform_root: Path) -> None:
    import yaml

    config = yaml.safe_load((platform_root / "infra/terraform/environments/local/k3d-cluster.yaml").read_text())
    assert config["image"] == "rancher/k3s:v1.34.2-k3s1"
    assert config["kubeAPI"]["hostIP"] == "127.0.0.1"
    assert [p["port"].split(":")[0] for p in config["ports"]] == ["127.0.0.1", "127.0.0.1"]
    assert (config["servers"], config["agents"]) == (1, 2)


def test_local_environment_pins_charts_and_keeps_the_admission_webhook(platform_root: Path) -> None:
    parsed = _parse(platform_root / "infra/terraform/environments/local")
    releases = _resources(parsed, "helm_release")
    assert sorted(releases) == ["argocd", "ingress_nginx", "metallb", "sealed_secrets"]
    assert {name: body["version"] for name, body in releases.items()} == {
        name: f"${{var.charts.{name}}}" for name in releases
    }
    charts = _named(parsed["variable"])["charts"]["default"]
    assert charts["argocd"] == "9.1.3"
    assert "admissionWebhooks = {enabled = true}" in releases["ingress_nginx"]["values"][0].replace('"', "")
    namespaces = _resources(parsed, "kubernetes_namespace_v1")["platform"]["metadata"][0]["labels"]
    assert "pod-security.kubernetes.io/enforce" in namespaces
