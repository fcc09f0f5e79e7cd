"""YAML parsing for every module: libyaml's C loader when PyYAML has it (several times faster), else PyYAML's own."""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """Parse one YAML document with the safe loader."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 — SafeLoader (C or Python) builds plain types only
