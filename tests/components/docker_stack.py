"""Service containers for the test suite on the private Docker engine.

The engine is the one ``tests/testbin/setup-docker.sh`` starts (socket
``/run/comind-docker/docker.sock``, no bridge, no iptables). Every container here runs with
``network_mode="host"`` and binds 127.0.0.1 only; images are the locally built ones from
``tests/testbin/build-images.sh`` (nothing can be pulled).

Nothing in this module depends on pytest: the fixtures live in ``fixtures_docker.py``.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comind_scaffold.services.ports import port_is_free as product_port_is_free

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTBIN = REPO_ROOT / "tests" / "testbin"
VERSIONS_FILE = TESTBIN / "images" / "versions.env"
DEFAULT_DOCKER_HOST = "unix:///run/comind-docker/docker.sock"
LOOPBACK = "127.0.0.1"

LABEL_MANAGED = "comind.ops/managed"
LABEL_PURPOSE = "comind.ops/purpose"
LABEL_SESSION = "comind.ops/session"
LABEL_OWNER_PID = "comind.ops/owner-pid"
LABEL_SERVICE = "comind.ops/service"

# Seed defaults (docs: INFRASTRUCTURE_FLOW Phase 2). Redis gets a password in tests so the
# authenticated path is exercised.
POSTGRES_USER = "postgres"
POSTGRES_PASSWORD = "postgres"
POSTGRES_DB = "comind_ops_dev"
MINIO_USER = "minioadmin"
MINIO_PASSWORD = "minioadmin"
REDIS_PASSWORD = "comind-test-redis"
SQS_REGION = "elasticmq"
SQS_ACCESS_KEY = "x"
SQS_SECRET_KEY = "x"


class EngineUnavailable(RuntimeError):
    """The test Docker engine cannot be reached or started."""


class ImageUnavailable(RuntimeError):
    """A service image is neither present nor buildable."""


class ServiceFailed(RuntimeError):
    """A service container exited or did not become healthy in time."""


# --------------------------------------------------------------------------- versions / images


def read_versions(path: Path = VERSIONS_FILE) -> dict[str, str]:
    """Parse ``KEY=VALUE`` lines of ``tests/testbin/images/versions.env``."""
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        out[key.strip()] = value.strip()
    return out


@dataclass(frozen=True)
class ImageSet:
    """Tags of the service images this checkout expects."""

    postgres: str
    redis: str
    elasticmq: str
    minio: str
    moto: str

    @classmethod
    def from_versions(cls, versions: dict[str, str] | None = None) -> ImageSet:
        v = versions if versions is not None else read_versions()
        return cls(
            postgres=v["POSTGRES_TAG"],
            redis=v["REDIS_TAG"],
            elasticmq=f"comind-test/elasticmq:{v['ELASTICMQ_VERSION']}",
            minio=f"comind-test/minio:{v['MINIO_TAG_VERSION']}",
            moto=f"comind-test/s3-moto:{v['MOTO_VERSION']}",
        )


# --------------------------------------------------------------------------- engine


def docker_host() -> str:
    """Address of the test engine: ``COMIND_DOCKER_HOST`` or the socket setup-docker.sh creates."""
    return os.environ.get("COMIND_DOCKER_HOST") or DEFAULT_DOCKER_HOST


def _client(host: str) -> Any:
    import docker  # imported lazily: the package is optional for non-docker tests

    client = docker.DockerClient(base_url=host, version="auto", timeout=120)
    client.ping()
    return client


def connect_engine(host: str | None = None, *, start: bool = True, setup_timeout: float = 300) -> Any:
    """Return a ``docker.DockerClient`` for the test engine, starting it when possible.

    Starting needs root (dockerd); ``setup-docker.sh`` also installs docker.io when missing.
    Raises :class:`EngineUnavailable` with the reason otherwise.
    """
    host = host or docker_host()
    try:
        import docker  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise EngineUnavailable(f"python package 'docker' missing: {exc}") from exc
    try:
        return _client(host)
    except Exception as exc:  # noqa: BLE001 - docker raises many kinds
        first_error = exc
    if not start:
        raise EngineUnavailable(f"no Docker engine at {host}: {first_error}")
    if host != DEFAULT_DOCKER_HOST:
        raise EngineUnavailable(f"no Docker engine at {host} (not the default socket, not starting one): {first_error}")
    if os.geteuid() != 0:
        raise EngineUnavailable(f"no Docker engine at {host} and not root, cannot start dockerd: {first_error}")
    script = TESTBIN / "setup-docker.sh"
    try:
        proc = subprocess.run(
            ["bash", str(script)], capture_output=True, text=True, timeout=setup_timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise EngineUnavailable(f"{script} did not finish in {setup_timeout:.0f}s") from exc
    if proc.returncode != 0:
        raise EngineUnavailable(f"{script} failed (exit {proc.returncode}): {proc.stderr.strip()[-800:]}")
    try:
        return _client(host)
    except Exception as exc:  # noqa: BLE001
        raise EngineUnavailable(f"engine started by {script} does not answer at {host}: {exc}") from exc


def image_exists(client: Any, tag: str) -> bool:
    import docker.errors

    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def build_images(timeout: float = 3600, extra_args: Iterable[str] = ()) -> None:
    """Run ``build-images.sh`` (warm runs take seconds; a cold one minutes)."""
    script = TESTBIN / "build-images.sh"
    env = dict(os.environ, DOCKER_HOST=docker_host())
    try:
        proc = subprocess.run(
            ["bash", str(script), *extra_args], capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ImageUnavailable(f"{script} did not finish in {timeout:.0f}s") from exc
    if proc.returncode != 0:
        raise ImageUnavailable(f"{script} failed (exit {proc.returncode}): {(proc.stdout + proc.stderr)[-1200:]}")


def resolve_images(client: Any, *, build: bool = True) -> tuple[ImageSet, str]:
    """Return the image set and the S3 image to use (MinIO when built, else the moto stand-in).

    Missing images are built with build-images.sh when ``build`` is true.
    """
    images = ImageSet.from_versions()
    required = [images.postgres, images.redis, images.elasticmq]

    def s3_image() -> str | None:
        for tag in (images.minio, images.moto):
            if image_exists(client, tag):
                return tag
        return None

    missing = [t for t in required if not image_exists(client, t)]
    if (missing or s3_image() is None) and build:
        build_images()
        missing = [t for t in required if not image_exists(client, t)]
    s3 = s3_image()
    if missing or s3 is None:
        names = missing + ([] if s3 else [f"{images.minio} (or {images.moto})"])
        raise ImageUnavailable(f"images missing: {', '.join(names)} - run tests/testbin/build-images.sh")
    return images, s3


# --------------------------------------------------------------------------- ports


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """True when nothing listens on host:port (a bind succeeds) — the product's own test of it."""
    return product_port_is_free(host, port)


