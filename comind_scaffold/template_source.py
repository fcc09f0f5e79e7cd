"""Where the comind-ops templates come from, and what a platform records about it.

A platform records a template source that resolves on any machine: a git URL (the public repository by default)
and the tag it was rendered at. Where the templates are *read* from can differ, without changing what is recorded:

- `--template` / `$COMIND_TEMPLATE` name a checkout or mirror for development or an offline site; git is told to
  read the recorded URL from there (`url.<there>.insteadOf <recorded URL>`), so the answers keep the URL;
- an installed comind carries the templates of its own version: a platform recorded at the public URL and at that
  version renders offline from the copy in the package.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from comind_scaffold import _git
from comind_scaffold.errors import TemplateError

SOURCE_ENV = "COMIND_TEMPLATE"
PUBLIC_SOURCE = "https://github.com/comind-pro/comind-ops.git"
_PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_DIR = _PACKAGE_DIR / "_bundled"  # filled by the wheel build (setup.py)
_CHECKOUT_DIR = _PACKAGE_DIR.parent


def is_url(source: str) -> bool:
    """Return True for a git URL (`https://…`, `file://…`, `git@host:…`, `gh:owner/name`), False for a path."""
    return "://" in source or source.startswith(("git@", "gh:", "gl:", "git+"))


def package_version() -> str:
    """The installed comind-ops version (one place: pyproject.toml)."""
    from comind_scaffold import __version__

    return __version__


def release_tag(version: str | None = None) -> str:
    """The git tag of a release: `v` + its PEP 440 version."""
    return f"v{version or package_version()}"


def templates_in_package() -> Path | None:
    """The folder holding the root copier.yml that ships with this comind: the wheel's copy, else the checkout."""
    for root in (BUNDLED_DIR, _CHECKOUT_DIR):
        if (root / "copier.yml").is_file() and (root / "templates" / "app").is_dir():
            return root
    return None


def override() -> str | None:
    """The development/offline override of where templates are read: `$COMIND_TEMPLATE`, if set."""
    configured = os.environ.get(SOURCE_ENV, "").strip()
    return configured or None


def normalise(source: str, base: Path | None = None) -> str:
    """A source as copier takes it: URLs as given, paths absolute (relative ones against `base`)."""
    if is_url(source):
        return source
    path = Path(source).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    return str(path.resolve())


def portable(source: str) -> str:
    """What a platform records for templates read from `source`.

    A URL is recorded as given; a checkout by its `origin` remote when it has one (teammates and CI can reach
    that), else by its path — which only this machine has, so `comind init` warns about it.
    """
    if is_url(source):
        return source
    origin = _git.remote_url(Path(source))
    if origin:
        return origin if is_url(origin) else normalise(origin, Path(source))
    return source


def check_reachable(source: str, ref: str | None = None) -> None:
    """Fail with one line when `source` cannot be read, or has no `ref`.

    Raises:
        TemplateError: Not a folder/repository, unreachable, or the ref is unknown there.

    """
    if not is_url(source):
        if not Path(source).is_dir():
            raise TemplateError(f"template source: {source} is not a folder on this machine")
        if (Path(source) / "copier.yml").is_file() and ref is None:
            return
    refs = _ls_remote(source)
    if refs is None:
        raise TemplateError(f"template source: {source} cannot be reached (git ls-remote failed)")
    names = {*_short_names(refs, "refs/tags/"), *_short_names(refs, "refs/heads/")}
    if ref is not None and ref not in names and not _is_commit_of(source, ref):
        raise TemplateError(f"template source: {source} has no tag or branch {ref!r}")


def _ls_remote(source: str, cwd: Path | None = None) -> list[str] | None:
    """The tag and branch refs (`refs/tags/v1`, `refs/heads/main`) of a git source, or None when it does not answer."""
    done = subprocess.run(
        ["git", "ls-remote", "--tags", "--heads", "--refs", source],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )
    if done.returncode != 0:
        return None
    return [line.partition("\t")[2] for line in done.stdout.splitlines() if "\t" in line]


