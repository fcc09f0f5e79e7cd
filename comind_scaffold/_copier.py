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

from comind_scaffold import _copier_speed, template_source
from comind_scaffold._git import identity_env, toplevel
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
    from plumbum import ProcessExecutionError

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
    except ProcessExecutionError as err:
        raise TemplateError(f"template source: {source}: {_git_failure(err)}") from err


def _git_failure(err: Any) -> str:
    """The first line git printed for a failed command Copier ran (clone, checkout, apply…)."""
    lines = [line.strip().lstrip("|").strip() for line in str(err.stderr).splitlines()]
    return next((line for line in lines if line), f"git exited {err.retcode}")


def recorded_source(destination: Path) -> tuple[str, str | None]:
    """The template source and version a generated folder's answers file records.

    Raises:
        TemplateError: No answers file, or it records no source.

    """
    import yaml

    answers = destination / ".copier-answers.yml"
    try:
        data = yaml.safe_load(answers.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise TemplateError(f"{answers}: cannot read the recorded template ({err.__class__.__name__})") from err
    source = str(data.get("_src_path") or "")
    if not source:
        raise TemplateError(f"{answers}: no _src_path recorded, so its template is unknown")
    commit = data.get("_commit")
    return source, str(commit) if commit else None


def _search_bases(destination: Path, mirrors: Path | None = None) -> list[Path]:
    """Folders a relative recorded source is resolved from: the folder, then its parents up to its work tree's top.

    Then the same folders of `mirrors`, the repository a sparse work tree was made from (the tree lacks the
    templates a source recorded as `../..` names).
    """
    top = toplevel(destination) or destination
    bases = [destination]
    for parent in destination.parents:
        bases.append(parent)
        if parent == top:
            break
    if mirrors is not None:
        bases += [mirrors / base.relative_to(top) for base in list(bases) if base.is_relative_to(top)]
    return bases


def check_ref(destination: Path, vcs_ref: str) -> None:
    """Fail with one line when the template a folder records has no `vcs_ref`.

    Raises:
        TemplateError: The source cannot be read, or has no such tag or branch.

    """
    recorded, commit = recorded_source(destination)
    with template_source.reading(recorded, commit, bases=_search_bases(destination)) as (source, _):
        template_source.check_reachable(source, vcs_ref)


def update(
    destination: Path,
    *,
    vcs_ref: str | None = None,
    data: Mapping[str, Any] | None = None,
    mirrors: Path | None = None,
) -> None:
    """Three-way update of a generated folder to the template at `vcs_ref` (default: newest tag).

    The template is read from where `template_source.reading` says (an override, the package's copy, or the
    recorded source); the answers keep the source they record. Copier exits without error when it leaves
    conflict markers; the caller scans for them. `mirrors`: the repository whose sparse work tree holds
    `destination`, where a relative recorded source is looked up too.

    Raises:
        InputError: A validator of the new template version rejected a recorded answer.
        TemplateError: Copier refused (dirty tree, no recorded version, downgrade, …).

    """
    import copier
    from plumbum import ProcessExecutionError

    destination = destination.absolute()
    recorded, commit = recorded_source(destination)
    try:
        with (
            template_source.reading(recorded, commit, bases=_search_bases(destination, mirrors)) as (_, run_in),
            contextlib.chdir(run_in or Path.cwd()),
            _quiet_copier(),
        ):
            copier.run_update(
                destination,
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
        command = " ".join(map(str, err.argv[-2:]))
        raise TemplateError(f"git (during copier update): {command}: {_git_failure(err)}") from err


shared_clones = _copier_speed.shared_clones


def update_or_error(
    destination: Path,
    *,
    vcs_ref: str | None = None,
    data: Mapping[str, Any] | None = None,
    mirrors: Path | None = None,
) -> str | None:
    """Update one folder; return the error text, or None (text, because our errors do not pickle)."""
    try:
        update(destination, vcs_ref=vcs_ref, data=data, mirrors=mirrors)
    except (InputError, TemplateError) as err:
        return err.message
    return None


def preload() -> None:
    """Import Copier and set up the compile cache now, so worker processes forked later inherit both."""
    import copier  # noqa: F401

    _copier_speed.install()