def free_port(host: str = LOOPBACK, avoid: Iterable[int] = ()) -> int:
    avoid = set(avoid)
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port
    raise RuntimeError("no free port found")


def pick_ports(wanted: dict[str, int], taken: set[int], *, prefer_seed: bool = True) -> dict[str, int]:
    """Use the seed ports when all are free, otherwise free ports; record choices in ``taken``."""
    if prefer_seed and all(p not in taken and port_is_free(p) for p in wanted.values()):
        chosen = dict(wanted)
    else:
        chosen = {}
        for key in wanted:
            chosen[key] = free_port(avoid=taken | set(chosen.values()))
    taken.update(chosen.values())
    return chosen


# --------------------------------------------------------------------------- services


@dataclass(frozen=True)
class ServiceEndpoint:
    """One running service container (host network, loopback)."""

    name: str  # logical service: postgres | s3 | redis | elasticmq
    kind: str  # implementation: postgres | minio | moto | redis | elasticmq
    host: str
    port: int  # main port
    ports: dict[str, int]  # all ports by role, e.g. {"api": 9000, "console": 9001}
    credentials: dict[str, str]
    container: str  # container name (usable as testinfra "docker://<container>")
    image: str
    volume: str | None = None

    @property
    def url(self) -> str:
        """Client URL: a libpq DSN for PostgreSQL, redis:// for Redis, http:// otherwise."""
        c = self.credentials
        if self.kind == "postgres":
            return f"postgresql://{c['username']}:{c['password']}@{self.host}:{self.port}/{c['database']}"
        if self.kind == "redis":
            return f"redis://:{c['password']}@{self.host}:{self.port}/0" if c.get("password") else self.redis_plain
        return f"http://{self.host}:{self.port}"

    @property
    def redis_plain(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass
class ServiceStack:
    """The four seed services of one test session."""

    postgres: ServiceEndpoint
    s3: ServiceEndpoint
    redis: ServiceEndpoint
    elasticmq: ServiceEndpoint
    session: str
    startup_seconds: float = 0.0
    _client: Any = field(default=None, repr=False, compare=False)

    @property
    def minio(self) -> ServiceEndpoint:
        """Alias of ``s3`` (``kind`` says whether it is MinIO or the moto stand-in)."""
        return self.s3

    def services(self) -> list[ServiceEndpoint]:
        return [self.postgres, self.s3, self.redis, self.elasticmq]

    def __iter__(self) -> Iterator[ServiceEndpoint]:
        return iter(self.services())

    def restart(self, service: ServiceEndpoint, timeout: float = 120) -> float:
        """Restart a service container (same volume) and wait until healthy; returns seconds."""
        t0 = time.monotonic()
        container = self._client.containers.get(service.container)
        container.restart(timeout=20)
        wait_healthy(self._client, [service.container], timeout=timeout)
        return time.monotonic() - t0


@dataclass(frozen=True)
class _Spec:
    endpoint: ServiceEndpoint
    environment: dict[str, str]
    mount: str  # data directory in the container


def _specs(images: ImageSet, s3_image: str, session: str, ports: dict[str, dict[str, int]]) -> list[_Spec]:
    def name(svc: str) -> str:
        return f"comind-test-{svc}-{session}"

    pg, s3p, rd, mq = ports["postgres"], ports["s3"], ports["redis"], ports["elasticmq"]
    s3_kind = "minio" if "/minio:" in s3_image else "moto"
    s3_env = (
        {
            "MINIO_ADDRESS": LOOPBACK,
            "MINIO_PORT": str(s3p["api"]),
            "MINIO_CONSOLE_PORT": str(s3p["console"]),
            "MINIO_ROOT_USER": MINIO_USER,
            "MINIO_ROOT_PASSWORD": MINIO_PASSWORD,
        }
        if s3_kind == "minio"
        else {"MOTO_BIND": LOOPBACK, "MOTO_PORT": str(s3p["api"])}
    )
    return [
        _Spec(
            ServiceEndpoint(
                "postgres", "postgres", LOOPBACK, pg["postgres"], pg,
                {"username": POSTGRES_USER, "password": POSTGRES_PASSWORD, "database": POSTGRES_DB},
                name("postgres"), images.postgres, f"{name('postgres')}-data",
            ),
            {
                "POSTGRES_PASSWORD": POSTGRES_PASSWORD,
                "POSTGRES_DB": POSTGRES_DB,
                "POSTGRES_LISTEN": LOOPBACK,
                "PGPORT": str(pg["postgres"]),
            },
            "/var/lib/postgresql/data",
        ),
        _Spec(
            ServiceEndpoint(
                "s3", s3_kind, LOOPBACK, s3p["api"], s3p,
                {"access_key": MINIO_USER, "secret_key": MINIO_PASSWORD, "region": "us-east-1"},
                name("s3"), s3_image, f"{name('s3')}-data",
            ),
            s3_env,
            "/data",
        ),
        _Spec(
            ServiceEndpoint(
                "redis", "redis", LOOPBACK, rd["redis"], rd, {"password": REDIS_PASSWORD},
                name("redis"), images.redis, f"{name('redis')}-data",
            ),
            {"REDIS_BIND": LOOPBACK, "REDIS_PORT": str(rd["redis"]), "REDIS_PASSWORD": REDIS_PASSWORD},
            "/data",
        ),
        _Spec(
            ServiceEndpoint(
                "elasticmq", "elasticmq", LOOPBACK, mq["sqs"], mq,
                {"access_key": SQS_ACCESS_KEY, "secret_key": SQS_SECRET_KEY, "region": SQS_REGION},
                name("elasticmq"), images.elasticmq, f"{name('elasticmq')}-data",
            ),
            {"ELASTICMQ_PORT": str(mq["sqs"])},
            "/data",
        ),
    ]


SEED_PORTS: dict[str, dict[str, int]] = {
    "postgres": {"postgres": 5432},
    "s3": {"api": 9000, "console": 9001},
    "redis": {"redis": 6379},
    "elasticmq": {"sqs": 9324},
}


def _labels(session: str, service: str) -> dict[str, str]:
    return {
        LABEL_MANAGED: "true",
        LABEL_PURPOSE: "test",
        LABEL_SESSION: session,
        LABEL_OWNER_PID: str(os.getpid()),
        LABEL_SERVICE: service,
    }


def wait_healthy(client: Any, containers: list[str], timeout: float = 120) -> dict[str, float]:
    """Wait until every container's HEALTHCHECK reports healthy; returns seconds per container."""
    t0 = time.monotonic()
    pending = set(containers)
    done: dict[str, float] = {}
    while pending:
        for name in sorted(pending):
            c = client.containers.get(name)
            state = c.attrs.get("State", {})
            health = (state.get("Health") or {}).get("Status")
            if state.get("Status") in ("exited", "dead"):
                logs = c.logs(tail=30).decode(errors="replace")
                raise ServiceFailed(f"container {name} exited (code {state.get('ExitCode')}):\n{logs}")
            if health == "healthy":
                done[name] = time.monotonic() - t0
                pending.discard(name)
        if not pending:
            break
        if time.monotonic() - t0 > timeout:
            details = []
            for name in sorted(pending):
                c = client.containers.get(name)
                details.append(f"{name}: {c.logs(tail=15).decode(errors='replace')}")
            waiting = ", ".join(sorted(pending))
            raise ServiceFailed(f"not healthy after {timeout:.0f}s: {waiting}\n" + "\n".join(details))
        time.sleep(0.25)
    return done


def start_stack(
    client: Any,
    *,
    images: ImageSet | None = None,
    s3_image: str | None = None,
    prefer_seed_ports: bool = True,
    timeout: float = 180,
    attempts: int = 3,
) -> ServiceStack:
    """Start PostgreSQL, S3 (MinIO or moto), Redis and ElasticMQ; wait until all are healthy.

    A port clash (another process grabbing a port between the check and the start) is retried
    with fresh free ports.
    """
    if images is None or s3_image is None:
        images, s3_image = resolve_images(client)
    last_error: Exception | None = None
    for attempt in range(attempts):
        session = f"{os.getpid()}-{secrets.token_hex(3)}"
        taken: set[int] = set()
        seeded = prefer_seed_ports and attempt == 0
        ports = {svc: pick_ports(p, taken, prefer_seed=seeded) for svc, p in SEED_PORTS.items()}
        specs = _specs(images, s3_image, session, ports)
        t0 = time.monotonic()
        try:
            for spec in specs:
                ep = spec.endpoint
                labels = _labels(session, ep.name)
                client.volumes.create(name=ep.volume, labels=labels)
                client.containers.run(
                    ep.image,
                    name=ep.container,
                    detach=True,
                    network_mode="host",
                    environment=spec.environment,
                    labels=labels,
                    volumes={ep.volume: {"bind": spec.mount, "mode": "rw"}},
                    init=False,
                )
            wait_healthy(client, [s.endpoint.container for s in specs], timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - cleaned up and retried / re-raised below
            last_error = exc
            remove_session(client, session)
            if isinstance(exc, ServiceFailed) and attempt + 1 < attempts:
                continue
            raise
        by_name = {s.endpoint.name: s.endpoint for s in specs}
        return ServiceStack(
            postgres=by_name["postgres"],
            s3=by_name["s3"],
            redis=by_name["redis"],
            elasticmq=by_name["elasticmq"],
            session=session,
            startup_seconds=time.monotonic() - t0,
            _client=client,
        )
    raise ServiceFailed(f"service stack did not start after {attempts} attempts: {last_error}")


def remove_session(client: Any, session: str) -> None:
    """Remove the containers and volumes of one session (selected by label only)."""
    remove_by_labels(client, {LABEL_MANAGED: "true", LABEL_PURPOSE: "test", LABEL_SESSION: session})


def remove_by_labels(client: Any, labels: dict[str, str]) -> None:
    import docker.errors

    filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
    for c in client.containers.list(all=True, filters=filters):
        try:
            c.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
    for v in client.volumes.list(filters=filters):
        try:
            v.remove(force=True)
        except docker.errors.NotFound:
            pass


def remove_stale(client: Any) -> list[str]:
    """Remove test containers/volumes left by sessions whose pytest process is gone."""
    removed: list[str] = []
    filters = {"label": [f"{LABEL_MANAGED}=true", f"{LABEL_PURPOSE}=test"]}
    sessions: dict[str, str] = {}
    for c in client.containers.list(all=True, filters=filters):
        sessions[c.labels.get(LABEL_SESSION, "")] = c.labels.get(LABEL_OWNER_PID, "")
    for v in client.volumes.list(filters=filters):
        labels = v.attrs.get("Labels") or {}
        sessions.setdefault(labels.get(LABEL_SESSION, ""), labels.get(LABEL_OWNER_PID, ""))
    for session, pid in sessions.items():
        if not session or not pid.isdigit() or _pid_alive(int(pid)):
            continue
        remove_session(client, session)
        removed.append(session)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
