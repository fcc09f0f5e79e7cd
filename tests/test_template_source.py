"""Where templates are read from and what a platform records: moved checkouts, origins, overrides, bad answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from comind_scaffold.cli import main
from comind_scaffold.template_source import portable
from tests.helpers_scaffold import commit_all, git, make_platform, make_template_repo, snapshot, status


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _recorded(folder: Path) -> str:
    return str(yaml.safe_load((folder / ".copier-answers.yml").read_text())["_src_path"])


def test_a_moved_template_checkout_is_named_with_the_way_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMIND_TEMPLATE", raising=False)
    template = make_template_repo(tmp_path / "template")
    platform = make_platform(template, tmp_path / "platform")
    moved = tmp_path / "elsewhere"
    shutil.move(template, moved)
    before = snapshot(platform)

    code, _, err = run(["new-app", "shop", "--team", "payments", "--platform-dir", str(platform)], capsys)
    assert code == 2
    assert str(template) in err and "set-source" in err and "Traceback" not in err
    assert snapshot(platform) == before

    code, _, err = run(["set-source", str(tmp_path / "nowhere.git"), "--platform-dir", str(platform)], capsys)
    assert code == 2 and "nowhere.git" in err
    assert snapshot(platform) == before

    bare = tmp_path / "comind-ops.git"
    git(tmp_path, "clone", "-q", "--bare", str(moved), str(bare))
    code, out, err = run(["set-source", bare.as_uri(), "--platform-dir", str(platform)], capsys)
    assert code == 0, err
    assert _recorded(platform) == bare.as_uri()
    commit_all(platform, "template source moved")
    code, _, err = run(["new-app", "shop", "--team", "payments", "--platform-dir", str(platform)], capsys)
    assert code == 0, err
    assert _recorded(platform / "apps/shop") == bare.as_uri()


def test_a_checkout_with_an_origin_is_recorded_by_its_origin(tmp_path: Path) -> None:
    template = make_template_repo(tmp_path / "template")
    assert portable(str(template)) == str(template)  # no origin: only this machine has it (init warns)
    bare = tmp_path / "comind-ops.git"
    git(tmp_path, "clone", "-q", "--bare", str(template), str(bare))
    git(template, "remote", "add", "origin", bare.as_uri())
    assert portable(str(template)) == bare.as_uri()
    platform = make_platform(template, tmp_path / "platform")
    assert _recorded(platform) == bare.as_uri()


def test_override_reads_a_recorded_url_from_a_mirror(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    template = make_template_repo(tmp_path / "template")
    bare = tmp_path / "comind-ops.git"
    git(tmp_path, "clone", "-q", "--bare", str(template), str(bare))
    platform = make_platform(bare.as_uri(), tmp_path / "platform")  # type: ignore[arg-type]
    shutil.move(bare, tmp_path / "mirror.git")  # the recorded URL no longer answers; a mirror does
    code, _, err = run(["new-app", "shop", "--team", "payments", "--platform-dir", str(platform)], capsys)
    assert code == 2 and bare.as_uri() in err and "Traceback" not in err
    assert status(platform) == ""
    monkeypatch.setenv("COMIND_TEMPLATE", str(tmp_path / "mirror.git"))
    code, _, err = run(["new-app", "shop", "--team", "payments", "--platform-dir", str(platform)], capsys)
    assert code == 0, err
    assert _recorded(platform / "apps/shop") == bare.as_uri()  # the answers keep the URL, not the mirror


@pytest.mark.parametrize(
    ("pair", "field"),
    [
        ("no_such_question=1", "no_such_question"),
        ("postgres_port=abc", "postgres_port"),
        ("redis_enabled=maybe", "redis_enabled"),
    ],
)
def test_init_rejects_bad_data_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pair: str, field: str
) -> None:
    template = make_template_repo(tmp_path / "template")
    dest = tmp_path / "platform"
    code, _, err = run(["init", str(dest), "--template", str(template), "-d", pair], capsys)
    assert code == 2
    assert err.count("\n") <= 2 and f"{field}:" in err and "Traceback" not in err
    assert not dest.exists()


def test_init_names_an_unknown_tag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = make_template_repo(tmp_path / "template")
    dest = tmp_path / "platform"
    code, _, err = run(["init", str(dest), "--template", str(template), "--vcs-ref", "v7.7.7"], capsys)
    assert code == 2 and "v7.7.7" in err
    assert not dest.exists()


def test_a_dirty_template_checkout_records_a_commit_it_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMIND_TEMPLATE", raising=False)
    template = make_template_repo(tmp_path / "template")
    readme = template / "templates/app/README.md.jinja"
    readme.write_text(readme.read_text() + "\nuncommitted\n")  # Copier renders it from a scratch commit of its own
    platform = make_platform(template, tmp_path / "platform")
    commit = str(yaml.safe_load((platform / ".copier-answers.yml").read_text())["_commit"])
    git(template, "cat-file", "-e", f"{commit.rsplit('-g', 1)[-1]}^{{commit}}")
    code, _, err = run(["new-app", "shop", "--team", "payments", "--platform-dir", str(platform)], capsys)
    assert code == 0, err
