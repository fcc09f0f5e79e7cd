"""Static layer (no cluster): what `comind validate` checks, on the platform repository."""

import pytest

from comind_scaffold.verifier import record

pytestmark = pytest.mark.static


def test_static_validation(platform):
    static = pytest.importorskip("comind_scaffold.checks.static", reason="this comind-ops has no static checks yet")
    verdict = record(static.check_platform(platform))
    assert verdict.ok, verdict.detail
