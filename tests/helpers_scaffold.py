"""Test helpers of the scaffolding verbs: a git template repository, a platform generated from it, git calls."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from tests.components.require import skip_or_fail

REPO_ROOT = Path(__file__).resolve().parents[1]
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "comind-tests",
    "GIT_AUTHOR_EMAIL": "tests@localhost",
    "GIT_COMMITTER_NAME": "comind-tests",
    "GIT_COMMITTER_EMAIL": "tests@localhost",
}
PLATFORM_ANSWERS = {
    "platform_name": "acme",
    "repo_url": "https://git.example.com/acme/platform",
    "teams": ["platform", "payments", "web"],
    "environments": ["dev", "stage", "prod"],
    "redis_enabled": False,
    "elasticmq_enabled": True,
}


def git(cwd: Path, *args: str) -> str:
    """Run git with a test identity; fail loudly."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_IDENTITY}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


def make_template_repo(where: Path, tag: str = "v1.0.0") -> Path:
    """A git repository holding this checkout's root copier.yml and templates, committed and tagged."""
    where.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO_ROOT / "copier.yml", where / "copier.yml")
    shutil.copytree(REPO_ROOT / "templates", where / "templates", ignore=shutil.ignore_patterns("__pycache__"))
    git(where, "init", "-q", "-b", "main")
    commit_all(where, "template")
    git(where, "tag", tag)
    return where


def older_template_repo(where: Path, commit: str, paths: tuple[str, ...]) -> Callable[[], None]:
    """A template repository tagged v1.0.0 whose `paths` are as this repository's `commit` held them, the rest as
    now; returns what tags v1.1.0 with `paths` as now again. Skips (fails under --require-real) without the history.
    """
    if any(subprocess.run(["git", "cat-file", "-e", f"{commit}:{path}"], cwd=REPO_ROOT, check=False).returncode
           for path in paths):
        skip_or_fail(f"needs this repository's history (commit {commit}, the template files {', '.join(paths)})")
    make_template_repo(where, tag="v0.9.0")
    current = {path: (where / path).read_bytes() for path in paths}
    for path in paths:
        (where / path).write_bytes(subprocess.run(["git", "show", f"{commit}:{path}"], cwd=REPO_ROOT,
                                                  capture_output=True, check=True).stdout)
    commit_all(where, f"the template files as of {commit}")
    git(where, "tag", "v1.0.0")

    def release_current() -> None:
        for path, text in current.items():
            (where / path).write_bytes(text)
        commit_all(where, "the template files as now")
        git(where, "tag", "v1.1.0")

    return release_current


def make_platform(template: Path, where: Path, **answers: Any) -> Path:
    """A platform repository generated from `template` by `comind init`, committed."""
    from comind_scaffold.scaffold import init_platform

    init_platform(where, {**PLATFORM_ANSWERS, **answers}, source=str(template))
    git(where, "init", "-q", "-b", "main")
    commit_all(where, "platform")
    return where


def snapshot(repo: Path) -> dict[str, bytes]:
    """Every file under `repo` (outside .git) with its bytes."""
    return {
        str(p.relative_to(repo)): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }


def status(repo: Path) -> str:
    return git(repo, "status", "--porcelain", "--untracked-files=all")


def load_yaml_docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def console_scripts() -> tuple[str, str]:
    """The `comind` and `copier` executables (benchmarks run both as a user would); sets a git identity."""
    scripts = str(Path(sys.executable).parent)  # the venv running this, never a copy elsewhere on PATH
    comind, copier_cli = shutil.which("comind", path=scripts), shutil.which("copier", path=scripts)
    if not comind or not copier_cli:
        raise SystemExit(f"needs the comind and copier console scripts in {scripts} (make venv)")
    os.environ.update(GIT_IDENTITY)
    return comind, copier_cli


@contextlib.contextmanager
def scratch_platform(prefix: str) -> Iterator[tuple[Path, Path, Path]]:
    """A temporary folder with a template repository (v1.0.0) and a platform generated from it."""
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        root = Path(scratch)
        template = make_template_repo(root / "template")
        yield root, template, make_platform(template, root / "platform")
