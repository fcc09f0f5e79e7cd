"""`comind update` and `comind set` lose nothing and report the truth, against real template versions in git.

A template version that removes or renames an edited file keeps the edits; committed conflict markers are refused
before anything changes; the result is synced and checked (exit 1 when it does not validate); a failed update says
what failed; an update that changes nothing leaves every mtime alone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers_scaffold import commit_all, git, snapshot, status
from tests.test_update import DEPLOYMENT, add_apps, change_template, edit, recorded_version, run

BASE = "templates/app/k8s/base"
APPLICATION = "templates/app/argocd/{% yield env from environments %}{{ env }}{% endyield %}.yaml.jinja"


def drop_pdb(template: Path, tag: str, *, rename_to: str | None = None) -> None:
    """Template version `tag` removes the PodDisruptionBudget file (or renames it to `rename_to`), no migration."""
    base = template / BASE
    if rename_to:
        git(template, "mv", str(base / "poddisruptionbudget.yaml.jinja"), str(base / f"{rename_to}.jinja"))
        edit(base / "kustomization.yaml.jinja", "  - poddisruptionbudget.yaml\n", f"  - {rename_to}\n")
    else:
        git(template, "rm", "-q", str(base / "poddisruptionbudget.yaml.jinja"))
        edit(base / "kustomization.yaml.jinja", "  - poddisruptionbudget.yaml\n", "")
    commit_all(template, f"template {tag}")
    git(template, "tag", tag)


def edit_pdb(platform: Path) -> Path:
    app = platform / "apps/shop"
    edit(app / "k8s/base/poddisruptionbudget.yaml", "maxUnavailable: 1", "maxUnavailable: 2")
    commit_all(platform, "hand edit of the PDB")
    return app


def outside_local_state(platform: Path) -> dict[str, bytes]:
    """Every file but the git-ignored `.comind/` (the abort record and the render cache the checks fill)."""
    return {name: content for name, content in snapshot(platform).items() if not name.startswith(".comind/")}


def test_removed_edited_file_is_kept_as_orig(repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    app = edit_pdb(platform)
    drop_pdb(template, "v1.1.0")

    code, out, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 1
    assert not (app / "k8s/base/poddisruptionbudget.yaml").exists()
    assert "maxUnavailable: 2" in (app / "k8s/base/poddisruptionbudget.yaml.orig").read_text()
    assert "apps/shop/k8s/base/poddisruptionbudget.yaml" in err
    assert "removed by the template although you had edited it" in out
    assert "apps/shop/k8s/base/poddisruptionbudget.yaml.orig" in out
    assert run(platform, "update", "--abort", capsys=capsys)[0] == 0
    assert status(platform) == ""


def test_removed_unedited_file_goes_quietly(repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    drop_pdb(template, "v1.1.0")

    code, out, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 0, err + out
    assert not list((platform / "apps/shop").rglob("*.orig"))
    assert not (platform / "apps/shop/k8s/base/poddisruptionbudget.yaml").exists()


def test_renamed_edited_file_gets_the_edits(repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    app = edit_pdb(platform)
    drop_pdb(template, "v1.1.0", rename_to="pdb.yaml")

    code, out, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 1
    renamed = (app / "k8s/base/pdb.yaml").read_text()
    assert "maxUnavailable: 2" in renamed and "<<<<<<<" not in renamed
    assert not (app / "k8s/base/poddisruptionbudget.yaml").exists()
    assert "apps/shop/k8s/base/poddisruptionbudget.yaml" in err
    assert "renamed to apps/shop/k8s/base/pdb.yaml by the template" in out


def test_committed_conflict_markers_refuse_the_update(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    readme = platform / "apps/shop/README.md"
    readme.write_text(readme.read_text() + "<<<<<<< before updating\nmine\n=======\ntheirs\n>>>>>>> after updating\n")
    commit_all(platform, "a merge committed half-resolved")
    change_template(template, DEPLOYMENT, "  revisionHistoryLimit: 5\n", "  revisionHistoryLimit: 7\n", "v1.1.0")
    before = snapshot(platform)
    line = readme.read_text().splitlines().index("<<<<<<< before updating") + 1

    code, _, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 2
    assert len([text for text in err.splitlines() if text.strip()]) == 1
    assert f"conflict markers are committed in apps/shop/README.md (line {line})" in err
    assert snapshot(platform) == before
    assert recorded_version(platform / "apps/shop") == "v1.0.0"


def test_update_whose_result_does_not_validate_exits_1(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Template v1.1.0 adds a `preview` environment of its own: its namespace is in no AppProject."""
    template, platform = repos
    add_apps(platform, "shop")
    application = (template / APPLICATION).read_text()
    preview = "{%- set env = 'preview' -%}\n" + application.replace("k8s/overlays/{{ env }}", "k8s/overlays/dev")
    (template / "templates/app/argocd/preview.yaml.jinja").write_text(preview)
    commit_all(template, "preview environment")
    git(template, "tag", "v1.1.0")

    code, out, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 1
    assert (platform / "apps/shop/argocd/preview.yaml").is_file()
    assert "does not validate" in out
    assert "argocd.project" in out and "shop-preview" in out
    assert "check(s) failed" in err


