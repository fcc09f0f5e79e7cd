"""Services layer (local profile): containers, ports, protocol probes and each app's database/bucket/queue.

Container state and protocol probes come from the services manager (`comind_scaffold.services`); this
module turns them into results and adds the checks the verifier needs on top: who holds the port, and
whether every app's own resources exist.
"""

from __future__ import annotations

import socket
from typing import Any

from comind_scaffold import layers
from comind_scaffold import service_catalog as catalog
from comind_scaffold.checks.expected import AppEnv
from comind_scaffold.models import CheckResult, failed, passed
from comind_scaffold.specs import ServiceSpec, ServicesSpec

LAYER = layers.SERVICES.name


def check_container(row: Any) -> CheckResult:
    """Check that the service's container exists, runs and is healthy (`row`: a services-manager status row)."""
    ref = f"container {row.container}"
    if row.state in ("missing", "not ours"):
        return failed("service.container", LAYER, ref, f"{row.state}", "run `comind services up`")
    if row.state != "running":
        return failed("service.container", LAYER, ref, f"is {row.state}", f"comind services logs {row.service}")
    if row.health != "healthy":
        return failed("service.container", LAYER, ref, f"running but health is {row.health}")
    return passed("service.container", LAYER, ref, f"running, healthy ({row.image})")


def check_port(name: str, spec: ServiceSpec, services: ServicesSpec, row: Any, timeout: float) -> CheckResult:
    """Check that the service port accepts connections on the bind address — from our container, not another process."""
    address = f"{services.bind_address}:{spec.port}"
    listening = _accepts(services.bind_address, spec.port, timeout)
    if row.state != "running":
        if listening:
            return failed(
                "service.port",
                LAYER,
                address,
                f"answers while {row.container} is {row.state}: another process holds the port",
                f"free {address} or change {name}.port in services.yaml",
            )
        return failed("service.port", LAYER, address, "nothing listens")
    if not listening:
        return failed("service.port", LAYER, address, f"{row.container} runs but nothing accepts connections")
    return passed("service.port", LAYER, address, "accepts connections")


def check_probe(row: Any) -> CheckResult:
    """Check that the protocol probe (SQL, S3, PING, ListQueues) with the configured credentials succeeded."""
    if row.probe is None:
        why = "no credentials file (run `comind services up`)" if row.state == "running" else f"container {row.state}"
        return failed(f"{row.service}.probe", LAYER, f"{row.service}", f"not probed: {why}")
    return row.probe  # type: ignore[no-any-return]


def check_app_resources(pair: AppEnv, services: ServicesSpec, creds: Any, timeout: float) -> list[CheckResult]:
    """Check that the app's database, bucket and queues exist in the local services (superuser/root credentials)."""
    from comind_scaffold.services.probes import local_client

    enabled, host, app, env = services.enabled(), services.bind_address, pair.app, pair.env
    pg, store, mq = catalog.POSTGRESQL.name, catalog.MINIO.name, catalog.ELASTICMQ.name
    results: list[CheckResult] = []
    if app.with_database and pg in enabled:
        results.append(_database_exists(pair, enabled[pg], host, creds, timeout))
    if app.with_storage and store in enabled:
        bucket = app.bucket(services.platform, env)
        s3 = local_client(catalog.MINIO, host, enabled[store].port, creds.minio, timeout)
        results.append(_exists("app.bucket", f"bucket {bucket}", lambda: s3.head_bucket(Bucket=bucket)))
    if app.with_queue and mq in enabled:
        sqs = local_client(catalog.ELASTICMQ, host, enabled[mq].port, creds.elasticmq, timeout)
        for queue in (app.queue(env), f"{app.queue(env)}-dlq"):
            results.append(_exists("app.queue", f"queue {queue}", lambda n=queue: sqs.get_queue_url(QueueName=n)))
    return results or [passed("app.resources", LAYER, pair.namespace, "the app uses no local database/bucket/queue")]


def _database_exists(pair: AppEnv, spec: ServiceSpec, host: str, creds: Any, timeout: float) -> CheckResult:
    import psycopg

    name = pair.app.database(pair.env)
    ref = f"database {name}"
    pg = creds.postgresql
    try:
        with psycopg.connect(
            host=host,
            port=spec.port,
            user=pg.username,
            password=pg.password,
            dbname=pg.database,
            connect_timeout=max(1, round(timeout)),
        ) as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    except psycopg.Error as err:
        return failed("app.database", LAYER, ref, f"cannot ask PostgreSQL: {_first_line(err)}")
    if row is None:
        return failed(
            "app.database", LAYER, ref, "does not exist", "run `comind services up` (it creates app databases)"
        )
    return passed("app.database", LAYER, ref)


def _exists(name: str, ref: str, call: Any) -> CheckResult:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        call()
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code in {"404", "NoSuchBucket", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}:
            return failed(name, LAYER, ref, "does not exist", "run `comind services up` (it creates app resources)")
        return failed(name, LAYER, ref, f"refused: {code}")
    except BotoCoreError as err:
        return failed(name, LAYER, ref, f"unreachable: {_first_line(err)}")
    return passed(name, LAYER, ref)


def _accepts(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else err.__class__.__name__
