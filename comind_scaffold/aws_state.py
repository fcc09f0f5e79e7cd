"""The aws profile's Terraform remote state: one S3 bucket per platform and account, and `backend.hcl` naming it.

`ensure_remote_state` creates the bucket when missing and then enforces, each only when it differs, what a state
bucket needs: versioning, default encryption (SSE-KMS with a bucket key), every public access blocked, and the
tags that mark it as comind's. A bucket of that name without comind's tags is refused, never changed. Locking is
S3's own lock file next to each state (`use_lockfile`, Terraform >= 1.10), so no DynamoDB table is needed.
`backend.hcl` is not secret: it is written into the platform and committed, and every `terraform init` of the
aws profile reads it (`comind bootstrap`, `comind tf`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comind_scaffold import constants as c
from comind_scaffold.errors import AwsStateError
from comind_scaffold.repo import PlatformRepo

BACKEND_FILE = f"{c.TERRAFORM_ROOT}/backend.hcl"
MIN_TERRAFORM = (1, 10, 0)  # the S3 backend's use_lockfile
_PUBLIC_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                 "RestrictPublicBuckets": True}
_ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
                          "BucketKeyEnabled": True}]}


@dataclass(frozen=True)
class StateChange:
    """One setting of the state bucket (or the backend file): created, updated, unchanged or planned."""

    object: str
    action: str

    @property
    def changed(self) -> bool:
        """True when this run changed it."""
        return self.action in ("created", "updated")


@dataclass(frozen=True)
class RemoteState:
    """What `ensure_remote_state` found or made.

    Attributes:
        bucket: The state bucket.
        region: Its region.
        backend_file: `infra/terraform/backend.hcl` in the platform.
        changes: One entry per setting, then one for the backend file.

    """

    bucket: str
    region: str
    backend_file: Path
    changes: list[StateChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """False when everything was already as wanted."""
        return any(ch.changed for ch in self.changes)


def owned_tags(platform: str) -> dict[str, str]:
    """The tags marking the bucket as made by comind for `platform`."""
    return {c.LABEL_MANAGED_BY: c.MANAGED_BY, c.DOCKER_LABEL_PLATFORM: platform}


def bucket_name(platform: str, account: str) -> str:
    """`<platform>-tfstate-<account>`: S3 names are global, the account id keeps two accounts apart."""
    return f"{platform}-tfstate-{account}"


def backend_hcl(bucket: str, region: str, endpoint_url: str | None = None) -> str:
    """The partial S3 backend configuration every aws root module is initialised with."""
    lines = [
        "# Written by `comind bootstrap --profile aws`: where every Terraform state of this platform lives.",
        "# Not secret: commit it. Locks are S3 lock files next to each state (use_lockfile).",
        f'bucket       = "{bucket}"',
        f'region       = "{region}"',
        "encrypt      = true",
        "use_lockfile = true",
    ]
    if endpoint_url:
        lines += [
            "# An AWS API emulator, not AWS: written because --aws-endpoint-url was given.",
            f'endpoints                   = {{ s3 = "{endpoint_url}" }}',
            "use_path_style              = true",
            "skip_credentials_validation = true",
            "skip_requesting_account_id  = true",
            "skip_metadata_api_check     = true",
            "skip_region_validation      = true",
        ]
    return "\n".join(lines) + "\n"


def backend_bucket(path: Path) -> str:
    """The `bucket` a backend.hcl names; AwsStateError when it names none."""
    found = re.search(r'^\s*bucket\s*=\s*"([^"]+)"', path.read_text(), re.MULTILINE)
    if found is None:
        raise AwsStateError(f"{path}: names no bucket", hint="run `comind bootstrap --profile aws` to write it again")
    return found.group(1)


class _Bucket:
    """The S3 calls on one bucket, each failure one AwsStateError naming the bucket."""

    def __init__(self, s3: Any, name: str, region: str) -> None:
        self.s3, self.name, self.region = s3, name, region

    def call(self, operation: str, missing: tuple[str, ...] = (), **kwargs: Any) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            result: dict[str, Any] = getattr(self.s3, operation)(Bucket=self.name, **kwargs)
        except ClientError as err:
            code = str(err.response.get("Error", {}).get("Code", ""))
            if code in missing:
                return None
            if code in ("403", "AccessDenied") and operation == "head_bucket":
                raise AwsStateError(f"S3 bucket {self.name}: exists but belongs to another account",
                                    hint="S3 names are global; choose another platform name") from err
            raise AwsStateError(f"S3 bucket {self.name}: {operation} failed: {code or err}") from err
        except BotoCoreError as err:
            raise AwsStateError(f"S3 bucket {self.name}: AWS API unreachable ({err})",
                                hint="check the AWS credentials, region and network") from err
        return result

    def tags(self) -> dict[str, str]:
        found = self.call("get_bucket_tagging", missing=("NoSuchTagSet",)) or {}
        return {t["Key"]: t["Value"] for t in found.get("TagSet", [])}

    def create(self) -> None:
        where: dict[str, Any] = {}
        if self.region != "us-east-1":
            where["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        self.call("create_bucket", **where)


def _enforce(bucket: _Bucket, platform: str, dry_run: bool) -> list[StateChange]:
    """Bring each setting to what a state bucket needs; `unchanged` where it already is."""
    wanted_tags = owned_tags(platform)
    versioning = bucket.call("get_bucket_versioning") or {}
    encryption = bucket.call("get_bucket_encryption", missing=("ServerSideEncryptionConfigurationNotFoundError",))
    public = bucket.call("get_public_access_block", missing=("NoSuchPublicAccessBlockConfiguration",))
    current_tags = bucket.tags()
    rules = ((encryption or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    settings: list[tuple[str, bool, Callable[[], object]]] = [
        ("versioning", versioning.get("Status") == "Enabled",
         lambda: bucket.call("put_bucket_versioning", VersioningConfiguration={"Status": "Enabled"})),
        ("encryption", bool(rules) and rules[0].get("ApplyServerSideEncryptionByDefault", {}).get(
            "SSEAlgorithm") == "aws:kms",
         lambda: bucket.call("put_bucket_encryption", ServerSideEncryptionConfiguration=_ENCRYPTION)),
        ("public access block", (public or {}).get("PublicAccessBlockConfiguration") == _PUBLIC_BLOCK,
         lambda: bucket.call("put_public_access_block", PublicAccessBlockConfiguration=_PUBLIC_BLOCK)),
        ("tags", all(current_tags.get(k) == v for k, v in wanted_tags.items()),
         lambda: bucket.call("put_bucket_tagging", Tagging={"TagSet": [
             {"Key": k, "Value": v} for k, v in sorted({**current_tags, **wanted_tags}.items())]})),
    ]
    changes = []
    for name, ok, put in settings:
        if ok:
            changes.append(StateChange(f"bucket {name}", "unchanged"))
        elif dry_run:
            changes.append(StateChange(f"bucket {name}", "planned"))
        else:
            put()
            changes.append(StateChange(f"bucket {name}", "updated"))
    return changes


def _account(session: Any, endpoint_url: str | None) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(session.client("sts", endpoint_url=endpoint_url).get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as err:
        raise AwsStateError(f"AWS account: cannot be read ({err})",
                            hint="set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY") from err


def ensure_remote_state(repo: PlatformRepo, *, endpoint_url: str | None = None, profile: str | None = None,
                        dry_run: bool = False, timeout: float = 30.0) -> RemoteState:
    """Create (or check) the state bucket and write `infra/terraform/backend.hcl`; a second run changes nothing.

    Args:
        repo: The platform repository (its name and aws_region).
        endpoint_url: An AWS API emulator (moto's server in tests); written into backend.hcl too.
        profile: AWS profile of the SDK (default: the SDK's own chain).
        dry_run: Report what would be created or changed, change nothing, write nothing.
        timeout: Seconds one AWS call may take.

    Raises:
        AwsStateError: No credentials, the API is unreachable, or the bucket exists without comind's tags.

    """
    from comind_scaffold import _aws

    spec = repo.spec
    session = _aws.session(profile, spec.aws_region)
    config = _aws.bounded(timeout, attempts=2)
    name = bucket_name(spec.platform_name, _account(session, endpoint_url))
    bucket = _Bucket(session.client("s3", endpoint_url=endpoint_url, config=config), name, spec.aws_region)
    changes: list[StateChange] = []
    if bucket.call("head_bucket", missing=("404", "NoSuchBucket", "NotFound")) is None:
        if dry_run:
            changes.append(StateChange(f"S3 bucket {name}", "planned"))
            changes += [StateChange(f"bucket {s}", "planned")
                        for s in ("versioning", "encryption", "public access block", "tags")]
        else:
            bucket.create()
            changes.append(StateChange(f"S3 bucket {name}", "created"))
            changes += _enforce(bucket, spec.platform_name, dry_run)
    else:
        tags = bucket.tags()
        if not owned_tags(spec.platform_name).items() <= tags.items():
            raise AwsStateError(
                f"S3 bucket {name}: exists but was not created by comind for platform {spec.platform_name} "
                f"(no tag {c.LABEL_MANAGED_BY}={c.MANAGED_BY}); refusing to use it",
                hint="remove or rename that bucket yourself, or change the platform name")
        changes.append(StateChange(f"S3 bucket {name}", "unchanged"))
        changes += _enforce(bucket, spec.platform_name, dry_run)
    backend = repo.root / BACKEND_FILE
    text = backend_hcl(name, spec.aws_region, endpoint_url)
    current = backend.read_text() if backend.is_file() else None
    if current == text:
        changes.append(StateChange(BACKEND_FILE, "unchanged"))
    elif dry_run:
        changes.append(StateChange(BACKEND_FILE, "planned"))
    else:
        backend.parent.mkdir(parents=True, exist_ok=True)
        backend.write_text(text)
        changes.append(StateChange(BACKEND_FILE, "created" if current is None else "updated"))
    return RemoteState(bucket=name, region=spec.aws_region, backend_file=backend, changes=changes)
