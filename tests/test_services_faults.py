"""Bad input and faults of `comind services`: one line naming the problem, exit 2, nothing written or touched."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from comind_scaffold._docker import DockerEngine
from comind_scaffold.errors import ServiceError
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.services.kinds import container_name, owned_labels
from comind_scaffold.services.manager import clean, up
from comind_scaffold.services.report import Action
from tests.components import docker_stack as ds
from tests.helpers_services import (
    SERVICES,
    assert_one_line_error,
    foreign_container,
    image_refs,
    run_cli,
    services_yaml,
    unique_platform,
    write_platform,
)

REDIS_ONLY = ("redis",)
PLACEHOLDER_REFS = dict.fromkeys(SERVICES, ("comind-test/never-started", "1"))


@pytest.fixture()
def refs(service_images: tuple[ds.ImageSet, str]) -> dict[str, tuple[str, str]]:
    return image_refs(*service_images)


@pytest.fixture()
def engine(docker_engine: Any) -> DockerEngine:
    return DockerEngine(ds.docker_host())


@pytest.fixture()
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", ds.docker_host())


@pytest.fixture()
def redis_platform(tmp_path: Path, refs: dict[str, tuple[str, str]], engine: DockerEngine) -> Iterator[PlatformRepo]:
    """A platform with only Redis enabled; whatever it created is removed by label afterwards."""
    repo = write_platform(tmp_path, services_yaml(unique_platform("f"), refs, enabled=REDIS_ONLY))
    try:
        yield repo
    finally:
        clean(repo, engine=engine)


def _nothing_created(repo: PlatformRepo, engine: DockerEngine) -> None:
    labels = owned_labels(repo.services.platform)
    assert engine.containers(labels) == [] and engine.volumes(labels) == []
    assert not repo.credentials_path.exists()


def test_unknown_service_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_platform(tmp_path, services_yaml(unique_platform("u"), PLACEHOLDER_REFS))
    code, _, err = run_cli(capsys, "services", "up", "--only", "mongodb", "--platform-dir", str(repo.root))
    assert_one_line_error(code, err, "service", "'mongodb'", "postgresql, minio, redis, elasticmq")
    code, _, err = run_cli(capsys, "services", "logs", "mongodb", "--platform-dir", str(repo.root))
    assert_one_line_error(code, err, "service", "'mongodb'")
    assert not repo.credentials_path.exists()


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ({"port": 70000}, ["services.redis.port", "less than or equal to 65535"]),
        ({"colour": "red"}, ["services.redis.colour", "Extra inputs are not permitted"]),
        ({"version": "latest"}, ["services.redis.version", "pinned version"]),
    ],
    ids=["port-range", "unknown-key", "latest-tag"],
)
def test_services_yaml_schema_error_names_key_and_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], needles: list[str]
) -> None:
    repo = write_platform(tmp_path, services_yaml(unique_platform("s"), PLACEHOLDER_REFS, redis=change))
    for verb in ("up", "status", "stop"):
        code, _, err = run_cli(capsys, "services", verb, "--platform-dir", str(repo.root))
        assert_one_line_error(code, err, "services.yaml", *needles)
    assert not repo.credentials_path.exists()


def test_non_loopback_bind_address_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = services_yaml(unique_platform("b"), PLACEHOLDER_REFS)
    data["bind_address"] = "0.0.0.0"
    repo = write_platform(tmp_path, data)
    code, _, err = run_cli(capsys, "services", "up", "--platform-dir", str(repo.root))
    assert_one_line_error(code, err, "bind_address", "loopback")


def test_docker_engine_not_reachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = write_platform(tmp_path, services_yaml(unique_platform("d"), PLACEHOLDER_REFS))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    for verb in ("up", "status", "stop"):
        code, _, err = run_cli(capsys, "services", verb, "--platform-dir", str(repo.root))
        assert_one_line_error(code, err, "Docker engine not reachable", "no-engine.sock")
    assert not repo.credentials_path.exists()


@pytest.mark.docker
def test_port_in_use_is_found_before_starting(
    redis_platform: PlatformRepo, engine: DockerEngine, capsys: pytest.CaptureFixture[str], cli_env: None
) -> None:
    port = redis_platform.services.services["redis"].port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen(1)
        code, _, err = run_cli(capsys, "services", "up", "--platform-dir", str(redis_platform.root))
    assert_one_line_error(code, err, "services.redis.port", f"port {port}", "already in use")
    _nothing_created(redis_platform, engine)


@pytest.mark.docker
def test_missing_image_is_named(
    tmp_path: Path, refs: dict[str, tuple[str, str]], engine: DockerEngine,
    capsys: pytest.CaptureFixture[str], cli_env: None,
) -> None:
    data = services_yaml(unique_platform("i"), refs, enabled=REDIS_ONLY, redis={"image": "comind-test/absent"})
    repo = write_platform(tmp_path, data)
    code, _, err = run_cli(capsys, "services", "up", "--platform-dir", str(repo.root))
    assert_one_line_error(code, err, "redis", "comind-test/absent", "not present")
    _nothing_created(repo, engine)


@pytest.mark.docker
def test_foreign_container_with_our_name_is_never_touched(
    redis_platform: PlatformRepo, engine: DockerEngine, docker_engine: Any,
    capsys: pytest.CaptureFixture[str], cli_env: None,
) -> None:
    name = container_name(redis_platform.services.platform, "redis")
    image = redis_platform.services.services["redis"].image_ref
    root = str(redis_platform.root)
    with foreign_container(docker_engine, name, image) as foreign:
        for args in (("up",), ("stop",), ("logs", "redis")):
            code, _, err = run_cli(capsys, "services", *args, "--platform-dir", root)
            assert_one_line_error(code, err, name, "not created by comind", "refusing")
        code, out, _ = run_cli(capsys, "services", "clean", "--yes", "--platform-dir", root)
        assert code == 0 and "nothing to remove" in out
        code, out, _ = run_cli(capsys, "services", "status", "--platform-dir", root)
        assert code == 1 and "not ours" in out
        foreign.reload()
        assert foreign.status == "created" and foreign.labels == foreign.attrs["Config"]["Labels"]
        assert not foreign.labels.get("comind.ops/managed") and not foreign.labels.get("app.kubernetes.io/managed-by")


@pytest.mark.docker
def test_clean_removes_only_what_carries_our_labels(
    redis_platform: PlatformRepo, engine: DockerEngine, docker_engine: Any,
    capsys: pytest.CaptureFixture[str], cli_env: None,
) -> None:
    up(redis_platform, engine=engine)
    platform = redis_platform.services.platform
    image = redis_platform.services.services["redis"].image_ref
    bystander_volume = docker_engine.volumes.create(name=f"{platform}-bystander-data")
    try:
        with foreign_container(docker_engine, f"{platform}-bystander", image) as bystander:
            code, _, err = run_cli(capsys, "services", "clean", "--platform-dir", str(redis_platform.root))
            assert_one_line_error(code, err, "--yes")
            assert engine.containers(owned_labels(platform)), "clean without --yes removed something"
            code, out, _ = run_cli(capsys, "services", "clean", "--yes", "--platform-dir", str(redis_platform.root))
            assert code == 0
            assert f"container {platform}-redis" in out and f"volume {platform}-redis-data" in out
            assert engine.containers(owned_labels(platform)) == [] and engine.volumes(owned_labels(platform)) == []
            bystander.reload()
            docker_engine.volumes.get(bystander_volume.name)
    finally:
        bystander_volume.remove(force=True)


@pytest.mark.docker
def test_clean_and_status_know_what_an_older_comind_labelled(
    redis_platform: PlatformRepo, engine: DockerEngine, docker_engine: Any,
    capsys: pytest.CaptureFixture[str], cli_env: None,
) -> None:
    """Older versions marked Docker objects comind.ops/managed=true: they are still ours, to clean and to run."""
    clean(redis_platform, engine=engine)
    platform = redis_platform.services.platform
    image = redis_platform.services.services["redis"].image_ref
    old_mark = {"comind.ops/managed": "true", "comind.ops/platform": platform, "comind.ops/service": "redis"}
    volume = docker_engine.volumes.create(name=f"{platform}-redis-data", labels=old_mark)
    container = docker_engine.containers.create(image, name=container_name(platform, "redis"), network_mode="host",
                                                entrypoint=["true"], labels=old_mark)
    other = {**old_mark, "comind.ops/platform": f"{platform}-other"}
    bystander = docker_engine.volumes.create(name=f"{platform}-other-redis-data", labels=other)
    try:
        code, out, _ = run_cli(capsys, "services", "status", "--platform-dir", str(redis_platform.root))
        assert code == 1 and "not ours" not in out and "created" in out
        code, out, _ = run_cli(capsys, "services", "clean", "--yes", "--platform-dir", str(redis_platform.root))
        assert code == 0
        assert f"container {container.name}" in out and f"volume {volume.name}" in out
        assert [c.name for c in docker_engine.containers.list(all=True, filters={"name": container.name})] == []
        assert [v.name for v in docker_engine.volumes.list(filters={"label": "comind.ops/managed=true"})
                if v.name == volume.name] == []
        docker_engine.volumes.get(bystander.name)
    finally:
        bystander.remove(force=True)


@pytest.mark.docker
def test_up_gives_up_after_its_time_budget(redis_platform: PlatformRepo, engine: DockerEngine) -> None:
    with pytest.raises(ServiceError, match=r"not healthy after 0s: redis"):
        up(redis_platform, engine=engine, timeout=0)


@pytest.mark.docker
def test_changed_services_yaml_recreates_the_container_and_keeps_data(
    redis_platform: PlatformRepo, engine: DockerEngine
) -> None:
    import redis as redis_client

    from comind_scaffold.services.credentials import load_credentials

    up(redis_platform, engine=engine)
    creds = load_credentials(redis_platform.credentials_path)
    assert creds is not None
    old_port = redis_platform.services.services["redis"].port
    client = redis_client.Redis(host="127.0.0.1", port=old_port, password=creds.redis.password)
    client.set("kept", "yes")
    client.close()
    path = redis_platform.root / "infra/docker/registry/services.yaml"
    data = yaml.safe_load(path.read_text())
    new_port = ds.free_port(avoid={old_port})
    data["services"]["redis"]["port"] = new_port
    path.write_text(yaml.safe_dump(data))
    report = up(PlatformRepo(redis_platform.root), engine=engine)
    assert [(ch.service, ch.action) for ch in report.changes] == [("redis", Action.RECREATED)]
    client = redis_client.Redis(host="127.0.0.1", port=new_port, password=creds.redis.password)
    assert client.get("kept") == b"yes"
    client.close()


@pytest.mark.docker
def test_postgresql_database_follows_services_yaml_but_username_is_fixed_once_data_exists(
    tmp_path: Path, refs: dict[str, tuple[str, str]], engine: DockerEngine
) -> None:
    from comind_scaffold.errors import InputError
    from comind_scaffold.services.credentials import load_credentials
    from comind_scaffold.services.manager import status

    repo = write_platform(tmp_path, services_yaml(unique_platform("p"), refs, enabled=("postgresql",)))
    try:
        up(repo, engine=engine)
        path = repo.root / "infra/docker/registry/services.yaml"
        data = yaml.safe_load(path.read_text())
        data["services"]["postgresql"]["database"] = "renamed_db"
        path.write_text(yaml.safe_dump(data))
        report = up(PlatformRepo(repo.root), engine=engine)
        assert ("postgresql", "database renamed_db", Action.CREATED) in [
            (ch.service, ch.object, ch.action) for ch in report.changes
        ]
        creds = load_credentials(repo.credentials_path)
        assert creds is not None and creds.postgresql.database == "renamed_db"
        rows = status(PlatformRepo(repo.root), engine=engine)
        assert [row.probe.object for row in rows if row.probe] == [
            f"postgresql 127.0.0.1:{data['services']['postgresql']['port']}/renamed_db"
        ]
        data["services"]["postgresql"]["username"] = "someone_else"
        path.write_text(yaml.safe_dump(data))
        with pytest.raises(InputError, match="services.postgresql.username"):
            up(PlatformRepo(repo.root), engine=engine)
    finally:
        clean(repo, engine=engine)
