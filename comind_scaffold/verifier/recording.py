"""What a verify test does with check results: remember them for the report, then let the test assert."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from comind_scaffold.models import CheckResult, Status

RESULTS_KEY = "comind_results"
_current: list[pytest.Item] = []


@dataclass(frozen=True)
class Verdict:
    """The outcome of one verify test: ok unless a result FAILed; `detail` lists what is wrong."""

    ok: bool
    detail: str


def record(results: CheckResult | Iterable[CheckResult]) -> Verdict:
    """Attach results to the running test (for the layer summary and --json); SKIP-only results skip it."""
    batch = [results] if isinstance(results, CheckResult) else list(results)
    if _current:
        _current[-1].user_properties.append((RESULTS_KEY, json.dumps([r.model_dump(mode="json") for r in batch])))
    if batch and all(r.status is Status.SKIP for r in batch):
        pytest.skip("; ".join(f"{r.object}: {r.message}" for r in batch))
    failures = [r.line() for r in batch if r.status is Status.FAIL]
    return Verdict(ok=not failures, detail="\n".join(failures))


def results_of(user_properties: Iterable[tuple[str, object]]) -> list[CheckResult]:
    """Return the results a test recorded (read back from a report's user_properties)."""
    found: list[CheckResult] = []
    for key, value in user_properties:
        if key == RESULTS_KEY:
            found += [CheckResult.model_validate(item) for item in json.loads(str(value))]
    return found
