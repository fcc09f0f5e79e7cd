"""`comind update` against a real git template repository: template changes and hand edits both survive,
conflicts are reported with their files, `--abort` restores byte for byte, `--all` updates many apps, and a
migration carries a hand edit across a file rename."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from comind_scaffold.cli import main
from comind_scaffold.scaffold import new_app
from tests.helpers_scaffold import commit_all, git, snapshot, status

DEPLOYMENT = "templates/app/k8s/base/deployment.yaml.jinja"


def add_apps(platform: Path, *names: str) -> None:
    for name in names:  # new-app wants a clean tree: commit each app as a team would
        new_app(name, "payments", platform_dir=platform)
        commit_all(platform, f"app {name}")


def change_template(template: Path, path: str, old: str, new: str, tag: str) -> None:
    file = template / path
    text = file.read_text()
    assert old in text, f"{old!r} not in {path}"
    file.write_text(text.replace(old, new, 1))
    commit_all(template, f"template {tag}")
    git(template, "tag", tag)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def recorded_version(app: Path) -> str:
    return yaml.safe_load((app / ".copier-answers.yml").read_text())["_commit"]


def run(platform: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([*args, "--platform-dir", str(platform)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_template_change_and_hand_edit_both_survive(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    change_template(
        template,
        DEPLOYMENT,
        "      enableServiceLinks: false\n",
        "      enableServiceLinks: false\n      terminationGracePeriodSeconds: 45\n",
        "v1.1.0",
    )
    app = platform / "apps/shop"
    edit(app / "k8s/base/service.yaml", "  type: ClusterIP\n", "  type: ClusterIP\n  sessionAffinity: ClientIP\n")
    commit_all(platform, "hand edit")

    code, out, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 0, err
    assert "terminationGracePeriodSeconds: 45" in (app / "k8s/base/deployment.yaml").read_text()
    assert "sessionAffinity: ClientIP" in (app / "k8s/base/service.yaml").read_text()
    assert recorded_version(app) == "v1.1.0"
    assert "v1.0.0 → v1.1.0" in out and "updated" in out
    assert "<<<<<<<" not in "".join(p.read_text() for p in app.rglob("*.yaml"))


def test_conflict_exits_1_and_lists_files_then_abort_restores(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    change_template(template, DEPLOYMENT, "  revisionHistoryLimit: 5\n", "  revisionHistoryLimit: 10\n", "v1.1.0")
    edit(platform / "apps/shop/k8s/base/deployment.yaml", "  revisionHistoryLimit: 5\n", "  revisionHistoryLimit: 2\n")
    commit_all(platform, "hand edit on the same line")
    before, before_status = snapshot(platform), status(platform)

    code, out, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 1
    assert "apps/shop/k8s/base/deployment.yaml" in err
    assert "conflicts" in out
    text = (platform / "apps/shop/k8s/base/deployment.yaml").read_text()
    assert (
        "<<<<<<< before updating" in text and "revisionHistoryLimit: 2" in text and "revisionHistoryLimit: 10" in text
    )
    assert "UU apps/shop/k8s/base/deployment.yaml" in status(platform)

    code, out, err = run(platform, "update", "--abort", capsys=capsys)

    assert code == 0, err
    assert "restored apps/shop" in out
    assert snapshot(platform) == before
    assert status(platform) == before_status


def test_abort_removes_files_the_update_added(repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    (template / "templates/app/NOTES.md.jinja").write_text("# Notes for {{ app_name }}\n")
    commit_all(template, "notes")
    git(template, "tag", "v1.1.0")
    before = snapshot(platform)

    assert run(platform, "update", "shop", capsys=capsys)[0] == 0
    assert (platform / "apps/shop/NOTES.md").read_text() == "# Notes for shop\n"
    assert run(platform, "update", "--abort", capsys=capsys)[0] == 0

    assert snapshot(platform) == before
    assert status(platform) == ""


def test_abort_without_an_update_is_bad_input(repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, platform = repos
    code, _, err = run(platform, "update", "--abort", capsys=capsys)
    assert code == 2
    assert "no update to abort" in err


def test_update_all_updates_every_app_and_summarises(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    template, platform = repos
    names = ["alpha", "beta", "gamma", "delta"]
    add_apps(platform, *names)
    change_template(template, DEPLOYMENT, "  revisionHistoryLimit: 5\n", "  revisionHistoryLimit: 7\n", "v1.2.0")
    edit(platform / "apps/beta/README.md", "## Layout", "Beta is special.\n\n## Layout")
    commit_all(platform, "beta notes")

    code, out, err = run(platform, "update", "--all", "--jobs", "2", capsys=capsys)

    assert code == 0, err
    for name in names:
        assert "revisionHistoryLimit: 7" in (platform / f"apps/{name}/k8s/base/deployment.yaml").read_text()
        assert recorded_version(platform / f"apps/{name}") == "v1.2.0"
        line = next(line for line in out.splitlines() if line.startswith(name))
        assert "v1.0.0 → v1.2.0" in line and line.rstrip().endswith("updated")
    assert "Beta is special." in (platform / "apps/beta/README.md").read_text()
    assert "updated=4 unchanged=0 conflicts=0 failed=0" in out


def test_update_all_reports_each_conflicted_app(repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    template, platform = repos
    add_apps(platform, "alpha", "beta", "gamma")
    change_template(template, DEPLOYMENT, "  revisionHistoryLimit: 5\n", "  revisionHistoryLimit: 7\n", "v1.1.0")
    for name in ("alpha", "gamma"):
        edit(platform / f"apps/{name}/k8s/base/deployment.yaml", "revisionHistoryLimit: 5", "revisionHistoryLimit: 1")
    commit_all(platform, "edits")

    code, out, err = run(platform, "update", "--all", capsys=capsys)

    assert code == 1
    assert "apps/alpha/k8s/base/deployment.yaml" in err and "apps/gamma/k8s/base/deployment.yaml" in err
    assert "apps/beta" not in err
    assert "updated=1 unchanged=0 conflicts=2 failed=0" in out
    assert sorted(line[3:] for line in status(platform).splitlines() if line.startswith("UU")) == [
        "apps/alpha/k8s/base/deployment.yaml",
        "apps/gamma/k8s/base/deployment.yaml",
    ]


def test_dirty_app_is_refused_before_anything_changes(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    change_template(template, DEPLOYMENT, "  revisionHistoryLimit: 5\n", "  revisionHistoryLimit: 7\n", "v1.1.0")
    edit(platform / "apps/shop/README.md", "## Layout", "uncommitted\n## Layout")
    before = snapshot(platform)

    code, _, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 2
    assert len([line for line in err.splitlines() if line.strip()]) == 1
    assert "uncommitted changes" in err
    assert snapshot(platform) == before


def test_unknown_app_is_bad_input(repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, platform = repos
    add_apps(platform, "shop")
    code, _, err = run(platform, "update", "nope", capsys=capsys)
    assert code == 2
    assert "apps: 'nope' is not an app of this platform (shop)" in err


def test_migration_v2_keeps_a_hand_edit_across_a_rename(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Template v2.0.0 renames the PodDisruptionBudget file; its migration moves the app's edited copy along."""
    template, platform = repos
    add_apps(platform, "shop")
    app = platform / "apps/shop"
    edit(app / "k8s/base/poddisruptionbudget.yaml", "maxUnavailable: 1", "maxUnavailable: 2")
    commit_all(platform, "hand edit of the PDB")
    base = template / "templates/app/k8s/base"
    git(template, "mv", str(base / "poddisruptionbudget.yaml.jinja"), str(base / "pdb.yaml.jinja"))
    edit(base / "kustomization.yaml.jinja", "  - poddisruptionbudget.yaml\n", "  - pdb.yaml\n")
    # Copier renders the renamed file fresh and removes the old one; the migration puts the app's own version back.
    edit(
        template / "copier.yml",
        "_migrations: []\n",
        (
            "_migrations:\n"
            "  - version: v2.0.0\n"
            "    when: \"{{ _stage == 'after' and template == 'app' }}\"\n"
            "    command: git show HEAD:./k8s/base/poddisruptionbudget.yaml > k8s/base/pdb.yaml\n"
        ),
    )
    commit_all(template, "rename the PDB file")
    git(template, "tag", "v2.0.0")

    code, out, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 0, err
    assert not (app / "k8s/base/poddisruptionbudget.yaml").exists()
    assert "maxUnavailable: 2" in (app / "k8s/base/pdb.yaml").read_text()
    assert "  - pdb.yaml\n" in (app / "k8s/base/kustomization.yaml").read_text()
    assert recorded_version(app) == "v2.0.0"
    if shutil.which("kubectl"):
        built = subprocess.run(["kubectl", "kustomize", str(app / "k8s/overlays/dev")], capture_output=True, text=True)
        assert built.returncode == 0, built.stderr
        assert "maxUnavailable: 2" in built.stdout


