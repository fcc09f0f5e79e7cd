"""The layers of docs/architecture.md, held against the code's own imports (module-level and inside functions)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "comind_scaffold"
# What a CLI module may import of comind_scaffold: the library surface, the errors and the output helper.
CLI_MAY_IMPORT = {"comind_scaffold.api", "comind_scaffold.errors", "comind_scaffold.cli._output"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every comind_scaffold module `source` imports, wherever the import stands (`from pkg import mod` → pkg.mod)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            found.update(f"{origin}.{alias.name}" if _is_module(f"{origin}.{alias.name}") else origin
                         for alias in node.names)
    return {name for name in found if name == "comind_scaffold" or name.startswith("comind_scaffold.")}


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(path: Path) -> set[str]:
    return imported(path.read_text(), module_name(path), is_package=path.name == "__init__.py")


def cli_modules() -> list[Path]:
    return sorted(p for p in (PACKAGE / "cli").glob("*.py") if p.name not in ("__main__.py", "_output.py"))


@pytest.mark.parametrize("path", cli_modules(), ids=lambda p: p.name)
def test_cli_module_imports_nothing_below_the_api(path: Path) -> None:
    below = sorted(imports_of(path) - CLI_MAY_IMPORT)
    assert below == [], f"{path.name} imports {below}: reach it through comind_scaffold.api"


def test_the_output_helper_imports_nothing_below_the_api() -> None:
    below = sorted(imports_of(PACKAGE / "cli" / "_output.py") - CLI_MAY_IMPORT)
    assert below == [], below


def test_validation_imports_no_live_check() -> None:
    crossing = {
        path.name: sorted(name for name in imports_of(path) if name.startswith("comind_scaffold.checks"))
        for path in sorted((PACKAGE / "validation").glob("*.py"))
    }
    assert {name: found for name, found in crossing.items() if found} == {}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from comind_scaffold import api", {"comind_scaffold.api"}),
        ("def f():\n    from comind_scaffold.repo import PlatformRepo\n", {"comind_scaffold.repo"}),
        ("import comind_scaffold._kube as k", {"comind_scaffold._kube"}),
        ("from .. import access", {"comind_scaffold.access"}),
        ("from ..services import manager", {"comind_scaffold.services.manager"}),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from comind_scaffold.update import X\n",
         {"comind_scaffold.update"}),
        ("import typer", set()),
    ],
)
def test_imports_are_found_wherever_they_stand(source: str, expected: set[str]) -> None:
    assert imported(source, "comind_scaffold.cli.example") == expected


def test_every_constant_is_used() -> None:
    names = [node.targets[0].id for node in ast.parse((PACKAGE / "constants.py").read_text()).body
             if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)]
    code = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py") if p.name != "constants.py")
    unused = [name for name in names if not re.search(rf"\b{name}\b", code)]
    assert unused == [], f"constants.py names {unused}, which no module reads"


def test_layers_are_declared_once() -> None:
    """The layer names live in comind_scaffold/layers.py; no other module spells a `LAYER = "..."` of its own."""
    from comind_scaffold import layers

    spelled = [
        f"{path.relative_to(PACKAGE)}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "layers.py" and re.search(rf'^LAYER = "({"|".join(layers.NAMES)})"$', path.read_text(), re.M)
    ]
    assert spelled == []
    assert layers.of_profile("local") == {"static", "services", "cluster", "gitops", "apps"}
    assert layers.of_profile("aws") == {"static", "cluster", "gitops", "apps", "aws"}


def test_local_service_ports_are_spelled_only_in_the_catalog() -> None:
    from comind_scaffold import service_catalog as catalog

    defaults = sorted({str(p) for s in catalog.SERVICES.values() for p in (s.port, s.extra_port) if p})
    pattern = re.compile(rf"(?<![\w.])({'|'.join(defaults)})(?![\w.])")
    spelled = [f"{path.relative_to(PACKAGE)}:{n}" for path in sorted(PACKAGE.rglob("*.py"))
               if path.name != "service_catalog.py"
               for n, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert spelled == []


def test_bootstrap_reaches_the_cluster_and_aws_only_through_the_adapters() -> None:
    """bootstrap/ runs no tool and builds no client itself: kubectl and the API server via _kube.py, AWS via _aws.py."""
    direct = {"subprocess", "kubernetes", "boto3", "botocore"}
    found = {}
    for path in sorted((PACKAGE / "bootstrap").glob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
        if names & direct:
            found[path.name] = sorted(names & direct)
    assert found == {}


@pytest.mark.parametrize(("sdk", "adapter"),
                         [("boto3", "_aws.py"), ("docker", "_docker.py"), ("kubernetes", "_kube_connection.py")])
def test_an_sdk_is_imported_only_by_its_adapter(sdk: str, adapter: str) -> None:
    """AWS sessions, Docker clients and API server connections are built in their adapter alone (botocore's
    exceptions and config may be imported anywhere; _docker_types.py holds the plain values the Docker adapter
    takes and returns, no SDK; _kube.py's kinds, lists and writes go through _kube_connection.py)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and not node.level and node.module else [])
            if any(name.split(".")[0] == sdk for name in names):
                found.append(str(path.relative_to(PACKAGE)))
    assert sorted(set(found)) == [adapter]


def _suite_tests() -> dict[str, list[str]]:
    """Every test function of the shipped suite, by module (`comind_scaffold.verifier.suite.test_apps`)."""
    suite = PACKAGE / "verifier" / "suite"
    return {
        module_name(path): [node.name for node in ast.parse(path.read_text()).body
                            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
        for path in sorted(suite.glob("test_*.py"))
    }


def test_every_suite_test_belongs_to_exactly_one_layer_and_every_listed_check_exists() -> None:
    from comind_scaffold import layers

    found = [(module, name) for module, names in _suite_tests().items() for name in names]
    listed = [(layer.module, check) for layer in layers.LAYERS for check in layer.checks]
    unlisted = sorted(set(found) - set(listed))
    assert unlisted == [], f"suite tests no Layer in comind_scaffold/layers.py lists: {unlisted}"
    assert sorted(set(listed) - set(found)) == [], "checks listed in comind_scaffold/layers.py that do not exist"
    names = [name for _, name in listed]
    assert sorted({n for n in names if names.count(n) > 1}) == []  # `status --list` names each check once
    assert set(_suite_tests()) == {layer.module for layer in layers.LAYERS}


@pytest.mark.parametrize("folder", ["verify", "templates/platform/verify"])
def test_verify_folders_only_point_at_the_suite(folder: str) -> None:
    root = PACKAGE.parent / folder
    files = {path.name: path.read_text() for path in root.glob("test_*.py")}
    assert sorted(files) == sorted(f"{module.rpartition('.')[2]}.py" for module in _suite_tests())
    for name, text in files.items():
        assert f"from comind_scaffold.verifier.suite.{name[:-3]} import *" in text, name
        assert "def test_" not in text, name


def test_verifier_options_are_declared_once() -> None:
    """Only layers.py spells a verifier flag; pytest, the typed options and `comind status` read its table."""
    from comind_scaffold import layers

    flags = {option.flag for option in layers.OPTIONS}
    spelled = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in [*sorted((PACKAGE / "verifier").rglob("*.py")), PACKAGE / "cli" / "status.py"]
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in flags
    ]
    assert spelled == []
    assert len(flags) == len(layers.OPTIONS) == len(layers.OPTION)
    assert all(set(option.layers) <= set(layers.NAMES) and option.layers for option in layers.OPTIONS)
