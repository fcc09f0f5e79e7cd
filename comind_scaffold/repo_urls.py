"""Repository URLs compared the way Argo CD compares them (its `git.NormalizeGitURL`): one spelling per repository."""

from __future__ import annotations

import re

__all__ = ["normalise_repo_url", "same_repo"]

# Copier's shorthands for the two big hosts.
_SHORTHANDS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}
_SCP_LIKE = re.compile(r"^(?P<user>[^@/:]+@)?(?P<host>[^/:]+):(?P<path>[^/].*)$")  # git@host:owner/name


def normalise_repo_url(url: str) -> str:
    """`https://GitHub.com/Org/Repo.git/` -> `https://github.com/org/repo`.

    Lower-cased (Argo CD matches repositories case-insensitively), without a trailing `/` or `.git`, with Copier's
    `gh:`/`gl:` shorthands expanded and `git@host:owner/name` written as `ssh://git@host/owner/name`.
    """
    url = url.strip()
    for shorthand, prefix in _SHORTHANDS.items():
        if url.startswith(shorthand):
            url = prefix + url.removeprefix(shorthand)
    scp = _SCP_LIKE.match(url) if "://" not in url else None
    if scp:
        url = f"ssh://{scp['user'] or ''}{scp['host']}/{scp['path']}"
    return url.lower().rstrip("/").removesuffix(".git").rstrip("/")


def same_repo(first: str, second: str) -> bool:
    """True when both URLs name the same repository."""
    return normalise_repo_url(first) == normalise_repo_url(second)
