"""Adapter for Copier: the only module that imports it.

Copier reports a failed validator or a missing answer as a bare ValueError with a traceback, and exits 0 after
leaving conflict markers; this module turns the first into `InputError` / `TemplateError` and leaves conflict
detection to the caller, which scans the files.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from comind_scaffold._git import identity_env
from comind_scaffold.errors import InputError, TemplateError

# "Validation error for question 'port': port: 80 must be 1024-65535 …" — our validators start with the field.
_VALIDATION = re.compile(r"^Validation error for question '(?P<question>[^']+)': (?P<message>.*)$", re.S)
_CHOICE = re.compile(r"^Invalid choice for '(?P<question>[^']+)': (?P<message>.*)$", re.S)

# Never prompt, overwrite what the template renders, trust the template the platform records, stay quiet.
_UNATTENDED = {"defaults": True, "overwrite": True, "unsafe": True, "quiet": True}
# Update merges keep this many lines of context: Copier's default of 1 merges neighbouring YAML lines into conflicts.
UPDATE_CONTEXT_LINES = 5


@contextlib.contextmanager
def _quiet_copier() -> Iterator[None]:
    """Silence Copier's warnings and stderr chatter and give git an identity for its scratch commits."""
    saved = {key: os.environ.get(key) for key in identity_env()}
    os.environ.update(identity_env())
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _translate(err: Exception) -> Exception:
    """Our error for a Copier failure, or the failure itself when it is a bug."""
    from copier import errors as copier_errors

    text = str(err).strip()
    for pattern in (_VALIDATION, _CHOICE):
        found = pattern.match(text)
        if found:
            question, message = found["question"], found["message"].strip()
            field, _, rule = message.partition(": ")
            if field == question and rule:
                return InputError(field, rule.splitlines()[0])
            return InputError(question, message.splitlines()[0])
    if isinstance(err, copier_errors.UnsafeTemplateError):
        return TemplateError(f"template: uses {text}", hint="comind trusts only the template its platform records")
    if isinstance(err, ValueError | copier_errors.CopierError):
        # Unknown revision, unreadable copier.yml, dirty destination, downgrade: the template or the answers.
        return TemplateError(f"template: {text.splitlines()[0] if text else err.__class__.__name__}")
    return err


def copy(
    source: str,
    destination: Path,
    data: Mapping[str, Any],
    *,
    vcs_ref: str | None = None,
    pretend: bool = False,
) -> None:
    """Render the template at `source` (git ref `vcs_ref`) into `destination` with `data`, asking nothing.

    Raises:
        InputError: A template validator rejected an answer.
        TemplateError: The template or its source cannot be used.
    """
    import copier

    try:
        with _quiet_copier():
            copier.run_copy(
                source,
                destination.absolute(),
                data=dict(data),
                vcs_ref=vcs_ref,
                pretend=pretend,
                **_UNATTENDED,
            )
    except (ValueError, copier.errors.CopierError) as err:
        raise _translate(err) from err


def update(
    destination: Path,
    *,
    vcs_ref: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> None:
    """Three-way update of a generated folder to the template at `vcs_ref` (default: newest tag).

    Copier exits without error when it leaves conflict markers; the caller scans for them.

    Raises:
        InputError: A validator of the new template version rejected a recorded answer.
        TemplateError: Copier refused (dirty tree, no recorded version, downgrade, …).
    """
    import copier

    try:
        with _quiet_copier():
            copier.run_update(
                destination.absolute(),
                data=dict(data or {}),
                vcs_ref=vcs_ref,
                skip_answered=True,
                conflict="inline",
                context_lines=UPDATE_CONTEXT_LINES,
                **_UNATTENDED,
            )
    except (ValueError, copier.errors.CopierError) as err:
        raise _translate(err) from err


_GIT_WRAPPER = '#!/bin/sh\nexec flock "$COMIND_GIT_LOCK" "$COMIND_REAL_GIT" "$@"\n'


def _serialise_git(scratch: Path) -> None:
    """Route this process's git commands through one lock shared with its sibling workers.

    Copier runs git in the destination repository (status, apply, checkout, update-index); two updates doing that
    at once would race for the index lock. Rendering, the slow part, still runs in parallel.
    """
    import shutil

    from plumbum import local

    wrapper = scratch / "git"
    if not wrapper.exists():
        wrapper.write_text(_GIT_WRAPPER)
        wrapper.chmod(0o755)
    real = shutil.which("git")
    os.environ.update(COMIND_GIT_LOCK=str(scratch / "git.lock"), COMIND_REAL_GIT=str(real))
    os.environ["PATH"] = f"{scratch}{os.pathsep}{os.environ['PATH']}"
    local.env.update(COMIND_GIT_LOCK=str(scratch / "git.lock"), COMIND_REAL_GIT=str(real), PATH=os.environ["PATH"])


def _update_one(destination: str, vcs_ref: str | None) -> str | None:
    """Worker: update one folder; the error text, or None. (Our errors do not pickle, their text does.)"""
    try:
        update(Path(destination), vcs_ref=vcs_ref)
    except (InputError, TemplateError) as err:
        return err.message
    return None


def update_many(destinations: list[Path], *, vcs_ref: str | None = None, jobs: int | None = None) -> list[str | None]:
    """Update several generated folders, in parallel processes when there is more than one.

    Returns:
        For each destination, None on success or the error text.
    """
    import shutil
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    workers = min(jobs or os.cpu_count() or 1, len(destinations))
    if workers <= 1 or shutil.which("flock") is None:
        return [_update_one(str(d), vcs_ref) for d in destinations]
    with tempfile.TemporaryDirectory(prefix="comind-update-") as scratch:
        with ProcessPoolExecutor(max_workers=workers, initializer=_serialise_git, initargs=(Path(scratch),)) as pool:
            return list(pool.map(_update_one, [str(d) for d in destinations], [vcs_ref] * len(destinations)))
