"""The verify run's own summary: PASS/WARN/FAIL/SKIP counts and time per layer, warnings, and `--json FILE`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from comind_scaffold.layers import NAMES as LAYERS
from comind_scaffold.models import CheckResult, Status
from comind_scaffold.verifier.recording import results_of


@dataclass
class TestOutcome:
    """One test's outcome over its setup, call and teardown."""

    nodeid: str
    layer: str
    status: Status = Status.PASS
    seconds: float = 0.0
    message: str = ""
    results: list[CheckResult] = field(default_factory=list)


def layer_of(keywords: Any) -> str:
    """Return the layer marker among a test's keywords ('' when it has none)."""
    return next((layer for layer in LAYERS if layer in keywords), "")


class LayerReport:
    """Collects test reports and prints the summary grouped by layer."""

    def __init__(self, profile: str, json_path: str | None) -> None:
        self.profile = profile
        self.json_path = json_path
        self.outcomes: dict[str, TestOutcome] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold each phase's report into the test's outcome."""
        outcome = self.outcomes.setdefault(report.nodeid, TestOutcome(report.nodeid, layer_of(report.keywords)))
        outcome.seconds += report.duration
        if report.when == "call" or report.outcome != "passed":
            outcome.results = outcome.results or results_of(report.user_properties)
        if report.failed:
            outcome.status = Status.FAIL
            outcome.message = outcome.message or _short(report)
        elif report.skipped and outcome.status is not Status.FAIL:
            outcome.status = Status.SKIP
            outcome.message = _skip_reason(report)
        elif report.when == "call" and any(r.status is Status.WARN for r in outcome.results):
            outcome.status = Status.WARN
            outcome.message = "; ".join(r.line() for r in outcome.results if r.status is Status.WARN)

    def not_run(self, nodeid: str, layer: str, reason: str) -> None:
        """Count a test that was not run because its target is unusable (shown as SKIP with the reason)."""
        self.outcomes[nodeid] = TestOutcome(nodeid, layer, Status.SKIP, 0.0, reason)

    def counts(self) -> dict[str, dict[str, Any]]:
        """Per layer: PASS/WARN/FAIL/SKIP counts and seconds."""
        table: dict[str, dict[str, Any]] = {}
        for outcome in self.outcomes.values():
            row = table.setdefault(outcome.layer or "other", {s.value: 0 for s in Status} | {"seconds": 0.0})
            row[outcome.status.value] += 1
            row["seconds"] += outcome.seconds
        order = [*LAYERS, "other"]
        return {k: table[k] for k in sorted(table, key=order.index)}

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print warnings, then the table by layer; write --json."""
        not_run: dict[str, int] = {}
        for outcome in self.outcomes.values():
            if outcome.status is Status.SKIP and outcome.message.startswith("not run: "):
                not_run[outcome.message] = not_run.get(outcome.message, 0) + 1
        for reason, count in not_run.items():
            terminalreporter.line(f"{count} test(s) {reason}")
        warns = [o for o in self.outcomes.values() if o.status is Status.WARN]
        if warns:
            terminalreporter.section("comind verify: warnings (not failures)", yellow=True)
            for outcome in warns:
                terminalreporter.line(f"WARN {outcome.nodeid}: {outcome.message}")
        terminalreporter.section(f"comind verify summary (profile {self.profile})")
        terminalreporter.line(f"{'layer':10} {'PASS':>5} {'WARN':>5} {'FAIL':>5} {'SKIP':>5} {'seconds':>8}")
        for layer, row in self.counts().items():
            terminalreporter.line(
                f"{layer:10} {row['PASS']:>5} {row['WARN']:>5} {row['FAIL']:>5} {row['SKIP']:>5} {row['seconds']:>8.2f}"
            )
        if self.json_path:
            self.write_json(Path(self.json_path))
            terminalreporter.line(f"JSON report: {self.json_path}")

    def write_json(self, path: Path) -> None:
        """Write the machine-readable report."""
        data = {
            "profile": self.profile,
            "layers": self.counts(),
            "tests": [
                {
                    "nodeid": o.nodeid,
                    "layer": o.layer,
                    "status": o.status.value,
                    "seconds": round(o.seconds, 3),
                    "message": o.message,
                    "results": [r.model_dump(mode="json") for r in o.results],
                }
                for o in self.outcomes.values()
            ],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2) + "\n")


def _short(report: pytest.TestReport) -> str:
    text = getattr(report, "longreprtext", "") or str(report.longrepr or "")
    lines = [line for line in text.splitlines() if line.strip()]
    error_lines = [line[2:].strip() for line in lines if line.startswith("E ")]
    return " | ".join(error_lines[:5]) if error_lines else (lines[-1] if lines else "failed")


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")
