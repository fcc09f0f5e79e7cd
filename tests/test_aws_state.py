"""The aws profile's remote state against moto's server: the bucket made once and kept, backend.hcl, and the real
terraform's S3 backend initialised from that file (state and lock file in moto's bucket)."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import boto3
import pytest

from comind_scaffold import aws_state
from comind_scaffold.errors import AwsStateError
from comind_scaffold.repo import PlatformRepo
from tests.helpers_services import assert_one_line_error, run_cli
from tests.helpers_verify import moto_endpoint, platform_repo  # noqa: F401

pytestmark = pytest.mark.aws
ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture
def repo(platform_repo: PlatformRepo, tmp_path: Path) -> PlatformRepo:  # noqa: F811
    """A copy of the demo platform, so backend.hcl lands in this test's tree only."""
    shutil.copytree(platform_repo.root, tmp_path / "platform", symlinks=True)
    return PlatformRepo(tmp_path / "platform")


def _s3(endpoint: str, region: str):  # noqa: ANN202
    return boto3.client("s3", endpoint_url=endpoint, region_name=region)


def test_creates_the_state_bucket_once_then_changes_nothing(repo: PlatformRepo, moto_endpoint: str) -> None:  # noqa: F811
    spec = repo.spec
    first = aws_state.ensure_remote_state(repo, endpoint_url=moto_endpoint)
    bucket = f"{spec.platform_name}-tfstate-{ACCOUNT}"
    assert first.bucket == bucket and first.changed
    assert [(ch.object, ch.action) for ch in first.changes] == [
        (f"S3 bucket {bucket}", "created"), ("bucket versioning", "updated"), ("bucket encryption", "updated"),
        ("bucket public access block", "updated"), ("bucket tags", "updated"),
        ("infra/terraform/backend.hcl", "created"),
    ]
    s3 = _s3(moto_endpoint, spec.aws_region)
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == spec.aws_region
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                   "RestrictPublicBuckets"), True)
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["app.kubernetes.io/managed-by"] == "comind" and tags["comind.ops/platform"] == spec.platform_name

    second = aws_state.ensure_remote_state(repo, endpoint_url=moto_endpoint)
    assert not second.changed
    assert {ch.action for ch in second.changes} == {"unchanged"}
    assert len(s3.list_buckets()["Buckets"]) == 1


