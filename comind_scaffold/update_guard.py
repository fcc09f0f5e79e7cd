"""What `comind update` does around Copier so that nothing is lost and what it reports is true.

Before: an app whose committed files still hold conflict markers is refused. Around: the bytes and times of
every file are recorded, so a file the update left as it was keeps its mtime. After: a file the template removed
or renamed while the user had edited it keeps the user's content, and the static checks run on what changed.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from comind_scaffold import _copier, _git, template_source
from comind_scaffold import constants as c
from comind_scaffold.errors import TemplateError
from comind_scaffold.models import CheckResult

PROJECTS_DIR = f"{c.KUSTOMIZE_ROOT}/projects"
# What `git merge-file` writes matches Copier's own markers, so a merged rename is found like any conflict.
BEFORE_LABEL, AFTER_LABEL = "before updating", "after updating"
_MARKER = re.compile(rb"^(<<<<<<<|>>>>>>>)( |\r?$)", re.M)
# A removed file is taken as renamed to the added file most like it, if at least this alike.
_RENAME_SIMILARITY = 0.6


def pathspecs(folders: Iterable[str]) -> list[str]:
    """Git pathspecs of update targets; the platform (`.`) stops at apps/, which are updated on their own."""
    specs: list[str] = []
    for folder in folders:
        specs += [".", f":(exclude){c.APPS_DIR}/"] if folder == "." else [folder]
    return specs


def refuse_committed_markers(root: Path, folders: Sequence[str]) -> None:
    """Refuse to update folders whose tracked files hold conflict markers (`<<<<<<<`, `>>>>>>>` lines).

    Copier would merge around them and report success; the markers would then be taken for content.

    Raises:
        TemplateError: Names each file and the first marker's line.

    """
    listed = _git.git(root, "grep", "-I", "-l", "-E", "^(<<<<<<<|>>>>>>>)( |$)", "--", *pathspecs(folders), check=False)
    found = []
    for name in sorted(set(listed.splitlines())):
        text = (root / name).read_bytes()
        hit = _MARKER.search(text)
        if hit:
            line = text.count(b"\n", 0, hit.start()) + 1
            found.append(f"{name} (line {line})")
    if found:
        raise TemplateError(
            f"update: conflict markers are committed in {', '.join(found)}; resolve them and commit before updating"
        )


@dataclass(frozen=True)
class _Stamp:
    content: bytes
    atime_ns: int
    mtime_ns: int


class FileSnapshot:
    """The bytes and times of the tracked files under some folders, taken before an update."""

    def __init__(self, root: Path, folders: Sequence[str]) -> None:
        self.root = root
        self.files: dict[str, _Stamp] = {}
        for name in _git.tracked(root, *pathspecs(folders)):
            path = root / name
            if path.is_file() and not path.is_symlink():
                info = path.stat()
                self.files[name] = _Stamp(path.read_bytes(), info.st_atime_ns, info.st_mtime_ns)

    def under(self, folder: str) -> dict[str, bytes]:
        """Contents of the files under `folder`, by path relative to it."""
        if folder == ".":
            return {name: stamp.content for name, stamp in self.files.items()}
        prefix = f"{folder}/"
        return {name[len(prefix) :]: s.content for name, s in self.files.items() if name.startswith(prefix)}

    def keep_unchanged_times(self) -> None:
        """Give every file whose bytes the update left as they were its old times back.

        Copier writes every file it renders, also when the bytes come out the same; a file nothing changed
        must look untouched to make, rsync and editors.
        """
        for name, stamp in self.files.items():
            path = self.root / name
            try:
                if path.stat().st_mtime_ns != stamp.mtime_ns and path.read_bytes() == stamp.content:
                    os.utime(path, ns=(stamp.atime_ns, stamp.mtime_ns))
            except FileNotFoundError:
                continue


def keep_removed_edits(root: Path, before: dict[str, bytes], folder: str) -> list[str]:
    """Keep the user's content of each file under `folder` that the update removed although the user had edited it.

    `before` holds the folder's files before the update (relative to it). A file counts as edited when it
    differs from what the template version it was recorded with renders. When the new version renamed it (an
    added file much like it), the edits are merged into the renamed file, with conflict markers where they
    clash; otherwise the user's copy is kept next to it as `FILE.orig`.

    Returns:
        One line per file kept: its path, what the template did, and where the user's content is.

    """
    here = root / folder
    gone = sorted(name for name in before if not (here / name).exists())
    if not gone:
        return []
    rendered = render_answers(root, folder, yaml.safe_load(before.get(c.APP_ANSWERS, b"")) or {})
    prefix = "" if folder == "." else f"{folder}/"
    created = (name.removeprefix(prefix) for name in _git.untracked(root, *pathspecs([folder])))
    added = sorted(name for name in created if name not in before)
    lines = []
    for name in gone:
        mine, base = before[name], rendered.get(name)
        if mine == base:
            continue  # not edited: the template may remove it
        shown = f"{prefix}{name}"
        renamed = _renamed_to(base, {other: (here / other).read_bytes() for other in added}) if base else None
        if renamed is not None:
            current = (here / renamed).read_bytes()
            merged, clean = merge_three(mine, base or b"", current)
            if merged == current:
                continue  # the renamed file already carries the edits (a migration moved them)
            (here / renamed).write_bytes(merged)
            how = "merged into it" if clean else "merged into it, with conflict markers where they clash"
            lines.append(
                f"{shown}: renamed to {prefix}{renamed} by the template although you had edited it; "
                f"your edits are {how}"
            )
        else:
            kept = _free_name(here / f"{name}.orig")
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_bytes(mine)
            lines.append(
                f"{shown}: removed by the template although you had edited it; your copy is kept as "
                f"{kept.relative_to(root)}"
            )
    return lines


def render_answers(root: Path, folder: str, answers: Mapping[str, Any]) -> dict[str, bytes]:
    """What the template version an answers file records (`_src_path`, `_commit`) renders for its answers.

    Rendered in a scratch folder laid out like the platform (`folder` relative to it), so nothing here changes.

    Returns:
        Each rendered file's bytes, by path relative to `folder`.

    """
    source, ref = str(answers.get("_src_path") or ""), answers.get("_commit")
    if not source:
        raise TemplateError(f"{folder}/{c.APP_ANSWERS}: no _src_path recorded, so the old version cannot be rendered")
    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    with tempfile.TemporaryDirectory(prefix="comind-recorded-") as scratch:
        top = Path(scratch)
        if folder != ".":  # an app reads its platform's answers and services two folders up
            for name in (c.PLATFORM_ANSWERS, c.SERVICES_FILE):
                if (root / name).is_file():
                    (top / name).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(root / name, top / name)
        target = top / folder
        with template_source.reading(source, str(ref) if ref else None, bases=[root]) as (location, _):
            _copier.copy(location, target, data, vcs_ref=str(ref) if ref else None)
        return {str(p.relative_to(target)): p.read_bytes() for p in target.rglob("*") if p.is_file()}


def _renamed_to(old: bytes, candidates: dict[str, bytes]) -> str | None:
    best, score = None, _RENAME_SIMILARITY
    text = old.decode(errors="replace")
    for name, content in candidates.items():
        ratio = difflib.SequenceMatcher(None, text, content.decode(errors="replace"), autojunk=False).ratio()
        if ratio >= score:
            best, score = name, ratio
    return best


def merge_three(mine: bytes, base: bytes, theirs: bytes) -> tuple[bytes, bool]:
    """Three-way merge of the user's file and the template's new one; (result, True when nothing clashed)."""
    with tempfile.TemporaryDirectory(prefix="comind-merge-") as scratch:
        paths = [Path(scratch) / name for name in ("mine", "base", "theirs")]
        for path, content in zip(paths, (mine, base, theirs), strict=True):
            path.write_bytes(content)
        done = subprocess.run(  # noqa: S603 - fixed binary, argument list
            ["git", "merge-file", "-p", "-L", BEFORE_LABEL, "-L", "base", "-L", AFTER_LABEL, *map(str, paths)],
            capture_output=True,
            check=False,
        )
    if done.returncode < 0 or done.returncode > 127:
        raise TemplateError(f"git merge-file failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout, done.returncode == 0


def _free_name(path: Path) -> Path:
    candidate, number = path, 1
    while candidate.exists():
        candidate, number = path.with_name(f"{path.name}.{number}"), number + 1
    return candidate


def changed_failures(root: Path, folders: Sequence[str], namespaces: Iterable[str]) -> list[CheckResult]:
    """The static checks' failures that concern `folders` (or their namespaces); every failure for the platform.

    Raises:
        ToolNotFoundError: Neither kustomize nor kubectl.

    """
    from comind_scaffold.validation.run import validate

    if not folders:
        return []
    failures = validate(root).failures
    if "." in folders:
        return failures
    names = [*folders, *namespaces]
    concerns = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, names)) + r")(?![\w-])")
    return [r for r in failures if concerns.search(f"{r.object} {r.message}")]
