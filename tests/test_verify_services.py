"""services layer against the real local services (PostgreSQL, MinIO, Redis, ElasticMQ containers on loopback).

The stack is brought up by the real services manager (`comind services up`) from the locally built test
images; each fault is injected, named by the right check, and repaired by running `up` again.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from comind_scaffold._docker import DockerEngine
from comind_scaffold.checks.expected import Expected
from comind_scaffold.models import CheckResult, Status
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.services.kinds import container_name
from comind_scaffold.services.manager import clean, up
from comind_scaffold.verifier.layers import services_results
from tests.components import docker_stack as ds
from tests.helpers_services import image_refs, services_yaml, unique_platform, write_platform
from tests.helpers_verify import run_verify

pytestmark = [pytest.mark.docker, pytest.mark.services, pytest.mark.slow]
APP = {"environments": ["dev"], "with_database": True, "with_storage": True, "with_queue": True}


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, service_images: tuple[ds.ImageSet, str], docker_engine: Any
) -> Iterator[tuple[PlatformRepo, DockerEngine]]:
    engine = DockerEngine(ds.docker_host())
    root = tmp_path_factory.mktemp("services-platform")
    repo = write_platform(root, services_yaml(unique_platform("v"), image_refs(*service_images)), apps={"shop": APP})
    try:
        up(repo, engine=engine)
        yield repo, engine
    finally:
        clean(repo, engine=engine)


def check(stack: tuple[PlatformRepo, DockerEngine]) -> list[CheckResult]:
    repo, engine = stack
    return services_results(repo, engine, Expected(repo), timeout=3.0)


def failures(found: list[CheckResult]) -> dict[str, CheckResult]:
    return {f"{r.name} {r.object}": r for r in found if r.status is Status.FAIL}


@contextlib.contextmanager
def repaired(stack: tuple[PlatformRepo, DockerEngine]) -> Iterator[None]:
    """Run the body with a fault in place, then `up` again and require a clean bill of health."""
    try:
        yield
    finally:
        up(stack[0], engine=stack[1])
        left = failures(check(stack))
        assert not left, "not repaired: " + "; ".join(r.line() for r in left.values())


def _container(stack: tuple[PlatformRepo, DockerEngine], service: str, docker_engine: Any) -> Any:
    return docker_engine.containers.get(container_name(stack[0].services.platform, service))


def test_healthy_services_have_no_failure(stack: tuple[PlatformRepo, DockerEngine]) -> None:
    found = check(stack)
    assert failures(found) == {}
    warnings = [r for r in found if r.status is Status.WARN]
    # the one allowed WARN: an S3 stand-in instead of MinIO (no /minio/health/live); with MinIO there is none
    assert all("S3 stand-in" in r.message for r in warnings), [r.line() for r in warnings]
    objects = {r.object for r in found}
    assert {"database shop_dev", f"bucket {stack[0].services.platform}-shop-dev", "queue shop-dev-dlq"} <= objects


def test_service_stopped(stack: tuple[PlatformRepo, DockerEngine], docker_engine: Any) -> None:
    container = _container(stack, "redis", docker_engine)
    port = stack[0].services.services["redis"].port
    with repaired(stack):
        container.stop(timeout=5)
        found = failures(check(stack))
        assert found[f"service.container container {container.name}"].message == "is exited"
        assert found[f"service.port 127.0.0.1:{port}"].message == "nothing listens"
        assert "redis.probe redis" in found


def test_port_held_by_another_process(stack: tuple[PlatformRepo, DockerEngine], docker_engine: Any) -> None:
    container = _container(stack, "redis", docker_engine)
    port = stack[0].services.services["redis"].port
    with repaired(stack):
        container.stop(timeout=5)
        with socket.socket() as squatter:
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", port))
            squatter.listen()
            message = failures(check(stack))[f"service.port 127.0.0.1:{port}"].message
        assert "another process holds the port" in message and container.name in message


def test_wrong_credentials(stack: tuple[PlatformRepo, DockerEngine]) -> None:
    repo = stack[0]
    original = repo.credentials_path.read_text()
    data = yaml.safe_load(original)
    data["redis"]["password"] = "not-the-password"
    try:
        repo.credentials_path.write_text(yaml.safe_dump(data))
        found = failures(check(stack))
        [name] = [key for key in found if key.startswith("redis.")]
        assert "redis" in found[name].object
    finally:
        repo.credentials_path.write_text(original)
    assert failures(check(stack)) == {}


def test_missing_app_database_bucket_and_queue(stack: tuple[PlatformRepo, DockerEngine]) -> None:
    import boto3
    import psycopg

    repo = stack[0]
    creds = yaml.safe_load(repo.credentials_path.read_text())
    services, platform = repo.services.services, repo.services.platform
    with repaired(stack):
        pg = creds["postgresql"]
        with psycopg.connect(
            host="127.0.0.1",
            port=services["postgresql"].port,
            user=pg["username"],
            password=pg["password"],
            dbname=pg["database"],
            autocommit=True,
        ) as conn:
            conn.execute("DROP DATABASE shop_dev WITH (FORCE)")
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{services['minio'].port}",
            aws_access_key_id=creds["minio"]["access_key"],
            aws_secret_access_key=creds["minio"]["secret_key"],
            region_name=creds["minio"]["region"],
        )
        bucket = f"{platform}-shop-dev"
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
        s3.delete_bucket(Bucket=bucket)
        q = creds["elasticmq"]
        sqs = boto3.client(
            "sqs",
            endpoint_url=f"http://127.0.0.1:{services['elasticmq'].port}",
            aws_access_key_id=q["access_key"],
            aws_secret_access_key=q["secret_key"],
            region_name=q["region"],
        )
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="shop-dev")["QueueUrl"])
        found = failures(check(stack))
        assert found["app.database database shop_dev"].message == "does not exist"
        assert found[f"app.bucket bucket {bucket}"].message == "does not exist"
        assert found["app.queue queue shop-dev"].message == "does not exist"


def test_plugin_services_layer(stack: tuple[PlatformRepo, DockerEngine], tmp_path: Path) -> None:
    report = tmp_path / "verify.json"
    proc = run_verify(
        "--profile=local",
        "-m",
        "services",
        f"--platform-dir={stack[0].root}",
        f"--json={report}",
        "-v",
        env={"DOCKER_HOST": ds.docker_host()},
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "test_service_probe[postgresql] PASSED" in proc.stdout
    assert "test_app_service_resources[shop-dev] PASSED" in proc.stdout
    row = json.loads(report.read_text())["layers"]["services"]
    assert row["FAIL"] == 0 and row["PASS"] >= 13
