"""Adapter for the git command line: status, tags and the tree state `comind update --abort` restores."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from comind_scaffold.errors import GitError, TemplateError, ToolNotFoundError

# Copier commits inside its scratch copies; without an identity configured those commits fail.
_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "comind",
    "GIT_AUTHOR_EMAIL": "comind@localhost",
    "GIT_COMMITTER_NAME": "comind",
    "GIT_COMMITTER_EMAIL": "comind@localhost",
}


def _git_binary() -> str:
    found = shutil.which("git")
    if found is None:
        raise ToolNotFoundError("git", hint="install git (apt-get install git)")
    return found


def identity_env() -> dict[str, str]:
    """Environment variables giving git an identity when none is configured."""
    env = {}
    for key, value in _FALLBACK_IDENTITY.items():
        if not os.environ.get(key):
            env[key] = value
    return env


def git(cwd: Path, *args: str, check: bool = True, stdin: str | None = None) -> str:
    """Run one git command in `cwd` and return its stdout.

    Raises:
        GitError: The command failed and `check` is set.

    """
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", **identity_env()}
    done = subprocess.run(  # noqa: S603 - fixed binary, argument list
        [_git_binary(), *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed in {cwd}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def toplevel(path: Path) -> Path | None:
    """Return the top folder of the git work tree holding `path`, or None outside git."""
    folder = path if path.is_dir() else path.parent
    out = git(folder, "rev-parse", "--show-toplevel", check=False).strip()
    return Path(out) if out else None


def status(repo: Path, *paths: str) -> list[str]:
    """`git status --porcelain` lines (untracked files included), limited to `paths` when given."""
    out = git(repo, "status", "--porcelain", "--untracked-files=all", "--", *paths)
    return [line for line in out.splitlines() if line.strip()]


def require_clean(repo: Path, *paths: str) -> None:
    """Raise unless the work tree (or `paths` in it) has no uncommitted change.

    Raises:
        TemplateError: Not a git repository, or uncommitted changes.

    """
    # No hint line: bad input is reported in exactly one line.
    if toplevel(repo) is None:
        raise TemplateError(f"git tree: {repo} is not a git repository (git init, then commit)")
    dirty = status(repo, *paths)
    if dirty:
        where = ", ".join(line[3:] for line in dirty[:3]) + (" …" if len(dirty) > 3 else "")
        raise TemplateError(
            f"git tree: uncommitted changes ({where}); commit or stash them first, so every change comind makes "
            "can be reviewed and undone"
        )


def remote_url(repo: Path, name: str = "origin") -> str | None:
    """The URL of remote `name` of the repository at `repo`, or None (no repository, no such remote)."""
    if not (repo / ".git").exists():
        return None
    out = git(repo, "remote", "get-url", name, check=False).strip()
    return out or None


def head(repo: Path) -> str:
    """Return the commit checked out in `repo`."""
    return git(repo, "rev-parse", "HEAD").strip()


def unmerged(repo: Path, *paths: str) -> list[str]:
    """Files git records as unmerged (`UU`) under `paths`."""
    out = git(repo, "diff", "--name-only", "--diff-filter=U", "--", *paths)
    return sorted(set(out.splitlines()))


def restore(repo: Path, commit: str, paths: Sequence[str], created: Sequence[str]) -> None:
    """Put `paths` back to their state at `commit`: index and files, and remove the files listed in `created`."""
    git(repo, "reset", "-q", commit, "--", *paths)
    git(repo, "checkout", "-q", commit, "--", *paths)
    for name in created:
        (repo / name).unlink(missing_ok=True)


def untracked(repo: Path, *paths: str) -> list[str]:
    """Untracked, not ignored files under `paths`."""
    out = git(repo, "ls-files", "--others", "--exclude-standard", "--", *paths)
    return out.splitlines()


def add_worktree(repo: Path, where: Path, *paths: str) -> None:
    """Make a detached work tree of HEAD at `where` with only `paths` checked out (own index, shared objects)."""
    git(repo, "worktree", "add", "--quiet", "--detach", "--no-checkout", str(where), "HEAD")
    git(where, "sparse-checkout", "set", "--no-cone", *paths)
    git(where, "checkout", "--quiet")


def remove_worktree(repo: Path, where: Path) -> None:
    """Remove a work tree made by `add_worktree`."""
    git(repo, "worktree", "remove", "--force", str(where), check=False)
    git(repo, "worktree", "prune", check=False)


def tracked(repo: Path, *paths: str) -> list[str]:
    """Files git tracks under `paths`."""
    return git(repo, "ls-files", "--", *paths).splitlines()


def park_unmerged(repo: Path, *paths: str) -> list[str]:
    """Return the index's unmerged entries under `paths` (`ls-files --unmerged` lines) and clear them to HEAD."""
    entries = git(repo, "ls-files", "--unmerged", "--", *paths).splitlines()
    if entries:
        git(repo, "reset", "-q", "--", *sorted({line.split("\t", 1)[1] for line in entries}))
    return entries


def record_unmerged(repo: Path, entries: list[str]) -> None:
    """Write unmerged entries (as `park_unmerged` returned them) into `repo`'s index: the files show as `UU`."""
    if not entries:
        return
    names = sorted({line.split("\t", 1)[1] for line in entries})
    lines = [f"0 {'0' * 40}\t{name}" for name in names] + entries
    git(repo, "update-index", "--index-info", stdin="\n".join(lines) + "\n")
