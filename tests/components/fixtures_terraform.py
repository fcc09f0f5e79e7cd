"""Session fixture for the tests that run terraform with providers: the filesystem mirror, built or reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.components.require import skip_or_fail
from tests.helpers_terraform import ensure_provider_mirror


@pytest.fixture(scope="session")
def provider_mirror(request: pytest.FixtureRequest) -> Path:
    """The mirror's CLI config; skips (fails under --require-real) when the providers cannot be built."""
    config, reason = ensure_provider_mirror()
    if config is None:
        skip_or_fail(reason, request.config)
    return config
