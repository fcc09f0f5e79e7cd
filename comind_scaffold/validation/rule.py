"""What an offline rule is: a function of one `RepoScan` returning `CheckResult`s of the `static` layer."""

from __future__ import annotations

from collections.abc import Callable

from comind_scaffold.models import CheckResult, passed
from comind_scaffold.validation.scan import LAYER, RepoScan

__all__ = ["LAYER", "StaticCheck", "summary"]

StaticCheck = Callable[[RepoScan], list[CheckResult]]


def summary(name: str, obj: str, message: str, findings: list[CheckResult]) -> list[CheckResult]:
    """The findings, or one PASS saying what was checked when there are none."""
    return findings or [passed(name, LAYER, obj, message)]
