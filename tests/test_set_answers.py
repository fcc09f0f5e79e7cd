"""`comind set APP KEY=VALUE …` against real template versions in git: every value checked as `comind new-app`
checks it (one line, exit 2, nothing written); a team change moves the Applications and the AppProject entries
together; an environment added reaches the AppProject; a rename is done completely, or refused with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from comind_scaffold.scaffold import new_app
from tests.helpers_scaffold import commit_all, load_yaml_docs, snapshot, status
from tests.test_update import add_apps, edit, run

PROJECTS = "k8s/kustomize/projects"


def destinations(platform: Path, team: str) -> list[str]:
    (project,) = load_yaml_docs(platform / PROJECTS / f"{team}.yaml")
    return [d["namespace"] for d in project["spec"]["destinations"]]


def test_set_environments_adds_them_to_the_appproject(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, platform = repos
    new_app("shop", "payments", platform_dir=platform, options={"environments": ["dev"]})
    commit_all(platform, "app shop in dev")

    code, out, err = run(platform, "set", "shop", "environments=[dev, prod]", capsys=capsys)

    assert code == 0, err + out
    assert destinations(platform, "payments") == ["shop-dev", "shop-prod"]
    assert (platform / "apps/shop/k8s/overlays/prod/kustomization.yaml").is_file()
    assert (platform / "apps/shop/argocd/prod.yaml").is_file()
    assert f"synced {PROJECTS}/payments.yaml" in out


def test_set_team_moves_applications_and_appproject_entries(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, platform = repos
    add_apps(platform, "shop")
    assert "shop-dev" in destinations(platform, "payments")

    code, out, err = run(platform, "set", "shop", "team=web", capsys=capsys)

    assert code == 0, err + out
    for env in ("dev", "stage", "prod"):
        application = yaml.safe_load((platform / f"apps/shop/argocd/{env}.yaml").read_text())
        assert application["spec"]["project"] == "web"
    assert destinations(platform, "web") == ["shop-dev", "shop-stage", "shop-prod"]
    assert not any(ns.startswith("shop-") for ns in destinations(platform, "payments"))
    answers = yaml.safe_load((platform / "apps/shop/.copier-answers.yml").read_text())
    assert answers["team"] == "web" and answers["_commit"] == "v1.0.0"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("team=nope", "team: 'nope' is not a team of the platform"),
        ("port=80", "port: 80 must be 1024-65535"),
        ("app_name=Shop", "name: 'Shop' must be a DNS-1123 label"),
        ("app_name=billing", "name: 'billing' is taken"),
        ("colour=blue", "colour: is not a question of the app template"),
        ("domain=example.com", "domain: comes from the platform's answers"),
        ("with_cache=maybe", "with_cache: 'maybe' must be true or false"),
        ("team", "data: 'team' must be KEY=VALUE"),
    ],
)
def test_set_bad_value_is_one_line_and_writes_nothing(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str], answer: str, expected: str
) -> None:
    _, platform = repos
    add_apps(platform, "shop", "billing")
    before = snapshot(platform)

    code, _, err = run(platform, "set", "shop", answer, capsys=capsys)

    assert code == 2
    assert len([text for text in err.splitlines() if text.strip()]) == 1, err
    assert expected in err
    assert snapshot(platform) == before


def test_set_app_name_renames_completely_and_abort_restores(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, platform = repos
    add_apps(platform, "shop")
    edit(platform / "apps/shop/README.md", "## Layout", "Shop notes.\n\n## Layout")
    commit_all(platform, "notes")
    before = snapshot(platform)

    code, out, err = run(platform, "set", "shop", "app_name=store", capsys=capsys)

    assert code == 0, err + out
    app = platform / "apps/store"
    assert not (platform / "apps/shop").exists()
    assert yaml.safe_load((app / ".copier-answers.yml").read_text())["app_name"] == "store"
    for env in ("dev", "stage", "prod"):
        application = yaml.safe_load((app / f"argocd/{env}.yaml").read_text())
        assert application["metadata"]["name"] == f"store-{env}"
        assert application["spec"]["destination"]["namespace"] == f"store-{env}"
        assert application["spec"]["source"]["path"] == f"apps/store/k8s/overlays/{env}"
    assert destinations(platform, "payments") == ["store-dev", "store-stage", "store-prod"]
    assert "Shop notes." in (app / "README.md").read_text()
    assert "shop" not in (app / "k8s/base/kustomization.yaml").read_text()
    assert "Terraform" in out

    assert run(platform, "update", "--abort", capsys=capsys)[0] == 0
    assert snapshot(platform) == before
    assert status(platform) == ""
    assert not (platform / "apps/store").exists()


def test_set_app_name_is_refused_while_terraform_state_exists(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, platform = repos
    add_apps(platform, "shop")
    state = platform / "apps/shop/terraform/local/terraform.tfstate.d/dev/terraform.tfstate"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"version": 4, "resources": [{"type": "localdev_postgresql_database"}]}))
    assert status(platform) == ""  # state is git-ignored
    before = snapshot(platform)

    code, _, err = run(platform, "set", "shop", "app_name=store", capsys=capsys)

    assert code == 2
    assert "app_name: cannot rename shop to store: Terraform state of shop exists" in err
    assert snapshot(platform) == before


def test_set_app_name_is_refused_when_an_edit_clashes_with_the_rename(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, platform = repos
    add_apps(platform, "shop")
    edit(platform / "apps/shop/README.md", "# shop\n", "# shop, the web shop\n")
    commit_all(platform, "a title of our own")
    before = snapshot(platform)

    code, _, err = run(platform, "set", "shop", "app_name=store", capsys=capsys)

    assert code == 2
    assert len([text for text in err.splitlines() if text.strip()]) == 1, err
    assert "app_name: renaming shop to store clashes with your edits in apps/shop/README.md; nothing changed" in err
    assert snapshot(platform) == before
    assert not (platform / "apps/store").exists()


@pytest.mark.parametrize("app", ["nope", "..", "shop/../.."])
def test_set_names_apps_by_name_only(repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str], app: str) -> None:
    _, platform = repos
    add_apps(platform, "shop")
    before = snapshot(platform)

    code, _, err = run(platform, "set", app, "team=web", capsys=capsys)

    assert code == 2
    assert f"app: {app!r} is not an app under apps/ (known: shop)" in err
    assert snapshot(platform) == before
