"""Typed values shared across the library: check results and their status."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Status(StrEnum):
    """Outcome of one check."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"


class CheckResult(BaseModel):
    """One fact a check established.

    Attributes:
        name: Short id of the check (``postgres.login``, ``app.quota``…).
        layer: static, services, cluster, gitops, apps or aws.
        status: PASS, WARN, FAIL or SKIP.
        object: What was checked (``Deployment platform-dev/argocd-server``, ``apps/my-app/k8s/overlays/dev``).
        message: What was found, written for a human.
        hint: What to do about it, when there is something to do.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    layer: str
    status: Status
    object: str = ""
    message: str = ""
    hint: str = ""

    @property
    def ok(self) -> bool:
        """True unless the check failed."""
        return self.status is not Status.FAIL

    def line(self) -> str:
        """One readable line: status, object, message."""
        where = f" {self.object}" if self.object else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{self.status.value:4} {self.name}{where}: {self.message}{hint}"


def passed(name: str, layer: str, obj: str = "", message: str = "ok") -> CheckResult:
    """A PASS result."""
    return CheckResult(name=name, layer=layer, status=Status.PASS, object=obj, message=message)


def failed(name: str, layer: str, obj: str, message: str, hint: str = "") -> CheckResult:
    """A FAIL result."""
    return CheckResult(name=name, layer=layer, status=Status.FAIL, object=obj, message=message, hint=hint)


def warned(name: str, layer: str, obj: str, message: str, hint: str = "") -> CheckResult:
    """A WARN result."""
    return CheckResult(name=name, layer=layer, status=Status.WARN, object=obj, message=message, hint=hint)


def skipped(name: str, layer: str, obj: str, message: str) -> CheckResult:
    """A SKIP result (the check does not apply or cannot run here, with the reason)."""
    return CheckResult(name=name, layer=layer, status=Status.SKIP, object=obj, message=message)
