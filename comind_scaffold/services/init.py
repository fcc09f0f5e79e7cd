"""Create what the platform and its apps declare inside the running services.

PostgreSQL: the platform database, and per app environment that asked for one a role and a database it
owns (closed to PUBLIC). MinIO: per app environment with storage a bucket, plus on real MinIO a user whose
policy reaches only that bucket. ElasticMQ: per app environment with a queue the queue and its dead-letter
queue. Every step looks before it acts, so a second run reports everything unchanged.

What is created here carries comind's mark (`app.kubernetes.io/managed-by=comind`: a database comment, a bucket
tag, a queue tag), the same mark the app's Terraform module sets: `comind tf apply` takes over what carries it
and refuses anything else of the same name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import botocore.exceptions
import psycopg
from minio import MinioAdmin
from minio.credentials.providers import StaticProvider
from minio.error import MinioAdminException
from psycopg import sql

from comind_scaffold import constants as c
from comind_scaffold import service_catalog as catalog
from comind_scaffold.errors import ServiceError
from comind_scaffold.services.credentials import LocalCredentials
from comind_scaffold.services.probes import is_minio, local_client
from comind_scaffold.services.report import Action, Change
from comind_scaffold.specs import AppSpec, ServiceSpec, ServicesSpec

DLQ_MAX_RECEIVES = 5
MANAGED_KEY, MANAGED_VALUE = c.LABEL_MANAGED_BY, c.MANAGED_BY
_ADMIN_WORKERS = 4
_TIMEOUT = 10.0
_PG, _S3, _MQ = catalog.POSTGRESQL, catalog.MINIO, catalog.ELASTICMQ


def _change(service: str, obj: str, created: bool, detail: str = "") -> Change:
    return Change(service=service, object=obj, action=Action.CREATED if created else Action.UNCHANGED, detail=detail)


def init_postgresql(spec: ServiceSpec, creds: LocalCredentials, apps: Sequence[AppSpec], host: str) -> list[Change]:
    """The platform database, then a role and an owned database per app environment with a database."""
    pg = creds.postgresql
    try:
        with psycopg.connect(
            host=host, port=spec.port, user=pg.username, password=pg.password, dbname="postgres",
            connect_timeout=int(_TIMEOUT), autocommit=True,
        ) as conn:
            changes = [_change(_PG.name, f"database {pg.database}", _ensure_database(conn, pg.database, None))]
            for app in apps:
                if not app.with_database:
                    continue
                for env in app.environments:
                    name = app.database(env)
                    password = creds.for_app(app.app_name, env).database_password
                    role_new = _ensure_role(conn, name, password)
                    db_new = _ensure_database(conn, name, name)
                    detail = "role and database" if role_new and db_new else ""
                    changes.append(_change(_PG.name, f"database {name} (role {name})", role_new or db_new, detail))
    except psycopg.Error as err:
        raise ServiceError(f"postgresql {host}:{spec.port}: initialisation failed: {str(err).strip()}") from err
    return changes


def _ensure_role(conn: psycopg.Connection[Any], role: str, password: str) -> bool:
    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
        return False
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
    return True


def _ensure_database(conn: psycopg.Connection[Any], database: str, owner: str | None) -> bool:
    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
        return False
    if owner is None:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        return True
    conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(owner)))
    conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)))
    mark = f"{MANAGED_KEY}={MANAGED_VALUE}"
    conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(database), sql.Literal(mark)))
    return True


def bucket_policy(bucket: str) -> dict[str, Any]:
    """An IAM-style policy reaching only `bucket` and its objects."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
             "Resource": [f"arn:aws:s3:::{bucket}"]},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": [f"arn:aws:s3:::{bucket}/*"]},
        ],
    }


def init_minio(
    spec: ServiceSpec, creds: LocalCredentials, apps: Sequence[AppSpec], platform: str, host: str
) -> list[Change]:
    """A bucket per app environment with storage, and on real MinIO a user limited to it by a policy."""
    root = creds.minio
    s3 = local_client(_S3, host, spec.port, root, _TIMEOUT)
    minio = is_minio(host, spec.port, _TIMEOUT) is True
    admin = MinioAdmin(
        endpoint=f"{host}:{spec.port}", credentials=StaticProvider(root.access_key, root.secret_key), secure=False
    )
    wanted = [
        (app.bucket(platform, env), creds.for_app(app.app_name, env).storage_secret_key)
        for app in apps if app.with_storage for env in app.environments
    ]
    changes = [_change(_S3.name, f"bucket {bucket}", _ensure_bucket(s3, bucket)) for bucket, _ in wanted]
    if not minio:
        return changes + [
            Change(service=_S3.name, object=f"user {bucket}", action=Action.SKIPPED,
                   detail="the S3 endpoint is a stand-in without MinIO's admin API")
            for bucket, _ in wanted
        ]
    # Each admin call derives an argon2 key on both ends (about a second per user): create users side by side.
    with ThreadPoolExecutor(max_workers=_ADMIN_WORKERS) as pool:
        created = list(pool.map(lambda pair: _ensure_user(admin, *pair), wanted))
    users = [bucket for bucket, _ in wanted]
    return changes + [
        _change(_S3.name, f"user {user} (policy {user}-rw)", new) for user, new in zip(users, created, strict=True)
    ]


def _ensure_bucket(s3: Any, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise ServiceError(f"minio: bucket {bucket}: {err}") from err
    try:
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": MANAGED_KEY, "Value": MANAGED_VALUE}]})
    except botocore.exceptions.ClientError as err:
        raise ServiceError(f"minio: bucket {bucket}: {err}") from err
    return True


def _ensure_user(admin: MinioAdmin, user: str, secret: str) -> bool:
    policy = f"{user}-rw"
    try:
        existing = json.loads(admin.user_info(user))
    except MinioAdminException as err:
        if "NoSuchUser" not in str(err):
            raise ServiceError(f"minio: user {user}: {err}") from err
        existing = None
    if existing is not None and policy in str(existing.get("policyName", "")).split(","):
        return False
    try:
        admin.policy_add(policy, policy=bucket_policy(user))
        if existing is None:
            admin.user_add(user, secret)
        admin.attach_policy([policy], user=user)
    except MinioAdminException as err:
        raise ServiceError(f"minio: user {user}: {err}") from err
    return True


def init_elasticmq(spec: ServiceSpec, creds: LocalCredentials, apps: Sequence[AppSpec], host: str) -> list[Change]:
    """A queue and its dead-letter queue (via RedrivePolicy) per app environment with a queue."""
    mq = creds.elasticmq
    sqs = local_client(_MQ, host, spec.port, mq, _TIMEOUT)
    changes: list[Change] = []
    try:
        for app in apps:
            if not app.with_queue:
                continue
            for env in app.environments:
                name = app.queue(env)
                dlq_new, dlq_url = _ensure_queue(sqs, f"{name}-dlq", {})
                found = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
                dlq_arn = found["Attributes"]["QueueArn"]
                redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(DLQ_MAX_RECEIVES)})
                queue_new, _ = _ensure_queue(sqs, name, {"RedrivePolicy": redrive})
                changes.append(_change(_MQ.name, f"queue {name} (dead-letter {name}-dlq)", dlq_new or queue_new))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
        raise ServiceError(f"elasticmq {host}:{spec.port}: initialisation failed: {err}") from err
    return changes


def _ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[bool, str]:
    try:
        return False, str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except botocore.exceptions.ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if "NonExistentQueue" not in code and "QueueDoesNotExist" not in code:
            raise
    created = sqs.create_queue(QueueName=name, Attributes=attributes, tags={MANAGED_KEY: MANAGED_VALUE})
    return True, str(created["QueueUrl"])


Provision = Callable[[ServiceSpec, LocalCredentials, Sequence[AppSpec], ServicesSpec], list[Change]]

# What `comind services up` creates inside each healthy service, in this order (Redis holds nothing per app).
PROVISIONERS: dict[catalog.LocalService, tuple[str, Provision]] = {
    catalog.POSTGRESQL: ("databases and roles",
                         lambda spec, creds, apps, on: init_postgresql(spec, creds, apps, on.bind_address)),
    catalog.MINIO: ("buckets and users",
                    lambda spec, creds, apps, on: init_minio(spec, creds, apps, on.platform, on.bind_address)),
    catalog.ELASTICMQ: ("queues", lambda spec, creds, apps, on: init_elasticmq(spec, creds, apps, on.bind_address)),
}
