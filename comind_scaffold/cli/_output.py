"""The one place that owns terminal output."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from rich.console import Console

from comind_scaffold.models import CheckResult, Status

console = Console(highlight=False, soft_wrap=True)
error_console = Console(stderr=True, highlight=False, soft_wrap=True)

_STYLE = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "red", Status.SKIP: "dim"}


def print_results(results: Iterable[CheckResult], *, show_passed: bool = False) -> None:
    """Print check results, failures and warnings first, then a count per status."""
    results = list(results)
    for result in sorted(results, key=lambda r: list(Status).index(r.status), reverse=True):
        if result.status is Status.PASS and not show_passed:
            continue
        console.print(f"[{_STYLE[result.status]}]{result.line()}[/]", markup=True, highlight=False)
    counts = {s: sum(1 for r in results if r.status is s) for s in Status}
    console.print(" ".join(f"{s.value}={counts[s]}" for s in Status))


def print_json(data: Any) -> None:
    """Print machine-readable JSON on stdout."""
    print(json.dumps(data, indent=2, sort_keys=True, default=str))
