"""Skip a test whose real component is missing — or fail it, under --require-real (CI)."""

from __future__ import annotations

import os
from typing import Any, NoReturn

import pytest


def require_real(config: Any | None = None) -> bool:
    """True when missing components must fail tests instead of skipping them."""
    if os.environ.get("COMIND_REQUIRE_REAL") == "1":
        return True
    return bool(config is not None and config.getoption("--require-real", default=False))


def skip_or_fail(reason: str, config: Any | None = None) -> NoReturn:
    """Skip with `reason`, or fail with it when real components are required."""
    if require_real(config):
        pytest.fail(f"required real component missing: {reason}", pytrace=False)
    pytest.skip(reason)
