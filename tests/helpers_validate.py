"""Test helpers of `comind validate`: the hand-written fixture platform, planting faults, reading reports."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from comind_scaffold.models import CheckResult, Status
from comind_scaffold.validation.run import ValidationReport, validate

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURE_PLATFORM = Path(__file__).parent / "fixtures" / "validate" / "platform"
# Argo CD's real CRDs: $COMIND_ARGOCD_CRDS, else beside the checkout as in CI. No reachable source serves them, so
# without that folder the tests needing them skip (fail under --require-real) naming this path.
SHARED_ARGOCD_CRDS = Path(os.environ.get("COMIND_ARGOCD_CRDS") or REPO_ROOT.parent / "shared" / "argocd-crds")
# Built by tests/testbin/build-kustomize.sh; absent, the adapter falls back to `kubectl kustomize`.
CACHED_KUSTOMIZE = (
    Path(os.environ.get("COMIND_CACHE", Path.home() / ".cache" / "comind-ops"))
    / "bin"
    / "kustomize-v5.5.0"
    / "kustomize"
)


def build_file_tree(root: Path, files: dict[str, str | None]) -> Path:
    """Write `files` (relative path -> text) under `root`; None deletes the file."""
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def copy_fixture(where: Path, files: dict[str, str | None] | None = None) -> Path:
    """A copy of the fixture platform at `where`, with `files` written over it."""
    shutil.copytree(FIXTURE_PLATFORM, where)
    return build_file_tree(where, files or {})


def edit(root: Path, rel: str, old: str, new: str) -> None:
    """Replace `old` (which must be there, so a changed fixture fails loudly) by `new` in one file."""
    path = root / rel
    text = path.read_text()
    assert old in text, f"{rel} no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1))


def failures(results: list[CheckResult], name: str | None = None) -> list[CheckResult]:
    """The FAIL results, optionally only those of check `name`."""
    return [r for r in results if r.status is Status.FAIL and (name is None or r.name == name)]


def rename_app(app_dir: Path, old: str, new: str) -> None:
    """Rewrite a copied app folder so that app `old` becomes app `new` (`api_dev` too, but not `apiVersion`)."""
    pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(old)}(?![A-Za-z0-9])")
    for path in app_dir.rglob("*"):
        if path.is_file():
            path.write_text(pattern.sub(new, path.read_text()))


Edit = tuple[str, str, str]  # (file, old text, new text)


def validate_with_edits(where: Path, edits: list[Edit]) -> ValidationReport:
    """Validate a copy of the fixture platform at `where` after replacing text in its files."""
    repo = copy_fixture(where)
    for rel, old, new in edits:
        edit(repo, rel, old, new)
    return validate(repo)


def assert_fault_named(report: ValidationReport, check: str, obj: str, message: str) -> None:
    """Some FAIL of `check` names `obj` in its object and says `message`."""
    found = failures(report.results, check)
    assert found, f"no {check} finding; failures: {[r.line() for r in report.failures]}"
    assert any(obj in r.object and message in r.message for r in found), [r.line() for r in found]
