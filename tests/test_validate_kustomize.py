"""The kustomize adapter against the real tool: builds, its own error line, each folder once, tool choice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from comind_scaffold._kustomize import Kustomizer, build, kustomize_command, worker_binary
from comind_scaffold.errors import TemplateError, ToolNotFoundError
from tests.helpers_validate import CACHED_KUSTOMIZE, FIXTURE_PLATFORM, build_file_tree

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {LOG_LEVEL: info}\n"


def commands() -> list[list[str]]:
    found = []
    if shutil.which("kubectl"):
        found.append([shutil.which("kubectl") or "kubectl", "kustomize"])
    standalone = shutil.which("kustomize") or (str(CACHED_KUSTOMIZE) if CACHED_KUSTOMIZE.is_file() else None)
    if standalone:
        found.append([standalone, "build"])
    worker = worker_binary()
    if worker:
        found.append([worker])
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
    with Kustomizer(command=request.param, workers=2, batch_size=4) as built:
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
    monkeypatch.setenv("COMIND_CACHE", str(tmp_path))
    monkeypatch.delenv("COMIND_KUSTOMIZE", raising=False)
    monkeypatch.delenv("COMIND_KUSTOMIZE_WORKER", raising=False)

    with pytest.raises(ToolNotFoundError, match="kustomize: not found"):
        kustomize_command()


@pytest.mark.parametrize("binary", [cmd[0] for cmd in commands()], ids=lambda b: Path(b).name)
def test_explicit_binary_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, binary: str) -> None:
    monkeypatch.setenv("COMIND_KUSTOMIZE", binary)
    tree = overlay_tree(tmp_path)

    assert kustomize_command()[0] == binary
    assert build(tree / "overlays/dev")[0]["metadata"]["name"] == "dev-settings"


def test_batched_builds_equal_separate_builds(tmp_path: Path, kustomizer: Kustomizer) -> None:
    tree = overlay_tree(tmp_path)
    folders = [
        *sorted(FIXTURE_PLATFORM.glob("apps/*/k8s/overlays/*")),
        FIXTURE_PLATFORM / "k8s/kustomize",
        tree / "overlays/dev",
        tree / "base",
    ]
    with Kustomizer(command=kustomizer.command, batch_size=1) as separate:
        expected = separate.build_many(folders)

    batched = kustomizer.build_many(folders)

    assert len(folders) > kustomizer.batch_size
    assert {p: (b.objects, b.error) for p, b in batched.items()} == {
        p: (b.objects, b.error) for p, b in expected.items()
    }
    assert sum(len(b.objects) for b in batched.values()) == 24


def test_a_failing_folder_does_not_spoil_its_batch(tmp_path: Path, kustomizer: Kustomizer) -> None:
    tree = overlay_tree(tmp_path)

    builds = kustomizer.build_many([tree / "overlays/dev", tree / "overlays/prod", tree / "base"])

    assert [b.ok for b in builds.values()] == [True, False, True]
    assert "missing.yaml" in (builds[(tree / "overlays/prod").resolve()].error or "")
    assert builds[(tree / "base").resolve()].objects[0]["metadata"] == {"name": "settings"}


def test_clashing_folders_in_one_batch_still_build(tmp_path: Path, kustomizer: Kustomizer) -> None:
    """Two folders rendering the same object cannot share one tool run; each is built on its own instead."""
    tree = build_file_tree(
        tmp_path,
        {
            "a/kustomization.yaml": "resources: [cm.yaml]\n",
            "a/cm.yaml": CONFIGMAP,
            "b/kustomization.yaml": "resources: [cm.yaml]\n",
            "b/cm.yaml": CONFIGMAP,
        },
    )

    builds = kustomizer.build_many([tree / "a", tree / "b"])

    assert [len(b.objects) for b in builds.values()] == [1, 1]
