"""From a service's entry in services.yaml to the container that runs it.

Each kind targets its official image's interface (environment variables and command line of
`postgres`, `minio/minio`, `redis` and `softwaremill/elasticmq-native`), so any image honouring that
interface — the official ones or the locally built test images — runs unchanged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from comind_scaffold import constants as c
from comind_scaffold import service_catalog as catalog
from comind_scaffold._docker_types import ContainerConfig, Healthcheck
from comind_scaffold.errors import InputError
from comind_scaffold.services.cluster_network import attachment
from comind_scaffold.services.credentials import LocalCredentials
from comind_scaffold.specs import ServiceSpec, ServicesSpec

LABEL_CONFIG_HASH = "comind.ops/config-hash"
ELASTICMQ_CONFIG_PATH = "/opt/elasticmq.conf"


def container_name(platform: str, service: str) -> str:
    """Container name of a service: `<platform>-postgres`, `<platform>-minio`…."""
    return f"{platform}-{catalog.lookup(service).container}"


def volume_name(platform: str, service: str) -> str:
    """The named volume holding a service's data."""
    return f"{container_name(platform, service)}-data"


def owned_labels(platform: str, service: str | None = None) -> dict[str, str]:
    """Labels marking a container, volume or network as created by comind for `platform`."""
    labels = {c.LABEL_MANAGED_BY: c.MANAGED_BY, c.DOCKER_LABEL_PLATFORM: platform}
    if service is not None:
        labels[c.DOCKER_LABEL_SERVICE] = service
    return labels


def owned_label_sets(platform: str) -> list[dict[str, str]]:
    """Each set of labels that marks `platform`'s Docker objects as comind's: today's, then older versions'."""
    return [owned_labels(platform), {c.LEGACY_DOCKER_LABEL_MANAGED: "true", c.DOCKER_LABEL_PLATFORM: platform}]


def is_owned(labels: dict[str, str], platform: str) -> bool:
    """Whether an object's labels mark it as comind's for `platform` (today's mark or an older version's)."""
    return any(mark.items() <= labels.items() for mark in owned_label_sets(platform))


def check_service_name(name: str, services: ServicesSpec) -> str:
    """The canonical name of the service going by `name`; InputError unless services.yaml defines it."""
    canonical = catalog.canonical(name)
    if canonical not in services.services:
        raise InputError("service", f"{name!r} is not defined in {c.SERVICES_FILE}")
    return canonical


def default_database(platform: str) -> str:
    """The platform database when services.yaml names none: `<platform>_dev` with '-' → '_'."""
    return f"{platform}_dev".replace("-", "_")


def ports_of(service: str, spec: ServiceSpec) -> dict[str, int]:
    """Every host port a service listens on, by role."""
    ports = {"main": spec.port}
    role = catalog.lookup(service).extra_port_role
    if role == "console":
        ports[role] = spec.console_port or spec.port + 1
    if role == "ui" and spec.ui_port:
        ports[role] = spec.ui_port
    return ports


@dataclass(frozen=True)
class _Addresses:
    listen: str  # where the server binds inside the container
    probe: str  # where the healthcheck connects inside the container


def _addresses(services: ServicesSpec) -> _Addresses:
    if services.network_mode == "host":
        return _Addresses(listen=services.bind_address, probe=services.bind_address)
    # Bridge mode: listen on the container's own interface; only the loopback of the host is published.
    return _Addresses(listen="0.0.0.0", probe="127.0.0.1")


def _http_ok(host: str, port: int, path: str) -> str:
    """A shell test for an HTTP 200 that works with curl, wget or bare bash, whichever the image has."""
    url = f"http://{host}:{port}{path}"
    raw = (
        f"exec 3<>/dev/tcp/{host}/{port} && printf 'GET {path} HTTP/1.0\\r\\n\\r\\n' >&3 "
        "&& head -n1 <&3 | grep -q ' 200 '"
    )
    return (
        f'curl -fsS -o /dev/null "{url}" 2>/dev/null || wget -q -O /dev/null "{url}" 2>/dev/null '
        f'|| bash -c "{raw}"'
    )