def _short_names(refs: list[str], prefix: str) -> list[str]:
    return [ref.removeprefix(prefix) for ref in refs if ref.startswith(prefix)]


def _is_commit_of(source: str, ref: str) -> bool:
    """True when `ref` names a commit (`git describe` output or a hash) that a local source holds."""
    if is_url(source) and not source.startswith("file://"):
        return True  # a remote's commits cannot be listed cheaply; copier reports a bad one itself
    path = source.removeprefix("file://")
    commit = ref.rsplit("-g", 1)[-1] if "-g" in ref else ref
    done = subprocess.run(
        ["git", "-C", path, "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True, check=False
    )
    return done.returncode == 0


@contextlib.contextmanager
def reading(
    recorded: str, ref: str | None, *, bases: Sequence[Path] = (), packaged: bool = True
) -> Iterator[tuple[str, Path | None]]:
    """Yield (source to hand to copier, folder to run copier in) for templates recorded as `recorded` at `ref`.

    `$COMIND_TEMPLATE` redirects the read; otherwise the package's own copy serves a platform recorded at the
    public URL and this comind's release (unless `packaged` is False: asking for newer releases must reach the
    source itself); otherwise the recorded source itself. A relative recorded path (plain
    `copier copy templates/app …` records `../..`) is looked up from each of `bases` in turn, and copier runs there
    because it resolves the recorded path from its working folder.

    Raises:
        TemplateError: The recorded source is a path that does not exist here (the message says how to repoint),
            or the override cannot be read.

    """
    location = override()
    if location:
        location = normalise(location)
        check_reachable(location)
        if is_url(recorded) and recorded != location:
            with _redirected(recorded, location):
                yield recorded, None
            return
        yield location, None
        return
    if (
        packaged
        and recorded == PUBLIC_SOURCE
        and ref in (release_tag(), None)
        and templates_in_package() == BUNDLED_DIR
    ):
        with bundled_repository(BUNDLED_DIR) as repo, _redirected(recorded, str(repo)):
            yield recorded, None
        return
    if is_url(recorded):
        yield recorded, None
        return
    path = Path(recorded).expanduser()
    found = [base for base in bases if (base / path / "copier.yml").is_file()] if not path.is_absolute() else []
    if found:
        yield str((found[0] / path).resolve()), found[0]
        return
    if path.is_absolute() and (path / "copier.yml").is_file():
        yield recorded, None
        return
    raise TemplateError(
        f"template source: {recorded} (recorded in .copier-answers.yml) is not a comind-ops checkout on this machine",
        hint=f"point the platform at the template's git URL: comind set-source {PUBLIC_SOURCE} (or a mirror), "
        f"then commit; or set {SOURCE_ENV} to a checkout",
    )


@contextlib.contextmanager
def _redirected(url: str, location: str) -> Iterator[None]:
    """Have every git command in this process read `url` from `location` (git's own insteadOf, via the env)."""
    names = ("GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0")
    saved = {name: os.environ.get(name) for name in names}
    if saved["GIT_CONFIG_COUNT"]:
        raise TemplateError("template source: GIT_CONFIG_COUNT is already set; unset it to use a template override")
    from plumbum import local  # copier runs git through plumbum, whose environment is a copy of os.environ

    target = location if is_url(location) else Path(location).as_uri()
    config = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.{target}.insteadOf", "GIT_CONFIG_VALUE_0": url}
    os.environ.update(config)
    try:
        with local.env(**config):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def bundled_repository(root: Path) -> Iterator[Path]:
    """A scratch git repository of the templates in `root`, committed and tagged with this comind's release."""
    with tempfile.TemporaryDirectory(prefix="comind-templates-") as scratch:
        repo = Path(scratch) / "comind-ops"
        shutil.copytree(root, repo, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        _git.git(repo, "init", "-q", "-b", "main")
        _git.git(repo, "add", "-A")
        _git.git(repo, "commit", "-q", "-m", f"comind-ops {package_version()}")
        _git.git(repo, "tag", release_tag())
        yield repo


@contextlib.contextmanager
def for_init(explicit: str | None, vcs_ref: str | None) -> Iterator[tuple[str, str, str | None]]:
    """Yield (source copier reads, source to record, ref) for a new platform.

    `explicit` (`--template`), else `$COMIND_TEMPLATE`, else the templates shipped with this comind: from an
    installed wheel those are recorded as the public repository at this comind's release tag.

    Raises:
        TemplateError: The source cannot be read, or has no such ref.

    """
    chosen = explicit or override()
    if chosen:
        location = normalise(chosen)
        check_reachable(location, vcs_ref)
        yield location, portable(location), vcs_ref
        return
    root = templates_in_package()
    if root is None:
        raise TemplateError(
            "template: comind-ops templates not found in the package",
            hint=f"reinstall comind-ops, or pass --template / set {SOURCE_ENV} to a checkout or git URL",
        )
    if root != BUNDLED_DIR:
        yield str(root), portable(str(root)), vcs_ref
        return
    if vcs_ref not in (None, release_tag()):
        raise TemplateError(
            f"template: this comind ships templates {release_tag()} only; for {vcs_ref!r} pass "
            f"--template {PUBLIC_SOURCE} (or a mirror of it)"
        )
    with bundled_repository(root) as repo:
        yield str(repo), PUBLIC_SOURCE, release_tag()


def record(answers_file: Path, source: str, read_from: str | None = None) -> None:
    """Write `source` as the `_src_path` of a generated answers file (copier wrote where it read from).

    Rendered from a checkout with uncommitted changes, Copier records a commit of its own scratch copy that no
    repository holds, and every later render at that version fails ("Unknown revision"): the checkout's HEAD
    is recorded instead.
    """
    import yaml

    lines = answers_file.read_text().splitlines(keepends=True)
    fixes = {"_src_path": source}
    commit = (yaml.safe_load("".join(lines)) or {}).get("_commit")
    if commit and read_from and not is_url(read_from) and not _is_commit_of(read_from, str(commit)):
        described = _git.git(Path(read_from), "describe", "--tags", "--always", check=False).strip()
        if described:
            fixes["_commit"] = described
    for index, line in enumerate(lines):
        key = line.partition(":")[0]
        if key in fixes:
            lines[index] = yaml.safe_dump({key: fixes[key]}, default_flow_style=False, width=1000)
    answers_file.write_text("".join(lines))


def tags(recorded: str, ref: str | None, *, bases: Sequence[Path] = ()) -> list[str]:
    """The tags of the template source a platform or app records (read where `reading` says).

    Raises:
        TemplateError: The source cannot be reached (one line naming it), or is a path missing here.

    """
    with reading(recorded, ref, bases=bases, packaged=False) as (source, run_in):
        refs = _ls_remote(source, run_in)
    if refs is None:
        raise TemplateError(f"template source: {recorded} cannot be reached (git ls-remote failed)")
    return _short_names(refs, "refs/tags/")


def set_source(root: Path, new: str) -> list[Path]:
    """Record `new` as the template source of the platform at `root` and of every app in it.

    Checked first, written only if every check passes: `new` is reachable and holds each recorded version.

    Returns:
        The answers files rewritten.

    Raises:
        TemplateError: `new` cannot be reached, or lacks a version one of the answers records.

    """
    import yaml

    new = normalise(new)
    files = [root / ".copier-answers.yml", *sorted((root / "apps").glob("*/.copier-answers.yml"))]
    changes = []
    for answers in files:
        data = yaml.safe_load(answers.read_text()) or {}
        check_reachable(new, str(data["_commit"]) if data.get("_commit") else None)
        if data.get("_src_path") != new:
            changes.append(answers)
    for answers in changes:
        record(answers, new)
    return changes
