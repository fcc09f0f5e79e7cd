"""The one place that owns terminal output."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.console import Console

from comind_scaffold.api import CheckResult, Status
from comind_scaffold.errors import UpdateConflictError, UpdateFailedError, ValidationFailed

if TYPE_CHECKING:
    from comind_scaffold.api import UpdateReport

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


def print_update_report(report: UpdateReport) -> None:
    """Print an update's results and raise the error that gives its exit code (conflicts, failures, checks).

    Raises:
        UpdateConflictError: Conflicts left, or edits of removed or renamed files kept aside.
        UpdateFailedError: An update failed (what failed is named).
        ValidationFailed: The result does not pass the static checks.

    """
    for r in report.results:
        detail = f": {', '.join(r.conflicts)}" if r.conflicts else (f": {r.message}" if r.message else "")
        console.print(f"{r.name:30} {r.old_version:>14} → {r.new_version:<14} {r.status}{detail}", markup=False)
        for line in r.kept:
            console.print(f"  kept: {line}", markup=False)
    for project in report.projects:
        console.print(f"synced {project}", markup=False)
    for note in report.notes:
        console.print(f"note: {note}", markup=False)
    statuses = ("updated", "unchanged", "conflicts", "failed")
    counts = {s: sum(1 for r in report.results if r.status == s) for s in statuses}
    console.print(" ".join(f"{k}={v}" for k, v in counts.items()))
    if report.conflicted:
        files = [f for r in report.conflicted for f in r.conflicts]
        kept = [line.split(": ", 1)[0] for r in report.conflicted for line in r.kept]
        files += [name for name in kept if name not in files]
        raise UpdateConflictError(", ".join(r.name for r in report.conflicted), files)
    if report.failed:
        raise UpdateFailedError([(r.name, r.message) for r in report.failed])
    if report.failures:
        console.print(f"the updated result does not validate ({len(report.failures)} failure(s)):", markup=False)
        for failure in report.failures:
            console.print(f"  {failure.line()}", markup=False)
        raise ValidationFailed(report.failures)
