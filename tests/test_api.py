"""The public library surface: every name `comind_scaffold.api` lists exists, and its verbs are typed."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from comind_scaffold import api
from comind_scaffold.errors import TemplateError

VERBS = [name for name in api.__all__ if inspect.isfunction(getattr(api, name))]


@pytest.mark.parametrize("name", api.__all__)
def test_every_listed_name_exists(name: str) -> None:
    assert hasattr(api, name)


@pytest.mark.parametrize("name", VERBS)
def test_every_verb_is_typed(name: str) -> None:
    signature = inspect.signature(getattr(api, name))
    assert signature.return_annotation is not inspect.Signature.empty, name
    untyped = [p.name for p in signature.parameters.values() if p.annotation is inspect.Parameter.empty]
    assert untyped == [], f"{name}: untyped {untyped}"


@pytest.mark.parametrize("name", [v for v in VERBS if "repo" in inspect.signature(getattr(api, v)).parameters])
def test_verbs_on_a_platform_take_a_platform_repo(name: str) -> None:
    first = next(iter(inspect.signature(getattr(api, name)).parameters.values()))
    assert (first.name, first.annotation) == ("repo", "PlatformRepo"), name


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_verb"):
        api.no_such_verb  # noqa: B018


def test_importing_api_loads_no_service_clients() -> None:
    heavy = "('docker', 'psycopg', 'boto3', 'kubernetes', 'copier')"
    code = f"import sys, comind_scaffold.api; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("module", ["comind_scaffold", "comind_scaffold.cli"])
def test_python_dash_m_runs_the_cli(module: str) -> None:
    done = subprocess.run([sys.executable, "-m", module, "version"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    from comind_scaffold import __version__

    assert done.stdout.strip() == __version__


def test_open_finds_the_platform_above_a_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = tmp_path / "infra/docker/registry/services.yaml"
    services.parent.mkdir(parents=True)
    services.write_text("{}\n")
    (tmp_path / ".copier-answers.yml").write_text("platform_name: shop\n")
    monkeypatch.chdir(services.parent)
    assert api.PlatformRepo.open().root == tmp_path.resolve()
    assert api.PlatformRepo.open(tmp_path / "infra").spec.platform_name == "shop"


def test_open_outside_a_platform_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as raised:
        api.PlatformRepo.open(tmp_path)
    assert "not inside a comind-ops platform repository" in str(raised.value)
    assert "\n" not in str(raised.value) and raised.value.hint is None


def test_every_error_class_lives_in_errors_under_comind_error() -> None:
    import ast

    from comind_scaffold import errors

    package = Path(errors.__file__).parent
    elsewhere = [
        f"{path.relative_to(package)}:{node.name}"
        for path in sorted(package.rglob("*.py")) if path.name != "errors.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_")
        and any(isinstance(b, ast.Name) and b.id.endswith(("Error", "Exception")) for b in node.bases)
    ]
    assert elsewhere == []
    outside = [name for name in errors.__all__ if not issubclass(getattr(errors, name), errors.ComindError)]
    assert outside == []
