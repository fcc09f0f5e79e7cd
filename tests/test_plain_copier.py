"""The commands the project was asked for, as written: `copier copy templates/app apps/my-app` and `copier update`.

Run at the root of a copy of this repository (it is a platform itself), committed and tagged as a release, with
the venv's own `copier` and no `--trust`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers_scaffold import GIT_IDENTITY, REPO_ROOT, commit_all, git, snapshot, status
from tests.test_installed import VERSION, _tracked_copy

COPIER = str(Path(sys.executable).parent / "copier")
COMIND = str(Path(sys.executable).parent / "comind")
APP_ONLY_KEYS = {"_src_path", "_commit"}


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COMIND_TEMPLATE"}
    return subprocess.run(
        list(args), cwd=cwd, env={**env, **GIT_IDENTITY}, capture_output=True, text=True, timeout=600
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of this repository, committed and tagged v<release>."""
    repo = _tracked_copy(tmp_path / "comind-ops")
    shutil.rmtree(repo / "apps", ignore_errors=True)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "comind-ops")
    git(repo, "tag", f"v{VERSION}")
    return repo


def _answers(folder: Path) -> dict[str, object]:
    return yaml.safe_load((folder / ".copier-answers.yml").read_text())


def test_copier_copy_of_the_app_template_renders_what_new_app_renders(checkout: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    git(tmp_path, "clone", "-q", str(checkout), str(twin))
    done = _run(checkout, COPIER, "copy", "--defaults", "-d", "app_name=my-app", "-d", "team=backend",
                "templates/app", "apps/my-app")
    assert done.returncode == 0, done.stderr[-3000:]
    done = _run(twin, COMIND, "new-app", "my-app", "--team", "backend")
    assert done.returncode == 0, done.stderr[-3000:]
    plain, comind = snapshot(checkout / "apps/my-app"), snapshot(twin / "apps/my-app")
    assert sorted(plain) == sorted(comind)
    differing = [name for name in plain if plain[name] != comind[name] and name != ".copier-answers.yml"]
    assert differing == []
    mine, theirs = _answers(checkout / "apps/my-app"), _answers(twin / "apps/my-app")
    assert {k: v for k, v in mine.items() if k not in APP_ONLY_KEYS} == {
        k: v for k, v in theirs.items() if k not in APP_ONLY_KEYS
    }
    # Recorded so that `copier update` inside the app finds the repository and the release it started from.
    assert mine["_src_path"] == "../.." and mine["_commit"] == f"v{VERSION}" and mine["template"] == "app"


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "Shop", "shop\n"])
def test_copier_copy_rejects_a_bad_name_before_writing(checkout: Path, name: str) -> None:
    before = snapshot(checkout)
    done = _run(checkout, COPIER, "copy", "--defaults", "-d", f"app_name={name}", "-d", "team=backend",
                "templates/app", f"apps/{name}")
    assert done.returncode != 0, done.stdout
    # Copier's own path guard refuses `apps/..` (it reaches outside the destination) before the validator runs.
    assert "app_name" in done.stderr or (name == ".." and "is forbidden" in done.stderr), done.stderr[-1500:]
    assert snapshot(checkout) == before
    assert status(checkout) == ""


def test_copier_update_inside_the_app_merges_a_newer_release(checkout: Path) -> None:
    app = checkout / "apps/my-app"
    done = _run(checkout, COPIER, "copy", "--defaults", "-d", "app_name=my-app", "-d", "team=backend",
                "templates/app", "apps/my-app")
    assert done.returncode == 0, done.stderr[-3000:]
    kustomization = app / "k8s/base/kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "# kept by the team\n")
    commit_all(checkout, "my-app, edited")
    release = checkout / "templates/app/release.yml"
    release.write_text(release.read_text().replace(f'"{VERSION}"', '"99.0.0"'))
    readme = checkout / "templates/app/README.md.jinja"
    readme.write_text(readme.read_text() + "\nNew in 99.0.0.\n")
    commit_all(checkout, "release 99.0.0")
    git(checkout, "tag", "v99.0.0")

    done = _run(app, COPIER, "update", "--defaults")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "New in 99.0.0." in (app / "README.md").read_text()
    assert kustomization.read_text().endswith("# kept by the team\n")
    assert _answers(app)["_commit"] == "v99.0.0"
    assert "<<<<<<<" not in "".join(p.read_text() for p in app.rglob("*") if p.is_file())


def test_comind_update_all_finds_the_template_of_apps_made_by_plain_copier(checkout: Path) -> None:
    """`copier copy templates/app …` records the source as `../..`; `comind update --all` updates the apps in
    parallel sparse work trees that hold no templates, and must still find them in the repository."""
    for name in ("shop", "cart"):
        done = _run(checkout, COPIER, "copy", "--defaults", "-d", f"app_name={name}", "-d", "team=backend",
                    "templates/app", f"apps/{name}")
        assert done.returncode == 0, done.stderr[-3000:]
    commit_all(checkout, "two apps")
    readme = checkout / "templates/app/README.md.jinja"
    readme.write_text(readme.read_text() + "\nNew in 99.0.0.\n")
    release = checkout / "templates/app/release.yml"
    release.write_text(release.read_text().replace(f'"{VERSION}"', '"99.0.0"'))
    commit_all(checkout, "release 99.0.0")
    git(checkout, "tag", "v99.0.0")

    done = _run(checkout, COMIND, "update", "--all", "--jobs", "2")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name in ("shop", "cart"):
        assert "New in 99.0.0." in (checkout / f"apps/{name}/README.md").read_text(), name
        assert _answers(checkout / f"apps/{name}")["_src_path"] == "../..", name


def test_release_file_matches_the_package_version() -> None:
    from importlib.metadata import version

    assert VERSION == version("comind-ops")
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert f'version = "{VERSION}"' in pyproject
