"""network_mode k3d: the services join the k3d cluster's Docker network at fixed addresses.

The host keeps reaching every service on 127.0.0.1 only (its ports are published there and nowhere else); pods
reach the same containers at their fixed address on the cluster network, through the selector-less Services and
EndpointSlices of `k8s/platform/overlays/<env>` (rendered from the same answers as services.yaml). comind creates
the network before k3d does (k3d joins an existing network of that name and leaves it in place on
`k3d cluster delete`), labelled as ours so that `comind services clean` removes it, and nothing else.
"""

from __future__ import annotations

from comind_scaffold._docker import DockerEngine
from comind_scaffold._docker_types import NetworkAttachment
from comind_scaffold.errors import ServiceError
from comind_scaffold.services.report import Action, Change
from comind_scaffold.specs import ServicesSpec


def attachment(service: str, services: ServicesSpec, container: str) -> NetworkAttachment | None:
    """Where `service` joins the cluster network: its fixed address, aliased by service and container name.

    None outside network_mode k3d.
    """
    net = services.cluster_network
    spec = services.services[service]  # type: ignore[index]
    if services.network_mode != "k3d" or net is None or spec.cluster_address is None:
        return None
    return NetworkAttachment(network=net.name, ipv4_address=str(spec.cluster_address), aliases=(service, container))


def ensure_network(engine: DockerEngine, services: ServicesSpec, labels: dict[str, str]) -> Change | None:
    """Create the cluster network when missing; accept an existing one (ours, or k3d's) with the same subnet."""
    net = services.cluster_network
    if services.network_mode != "k3d" or net is None:
        return None
    found = engine.network(net.name)
    obj = f"network {net.name}"
    if found is None:
        engine.create_network(net.name, subnet=str(net.subnet), gateway=str(net.gateway), ip_range=str(net.ip_range),
                              labels=labels)
        return Change(service="", object=obj, action=Action.CREATED, detail=str(net.subnet))
    if found.subnet != str(net.subnet):
        raise ServiceError(
            f"{obj} exists with subnet {found.subnet or 'none'}, services.yaml wants {net.subnet}",
            hint="delete the k3d cluster and the network, or make cluster_network match it")
    return Change(service="", object=obj, action=Action.UNCHANGED, detail=found.subnet)


def remove_networks(engine: DockerEngine, labels: dict[str, str]) -> list[Change]:
    """Remove the networks carrying our labels; one still used by the k3d cluster's nodes is kept (skipped)."""
    changes = []
    for name in engine.networks(labels):
        try:
            engine.remove_network(name)
        except ServiceError as err:  # Docker refuses while containers are attached
            changes.append(Change(service="", object=f"network {name}", action=Action.SKIPPED, detail=err.message))
            continue
        changes.append(Change(service="", object=f"network {name}", action=Action.REMOVED))
    return changes