def _postgresql(spec: ServiceSpec, creds: LocalCredentials, at: _Addresses) -> tuple[list[str], dict[str, str], str]:
    pg = creds.postgresql
    command = ["postgres", "-c", f"listen_addresses={at.listen}", "-p", str(spec.port)]
    env = {"POSTGRES_USER": pg.username, "POSTGRES_PASSWORD": pg.password, "POSTGRES_DB": pg.database}
    health = f"pg_isready -q -h {at.probe} -p {spec.port} -U {pg.username} -d {pg.database}"
    return command, env, health


def _minio(spec: ServiceSpec, creds: LocalCredentials, at: _Addresses) -> tuple[list[str], dict[str, str], str]:
    console = ports_of(catalog.MINIO.name, spec)["console"]
    command = ["server", "/data", "--address", f"{at.listen}:{spec.port}"]
    command += ["--console-address", f"{at.listen}:{console}"]
    env = {"MINIO_ROOT_USER": creds.minio.access_key, "MINIO_ROOT_PASSWORD": creds.minio.secret_key}
    return command, env, _http_ok(at.probe, spec.port, "/minio/health/live")


def _redis(spec: ServiceSpec, creds: LocalCredentials, at: _Addresses) -> tuple[list[str], dict[str, str], str]:
    password = creds.redis.password
    command = ["redis-server", "--bind", at.listen, "--port", str(spec.port), "--requirepass", password,
               "--appendonly", "yes", "--dir", "/data"]
    env = {"REDISCLI_AUTH": password}  # redis-cli reads it: the healthcheck needs no password argument
    health = f"redis-cli -h {at.probe} -p {spec.port} ping | grep -q PONG"
    return command, env, health


def _elasticmq(spec: ServiceSpec, creds: LocalCredentials, at: _Addresses) -> tuple[list[str], dict[str, str], str]:
    return [], {}, _http_ok(at.probe, spec.port, "/?Action=ListQueues")


def elasticmq_config(spec: ServiceSpec, services: ServicesSpec) -> str:
    """The ElasticMQ config file: loopback binding, queues and messages persisted under /data."""
    at = _addresses(services)
    stats_port = spec.ui_port or spec.port + 1
    return "\n".join([
        'include classpath("application.conf")',
        f'node-address {{ protocol = http, host = "{services.bind_address}", port = {spec.port}, context-path = "" }}',
        f'rest-sqs {{ enabled = true, bind-port = {spec.port}, bind-hostname = "{at.listen}", sqs-limits = strict }}',
        f"rest-stats {{ enabled = {str(spec.ui_port is not None).lower()}, bind-port = {stats_port}, "
        f'bind-hostname = "{at.listen}" }}',
        'queues-storage { enabled = true, path = "/data/queues.conf" }',
        'messages-storage { enabled = true, uri = "jdbc:h2:/data/elasticmq-h2" }',
        'aws { region = elasticmq, accountId = "000000000000" }',
        # k3d: pods and the host reach it under different names; queue URLs follow the name each one asked for
        *(["generate-node-address = true"] if services.network_mode == "k3d" else []),
        "",
    ])


# How each service is started: its command line, environment and healthcheck.
KINDS = {
    catalog.POSTGRESQL: _postgresql, catalog.MINIO: _minio, catalog.REDIS: _redis, catalog.ELASTICMQ: _elasticmq,
}


def container_config(service: str, services: ServicesSpec, creds: LocalCredentials) -> ContainerConfig:
    """The container that runs `service` as services.yaml describes it."""
    record = catalog.lookup(service)
    service = record.name
    spec = services.services[service]
    at = _addresses(services)
    command, env, health = KINDS[record](spec, creds, at)
    files = {ELASTICMQ_CONFIG_PATH: elasticmq_config(spec, services)} if record is catalog.ELASTICMQ else {}
    published = {}
    if services.network_mode in ("bridge", "k3d"):
        published = {port: (services.bind_address, port) for port in ports_of(service, spec).values()}
    config = ContainerConfig(
        name=container_name(services.platform, service),
        image=spec.image_ref,
        command=command,
        environment=env,
        labels=owned_labels(services.platform, service),
        volume=volume_name(services.platform, service),
        volume_labels=owned_labels(services.platform, service),
        mount=record.data_dir,
        healthcheck=Healthcheck(health),
        network_mode=services.network_mode,
        ports=published,
        files=files,
        network=attachment(service, services, container_name(services.platform, service)),
    )
    digest = hashlib.sha256(json.dumps(asdict(config), sort_keys=True).encode()).hexdigest()[:16]
    config.labels[LABEL_CONFIG_HASH] = digest
    return config
