"""Speed-ups for Copier when it renders and updates many apps in one process; each keeps Copier's results.

An update of one app costs Copier about 160 subprocesses and three renders. Most of that is repeated work
whose result cannot change within one run: compiling the same Jinja sources, parsing the same copier.yml,
cloning the same template commit (the whole comind-ops repository) several times per app, and asking git
for `core.fileMode` once per rendered file. Each patch below keys its reuse on what determines the result.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from comind_scaffold._git import git

# Clones shared while a `shared_clones()` block runs: (template, commit) -> clone, and clone -> commit.
_SHARED: dict[tuple[str, str], str] = {}
_SHARED_COMMITS: dict[Path, str] = {}
_SHARED_ROOT: list[Path] = []
_FILE_MODE: dict[str, str] = {}


def install() -> None:
    """Install every speed-up (idempotent)."""
    _memoise_jinja_compile()
    _memoise_template_config()
    _share_template_clones()
    _ask_file_mode_once()


def _memoise_jinja_compile() -> None:
    """Compile each Jinja source once per process.

    Copier compiles every question's default, `when` and validator, and every path and file, from a string on
    each of the three renders an update makes (old version, new version, destination): about 1,700 compilations
    per app, half its time. The compiled code depends only on the source and the environment's syntax and
    extensions, which the key holds, so it is reused across renders and across the apps one worker updates.
    """
    from jinja2 import Environment

    if getattr(Environment.compile, "_comind_memoised", False):
        return
    original = Environment.compile
    cache: dict[tuple[Any, ...], Any] = {}

    def compile_once(
        self: Environment,
        source: Any,
        name: Any = None,
        filename: Any = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        if not isinstance(source, str) or callable(self.autoescape):
            return original(self, source, name, filename, raw, defer_init)  # type: ignore[call-overload]
        key = (
            type(self),
            tuple(sorted(self.extensions)),
            self.block_start_string,
            self.block_end_string,
            self.variable_start_string,
            self.variable_end_string,
            self.comment_start_string,
            self.comment_end_string,
            self.line_statement_prefix,
            self.line_comment_prefix,
            self.trim_blocks,
            self.lstrip_blocks,
            self.newline_sequence,
            self.keep_trailing_newline,
            self.optimized,
            self.autoescape,
            source,
            name,
            filename,
            raw,
            defer_init,
        )
        if key not in cache:
            cache[key] = original(self, source, name, filename, raw, defer_init)  # type: ignore[call-overload]
        else:
            self.preprocess(source, name, filename)  # keep the extensions' per-compile resets (Copier's yield)
        return cache[key]

    compile_once._comind_memoised = True  # type: ignore[attr-defined]
    Environment.compile = compile_once  # type: ignore[method-assign]


def _memoise_template_config() -> None:
    """Parse each template commit's copier.yml once per process.

    Copier re-reads copier.yml (and its includes) from a fresh clone for every render, four times per update,
    with the pure-Python YAML loader. A clone is a checkout of one commit, so the commit identifies the config;
    a folder that is not a clean git checkout is parsed every time.
    """
    import copy as copying

    from copier import _template

    if getattr(_template.load_template_config, "_comind_memoised", False):
        return
    original = _template.load_template_config
    cache: dict[tuple[str, str], dict[str, Any]] = {}

    def load_once(conf_path: Path, quiet: bool = False) -> dict[str, Any]:
        folder = Path(conf_path).parent
        commit = _SHARED_COMMITS.get(folder.resolve())  # a shared clone is a clean checkout of a known commit
        if commit is None:
            commit = git(folder, "rev-parse", "HEAD", check=False).strip()
            if not commit or git(folder, "status", "--porcelain", check=False).strip():
                return original(conf_path, quiet)
        key = (commit, Path(conf_path).name)
        if key not in cache:
            cache[key] = original(conf_path, quiet)
        return copying.deepcopy(cache[key])

    load_once._comind_memoised = True  # type: ignore[attr-defined]
    _template.load_template_config = load_once


def _local_template(url: str) -> Path | None:
    path = Path(url)
    return path if path.is_dir() else None


def _share_template_clones() -> None:
    """Clone each template commit once per `shared_clones()` block instead of several times per app.

    Copier only reads a template clone, so every render of one commit can read the same one. Only a named ref
    of a local template is shared, resolved to its commit first; `HEAD` (which Copier may combine with
    uncommitted changes) and remote templates go through Copier's own clone every time.
    """
    from copier import _template

    if getattr(_template.clone, "_comind_shared", False):
        return
    original = _template.clone

    def clone_shared(url: str, ref: str = "HEAD", location: str | None = None) -> str:
        if not Path(url).exists():  # a URL (file:// included): Copier clones it through its shared mirror cache
            with _remote_clone_lock():
                return original(url, ref, location)
        source = _local_template(url)
        if source is None:
            return original(url, ref, location)
        if not _SHARED_ROOT or ref in ("HEAD", ""):
            return original(url, ref, location)
        commit = git(source, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).strip()
        if not commit:
            return original(url, ref, location)
        key = (str(source.resolve()), commit)
        if key not in _SHARED:
            clone = original(url, commit, tempfile.mkdtemp(prefix="clone-", dir=_SHARED_ROOT[0]))
            _SHARED[key] = clone
            _SHARED_COMMITS[Path(clone).resolve()] = commit
        return _SHARED[key]

    clone_shared._comind_shared = True  # type: ignore[attr-defined]
    _template.clone = clone_shared


@contextlib.contextmanager
def _remote_clone_lock() -> Iterator[None]:
    """One remote clone at a time on this machine: Copier refreshes one shared mirror per URL (`git remote update`),
    and two update workers refreshing it at once fail with "cannot lock ref"."""
    import fcntl

    with open(Path(tempfile.gettempdir()) / "comind-copier-mirror.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def shared_clones() -> Iterator[None]:
    """Share template clones between the renders and updates run inside the block; remove them after."""
    if _SHARED_ROOT:  # nested: the outer block owns the clones
        yield
        return
    root = Path(tempfile.mkdtemp(prefix="comind-clones-"))
    _SHARED_ROOT.append(root)
    try:
        yield
    finally:
        _SHARED_ROOT.clear()
        _SHARED.clear()
        _SHARED_COMMITS.clear()
        _FILE_MODE.clear()
        shutil.rmtree(root, ignore_errors=True)


def _ask_file_mode_once() -> None:
    """Inside a `shared_clones()` block, read `core.fileMode` once per destination, not once per rendered file.

    Copier's index fix-up does anything only when the destination's `core.fileMode` is false; the setting
    does not change while comind updates, so it is read once and the fix-up skipped when it would be a no-op.
    """
    from copier._main import Worker

    if getattr(Worker._sync_git_index_executable_bit, "_comind_memoised", False):
        return
    original = Worker._sync_git_index_executable_bit

    def sync_when_needed(self: Any, dst_relpath: Path, src_mode: int) -> None:
        if not _SHARED_ROOT:
            original(self, dst_relpath, src_mode)
            return
        root = str(self.subproject.local_abspath)
        if root not in _FILE_MODE:
            _FILE_MODE[root] = git(Path(root), "config", "--type=bool", "--get", "core.fileMode", check=False).strip()
        if _FILE_MODE[root] == "false":
            original(self, dst_relpath, src_mode)

    sync_when_needed._comind_memoised = True  # type: ignore[attr-defined]
    Worker._sync_git_index_executable_bit = sync_when_needed  # type: ignore[method-assign]
