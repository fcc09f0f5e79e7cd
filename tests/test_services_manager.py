"""`comind services` against the real Docker engine and the locally built service images."""

from __future__ import annotations

import json
import stat
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from comind_scaffold import service_catalog as catalog
from comind_scaffold._docker import DockerEngine
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.services.credentials import MinioCredentials, QueueCredentials, load_credentials
from comind_scaffold.services.kinds import container_name, owned_labels
from comind_scaffold.services.manager import clean, logs, status, stop, up
from comind_scaffold.services.probes import local_client, probe_service
from comind_scaffold.services.report import Action
from tests.components import docker_stack as ds
from tests.helpers_services import SERVICES, image_refs, run_cli, services_yaml, unique_platform, write_platform

pytestmark = pytest.mark.docker

APPS = {
    "shop": {"environments": ["dev", "stage"], "with_database": True, "with_storage": True, "with_queue": True},
    "blog": {"environments": ["dev"], "with_database": True, "with_storage": True},
    "static": {"environments": ["dev"]},
}


@pytest.fixture(scope="module")
def engine(docker_engine: Any) -> DockerEngine:
    return DockerEngine(ds.docker_host())


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory, service_images: tuple[ds.ImageSet, str], engine: DockerEngine
) -> Iterator[tuple[PlatformRepo, Any]]:
    """A platform with every service enabled and three apps, brought up once; cleaned by label afterwards."""
    name = unique_platform("m")
    repo = write_platform(tmp_path_factory.mktemp("platform"), services_yaml(name, image_refs(*service_images)), APPS)
    messages: list[str] = []
    try:
        first = up(repo, engine=engine, progress=messages.append)
        yield repo, (first, messages)
    finally:
        clean(repo, engine=engine)


@pytest.fixture()
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", ds.docker_host())


