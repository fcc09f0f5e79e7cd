"""The service containers on the Docker engine: finding ours, and bringing them up to what services.yaml wants.

Ours are the containers and volumes labelled `app.kubernetes.io/managed-by=comind` and `comind.ops/platform`
(today's mark or an older version's). A container or volume that has our name but not our labels is never
touched: `our_container` refuses it, and the `labelled_*` lookups select by label only, so nothing else on the
host is ever removed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

from comind_scaffold import constants as c
from comind_scaffold._docker import DockerEngine
from comind_scaffold._docker_types import ContainerConfig, ContainerState
from comind_scaffold.errors import InputError, ServiceError
from comind_scaffold.services.credentials import LocalCredentials
from comind_scaffold.services.kinds import (
    LABEL_CONFIG_HASH,
    container_config,
    container_name,
    is_owned,
    owned_label_sets,
    ports_of,
    volume_name,
)
from comind_scaffold.services.ports import port_holder, port_is_free
from comind_scaffold.services.report import Action, Change
from comind_scaffold.specs import ServicesSpec

Progress = Callable[[str], None]
_POLL = 0.5


class Planned(NamedTuple):
    """One service to bring up: the container it wants, and ours under that name now (None when absent)."""

    service: str
    config: ContainerConfig
    existing: ContainerState | None


def our_container(engine: DockerEngine, platform: str, service: str) -> ContainerState | None:
    """Our container for `service`, None when absent; ServiceError when the name is taken by someone else."""
    name = container_name(platform, service)
    state = engine.container(name)
    if state is not None and not is_owned(state.labels, platform):
        raise ServiceError(
            f"container {name} exists but was not created by comind for platform {platform} "
            f"(no label {c.LABEL_MANAGED_BY}={c.MANAGED_BY}); refusing to touch it",
            hint="rename or remove that container yourself, or change `platform` in services.yaml",
        )
    volume = volume_name(platform, service)
    labels = engine.volume_labels(volume)
    if labels is not None and not is_owned(labels, platform):
        raise ServiceError(f"volume {volume} exists but was not created by comind; refusing to use it")
    return state


def our_containers(engine: DockerEngine, platform: str, services: Sequence[str]) -> list[tuple[str, ContainerState]]:
    """(service, container) for each of `services` that has one; checks them all before the caller acts on any."""
    found = []
    for service in services:
        state = our_container(engine, platform, service)
        if state is not None:
            found.append((service, state))
    return found


def labelled_containers(engine: DockerEngine, platform: str) -> list[ContainerState]:
    """Every container labelled as ours for `platform`, by name."""
    found = {state.name: state for labels in owned_label_sets(platform) for state in engine.containers(labels)}
    return [found[name] for name in sorted(found)]


def labelled_volumes(engine: DockerEngine, platform: str) -> list[str]:
    """Every volume labelled as ours for `platform`, by name."""
    return sorted({volume for labels in owned_label_sets(platform) for volume in engine.volumes(labels)})


def plan(engine: DockerEngine, services: ServicesSpec, names: list[str], creds: LocalCredentials,
         pull: bool) -> list[Planned]:
    """Check everything before touching anything: ownership, images (pulled when `pull`), free ports."""
    plans = []
    for name in names:
        existing = our_container(engine, services.platform, name)
        config = container_config(name, services, creds)
        plans.append(Planned(name, config, existing))
        if existing is not None and existing.running:
            continue
        if not engine.has_image(config.image):
            if not pull:
                raise ServiceError(
                    f"{name}: image {config.image} is not present on the Docker engine",
                    hint=f"docker pull {config.image}, build it, or run with --pull",
                )
            engine.pull(config.image)
        for role, port in ports_of(name, services.services[name]).items():  # type: ignore[index]
            if not port_is_free(services.bind_address, port):
                holder = port_holder(port)
                who = f" by {holder}" if holder else ""
                raise InputError(
                    f"{c.SERVICES_FILE}: services.{name}.{'port' if role == 'main' else role + '_port'}",
                    f"port {port} on {services.bind_address} is already in use{who}",
                )
    return plans


def apply(engine: DockerEngine, planned: Planned) -> Change:
    """Create, recreate (its config changed; the data volume stays) or start the container, as it needs."""
    name, config, existing = planned
    obj = f"container {config.name}"
    if existing is None:
        engine.create(config)
        return Change(service=name, object=obj, action=Action.CREATED, detail=config.image)
    if existing.labels.get(LABEL_CONFIG_HASH) != config.labels[LABEL_CONFIG_HASH]:
        engine.remove_container(config.name)
        engine.create(config)
        return Change(service=name, object=obj, action=Action.RECREATED, detail="services.yaml changed; data kept")
    if not existing.running:
        engine.start(config.name)
        return Change(service=name, object=obj, action=Action.STARTED)
    return Change(service=name, object=obj, action=Action.UNCHANGED, detail="running")


def wait_healthy(engine: DockerEngine, containers: dict[str, str], timeout: float, progress: Progress) -> None:
    """Wait until every container (service -> name) is healthy; ServiceError when one exits or time runs out."""
    deadline = time.monotonic() + timeout
    pending = dict(containers)
    while pending:
        for service, name in list(pending.items()):
            state = engine.container(name)
            if state is None or state.status in ("exited", "dead"):
                tail = " | ".join(engine.logs(name, tail=5)) if state else ""
                raise ServiceError(f"{service}: container {name} stopped while starting: {tail}",
                                   hint=f"comind services logs {service}")
            if state.health == "healthy":
                del pending[service]
        waiting = ", ".join(pending)
        if pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ServiceError(f"not healthy after {timeout:.0f}s: {waiting}",
                                   hint="see comind services logs SERVICE")
            progress(f"waiting for {waiting} to become healthy ({left:.0f}s left)")
            time.sleep(_POLL)
