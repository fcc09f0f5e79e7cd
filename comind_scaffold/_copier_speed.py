"""Speed-ups for Copier when it renders and updates many apps in one process; each keeps Copier's results.

An update of one app costs Copier about 160 subprocesses and three renders. Most of that is repeated work
whose result cannot change within one run: compiling the same Jinja sources, parsing the same copier.yml,
cloning the same template commit (the whole comind-ops repository) several times per app, and asking git
for `core.fileMode` once per rendered file. Each patch below keys its reuse on what determines the result.

Three of them replace private Copier functions, so they are installed only on the Copier versions they were
checked against (`SUPPORTED_COPIER`, the range pyproject.toml allows); on any other version, or with
`COMIND_COPIER_SPEEDUPS=off`, none is and Copier runs as shipped (tests/test_copier_speed.py compares the two).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
import types
import weakref
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

from comind_scaffold._git import git

# [lowest, highest) Copier release (major, minor) whose internals the patches below were read against.
SUPPORTED_COPIER = ((9, 15), (9, 20))
# Set to "off" to run Copier unpatched.
SWITCH = "COMIND_COPIER_SPEEDUPS"

# Clones shared while a `shared_clones()` block runs: (template, commit) -> clone, and clone -> commit.
_SHARED: dict[tuple[str, str], str] = {}
_SHARED_COMMITS: dict[Path, str] = {}
_SHARED_ROOT: list[Path] = []
_FILE_MODE: dict[str, str] = {}


def supported(copier_version: str) -> bool:
    """Whether the patches fit this Copier release (`9.19.1`, `9.20.0.dev3`, …)."""
    try:
        release = tuple(int(part) for part in copier_version.split(".")[:2])
    except ValueError:
        return False
    low, high = SUPPORTED_COPIER
    return low <= release < high


def install() -> bool:
    """Install every speed-up (idempotent); False, patching nothing, on another Copier or when switched off."""
    if os.environ.get(SWITCH, "").lower() in ("off", "0", "false", "no") or not supported(version("copier")):
        return False
    _memoise_jinja_compile()
    _memoise_template_config()
    _share_template_clones()
    _ask_file_mode_once()
    return True


class _Unkeyable(Exception):
    """A value that cannot be part of a cache key: the compile it belongs to is not memoised."""


# Environment attributes read only when a template runs, never while one compiles.
_RUNTIME_ONLY = frozenset({"globals", "cache", "loader", "bytecode_cache", "auto_reload", "shared"})


def _frozen(value: Any) -> Any:
    """A hashable stand-in for `value` that is equal only for values that compile alike.

    Raises:
        _Unkeyable: A value with no such stand-in.

    """
    kind = type(value)
    module_level = kind is types.FunctionType and value.__closure__ is None and "<locals>" not in value.__qualname__
    if kind in _PLAIN or module_level:
        return value  # the key holds it, so an equal value later is this one, never a new object at a reused id
    if kind is dict:
        return ("dict", tuple(sorted((repr(key), _frozen(item)) for key, item in value.items())))
    if kind in (list, tuple):
        return (kind.__name__, tuple(_frozen(item) for item in value))
    if kind in (set, frozenset):
        return ("set", frozenset(_frozen(item) for item in value))
    if kind is functools.partial:
        return ("partial", _frozen(value.func), _frozen(value.args), _frozen(value.keywords))
    if kind is types.FunctionType:
        # A function made inside another (Copier makes some per environment): alike when code and captures are.
        cells = tuple(_frozen(cell.cell_contents) for cell in value.__closure__ or ())
        return ("function", value.__module__, value.__code__, _frozen(value.__defaults__),
                _frozen(value.__kwdefaults__), cells)
    try:
        hash(value)
    except TypeError:
        raise _Unkeyable(kind.__name__) from None
    return value


_PLAIN = frozenset({str, int, float, bool, bytes, type(None), type, types.BuiltinFunctionType})


def _extensions(extensions: dict[str, Any]) -> tuple[Any, ...]:
    """Each extension as its class and settings: an instance refers back to its environment, which must not be kept."""
    return tuple(
        (name, type(extension), tuple((key, item) for key, item in vars(extension).items() if key != "environment"))
        for name, extension in extensions.items()
    )


def environment_key(environment: Any) -> tuple[Any, ...] | None:
    """Everything of a Jinja environment that its compiled code can depend on; None when that cannot be keyed.

    That is every setting (syntax, whitespace, `optimized`, `is_async`, `finalize`, `autoescape`, `undefined`,
    policies, what extensions add), the extensions, and the filters and tests: the code generator picks each
    call's form from the function, and the optimiser runs filters on constants at compile time. Worked out
    again only when one of them was replaced since the environment's last compile (a cheap comparison).
    """
    settings = tuple(
        (name, _extensions(value) if name == "extensions" else tuple(value.items()) if type(value) is dict else value)
        for name, value in vars(environment).items()
        if name not in _RUNTIME_ONLY
    )
    known = _KEYS.get(environment)
    if known is not None and known[0] == settings:
        return known[1]
    try:
        frozen = tuple(sorted((name, _frozen(value)) for name, value in settings))
        key: tuple[Any, ...] | None = (type(environment), frozen)
    except _Unkeyable:
        key = None
    _KEYS[environment] = (settings, key)
    return key


_KEYS: weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], tuple[Any, ...] | None]] = weakref.WeakKeyDictionary()


def _memoise_jinja_compile() -> None:
    """Compile each Jinja source once per process and environment configuration.

    Copier compiles every question's default, `when` and validator, and every path and file, from a string on
    each of the three renders an update makes (old version, new version, destination): about 1,700 compilations
    per app, half its time. Each render has a new environment, configured alike; the key holds the source and
    the whole configuration (`environment_key`), so code is reused only where it would compile the same.
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
        configuration = environment_key(self) if isinstance(source, str) else None
        if configuration is None:
            return original(self, source, name, filename, raw, defer_init)  # type: ignore[call-overload]
        key = (configuration, source, name, filename, raw, defer_init)
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

    original: Callable[[str, str, str | None], str] = vars(_template)["clone"]  # imported there from copier._vcs
    if getattr(original, "_comind_shared", False):
        return

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
    setattr(_template, "clone", clone_shared)  # noqa: B010 - the name is not exported, so mypy refuses an assignment


@contextlib.contextmanager
def _remote_clone_lock() -> Iterator[None]:
    """One remote clone at a time on this machine.

    Copier refreshes one shared mirror per URL (`git remote update`), and two update workers refreshing it at
    once fail with "cannot lock ref".
    """
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
