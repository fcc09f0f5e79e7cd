"""Adapter for the Docker engine: the only module that imports the Docker SDK.

It takes and returns the plain values of `_docker_types.py`. Every SDK failure leaves this module as one of our
errors: an engine that cannot be reached becomes `DockerUnavailableError` (one line, no traceback), anything else
`ServiceError` naming the object.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import docker
import docker.errors
import requests.exceptions

from comind_scaffold._docker_types import ContainerConfig, ContainerState, NetworkState
from comind_scaffold.errors import DockerUnavailableError, ServiceError

_UNREACHABLE = (requests.exceptions.ConnectionError, ConnectionError, FileNotFoundError, PermissionError)


def _state(container: Any) -> ContainerState:
    attrs = container.attrs
    state = attrs.get("State") or {}
    config = attrs.get("Config") or {}
    return ContainerState(
        name=container.name,
        status=str(state.get("Status", "unknown")),
        health=str((state.get("Health") or {}).get("Status", "none")),
        image=str(config.get("Image", "")),
        labels=dict(config.get("Labels") or {}),
        addresses={name: str(net.get("IPAddress") or "")
                   for name, net in ((attrs.get("NetworkSettings") or {}).get("Networks") or {}).items()},
    )


def _network_state(network: Any) -> NetworkState:
    pools = ((network.attrs.get("IPAM") or {}).get("Config") or [{}])[0]
    return NetworkState(name=network.name, subnet=str(pools.get("Subnet", "")), gateway=str(pools.get("Gateway", "")),
                        ip_range=str(pools.get("IPRange", "")), labels=dict(network.attrs.get("Labels") or {}))


def _label_filter(labels: Mapping[str, str]) -> dict[str, str | list[str] | bool]:
    return {"label": [f"{key}={value}" for key, value in labels.items()]}


def _tar_of(files: Mapping[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, content in files.items():
            data = content.encode()
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class DockerEngine:
    """A connection to one Docker engine.

    Args:
        base_url: Engine address; defaults to `DOCKER_HOST` or the platform default socket.
        timeout: Seconds an API call may take.

    """

    def __init__(self, base_url: str | None = None, timeout: float = 60) -> None:
        self.base_url = base_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        try:
            self._client = docker.DockerClient(base_url=self.base_url, version="auto", timeout=int(timeout))
            self._client.ping()
        except (docker.errors.DockerException, *_UNREACHABLE) as err:
            raise DockerUnavailableError(
                f"Docker engine not reachable at {self.base_url}: {_unreachable_reason(err)}",
                hint="start Docker or point DOCKER_HOST at a running engine",
            ) from err

    def close(self) -> None:
        """Release the connection."""
        self._client.close()

    def has_image(self, reference: str) -> bool:
        """True when the image is present locally."""
        try:
            self._client.images.get(reference)
        except docker.errors.ImageNotFound:
            return False
        except docker.errors.APIError as err:
            raise ServiceError(f"image {reference}: {_reason(err)}") from err
        return True

    def pull(self, reference: str) -> None:
        """Pull an image from its registry."""
        repository, _, tag = reference.rpartition(":")
        try:
            self._client.images.pull(repository, tag=tag)
        except docker.errors.APIError as err:
            raise ServiceError(f"image {reference}: pull failed: {_reason(err)}") from err

    def container(self, name: str) -> ContainerState | None:
        """The container called `name`, or None."""
        try:
            return _state(self._client.containers.get(name))
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as err:
            raise ServiceError(f"container {name}: {_reason(err)}") from err

    def volume_labels(self, name: str) -> dict[str, str] | None:
        """Labels of the volume called `name`, or None when it does not exist."""
        try:
            volume = self._client.volumes.get(name)
        except docker.errors.NotFound:
            return None
        return dict(volume.attrs.get("Labels") or {})

    def containers(self, labels: Mapping[str, str]) -> list[ContainerState]:
        """Every container carrying all `labels`, running or not."""
        found = self._client.containers.list(all=True, filters=_label_filter(labels))
        return sorted((_state(c) for c in found), key=lambda s: s.name)

    def volumes(self, labels: Mapping[str, str]) -> list[str]:
        """Names of the volumes carrying all `labels`."""
        return sorted(v.name for v in self._client.volumes.list(filters=_label_filter(labels)))

    def network(self, name: str) -> NetworkState | None:
        """The network called `name`, or None."""
        try:
            return _network_state(self._client.networks.get(name))
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as err:
            raise ServiceError(f"network {name}: {_reason(err)}") from err

    def networks(self, labels: Mapping[str, str]) -> list[str]:
        """Names of the networks carrying all `labels`."""
        return sorted(n.name for n in self._client.networks.list(filters=_label_filter(labels)) if n.name)

    def create_network(self, name: str, *, subnet: str, gateway: str, ip_range: str,
                       labels: Mapping[str, str]) -> None:
        """Create a bridge network whose dynamic addresses come from `ip_range` only."""
        from docker.types import IPAMConfig, IPAMPool

        pool = IPAMPool(subnet=subnet, gateway=gateway, iprange=ip_range)
        try:
            self._client.networks.create(name, driver="bridge", ipam=IPAMConfig(pool_configs=[pool]),
                                         labels=dict(labels), check_duplicate=True)
        except docker.errors.APIError as err:
            raise ServiceError(f"network {name}: {_reason(err)}") from err

    def remove_network(self, name: str) -> None:
        """Remove a network (Docker refuses while containers are attached)."""
        try:
            self._client.networks.get(name).remove()
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as err:
            raise ServiceError(f"network {name}: {_reason(err)}") from err

    def _networking(self, config: ContainerConfig) -> dict[str, Any]:
        if config.network is None:
            return {"network_mode": config.network_mode}
        attach = config.network
        endpoint = self._client.api.create_endpoint_config(aliases=list(attach.aliases),
                                                           ipv4_address=attach.ipv4_address)
        return {"network": attach.network, "networking_config": {attach.network: endpoint}}

    def create(self, config: ContainerConfig) -> None:
        """Create the volume (when missing) and the container, write its files, start it."""
        try:
            if self.volume_labels(config.volume) is None:
                self._client.volumes.create(name=config.volume, labels=config.volume_labels)
            container = self._client.containers.create(
                config.image,
                name=config.name,
                command=config.command,
                environment=config.environment,
                labels=config.labels,
                volumes={config.volume: {"bind": config.mount, "mode": "rw"}},
                healthcheck=config.healthcheck.as_docker(),
                restart_policy={"Name": "unless-stopped"},  # type: ignore[arg-type]  # the stubs know 2 of 4 names
                **self._networking(config),
                ports={f"{inner}/tcp": outer for inner, outer in config.ports.items()} or None,
            )
            if config.files:
                container.put_archive("/", _tar_of(config.files))
            container.start()
        except docker.errors.APIError as err:
            raise ServiceError(f"container {config.name}: {_reason(err)}") from err

    def start(self, name: str) -> None:
        """Start an existing container."""
        self._call(name, lambda c: c.start())

    def stop(self, name: str, timeout: int = 20) -> None:
        """Stop a container (its data stays)."""
        self._call(name, lambda c: c.stop(timeout=timeout))

    def remove_container(self, name: str) -> None:
        """Remove a container, keeping its named volume."""
        self._call(name, lambda c: c.remove(force=True))

    def remove_volume(self, name: str) -> None:
        """Remove a named volume."""
        try:
            self._client.volumes.get(name).remove(force=True)
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as err:
            raise ServiceError(f"volume {name}: {_reason(err)}") from err

    def logs(self, name: str, *, follow: bool = False, tail: int | str = "all") -> Iterator[str]:
        """Lines of a container's log (stdout and stderr); with `follow`, until the container stops."""
        count: int | Literal["all"] = "all" if tail == "all" else int(tail)
        try:
            container = self._client.containers.get(name)
            if not follow:
                yield from container.logs(tail=count).decode(errors="replace").splitlines()
                return
            pending = ""
            for chunk in container.logs(stream=True, follow=True, tail=count):
                pending += chunk.decode(errors="replace")
                *lines, pending = pending.split("\n")
                yield from lines
            if pending:
                yield pending
        except docker.errors.NotFound as err:
            raise ServiceError(f"container {name}: does not exist") from err
        except docker.errors.APIError as err:
            raise ServiceError(f"container {name}: {_reason(err)}") from err

    def _call(self, name: str, action: Any) -> None:
        try:
            action(self._client.containers.get(name))
        except docker.errors.NotFound as err:
            raise ServiceError(f"container {name}: does not exist") from err
        except docker.errors.APIError as err:
            raise ServiceError(f"container {name}: {_reason(err)}") from err


def _unreachable_reason(err: BaseException) -> str:
    """`No such file or directory`, `Connection refused`… out of the SDK's nested connection errors."""
    text = str(err)
    for pattern in (r"\[Errno \d+\] ([^'\"()]+)", r"Error\(\d+, '([^']+)'\)"):
        found = re.search(pattern, text)
        if found:
            return found.group(1).strip()
    return _reason(err)[:160]


def _reason(err: BaseException) -> str:
    """The first line of an SDK error, without the HTTP wrapping."""
    if isinstance(err, docker.errors.APIError) and err.explanation:
        text = str(err.explanation)
    else:
        text = str(err) or err.__class__.__name__
    return text.strip().splitlines()[0] if text.strip() else err.__class__.__name__
