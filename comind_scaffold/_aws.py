"""The only module that builds boto3 sessions and clients, every client bounded; nothing is sent here.

Sessions use the SDK's own credential chain; clients of a local S3/SQS endpoint are signed with given static keys.

boto3 is imported when a function is called, so importing this module costs nothing.
"""

from __future__ import annotations

from typing import Any


def session(profile: str | None = None, region: str | None = None) -> Any:
    """A boto3 session of `profile` (default: the SDK's chain: environment, shared files, instance role)."""
    import boto3

    return boto3.Session(profile_name=profile, region_name=region)


def bounded(timeout: float, attempts: int) -> Any:
    """Client settings: `timeout` seconds to connect and to read, `attempts` tries in all."""
    from botocore.config import Config

    return Config(connect_timeout=timeout, read_timeout=timeout, retries={"total_max_attempts": attempts})


def endpoint_client(api: str, endpoint: str, access_key: str, secret_key: str, region: str, timeout: float) -> Any:
    """A client of `api` (`s3`, `sqs`) for the URL `endpoint`, signed with the given keys, not the credential chain.

    `timeout` seconds to connect and to read, one attempt, path-style S3 addressing.
    """
    import boto3
    from botocore.config import Config

    config = bounded(timeout, attempts=1).merge(Config(s3={"addressing_style": "path"}))
    return boto3.client(
        api,
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=config,
    )


def credentials_method(profile: str | None = None) -> str | None:
    """Where the SDK finds credentials (`env`, `shared-credentials-file`, `iam-role`, …), or None; nothing is sent."""
    found = session(profile).get_credentials()
    return None if found is None else str(found.method)
