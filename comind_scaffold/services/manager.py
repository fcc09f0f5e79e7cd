"""`comind services up|status|stop|logs|clean`: the local services as labelled Docker containers.

Each command chooses the services, keeps their credentials and reports what it did; `up` also creates what the
platform and its apps declare inside them. Which containers and volumes are ours to touch, the checks before a
start, creating and starting containers and waiting for their health live in `services/containers.py`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from comind_scaffold import constants as c
from comind_scaffold import service_catalog as catalog
from comind_scaffold._docker import DockerEngine
from comind_scaffold.errors import InputError, ServiceError
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.services import init
from comind_scaffold.services.cluster_network import ensure_network, remove_networks
from comind_scaffold.services.containers import (
    Progress,
    apply,
    labelled_containers,
    labelled_volumes,
    our_container,
    our_containers,
    plan,
    wait_healthy,
)
from comind_scaffold.services.credentials import (
    LocalCredentials,
    PostgresCredentials,
    load_credentials,
    save_credentials,
)
from comind_scaffold.services.kinds import (
    check_service_name,
    container_name,
    default_database,
    is_owned,
    owned_label_sets,
    owned_labels,
    ports_of,
    volume_name,
)
from comind_scaffold.services.probes import probe_service
from comind_scaffold.services.report import Action, Change, ServiceStatus
from comind_scaffold.specs import ServicesSpec

DEFAULT_TIMEOUT = 180.0


@dataclass(frozen=True)
class UpReport:
    """What `up` did.

    Attributes:
        changes: One entry per container and per initialised object.
        credentials_created: True when this run generated the credentials file.

    """

    changes: list[Change]
    credentials_created: bool

    @property
    def changed(self) -> bool:
        """False when the run found everything as wanted and changed nothing."""
        return self.credentials_created or any(ch.changed for ch in self.changes)


def select(services: ServicesSpec, only: Sequence[str] | None) -> list[str]:
    """The enabled services to act on, in services.yaml order; `only` narrows them and must name enabled ones."""
    enabled = list(services.enabled())
    if not only:
        return enabled
    wanted: set[str] = set()
    for name in only:
        canonical = check_service_name(name, services)
        if canonical not in enabled:
            raise InputError("service", f"{name!r} is disabled in {c.SERVICES_FILE}")
        wanted.add(canonical)
    return [name for name in enabled if name in wanted]


def _credentials(repo: PlatformRepo, engine: DockerEngine) -> tuple[LocalCredentials, bool]:
    """Load the credentials, or generate them when no data volume could depend on older ones."""
    services = repo.services
    found = load_credentials(repo.credentials_path)
    if found is not None:
        return found, False
    volumes = labelled_volumes(engine, services.platform)
    if volumes:
        raise ServiceError(
            f"{repo.credentials_path} is missing but data volumes exist ({', '.join(volumes)}): "
            "new credentials would not match the data",
            hint="restore the file, or remove the data with `comind services clean`",
        )
    pg = services.services.get(catalog.POSTGRESQL.name)
    username = (pg.username if pg else None) or "postgres"
    database = (pg.database if pg else None) or default_database(services.platform)
    return LocalCredentials(postgresql=PostgresCredentials(username=username, database=database)), True


def _follow_postgresql_spec(creds: LocalCredentials, services: ServicesSpec, engine: DockerEngine) -> None:
    """Take a changed database (or, before any data exists, username) from services.yaml into the credentials."""
    spec = services.services.get(catalog.POSTGRESQL.name)
    if spec is None:
        return
    pg = creds.postgresql
    if spec.database and spec.database != pg.database:
        pg.database = spec.database
    if spec.username and spec.username != pg.username:
        if engine.volume_labels(volume_name(services.platform, catalog.POSTGRESQL.name)) is not None:
            raise InputError(
                f"{c.SERVICES_FILE}: services.postgresql.username",
                f"cannot change from {pg.username!r} to {spec.username!r} once the data volume exists "
                "(remove it with `comind services clean` first)",
            )
        pg.username = spec.username


def up(repo: PlatformRepo, *, only: Sequence[str] | None = None, engine: DockerEngine | None = None,
       timeout: float = DEFAULT_TIMEOUT, pull: bool = False, progress: Progress | None = None) -> UpReport:
    """Start the enabled services, wait until healthy, then create what the platform and its apps declare.

    Args:
        repo: The platform repository.
        only: Limit to these services.
        engine: Docker engine (default: DOCKER_HOST).
        timeout: Seconds the services may take to become healthy.
        pull: Pull images that are not present instead of failing.
        progress: Called with a short message at each step.

    Returns:
        What changed; a second run reports everything unchanged.

    """
    report = progress or (lambda _msg: None)
    services = repo.services
    names = select(services, only)
    apps = repo.apps
    engine = engine or DockerEngine()
    creds, created = _credentials(repo, engine)
    before = creds.model_dump()
    _follow_postgresql_spec(creds, services, engine)
    plans = plan(engine, services, names, creds, pull)
    if created:  # saved before any container exists, so a failed start never strands data without its logins
        save_credentials(repo.credentials_path, creds)
    changes = []
    network = ensure_network(engine, services, owned_labels(services.platform))
    if network is not None:
        changes.append(network)
    for planned in plans:
        report(f"{planned.service}: container {planned.config.name}")
        changes.append(apply(engine, planned))
    wait_healthy(engine, {p.service: p.config.name for p in plans}, timeout, report)
    for service, (what, provision) in init.PROVISIONERS.items():
        if service.name in names:
            report(f"{service.name}: {what}")
            changes += provision(services.services[service.name], creds, apps, services)
    if creds.model_dump() != before:
        save_credentials(repo.credentials_path, creds)
    return UpReport(changes=changes, credentials_created=created)


def status(repo: PlatformRepo, *, engine: DockerEngine | None = None, timeout: float = 3.0) -> list[ServiceStatus]:
    """One row per service in services.yaml: container state, health, ports, image and a protocol probe."""
    services = repo.services
    engine = engine or DockerEngine()
    creds = load_credentials(repo.credentials_path)
    rows = []
    for name, spec in services.services.items():
        container = container_name(services.platform, name)
        state = engine.container(container)
        ports = ports_of(name, spec)
        if not spec.enabled:
            rows.append(ServiceStatus(service=name, enabled=False, container=container, state="disabled",
                                      health="none", ports=ports, image=spec.image_ref))
            continue
        if state is None or not is_owned(state.labels, services.platform):
            rows.append(ServiceStatus(service=name, enabled=True, container=container,
                                      state="missing" if state is None else "not ours",
                                      health="none", ports=ports, image=spec.image_ref))
            continue
        probe = None
        if state.running and creds is not None:
            probe = probe_service(name, spec, creds, host=services.bind_address, timeout=timeout)
        rows.append(ServiceStatus(service=name, enabled=True, container=container, state=state.status,
                                  health=state.health, ports=ports, image=state.image, probe=probe))
    return rows


def stop(repo: PlatformRepo, *, only: Sequence[str] | None = None,
         engine: DockerEngine | None = None) -> list[Change]:
    """Stop the service containers; data volumes stay, so a later `up` finds everything as it was."""
    services = repo.services
    names = select(services, only) if only else list(services.services)
    engine = engine or DockerEngine()
    changes = []
    for name, state in our_containers(engine, services.platform, names):
        if state.running:
            engine.stop(state.name)
            changes.append(Change(service=name, object=f"container {state.name}", action=Action.STOPPED))
        else:
            changes.append(Change(service=name, object=f"container {state.name}", action=Action.UNCHANGED,
                                  detail=state.status))
    return changes


def logs(repo: PlatformRepo, service: str, *, follow: bool = False, tail: int | str = "all",
         engine: DockerEngine | None = None) -> Iterator[str]:
    """Lines of one service's container log."""
    services = repo.services
    service = check_service_name(service, services)
    engine = engine or DockerEngine()
    state = our_container(engine, services.platform, service)
    if state is None:
        raise ServiceError(f"{service}: container {container_name(services.platform, service)} does not exist",
                           hint="comind services up")
    return engine.logs(state.name, follow=follow, tail=tail)


def clean_plan(repo: PlatformRepo, *, engine: DockerEngine | None = None) -> tuple[list[str], list[str]]:
    """The containers and volumes `clean` would remove: only those labelled as ours for this platform."""
    engine = engine or DockerEngine()
    platform = repo.services.platform
    return [s.name for s in labelled_containers(engine, platform)], labelled_volumes(engine, platform)


def clean(repo: PlatformRepo, *, engine: DockerEngine | None = None) -> list[Change]:
    """Remove this platform's labelled containers and volumes (their data is lost), nothing else."""
    engine = engine or DockerEngine()
    platform = repo.services.platform
    changes = []
    for state in labelled_containers(engine, platform):
        engine.remove_container(state.name)
        service = state.labels.get(c.DOCKER_LABEL_SERVICE, "")
        changes.append(Change(service=service, object=f"container {state.name}", action=Action.REMOVED))
    for volume in labelled_volumes(engine, platform):
        engine.remove_volume(volume)
        service = next((s for s in catalog.NAMES if volume_name(platform, s) == volume), "")
        changes.append(Change(service=service, object=f"volume {volume}", action=Action.REMOVED))
    for labels in owned_label_sets(platform):
        changes += remove_networks(engine, labels)
    return changes
