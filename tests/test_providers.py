"""`comind tf install-provider`: the local profile's provider built with the real Go toolchain into a mirror."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from comind_scaffold import providers
from comind_scaffold._terraform import find_binary
from comind_scaffold.cli import main
from comind_scaffold.errors import ToolNotFoundError
from comind_scaffold.providers import LOCALDEV_VERSION, install_localdev
from tests.components.require import skip_or_fail

pytestmark = [pytest.mark.terraform]


@pytest.fixture
def go(request: pytest.FixtureRequest) -> str:
    found = os.environ.get("GO") or shutil.which("go")
    found = found or next((path for path in providers.GO_FALLBACKS if os.access(path, os.X_OK)), None)
    if not found:
        skip_or_fail("the Go toolchain is needed to build comind/localdev", request.config)
    return str(found)


def test_builds_once_into_a_mirror_terraform_installs_from(tmp_path: Path, go: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMIND_CACHE", str(tmp_path / "cache"))

    first = install_localdev(go=go)
    again = install_localdev(go=go)

    assert (first.built, again.built) == (True, False)
    assert first.binary == again.binary and os.access(first.binary, os.X_OK)
    assert first.binary.parent.name in ("linux_amd64", "linux_arm64")
    assert f'path    = "{tmp_path / "cache" / "terraform-mirror"}"' in first.cli_config.read_text()
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(
        "terraform {\n  required_providers {\n    localdev = {\n"
        f'      source  = "registry.terraform.io/comind/localdev"\n      version = "{LOCALDEV_VERSION}"\n'
        "    }\n  }\n}\n"
    )
    done = subprocess.run([find_binary(), "init", "-no-color", "-input=false"], cwd=root, capture_output=True,
                          text=True, env={**os.environ, "TF_CLI_CONFIG_FILE": str(first.cli_config)}, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"comind/localdev v{LOCALDEV_VERSION}" in done.stdout


def test_without_go_it_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COMIND_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("GO", raising=False)
    monkeypatch.setattr(providers, "GO_FALLBACKS", ())

    with pytest.raises(ToolNotFoundError, match="^go: not found on PATH$"):
        install_localdev()
    code = main(["tf", "install-provider"])

    err = capsys.readouterr().err
    assert code == 2
    assert "error: go: not found on PATH" in err and "Traceback" not in err
    assert not list((tmp_path / "cache" / "terraform-mirror").rglob("terraform-provider-*"))
