"""Static layer (no cluster): what `comind validate` checks, on the platform repository.

PYTEST_DONT_REWRITE: a failing check already says what is wrong; pytest's introspection would only repeat it.
"""

import pytest

from comind_scaffold.validation.run import validate
from comind_scaffold.verifier import record

pytestmark = pytest.mark.static


def test_static_validation(platform):
    verdict = record(validate(platform.root).results)
    assert verdict.ok, verdict.detail
