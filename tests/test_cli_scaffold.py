"""CLI behaviour of the scaffolding commands: help, --pretend, the files listed, the AppProject sync."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from comind_scaffold.cli import main
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.scaffold import new_app, sync_projects
from tests.helpers_scaffold import commit_all, make_platform, make_template_repo, snapshot, status


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    return make_platform(make_template_repo(tmp_path / "template"), tmp_path / "platform")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (
            "new-app",
            [
                "--team",
                "--with-database",
                "--with-cache",
                "--with-queue",
                "--with-storage",
                "--env",
                "--port",
                "--image",
                "--no-ingress",
                "--platform-dir",
                "--pretend",
            ],
        ),
        ("update", ["--all", "--platform", "--vcs-ref", "--abort", "--platform-dir", "--jobs"]),
        ("check-update", ["--json", "--exit-code"]),
        ("init", ["--data", "--vcs-ref", "--template"]),
    ],
)
def test_help_lists_every_option(command: str, words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([command, "--help"], capsys)
    assert code == 0
    for word in words:
        assert word in out, f"{word} missing from `comind {command} --help`"


def test_pretend_lists_files_and_writes_nothing(platform: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(platform)
    code, out, err = run(
        [
            "new-app",
            "shop",
            "--team",
            "payments",
            "--with-database",
            "--env",
            "dev",
            "--env",
            "prod",
            "--platform-dir",
            str(platform),
            "--pretend",
        ],
        capsys,
    )
    assert code == 0, err
    listed = {line.split("would create ", 1)[1] for line in out.splitlines() if "would create " in line}
    assert {
        "apps/shop/k8s/base/deployment.yaml",
        "apps/shop/k8s/overlays/dev/kustomization.yaml",
        "apps/shop/k8s/overlays/prod/networkpolicy-platform.yaml",
        "apps/shop/argocd/prod.yaml",
        "apps/shop/.copier-answers.yml",
    } <= listed
    assert not any("overlays/stage" in name for name in listed)
    assert "pretend, nothing written: shop:" in out
    assert snapshot(platform) == before
    assert status(platform) == ""


def test_new_app_lists_what_it_wrote_and_syncs_the_project(platform: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["new-app", "shop", "--team", "payments", "--platform-dir", str(platform)], capsys)
    assert code == 0, err
    written = {line.split("created ", 1)[1] for line in out.splitlines() if "  created " in line}
    on_disk = {str(p.relative_to(platform)) for p in (platform / "apps/shop").rglob("*") if p.is_file()}
    assert written == on_disk
    assert "updated k8s/kustomize/projects/payments.yaml" in out
    project = yaml.safe_load((platform / "k8s/kustomize/projects/payments.yaml").read_text())
    assert [d["namespace"] for d in project["spec"]["destinations"]] == ["shop-dev", "shop-stage", "shop-prod"]


def test_sync_projects_is_idempotent_and_drops_removed_apps(platform: Path) -> None:
    new_app("shop", "payments", platform_dir=platform)
    commit_all(platform, "shop")
    new_app("site", "web", platform_dir=platform, options={"environments": ["dev"]})
    commit_all(platform, "site")
    repo = PlatformRepo(platform)
    assert sync_projects(repo) == []
    platform_project = yaml.safe_load((platform / "k8s/kustomize/projects/platform.yaml").read_text())
    assert [d["namespace"] for d in platform_project["spec"]["destinations"]] == [
        "platform-dev",
        "platform-stage",
        "platform-prod",
    ]
    web = yaml.safe_load((platform / "k8s/kustomize/projects/web.yaml").read_text())
    assert [d["namespace"] for d in web["spec"]["destinations"]] == ["site-dev"]

    subprocess.run(["git", "rm", "-rq", "apps/shop"], cwd=platform, check=True)
    assert sync_projects(PlatformRepo(platform)) == ["k8s/kustomize/projects/payments.yaml"]
    payments = yaml.safe_load((platform / "k8s/kustomize/projects/payments.yaml").read_text())
    assert payments["spec"]["destinations"] == []
    assert sync_projects(PlatformRepo(platform)) == []


def test_init_then_new_app_through_the_real_console_script(tmp_path: Path) -> None:
    """The installed `comind` process: exit codes, output, and no traceback on bad input."""
    template = make_template_repo(tmp_path / "template")
    env = {
        **os.environ,
        "COMIND_TEMPLATE": str(template),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    script = shutil.which("comind")
    assert script, "the comind console script is not installed (pip install -e .)"
    comind = [script]

    def call(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*comind, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)

    made = call("init", "plat", "--data", "platform_name=demo", "--data", "teams=[platform, shop]")
    assert made.returncode == 0, made.stderr
    assert f"template {template} @ v1.0.0" in made.stdout
    assert "warning: the template source is recorded as a path of this machine" in made.stdout
    plat = tmp_path / "plat"
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "platform"]):
        subprocess.run(["git", *args], cwd=plat, env=env, check=True)

    bad = call("new-app", "Cart", "--team", "shop", cwd=plat)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr and "name: 'Cart'" in bad.stderr

    good = call("new-app", "cart", "--team", "shop", "--with-database", cwd=plat)
    assert good.returncode == 0, good.stderr
    assert "created apps/cart/argocd/dev.yaml" in good.stdout
    answers = yaml.safe_load((plat / "apps/cart/.copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.0.0" and answers["platform"] == "demo" and answers["with_database"] is True


def test_init_refuses_a_non_empty_destination(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine\n")
    code, _, err = run(["init", str(tmp_path)], capsys)
    assert code == 2
    assert "is not empty" in err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_init_bad_answer_is_one_line_and_leaves_no_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = make_template_repo(tmp_path / "template")
    dest = tmp_path / "plat"
    code, _, err = run(["init", str(dest), "--template", str(template), "--data", "platform_name=Not_A_Label"], capsys)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "platform_name: " in lines[0] and "Traceback" not in err
    assert not dest.exists()