def test_check_update_reports_outdated_apps(repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    code, out, _ = run(platform, "check-update", "--exit-code", capsys=capsys)
    assert code == 0
    assert "up to date" in out and "update available" not in out
    git(template, "tag", "v1.3.0")

    code, out, _ = run(platform, "check-update", "--exit-code", capsys=capsys)

    assert code == 1
    shop = next(line for line in out.splitlines() if line.startswith("shop"))
    assert "v1.0.0" in shop and "v1.3.0" in shop and "update available" in shop
    code, out, _ = run(platform, "check-update", "--json", capsys=capsys)
    assert code == 0
    assert '"outdated": true' in out


def test_platform_update(repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    change_template(
        template, "templates/platform/README.md.jinja", "\n", "\n<!-- platform template v1.1.0 -->\n", "v1.1.0"
    )

    code, out, err = run(platform, "update", "--platform", capsys=capsys)

    assert code == 0, err
    assert "<!-- platform template v1.1.0 -->" in (platform / "README.md").read_text()
    assert yaml.safe_load((platform / ".copier-answers.yml").read_text())["_commit"] == "v1.1.0"
    assert recorded_version(platform / "apps/shop") == "v1.0.0"
    assert "platform" in out and "v1.0.0 → v1.1.0" in out


def test_update_brings_the_platform_facts_to_the_app(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A platform whose git URL changed hands the new URL to its apps on their next update."""
    template, platform = repos
    add_apps(platform, "shop")
    edit(
        platform / ".copier-answers.yml",
        "repo_url: https://git.example.com/acme/platform",
        "repo_url: https://git.example.com/acme/platform-moved",
    )
    commit_all(platform, "platform moved")
    change_template(template, DEPLOYMENT, "  revisionHistoryLimit: 5\n", "  revisionHistoryLimit: 6\n", "v1.1.0")

    code, _, err = run(platform, "update", "shop", capsys=capsys)

    assert code == 0, err
    application = yaml.safe_load((platform / "apps/shop/argocd/dev.yaml").read_text())
    assert application["spec"]["source"]["repoURL"] == "https://git.example.com/acme/platform-moved"


def test_abort_refuses_once_the_update_is_committed(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    template, platform = repos
    add_apps(platform, "shop")
    change_template(template, DEPLOYMENT, "  revisionHistoryLimit: 5\n", "  revisionHistoryLimit: 6\n", "v1.1.0")
    assert run(platform, "update", "shop", capsys=capsys)[0] == 0
    commit_all(platform, "take the update")
    after = snapshot(platform)

    code, _, err = run(platform, "update", "--abort", capsys=capsys)

    assert code == 2
    assert "HEAD moved since the last update" in err
    assert snapshot(platform) == after
