"""The only module that builds boto3 sessions: the SDK's own credential chain, bounded clients, nothing sent here.

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


def credentials_method(profile: str | None = None) -> str | None:
    """Where the SDK finds credentials (`env`, `shared-credentials-file`, `iam-role`, …), or None; nothing is sent."""
    found = session(profile).get_credentials()
    return None if found is None else str(found.method)
