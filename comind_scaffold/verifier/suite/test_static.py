"""Static layer (no cluster): what `comind validate` checks, on the platform repository."""

import pytest

from comind_scaffold.validation.run import validate
from comind_scaffold.verifier import record

pytestmark = pytest.mark.static


def test_static_validation(platform):
    verdict = record(validate(platform.root).results)
    assert verdict.ok, verdict.detail