def test_failed_update_says_what_failed(repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    change_template(template, "copier.yml", '_min_copier_version: "9.4.0"', '_min_copier_version: "99.0.0"', "v1.1.0")
    before = snapshot(platform)

    code, out, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 1
    assert "(failed)" not in err
    assert "update failed: shop: template:" in err and "99.0.0" in err
    assert "failed" in out
    assert outside_local_state(platform) == before


def test_update_that_changes_nothing_keeps_every_mtime(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    app = platform / "apps/shop"
    # Copier renders the template over an edited file and then re-applies the edit: same bytes, new mtime.
    edit(app / "k8s/base/service.yaml", "  type: ClusterIP\n", "  type: ClusterIP\n  sessionAffinity: ClientIP\n")
    commit_all(platform, "hand edit")
    files = sorted(p for p in app.rglob("*") if p.is_file())
    for path in files:  # far in the past, so any rewrite shows
        os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    change_template(template, DEPLOYMENT, "  revisionHistoryLimit: 5\n", "  revisionHistoryLimit: 7\n", "v1.1.0")

    code, out, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 0, err + out
    touched = {p.relative_to(app).as_posix() for p in files if p.stat().st_mtime_ns != 1_000_000_000_000_000_000}
    assert touched == {"k8s/base/deployment.yaml", ".copier-answers.yml"}
    commit_all(platform, "take the update")
    stamps = {p: p.stat().st_mtime_ns for p in files}

    code, out, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 0, err + out
    assert "unchanged" in out
    assert {p: p.stat().st_mtime_ns for p in files} == stamps


def test_update_all_keeps_the_edits_of_a_removed_file_in_each_app(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    template, platform = repos
    add_apps(platform, "alpha", "shop")
    edit_pdb(platform)
    drop_pdb(template, "v1.1.0")

    code, out, err = run(platform, "update", "--all", "--jobs", "2", capsys=capsys)

    assert code == 1
    assert "maxUnavailable: 2" in (platform / "apps/shop/k8s/base/poddisruptionbudget.yaml.orig").read_text()
    assert not list((platform / "apps/alpha").rglob("*.orig"))
    assert "apps/shop/k8s/base/poddisruptionbudget.yaml" in err and "apps/alpha" not in err
    assert "updated=1 unchanged=0 conflicts=1 failed=0" in out


def test_renamed_file_whose_edit_clashes_gets_conflict_markers(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    app = edit_pdb(platform)
    edit(template / BASE / "poddisruptionbudget.yaml.jinja", "maxUnavailable: 1", "maxUnavailable: 3")
    drop_pdb(template, "v1.1.0", rename_to="pdb.yaml")

    code, out, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 1
    renamed = (app / "k8s/base/pdb.yaml").read_text()
    assert "<<<<<<< before updating" in renamed and "maxUnavailable: 2" in renamed and "maxUnavailable: 3" in renamed
    assert "apps/shop/k8s/base/pdb.yaml" in err
    assert "with conflict markers where they clash" in out


def test_platform_update_checks_the_platform_files_not_the_apps(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    markers = "<<<<<<< before updating\nmine\n=======\ntheirs\n>>>>>>> after updating\n"
    readme = platform / "apps/shop/README.md"
    readme.write_text(readme.read_text() + markers)
    commit_all(platform, "an app's own unresolved merge")
    change_template(
        template, "templates/platform/README.md.jinja", "\n", "\n<!-- platform template v1.1.0 -->\n", "v1.1.0"
    )

    assert run(platform, "update", "--platform", capsys=capsys)[0] == 0  # the app's markers are the app's update's
    assert run(platform, "update", "--abort", capsys=capsys)[0] == 0
    (platform / "Makefile").write_text((platform / "Makefile").read_text() + markers)
    commit_all(platform, "a platform file's unresolved merge")

    code, _, err = run(platform, "update", "--platform", capsys=capsys)

    assert code == 2
    assert "conflict markers are committed in Makefile (line" in err and "apps/shop" not in err
