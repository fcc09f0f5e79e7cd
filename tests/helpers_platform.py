"""Render the platform template, and re-render this repository's own platform files.

`python -m tests.helpers_platform [PART ...]` rewrites the repo's Makefile, infra/docker, k8s/kustomize,
k8s/platform and infra/terraform (all, or the PARTs named) from templates/platform with the root
`.copier-answers.yml`; tests/test_platform_drift.py fails while they differ from such a render.
"""

from __future__ import annotations

import atexit
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import copier
import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "platform"
QUESTIONS = TEMPLATE / "copier-questions.yml"
ROOT_ANSWERS = ROOT / ".copier-answers.yml"
# What this repository keeps as a render of the platform template (its README, .gitignore and CI are its own).
SELF_RENDERED = ("Makefile", "infra/docker", "k8s/kustomize", "k8s/platform", "infra/terraform", "verify")
# Template files that are not rendered into a platform (root copier.yml must `_exclude` them).
NOT_RENDERED = ("copier-questions.yml", "copier.yml", "release.yml")

# Local working files (git-ignored) that never count as drift.
_IGNORED_DIRS = frozenset({".terraform", "__pycache__"})
_IGNORED_SUFFIXES = (".tfstate", ".tfstate.backup", ".terraform.lock.hcl", ".tfplan")
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "comind-tests",
    "GIT_AUTHOR_EMAIL": "tests@comind.invalid",
    "GIT_COMMITTER_NAME": "comind-tests",
    "GIT_COMMITTER_EMAIL": "tests@comind.invalid",
}


def questions() -> dict[str, dict[str, Any]]:
    """The platform questions by name."""
    data = yaml.safe_load(QUESTIONS.read_text())
    assert isinstance(data, dict)
    return data


def default_answers() -> dict[str, Any]:
    """Every question's default, as Copier would answer with --defaults."""
    return {name: q["default"] for name, q in questions().items()}


def root_answers() -> dict[str, Any]:
    """The answers this repository renders its own platform files with (no Copier metadata)."""
    data = yaml.safe_load(ROOT_ANSWERS.read_text())
    return {key: value for key, value in data.items() if not key.startswith("_") and key != "template"}


def dispatcher_ready() -> bool:
    """True when the root copier.yml and both templates' questions exist, so rendering goes through them."""
    return (ROOT / "copier.yml").is_file() and (ROOT / "templates" / "app" / "copier-questions.yml").is_file()


def _standalone_template(workdir: Path) -> Path:
    """A copy of templates/platform with a copier.yml of its own (used until the root dispatcher is usable)."""
    src = workdir / "template"
    shutil.copytree(TEMPLATE, src)
    config = {
        "_templates_suffix": ".jinja",
        "_answers_file": ".copier-answers.yml",
        "_envops": {"keep_trailing_newline": True},
        "_exclude": ["copier.yml", *NOT_RENDERED],
        "template": {"type": "str", "default": "platform", "choices": ["platform", "app"]},
    }
    (src / "copier.yml").write_text(yaml.safe_dump(config) + "---\n!include copier-questions.yml\n")
    return src


def render_platform(dest: Path, answers: Mapping[str, Any] | None = None) -> Path:
    """Render the platform template into `dest` with `answers` (others default) and return `dest`.

    Raises:
        ValueError: An answer breaks a question's validator or choices (Copier's message names the question).
    """
    data = {"template": "platform", **(answers or {})}
    for key, value in _GIT_IDENTITY.items():
        os.environ.setdefault(key, value)
    copier.run_copy(str(template_source()), dest, data=data, defaults=True, unsafe=True, quiet=True, overwrite=True)
    return dest


@cache
def template_source() -> Path:
    """A snapshot of the working tree's templates, taken once per process.

    Copier would otherwise clone the repository for every render (seconds each); the snapshot renders the same
    uncommitted files, through the root dispatcher once it is usable.
    """
    work = Path(tempfile.mkdtemp(prefix="comind-tpl-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    if not dispatcher_ready():
        return _standalone_template(work)
    shutil.copy2(ROOT / "copier.yml", work / "copier.yml")
    shutil.copytree(ROOT / "templates", work / "templates", ignore=shutil.ignore_patterns("__pycache__", ".terraform"))
    return work


def _ignored(path: Path) -> bool:
    return bool(_IGNORED_DIRS.intersection(path.parts)) or path.name.endswith(_IGNORED_SUFFIXES)


def files_under(root: Path, parts: tuple[str, ...] = SELF_RENDERED) -> Iterator[str]:
    """Relative paths of the files below `parts` of `root`, sorted."""
    found: set[str] = set()
    for part in parts:
        path = root / part
        if path.is_file():
            found.add(part)
        elif path.is_dir():
            found.update(str(p.relative_to(root)) for p in path.rglob("*") if p.is_file() and not _ignored(p))
    yield from sorted(found)


def self_rendered_parts() -> tuple[str, ...]:
    """The parts of the repo compared with a render: infra/terraform only once the template's is committed."""
    tracked = subprocess.run(
        ["git", "ls-files", "templates/platform/infra/terraform"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    has_terraform = bool(tracked.stdout.strip())
    return tuple(p for p in SELF_RENDERED if p != "infra/terraform" or has_terraform)


def drift(rendered: Path, repo: Path = ROOT, parts: tuple[str, ...] | None = None) -> list[str]:
    """Files that differ between a fresh render and the repo: 'changed: X', 'missing: X' or 'extra: X'."""
    parts = parts or self_rendered_parts()
    want = set(files_under(rendered, parts))
    have = set(files_under(repo, parts))
    problems = [f"missing from the repo: {p}" for p in sorted(want - have)]
    problems += [f"not rendered by the template: {p}" for p in sorted(have - want)]
    problems += [
        f"differs from the render: {p}"
        for p in sorted(want & have)
        if not filecmp.cmp(rendered / p, repo / p, shallow=False)
    ]
    return problems


def apply_app_projects(rendered: Path, repo: Path = ROOT) -> bool:
    """Rewrite the rendered team projects' destinations for the repo's apps, if `sync_projects` exists yet."""
    try:
        from comind_scaffold.scaffold import sync_projects  # type: ignore[attr-defined]
    except ImportError:
        return False
    from comind_scaffold.repo import PlatformRepo

    for answers in (repo / "apps").glob("*/.copier-answers.yml"):
        target = rendered / answers.relative_to(repo)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(answers, target)
    sync_projects(PlatformRepo(rendered))
    return True


def self_render(repo: Path = ROOT, only: tuple[str, ...] = ()) -> list[str]:
    """Re-render the repo's own platform files in place (`only` those parts, if given); returns what changed."""
    with tempfile.TemporaryDirectory(prefix="comind-self-") as tmp:
        rendered = render_platform(Path(tmp) / "out", root_answers())
        apply_app_projects(rendered, repo)
        parts = tuple(p for p in self_rendered_parts() if not only or p in only)
        changed = drift(rendered, repo, parts)
        want = set(files_under(rendered, parts))
        for rel in files_under(repo, parts):
            if rel not in want:
                (repo / rel).unlink()
        for rel in want:
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(rendered / rel, repo / rel)
    return changed


if __name__ == "__main__":
    # Optional arguments name the parts to re-render, e.g. `python -m tests.helpers_platform Makefile k8s/kustomize`.
    written = self_render(only=tuple(sys.argv[1:]))
    for line in written:
        print(line)
    print(f"{len(written)} file(s) re-rendered" if written else "already up to date")
    sys.exit(0)
