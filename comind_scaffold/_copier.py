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

from comind_scaffold import _copier_speed
from comind_scaffold._git import identity_env
from comind_scaffold.errors import InputError, TemplateError

# "Validation error for question 'port': port: 80 must be 1024-65535 …" — our validators start with the field.
_VALIDATION = re.compile(r"^Validation error for question '(?P<question>[^']+)': (?P<message>.*)$", re.S)
_CHOICE = re.compile(r"^Invalid choice for '(?P<question>[^']+)': (?P<message>.*)$", re.S)

# Never prompt, overwrite what the template renders, trust the template the platform records, stay quiet.
_UNATTENDED: dict[str, Any] = {"defaults": True, "overwrite": True, "unsafe": True, "quiet": True}
# Update merges keep this many lines of context: Copier's default of 1 merges neighbouring YAML lines into conflicts.
UPDATE_CONTEXT_LINES = 5


@contextlib.contextmanager
def _quiet_copier() -> Iterator[None]:
    """Silence Copier's warnings and stderr chatter and give git an identity for its scratch commits."""
    _copier_speed.install()
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
    from plumbum import ProcessExecutionError

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
    except ProcessExecutionError as err:
        # A git command Copier runs in the destination failed (e.g. an index left unmerged by an earlier update).
        detail = next((line for line in str(err.stderr).splitlines() if line.strip()), f"exit {err.retcode}")
        raise TemplateError(f"git (during copier update): {' '.join(map(str, err.argv[-2:]))}: {detail}") from err


shared_clones = _copier_speed.shared_clones


def update_or_error(
    destination: Path, *, vcs_ref: str | None = None, data: Mapping[str, Any] | None = None
) -> str | None:
    """Update one folder; return the error text, or None (text, because our errors do not pickle)."""
    try:
        update(destination, vcs_ref=vcs_ref, data=data)
    except (InputError, TemplateError) as err:
        return err.message
    return None


def preload() -> None:
    """Import Copier and set up the compile cache now, so worker processes forked later inherit both."""
    import copier  # noqa: F401

    _copier_speed.install()
