"""What comind asks of the Docker engine and what the engine reports, as plain values.

`_docker.py` turns these into SDK calls and SDK objects back into them; this module imports no SDK, so the
service kinds describe their containers without touching the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_NANOSECONDS = 1_000_000_000


@dataclass(frozen=True)
class Healthcheck:
    """A container healthcheck; times in seconds."""

    command: str
    interval: float = 2.0
    timeout: float = 3.0
    retries: int = 30
    start_period: float = 60.0

    def as_docker(self) -> dict[str, Any]:
        """The `healthcheck` mapping the Docker API expects (nanoseconds)."""
        return {
            "test": ["CMD-SHELL", self.command],
            "interval": int(self.interval * _NANOSECONDS),
            "timeout": int(self.timeout * _NANOSECONDS),
            "retries": self.retries,
            "start_period": int(self.start_period * _NANOSECONDS),
        }


@dataclass(frozen=True)
class NetworkAttachment:
    """A user-defined network a container joins at a fixed address, reachable there under `aliases`."""

    network: str
    ipv4_address: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkState:
    """What the engine says about one network."""

    name: str
    subnet: str
    gateway: str
    ip_range: str
    labels: dict[str, str]


@dataclass(frozen=True)
class ContainerConfig:
    """Everything needed to create one service container.

    Attributes:
        name: Container name.
        image: Image reference `name:tag`.
        command: Arguments given to the image's entrypoint.
        environment: Environment variables.
        labels: Labels put on the container.
        volume: Named volume holding the data.
        volume_labels: Labels put on the volume when it is created.
        mount: Where the volume is mounted in the container.
        healthcheck: How Docker decides the container is healthy.
        network_mode: `host` or `bridge`; ignored when `network` is set.
        ports: Published ports for bridge mode: container port -> (host address, host port).
        network: The user-defined network to join at a fixed address instead of `network_mode`.
        files: Files written into the container before it starts: absolute path -> content.

    """

    name: str
    image: str
    command: list[str]
    environment: dict[str, str]
    labels: dict[str, str]
    volume: str
    volume_labels: dict[str, str]
    mount: str
    healthcheck: Healthcheck
    network_mode: str = "host"
    ports: dict[int, tuple[str, int]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    network: NetworkAttachment | None = None


@dataclass(frozen=True)
class ContainerState:
    """What the engine says about one container."""

    name: str
    status: str
    health: str
    image: str
    labels: dict[str, str]
    addresses: dict[str, str] = field(default_factory=dict)  # user-defined network -> the container's IPv4

    @property
    def running(self) -> bool:
        """True while the container runs."""
        return self.status == "running"