def _s3_is_minio(repo: PlatformRepo) -> bool:
    return "/minio" in repo.services.services["minio"].image or repo.services.services["minio"].image.endswith("minio")


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a LISTEN socket on `port` (host network: the containers share our namespace)."""
    found = set()
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            address, hex_port = fields[1].split(":")
            if fields[3] != "0A" or int(hex_port, 16) != port:
                continue
            if table == "tcp6" and not address.startswith("0000000000000000FFFF0000"):
                found.add("::1" if address == "00000000000000000000000001000000" else f"ipv6 {address}")
                continue
            ipv4 = address[-8:]
            found.add(".".join(str(int(ipv4[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def test_first_up_creates_every_service_and_per_app_object(platform: tuple[PlatformRepo, Any]) -> None:
    repo, (report, messages) = platform
    assert report.credentials_created
    containers = {ch.service: ch.action for ch in report.changes if ch.object.startswith("container")}
    assert containers == dict.fromkeys(SERVICES, Action.CREATED)
    objects = {ch.object.split(" (")[0] for ch in report.changes if ch.action is Action.CREATED}
    assert {"database shop_dev", "database shop_stage", "database blog_dev"} <= objects
    assert {f"bucket {repo.services.platform}-shop-dev", f"bucket {repo.services.platform}-blog-dev"} <= objects
    assert {"queue shop-dev", "queue shop-stage"} <= objects
    assert not any("static" in ch.object for ch in report.changes), "an app without services got objects"
    assert any("healthy" in m for m in messages) and any("queues" in m for m in messages)


def test_containers_are_labelled_healthchecked_and_loopback_only(
    platform: tuple[PlatformRepo, Any], docker_engine: Any
) -> None:
    repo, _ = platform
    name = repo.services.platform
    for service in SERVICES:
        attrs = docker_engine.containers.get(container_name(name, service)).attrs
        assert owned_labels(name, service).items() <= attrs["Config"]["Labels"].items()
        assert attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
        assert attrs["Config"]["Healthcheck"]["Test"][0] == "CMD-SHELL"
        assert attrs["State"]["Health"]["Status"] == "healthy"
        mounts = {m["Name"]: m for m in attrs["Mounts"] if m["Type"] == "volume"}
        assert f"{container_name(name, service)}-data" in mounts
        volume = docker_engine.volumes.get(f"{container_name(name, service)}-data")
        assert volume.attrs["Labels"]["app.kubernetes.io/managed-by"] == "comind"
        spec = repo.services.services[service]
        listening = _listening_addresses(spec.port)
        assert "127.0.0.1" in listening and listening <= {"127.0.0.1", "::1"}, (service, listening)


def test_credentials_are_generated_once_private_and_not_printed(
    platform: tuple[PlatformRepo, Any], capsys: pytest.CaptureFixture[str], cli_env: None
) -> None:
    repo, _ = platform
    mode = stat.S_IMODE(repo.credentials_path.stat().st_mode)
    assert mode == 0o600
    text = repo.credentials_path.read_text()
    assert text.startswith("# LOCAL-ONLY")
    creds = load_credentials(repo.credentials_path)
    assert creds is not None and len(creds.postgresql.password) >= 24
    code, out, _ = run_cli(capsys, "services", "up", "--platform-dir", str(repo.root))
    assert code == 0
    assert creds.postgresql.password not in out and creds.minio.secret_key not in out
    assert load_credentials(repo.credentials_path) == creds, "a second up regenerated credentials"
    code, out, _ = run_cli(capsys, "services", "credentials", "--show", "--platform-dir", str(repo.root))
    assert code == 0 and creds.postgresql.password in out


def test_second_up_changes_nothing_and_says_so(
    platform: tuple[PlatformRepo, Any], engine: DockerEngine, capsys: pytest.CaptureFixture[str], cli_env: None
) -> None:
    repo, _ = platform
    report = up(repo, engine=engine)
    assert not report.changed
    assert {ch.action for ch in report.changes} <= {Action.UNCHANGED, Action.SKIPPED}
    code, out, _ = run_cli(capsys, "services", "up", "--platform-dir", str(repo.root))
    assert code == 0 and "nothing to do" in out


def test_app_database_role_reaches_only_its_own_database(platform: tuple[PlatformRepo, Any]) -> None:
    repo, _ = platform
    creds = load_credentials(repo.credentials_path)
    assert creds is not None
    port = repo.services.services["postgresql"].port
    shop = creds.apps["shop"]["dev"].database_password
    with psycopg.connect(host="127.0.0.1", port=port, user="shop_dev", password=shop, dbname="shop_dev",
                         connect_timeout=5) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS ping (id int)")
        assert conn.execute("SELECT current_user").fetchone() == ("shop_dev",)
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(host="127.0.0.1", port=port, user="shop_dev", password=shop, dbname="blog_dev",
                        connect_timeout=5)


def test_app_storage_user_reaches_only_its_own_bucket(platform: tuple[PlatformRepo, Any]) -> None:
    repo, (report, _) = platform
    name = repo.services.platform
    if not _s3_is_minio(repo):
        skipped = [ch for ch in report.changes if ch.service == "minio" and ch.action is Action.SKIPPED]
        assert skipped and "stand-in" in skipped[0].detail
        pytest.skip("S3 is the moto stand-in: no MinIO admin API, users are not created")
    creds = load_credentials(repo.credentials_path)
    assert creds is not None
    own = f"{name}-shop-dev"
    login = MinioCredentials(access_key=own, secret_key=creds.apps["shop"]["dev"].storage_secret_key)
    s3 = local_client(catalog.MINIO, "127.0.0.1", repo.services.services["minio"].port, login, 5)
    s3.put_object(Bucket=own, Key="hello.txt", Body=b"hi")
    assert s3.get_object(Bucket=own, Key="hello.txt")["Body"].read() == b"hi"
    with pytest.raises(Exception, match="AccessDenied"):
        s3.put_object(Bucket=f"{name}-blog-dev", Key="intruder.txt", Body=b"no")


def test_app_queue_has_its_dead_letter_queue(platform: tuple[PlatformRepo, Any]) -> None:
    repo, _ = platform
    sqs = local_client(catalog.ELASTICMQ, "127.0.0.1", repo.services.services["elasticmq"].port, QueueCredentials(), 5)
    for env in ("dev", "stage"):
        url = sqs.get_queue_url(QueueName=f"shop-{env}")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
        redrive = json.loads(attrs["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"].endswith(f":shop-{env}-dlq")
        assert int(redrive["maxReceiveCount"]) == 5
        sqs.get_queue_url(QueueName=f"shop-{env}-dlq")


def test_status_probes_every_service(
    platform: tuple[PlatformRepo, Any], capsys: pytest.CaptureFixture[str], cli_env: None
) -> None:
    repo, _ = platform
    code, out, _ = run_cli(capsys, "services", "status", "--json", "--platform-dir", str(repo.root))
    assert code == 0, out
    rows = {row["service"]: row for row in json.loads(out)}
    assert set(rows) == set(SERVICES)
    for row in rows.values():
        assert row["ok"] and row["state"] == "running" and row["health"] == "healthy", row
        assert row["probe"]["layer"] == "services" and row["probe"]["status"] in ("PASS", "WARN"), row
    assert "SELECT 1" in rows["postgresql"]["probe"]["message"]
    assert rows["redis"]["probe"]["message"] == "PONG"


def test_probe_with_wrong_password_fails_and_names_the_service(platform: tuple[PlatformRepo, Any]) -> None:
    repo, _ = platform
    creds = load_credentials(repo.credentials_path)
    assert creds is not None
    creds.postgresql.password = "wrong"
    creds.redis.password = "wrong"
    for service in ("postgresql", "redis"):
        result = probe_service(service, repo.services.services[service], creds, timeout=3)
        assert not result.ok and result.object.startswith(service), result


def test_status_with_one_service_stopped_names_it(
    platform: tuple[PlatformRepo, Any], engine: DockerEngine, capsys: pytest.CaptureFixture[str], cli_env: None
) -> None:
    repo, _ = platform
    changes = stop(repo, only=["redis"], engine=engine)
    assert [(ch.service, ch.action) for ch in changes] == [("redis", Action.STOPPED)]
    try:
        code, out, _ = run_cli(capsys, "services", "status", "--platform-dir", str(repo.root))
        assert code == 1
        assert "down or unhealthy: redis" in out
        rows = {row.service: row for row in status(repo, engine=engine)}
        assert not rows["redis"].ok and rows["redis"].state == "exited"
        assert all(rows[s].ok for s in SERVICES if s != "redis")
    finally:
        report = up(repo, engine=engine)
    started = [ch for ch in report.changes if ch.action is Action.STARTED]
    assert [ch.service for ch in started] == ["redis"]


def test_data_survives_stop_and_up(platform: tuple[PlatformRepo, Any], engine: DockerEngine) -> None:
    repo, _ = platform
    creds = load_credentials(repo.credentials_path)
    assert creds is not None
    svc = repo.services.services
    marker = uuid.uuid4().hex
    pg = dict(host="127.0.0.1", port=svc["postgresql"].port, user=creds.postgresql.username,
              password=creds.postgresql.password, dbname=creds.postgresql.database, connect_timeout=5)
    with psycopg.connect(**pg) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS survivors (marker text)")
        conn.execute("INSERT INTO survivors VALUES (%s)", (marker,))
    s3 = local_client(catalog.MINIO, "127.0.0.1", svc["minio"].port, creds.minio, 5)
    bucket = f"{repo.services.platform}-shop-dev"
    s3.put_object(Bucket=bucket, Key="survivor.txt", Body=marker.encode())
    sqs = local_client(catalog.ELASTICMQ, "127.0.0.1", svc["elasticmq"].port, creds.elasticmq, 5)
    queue = sqs.get_queue_url(QueueName="shop-dev")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=marker)
    cache = redis.Redis(host="127.0.0.1", port=svc["redis"].port, password=creds.redis.password)
    cache.set("survivor", marker)
    cache.close()

    stopped = stop(repo, engine=engine)
    assert {ch.service for ch in stopped if ch.action is Action.STOPPED} == set(SERVICES)
    report = up(repo, engine=engine)
    assert {ch.service for ch in report.changes if ch.action is Action.STARTED} == set(SERVICES)

    with psycopg.connect(**pg) as conn:
        assert (marker,) in conn.execute("SELECT marker FROM survivors").fetchall()
    assert s3.get_object(Bucket=bucket, Key="survivor.txt")["Body"].read() == marker.encode()
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=5).get("Messages", [])
    assert marker in [m["Body"] for m in received]
    cache = redis.Redis(host="127.0.0.1", port=svc["redis"].port, password=creds.redis.password)
    assert cache.get("survivor") == marker.encode()
    cache.close()


def test_logs_show_the_service_output(
    platform: tuple[PlatformRepo, Any], capsys: pytest.CaptureFixture[str], cli_env: None
) -> None:
    repo, _ = platform
    code, out, _ = run_cli(capsys, "services", "logs", "redis", "--tail", "50", "--platform-dir", str(repo.root))
    assert code == 0 and "Ready to accept connections" in out


def test_logs_follow_streams_until_the_container_stops(
    platform: tuple[PlatformRepo, Any], engine: DockerEngine
) -> None:
    repo, _ = platform
    lines: list[str] = []
    stream = logs(repo, "redis", follow=True, tail=5, engine=engine)
    reader = threading.Thread(target=lambda: lines.extend(stream), daemon=True)
    reader.start()
    try:
        stop(repo, only=["redis"], engine=engine)
        reader.join(timeout=60)
        assert not reader.is_alive(), "--follow did not end when the container stopped"
        assert any("ready to exit" in line.lower() for line in lines), lines[-5:]
    finally:
        up(repo, engine=engine)
