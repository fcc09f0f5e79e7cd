"""The kustomize adapter against the real tool: builds, its own error line, each folder once, tool choice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from comind_scaffold._kustomize import Kustomizer, build, kustomize_command
from comind_scaffold.errors import TemplateError, ToolNotFoundError
from tests.helpers_validate import CACHED_KUSTOMIZE, build_file_tree

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {LOG_LEVEL: info}\n"


def commands() -> list[list[str]]:
    found = []
    if shutil.which("kubectl"):
        found.append([shutil.which("kubectl") or "kubectl", "kustomize"])
    standalone = shutil.which("kustomize") or (str(CACHED_KUSTOMIZE) if CACHED_KUSTOMIZE.is_file() else None)
    if standalone:
        found.append([standalone, "build"])
    return found


def overlay_tree(root: Path) -> Path:
    return build_file_tree(
        root,
        {
            "base/kustomization.yaml": "resources: [configmap.yaml]\n",
            "base/configmap.yaml": CONFIGMAP,
            "overlays/dev/kustomization.yaml": "namespace: shop-dev\nnamePrefix: dev-\nresources: [../../base]\n",
            "overlays/prod/kustomization.yaml": "namespace: shop-prod\nresources: [../../base, missing.yaml]\n",
        },
    )


@pytest.fixture(params=commands(), ids=lambda cmd: Path(cmd[0]).name)
def kustomizer(request: pytest.FixtureRequest) -> Kustomizer:
    with Kustomizer(command=request.param, workers=2) as built:
        yield built


def test_build_renders_the_overlay(tmp_path: Path, kustomizer: Kustomizer) -> None:
    tree = overlay_tree(tmp_path)

    result = kustomizer.build(tree / "overlays/dev")

    assert result.ok
    assert [(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in result.objects] == [
        ("ConfigMap", "shop-dev", "dev-settings")
    ]


def test_failed_build_carries_the_tools_message(tmp_path: Path, kustomizer: Kustomizer) -> None:
    tree = overlay_tree(tmp_path)

    result = kustomizer.build(tree / "overlays/prod")

    assert not result.ok and result.objects == ()
    assert "missing.yaml" in (result.error or "")
    assert "\n" not in (result.error or "")


def test_each_folder_is_built_once(tmp_path: Path, kustomizer: Kustomizer) -> None:
    tree = overlay_tree(tmp_path)
    dev = tree / "overlays/dev"

    first = kustomizer.build_many([dev, tree / "overlays/prod", tree / "overlays/../overlays/dev"])
    again = kustomizer.build(dev)

    assert kustomizer.builds_run == 2
    assert set(first) == {dev.resolve(), (tree / "overlays/prod").resolve()}
    assert again is first[dev.resolve()]


def test_build_function_raises_template_error(tmp_path: Path) -> None:
    tree = overlay_tree(tmp_path)

    with pytest.raises(TemplateError, match="kustomize build failed: .*missing.yaml"):
        build(tree / "overlays/prod")
    assert build(tree / "base")[0]["metadata"]["name"] == "settings"


def test_no_tool_is_tool_not_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("COMIND_KUSTOMIZE", raising=False)

    with pytest.raises(ToolNotFoundError, match="kustomize: not found"):
        kustomize_command()


@pytest.mark.parametrize("binary", [cmd[0] for cmd in commands()], ids=lambda b: Path(b).name)
def test_explicit_binary_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, binary: str) -> None:
    monkeypatch.setenv("COMIND_KUSTOMIZE", binary)
    tree = overlay_tree(tmp_path)

    assert kustomize_command()[0] == binary
    assert build(tree / "overlays/dev")[0]["metadata"]["name"] == "dev-settings"