def test_a_setting_changed_by_hand_is_put_back(repo: PlatformRepo, moto_endpoint: str) -> None:  # noqa: F811
    state = aws_state.ensure_remote_state(repo, endpoint_url=moto_endpoint)
    s3 = _s3(moto_endpoint, repo.spec.aws_region)
    s3.put_bucket_versioning(Bucket=state.bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_public_access_block(Bucket=state.bucket)
    again = aws_state.ensure_remote_state(repo, endpoint_url=moto_endpoint)
    assert [ch.object for ch in again.changes if ch.changed] == ["bucket versioning", "bucket public access block"]
    assert s3.get_bucket_versioning(Bucket=state.bucket)["Status"] == "Enabled"


def test_dry_run_creates_and_writes_nothing(repo: PlatformRepo, moto_endpoint: str) -> None:  # noqa: F811
    planned = aws_state.ensure_remote_state(repo, endpoint_url=moto_endpoint, dry_run=True)
    assert {ch.action for ch in planned.changes} == {"planned"}
    assert _s3(moto_endpoint, repo.spec.aws_region).list_buckets()["Buckets"] == []
    assert not planned.backend_file.exists()


def test_a_bucket_comind_did_not_create_is_refused_untouched(repo: PlatformRepo, moto_endpoint: str) -> None:  # noqa: F811
    region = repo.spec.aws_region
    name = aws_state.bucket_name(repo.spec.platform_name, ACCOUNT)
    s3 = _s3(moto_endpoint, region)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    with pytest.raises(AwsStateError, match="not created by comind"):
        aws_state.ensure_remote_state(repo, endpoint_url=moto_endpoint)
    assert s3.get_bucket_versioning(Bucket=name).get("Status") is None
    assert not (repo.root / aws_state.BACKEND_FILE).exists()


def test_backend_hcl_names_the_bucket_and_s3_locking(moto_endpoint: str) -> None:  # noqa: F811
    text = aws_state.backend_hcl("p-tfstate-1", "eu-west-1")
    assert 'bucket       = "p-tfstate-1"' in text and 'region       = "eu-west-1"' in text
    assert "use_lockfile = true" in text and "encrypt      = true" in text
    assert "dynamodb_table" not in text and "endpoints" not in text
    assert f'endpoints                   = {{ s3 = "{moto_endpoint}" }}' in aws_state.backend_hcl(
        "p-tfstate-1", "eu-west-1", moto_endpoint)


def test_terraform_s3_backend_initialises_from_backend_hcl(repo: PlatformRepo, moto_endpoint: str,  # noqa: F811
                                                           tmp_path: Path) -> None:
    """The real terraform keeps a state in moto's bucket through the written backend.hcl, with S3 locking."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.fail("terraform is not on PATH")
    state = aws_state.ensure_remote_state(repo, endpoint_url=moto_endpoint)
    module = tmp_path / "root"
    module.mkdir()
    (module / "main.tf").write_text(textwrap.dedent("""\
        terraform {
          backend "s3" {
            key = "probe/terraform.tfstate"
          }
        }
        resource "terraform_data" "probe" {
          input = "kept in S3"
        }
        """))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "TF_IN_AUTOMATION": "1"}
    for argv in (["init", "-input=false", "-no-color", f"-backend-config={state.backend_file}"],
                 ["apply", "-auto-approve", "-input=false", "-no-color"]):
        done = subprocess.run([terraform, *argv], cwd=module, env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    s3 = _s3(moto_endpoint, repo.spec.aws_region)
    body = s3.get_object(Bucket=state.bucket, Key="probe/terraform.tfstate")["Body"].read().decode()
    assert "kept in S3" in body
    assert not (module / "terraform.tfstate").exists()  # nothing kept locally
    # A lock file held by someone else stops the next run: the backend locks through S3 (use_lockfile).
    s3.put_object(Bucket=state.bucket, Key="probe/terraform.tfstate.tflock", Body=b'{"ID": "held-by-test"}')
    held = subprocess.run([terraform, "plan", "-input=false", "-no-color", "-lock-timeout=0s"], cwd=module, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert held.returncode == 1 and "Error acquiring the state lock" in held.stderr, held.stdout + held.stderr


def test_bootstrap_aws_plans_the_state_bucket_first(repo: PlatformRepo, moto_endpoint: str,  # noqa: F811
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The cluster phase of `comind bootstrap --profile aws` starts with the remote state (the SDK's endpoint from
    AWS_ENDPOINT_URL, moto here); a dry run before any state exists plans it and stops before terraform."""
    from comind_scaffold.bootstrap.options import BootstrapOptions
    from comind_scaffold.bootstrap.phases import phase_cluster

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    outcome, detail = phase_cluster(repo, BootstrapOptions(profile="aws", dry_run=True))
    bucket = aws_state.bucket_name(repo.spec.platform_name, ACCOUNT)
    assert (outcome, detail) == ("planned", f"would create the state bucket {bucket} and infra/terraform/backend.hcl")
    assert _s3(moto_endpoint, repo.spec.aws_region).list_buckets()["Buckets"] == []
    assert not (repo.root / aws_state.BACKEND_FILE).exists()


def test_cli_bootstrap_state_reports_as_json_then_nothing_changed(repo: PlatformRepo, moto_endpoint: str,  # noqa: F811
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    args = ("tf", "bootstrap-state", f"--aws-endpoint-url={moto_endpoint}", f"--platform-dir={repo.root}", "--json")
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    first = json.loads(out)
    assert first["changed"] and first["bucket"] == aws_state.bucket_name(repo.spec.platform_name, ACCOUNT)
    assert {"object": "infra/terraform/backend.hcl", "action": "created"} in first["changes"]
    code, out, err = run_cli(capsys, *args)
    assert code == 0 and json.loads(out)["changed"] is False, err


def test_cli_bootstrap_state_refuses_a_foreign_bucket_in_one_line(repo: PlatformRepo, moto_endpoint: str,  # noqa: F811
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    name = aws_state.bucket_name(repo.spec.platform_name, ACCOUNT)
    region = repo.spec.aws_region
    _s3(moto_endpoint, region).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    code, _, err = run_cli(capsys, "tf", "bootstrap-state", f"--aws-endpoint-url={moto_endpoint}",
                           f"--platform-dir={repo.root}")
    assert_one_line_error(code, err, f"S3 bucket {name}", "not created by comind")
    assert not (repo.root / aws_state.BACKEND_FILE).exists()
