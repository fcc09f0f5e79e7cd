"""What `comind services` did or found, as typed values the CLI prints and `--json` dumps."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from comind_scaffold.models import CheckResult


class Action(StrEnum):
    """What happened to one object."""

    CREATED = "created"
    STARTED = "started"
    RECREATED = "recreated"
    STOPPED = "stopped"
    REMOVED = "removed"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


class Change(BaseModel):
    """One object a command touched (or found already as wanted).

    Attributes:
        service: postgresql, minio, redis or elasticmq.
        object: What it is (`container comind-ops-postgres`, `database shop_dev`, `queue shop-dev`…).
        action: What was done.
        detail: Why, when it is not obvious.

    """

    model_config = ConfigDict(frozen=True)

    service: str
    object: str
    action: Action
    detail: str = ""

    @property
    def changed(self) -> bool:
        """True when something on the host is different afterwards."""
        return self.action not in (Action.UNCHANGED, Action.SKIPPED)

    def line(self) -> str:
        """One readable line."""
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.action.value:9} {self.service:10} {self.object}{detail}"


class ServiceStatus(BaseModel):
    """One row of `comind services status`.

    Attributes:
        service: postgresql, minio, redis or elasticmq.
        enabled: Whether services.yaml enables it.
        container: Container name.
        state: Container state (`running`, `exited`, `missing`, `not ours`, `disabled`).
        health: Docker health (`healthy`, `starting`, `unhealthy`, `none`).
        ports: Host ports by role.
        image: Image reference the container runs.
        probe: The protocol probe, when the container runs.

    """

    model_config = ConfigDict(frozen=True)

    service: str
    enabled: bool
    container: str
    state: str
    health: str
    ports: dict[str, int]
    image: str
    probe: CheckResult | None = None

    @property
    def ok(self) -> bool:
        """False when an enabled service is down, unhealthy or fails its probe."""
        if not self.enabled:
            return True
        return self.state == "running" and self.health == "healthy" and self.probe is not None and self.probe.ok
