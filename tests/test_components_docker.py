"""Smoke tests of the locally built service containers (PostgreSQL, S3, Redis, ElasticMQ)."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest

from tests.components.docker_stack import LOOPBACK, ServiceEndpoint, ServiceStack, docker_host

pytestmark = pytest.mark.docker


def _pg_connect(ep: ServiceEndpoint) -> Any:
    import psycopg
    return psycopg.connect(ep.url, connect_timeout=10, autocommit=True)


def _sqs(ep: ServiceEndpoint) -> Any:
    import boto3
    c = ep.credentials
    return boto3.client(
        "sqs",
        endpoint_url=ep.endpoint_url,
        region_name=c["region"],
        aws_access_key_id=c["access_key"],
        aws_secret_access_key=c["secret_key"],
    )


def _s3(ep: ServiceEndpoint) -> Any:
    import boto3
    from botocore.config import Config

    c = ep.credentials
    return boto3.client(
        "s3",
        endpoint_url=ep.endpoint_url,
        region_name=c["region"],
        aws_access_key_id=c["access_key"],
        aws_secret_access_key=c["secret_key"],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    )


def test_services_listen_on_loopback_only(service_stack: ServiceStack, docker_engine: Any) -> None:
    for ep in service_stack:
        assert ep.host == LOOPBACK
        c = docker_engine.containers.get(ep.container)
        assert c.attrs["HostConfig"]["NetworkMode"] == "host"
        assert c.labels["comind.ops/managed"] == "true"
        assert c.labels["comind.ops/purpose"] == "test"
        assert c.attrs["State"]["Health"]["Status"] == "healthy"


def test_postgres_sql_round_trip(service_stack: ServiceStack) -> None:
    ep = service_stack.postgres
    with _pg_connect(ep) as conn:
        assert conn.execute("select current_database()").fetchone()[0] == "comind_ops_dev"
        assert conn.execute("show server_encoding").fetchone()[0] == "UTF8"
        conn.execute("create table smoke_round_trip (id serial primary key, name text not null)")
        conn.execute("insert into smoke_round_trip (name) values (%s), (%s)", ("alpha", "βeta"))
        rows = conn.execute("select name from smoke_round_trip order by id").fetchall()
        assert [r[0] for r in rows] == ["alpha", "βeta"]
        conn.execute("drop table smoke_round_trip")


def test_postgres_rejects_wrong_password(service_stack: ServiceStack) -> None:
    import psycopg
    ep = service_stack.postgres
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(host=ep.host, port=ep.port, user="postgres", password="wrong", dbname="postgres")


def test_redis_set_get_with_password(service_stack: ServiceStack) -> None:
    import redis
    ep = service_stack.redis
    client = redis.Redis(host=ep.host, port=ep.port, password=ep.credentials["password"], socket_timeout=5)
    key = f"smoke:{uuid.uuid4().hex}"
    assert client.set(key, "value-1", ex=60)
    assert client.get(key) == b"value-1"
    assert client.delete(key) == 1
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # no retries: redis-py retries failed commands with backoff by default (~4 s here)
    anonymous = redis.Redis(host=ep.host, port=ep.port, socket_timeout=5, retry=Retry(NoBackoff(), 0))
    with pytest.raises(redis.exceptions.AuthenticationError):
        anonymous.get(key)


def test_s3_put_get_list(service_stack: ServiceStack) -> None:
    s3 = _s3(service_stack.s3)
    bucket = f"smoke-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    body = json.dumps({"hello": "world"}).encode()
    s3.put_object(Bucket=bucket, Key="dir/a.json", Body=body)
    s3.put_object(Bucket=bucket, Key="dir/b.txt", Body=b"b")
    assert s3.get_object(Bucket=bucket, Key="dir/a.json")["Body"].read() == body
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="dir/")
    assert sorted(o["Key"] for o in listed["Contents"]) == ["dir/a.json", "dir/b.txt"]
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_minio_health_live(service_stack: ServiceStack) -> None:
    ep = service_stack.s3
    if ep.kind != "minio":
        pytest.skip(f"S3 is served by the {ep.kind} stand-in ({ep.image}), which has no /minio/health/live")
    with urllib.request.urlopen(f"{ep.endpoint_url}/minio/health/live", timeout=5) as resp:
        assert resp.status == 200
    # the console listens too, on its own loopback port
    with urllib.request.urlopen(f"http://{ep.host}:{ep.ports['console']}/", timeout=5) as resp:
        assert resp.status == 200


def test_sqs_create_send_receive(service_stack: ServiceStack) -> None:
    sqs = _sqs(service_stack.elasticmq)
    name = f"smoke-{uuid.uuid4().hex[:12]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url.endswith(f"/{name}")
    sqs.send_message(QueueUrl=url, MessageBody="ping")
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=2).get("Messages", [])
    assert [m["Body"] for m in msgs] == ["ping"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])
    sqs.delete_queue(QueueUrl=url)


def test_restart_keeps_postgres_row_and_sqs_message(service_stack: ServiceStack) -> None:
    pg, mq = service_stack.postgres, service_stack.elasticmq
    marker = uuid.uuid4().hex
    with _pg_connect(pg) as conn:
        conn.execute("create table if not exists smoke_persist (marker text primary key)")
        conn.execute("insert into smoke_persist values (%s)", (marker,))
    sqs = _sqs(mq)
    qname = f"persist-{marker[:12]}"
    url = sqs.create_queue(QueueName=qname)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=marker)

    service_stack.restart(pg)
    service_stack.restart(mq)

    with _pg_connect(pg) as conn:
        assert conn.execute("select count(*) from smoke_persist where marker = %s", (marker,)).fetchone()[0] == 1
    sqs = _sqs(mq)
    url = sqs.get_queue_url(QueueName=qname)["QueueUrl"]
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=5).get("Messages", [])
    assert [m["Body"] for m in msgs] == [marker]


@pytest.fixture
def testinfra_host(monkeypatch: pytest.MonkeyPatch, docker_engine: Any) -> Any:
    import testinfra
    # testinfra's docker backend shells out to the docker CLI: point it at the test engine.
    monkeypatch.setenv("DOCKER_HOST", docker_host())

    def get(container: str) -> Any:
        return testinfra.get_host(f"docker://{container}")

    return get


def test_testinfra_sees_postgres_process_and_socket(service_stack: ServiceStack, testinfra_host: Any) -> None:
    ep = service_stack.postgres
    host = testinfra_host(ep.container)
    procs = host.process.filter(comm="postgres")
    assert procs, "no postgres process in the container"
    assert {p.user for p in procs} == {"postgres"}
    assert host.socket(f"tcp://{LOOPBACK}:{ep.port}").is_listening
    assert not host.socket(f"tcp://0.0.0.0:{ep.port}").is_listening


def test_testinfra_sees_redis_and_elasticmq(service_stack: ServiceStack, testinfra_host: Any) -> None:
    rd, mq = service_stack.redis, service_stack.elasticmq
    host = testinfra_host(rd.container)
    assert host.process.filter(comm="redis-server")
    assert host.socket(f"tcp://{LOOPBACK}:{rd.port}").is_listening
    host = testinfra_host(mq.container)
    assert host.process.filter(comm="java")
    assert host.socket(f"tcp://{LOOPBACK}:{mq.port}").is_listening


def test_elasticmq_rejects_unknown_queue(service_stack: ServiceStack) -> None:
    import botocore
    sqs = _sqs(service_stack.elasticmq)
    with pytest.raises(botocore.exceptions.ClientError):
        sqs.get_queue_url(QueueName=f"missing-{uuid.uuid4().hex[:8]}")

