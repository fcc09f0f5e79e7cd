"""Static layer (no cluster): what `comind validate` checks, on the platform repository.

PYTEST_DONT_REWRITE: a failing check already says what is wrong; pytest's introspection would only repeat it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comind_scaffold.verifier import record

if TYPE_CHECKING:
    from comind_scaffold.repo import PlatformRepo
    from comind_scaffold.validation.run import ValidationReport


def test_static_validation(platform: PlatformRepo, static_report: ValidationReport) -> None:
    verdict = record(static_report.results)
    assert verdict.ok, verdict.detail
