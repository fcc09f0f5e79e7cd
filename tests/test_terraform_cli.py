"""`comind tf`: bad input and a missing terraform are one line each, with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from comind_scaffold._terraform import parse_version
from comind_scaffold.cli import main
from tests.helpers_terraform import PLATFORM_ANSWERS, REPO_ROOT, app_answers, render_app_terraform


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    (tmp_path / ".copier-answers.yml").write_text(yaml.safe_dump({**PLATFORM_ANSWERS, "template": "platform"}))
    services = tmp_path / "infra" / "docker" / "registry" / "services.yaml"
    services.parent.mkdir(parents=True)
    services.write_text((REPO_ROOT / "infra" / "docker" / "registry" / "services.yaml").read_text())
    answers = app_answers("shop")
    (tmp_path / "apps" / "shop").mkdir(parents=True)
    (tmp_path / "apps" / "shop" / ".copier-answers.yml").write_text(yaml.safe_dump({**answers, "template": "app"}))
    render_app_terraform(tmp_path, answers)
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], platform: Path, *args: str) -> tuple[int, list[str]]:
    code = main(["tf", *args, "--platform-dir", str(platform)])
    captured = capsys.readouterr()
    return code, [line for line in (captured.out + captured.err).splitlines() if line.strip()]


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize(("args", "line"), [
    (["plan", "nope", "--env", "dev"], "error: app: 'nope' is not an app under apps/ (known: shop)"),
    (["apply", "shop", "--env", "qa"], "error: env: 'qa' is not an environment of shop (dev, prod)"),
    (["plan", "shop", "--env", "dev", "--profile", "gcp"], "error: profile: 'gcp' must be one of local, aws"),
])
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], platform: Path, args: list[str],
                                          line: str) -> None:
    before = _files(platform)
    code, lines = _run(capsys, platform, *args)
    assert (code, lines) == (2, [line])
    assert _files(platform) == before


def test_local_profile_needs_the_services_credentials(capsys: pytest.CaptureFixture[str], platform: Path) -> None:
    code, lines = _run(capsys, platform, "plan", "shop", "--env", "dev", "--profile", "local")
    assert code == 2
    assert lines == [f"error: {platform / '.comind' / 'local-credentials.yaml'}: missing",
                     "hint: run `comind services up` first"]


def test_missing_terraform_is_one_line(capsys: pytest.CaptureFixture[str], platform: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from comind_scaffold.services.credentials import LocalCredentials, PostgresCredentials, save_credentials

    save_credentials(platform / ".comind" / "local-credentials.yaml",
                     LocalCredentials(postgresql=PostgresCredentials(username="postgres", database="comind_ops_dev")))
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("COMIND_TERRAFORM", raising=False)
    monkeypatch.setenv("COMIND_CACHE", str(tmp_path / "cache"))  # no OpenTofu built there either
    code, lines = _run(capsys, platform, "plan", "shop", "--env", "dev")
    assert code == 2
    assert lines[0] == "error: terraform: not found on PATH"
    assert not (platform / "apps" / "shop" / "terraform" / "local" / ".terraform").exists()


@pytest.mark.parametrize(("text", "version"), [("1.11.4", (1, 11, 4)), ("v1.6.3-beta1", (1, 6, 3))])
def test_versions_parse(text: str, version: tuple[int, int, int]) -> None:
    assert parse_version(text) == version


def test_a_non_version_is_refused() -> None:
    with pytest.raises(ValueError, match="not a version"):
        parse_version("latest")
