"""Protocol probes of the local services: each speaks the service's own protocol with its credentials.

A probe is a pure function of (service spec, credentials, timeout) returning one `CheckResult` of layer
`services` that names what it reached; it never raises for a service that is down. The verifier's
services layer reuses these.
"""

from __future__ import annotations

# The protocol clients (boto3 ~1 s, psycopg, redis) are imported by the probes that use them, not with this
# module: the CLI imports it through `comind tf`/`bootstrap`, and every command would pay for them at start-up.
import http.client
from collections.abc import Callable
from typing import Any

from comind_scaffold import _aws, layers
from comind_scaffold import service_catalog as catalog
from comind_scaffold.models import CheckResult, failed, passed, warned
from comind_scaffold.services.credentials import (
    LocalCredentials,
    MinioCredentials,
    PostgresCredentials,
    QueueCredentials,
    RedisCredentials,
)
from comind_scaffold.specs import ServiceSpec

LAYER = layers.SERVICES.name
DEFAULT_TIMEOUT = 3.0


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else err.__class__.__name__


def local_client(service: catalog.LocalService, host: str, port: int, creds: MinioCredentials | QueueCredentials,
                 timeout: float) -> Any:
    """A bounded, single-attempt client for the S3 or SQS API (`service.api`) of a local service on host:port."""
    return _aws.endpoint_client(
        service.api, f"http://{host}:{port}", creds.access_key, creds.secret_key, creds.region, timeout
    )


def http_status(host: str, port: int, path: str, timeout: float) -> int:
    """Status code of a plain HTTP GET."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def probe_postgresql(
    spec: ServiceSpec, creds: PostgresCredentials, *, host: str = "127.0.0.1", timeout: float = DEFAULT_TIMEOUT
) -> CheckResult:
    """`SELECT 1` on the platform database as the configured superuser."""
    import psycopg

    where = f"postgresql {host}:{spec.port}/{creds.database}"
    try:
        with psycopg.connect(
            host=host,
            port=spec.port,
            user=creds.username,
            password=creds.password,
            dbname=creds.database,
            connect_timeout=max(1, round(timeout)),
            options=f"-c statement_timeout={int(timeout * 1000)}",
        ) as conn:
            row = conn.execute("SELECT 1").fetchone()
    except psycopg.Error as err:
        hint = "see comind services status and comind services logs postgresql"
        return failed("postgresql.query", LAYER, where, _first_line(err), hint)
    if row != (1,):
        return failed("postgresql.query", LAYER, where, f"SELECT 1 returned {row!r}")
    return passed("postgresql.query", LAYER, where, f"SELECT 1 as {creds.username}")


MINIO_HEALTH = "/minio/health/live"


def is_minio(host: str, port: int, timeout: float) -> bool | None:
    """True for MinIO, False for an S3 endpoint without MinIO's health path (a stand-in), None when none answers."""
    try:
        return http_status(host, port, MINIO_HEALTH, timeout) == 200
    except (OSError, http.client.HTTPException):
        return None


def probe_minio(
    spec: ServiceSpec, creds: MinioCredentials, *, host: str = "127.0.0.1", timeout: float = DEFAULT_TIMEOUT
) -> CheckResult:
    """MinIO's liveness endpoint, then ListBuckets with the root credentials."""
    import botocore.exceptions

    where = f"minio {host}:{spec.port}"
    try:
        health = http_status(host, spec.port, MINIO_HEALTH, timeout)
        s3 = local_client(catalog.MINIO, host, spec.port, creds, timeout)
        buckets = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    except (OSError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
        return failed("minio.buckets", LAYER, where, _first_line(err), "see comind services logs minio")
    listed = f"ListBuckets: {len(buckets)} bucket(s)"
    if health != 200:
        return warned(
            "minio.buckets", LAYER, where,
            f"{listed}, but {MINIO_HEALTH} answered {health}: an S3 stand-in, not MinIO "
            "(no admin API: per-app users and policies are not created)",
        )
    return passed("minio.buckets", LAYER, where, f"healthy, {listed}")


def probe_redis(
    spec: ServiceSpec, creds: RedisCredentials, *, host: str = "127.0.0.1", timeout: float = DEFAULT_TIMEOUT
) -> CheckResult:
    """`PING` with the configured password."""
    import redis

    where = f"redis {host}:{spec.port}"
    client = redis.Redis(
        host=host, port=spec.port, password=creds.password, socket_timeout=timeout, socket_connect_timeout=timeout
    )
    try:
        answer = client.ping()
    except redis.RedisError as err:
        return failed("redis.ping", LAYER, where, _first_line(err), "see comind services logs redis")
    finally:
        client.close()
    if answer is not True:
        return failed("redis.ping", LAYER, where, f"PING answered {answer!r}")
    return passed("redis.ping", LAYER, where, "PONG")


def probe_elasticmq(
    spec: ServiceSpec, creds: QueueCredentials, *, host: str = "127.0.0.1", timeout: float = DEFAULT_TIMEOUT
) -> CheckResult:
    """`ListQueues` over the SQS API."""
    import botocore.exceptions

    where = f"elasticmq {host}:{spec.port}"
    try:
        sqs = local_client(catalog.ELASTICMQ, host, spec.port, creds, timeout)
        urls = sqs.list_queues().get("QueueUrls", [])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
        return failed("elasticmq.queues", LAYER, where, _first_line(err), "see comind services logs elasticmq")
    return passed("elasticmq.queues", LAYER, where, f"ListQueues: {len(urls)} queue(s)")


def probe_service(
    service: str, spec: ServiceSpec, creds: LocalCredentials, *, host: str = "127.0.0.1",
    timeout: float = DEFAULT_TIMEOUT,
) -> CheckResult:
    """Run the probe of `service` (any name the catalog knows it by) with its credentials."""
    return PROBES[catalog.lookup(service)](spec, creds, host, timeout)


# Each service's probe, handed its own part of the credentials.
PROBES: dict[catalog.LocalService, Callable[[ServiceSpec, LocalCredentials, str, float], CheckResult]] = {
    catalog.POSTGRESQL: lambda spec, creds, host, t: probe_postgresql(spec, creds.postgresql, host=host, timeout=t),
    catalog.MINIO: lambda spec, creds, host, t: probe_minio(spec, creds.minio, host=host, timeout=t),
    catalog.REDIS: lambda spec, creds, host, t: probe_redis(spec, creds.redis, host=host, timeout=t),
    catalog.ELASTICMQ: lambda spec, creds, host, t: probe_elasticmq(spec, creds.elasticmq, host=host, timeout=t),
}
