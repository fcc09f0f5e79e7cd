"""Writing a file so that a reader sees the old content or the new, never half of it."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Write `text` to a hidden sibling, then rename it over `path`.

    With `mode` (e.g. 0o600) the sibling is created with it, so a secret is never readable by others, not even
    while it is written.
    """
    partial = path.with_name(f".{path.name}.partial")
    if mode is None:
        partial.write_text(text, encoding="utf-8")
    else:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(partial, mode)  # an existing partial keeps its mode through O_CREAT
    os.replace(partial, path)
