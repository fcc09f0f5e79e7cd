"""The render cache against the real kustomize: reuse only for unchanged inputs, shared by validate and the verifier."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from comind_scaffold import constants as c
from comind_scaffold._kustomize import Kustomizer, kustomize_command
from comind_scaffold._render_cache import RenderCache
from comind_scaffold.checks.expected import Expected
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.validation.run import validate
from tests.helpers_validate import build_file_tree, copy_fixture

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {LOG_LEVEL: %s}\n"
PATCH = "- op: add\n  path: /data/EXTRA\n  value: %s\n"


def tree(root: Path) -> Path:
    return build_file_tree(
        root,
        {
            "base/kustomization.yaml": "resources: [configmap.yaml]\n",
            "base/configmap.yaml": CONFIGMAP % "info",
            "overlays/dev/kustomization.yaml": (
                "namespace: shop-dev\nresources: [../../base]\n"
                "patches:\n  - path: extra.yaml\n    target: {kind: ConfigMap}\n"
            ),
            "overlays/dev/extra.yaml": PATCH % "one",
        },
    )


def render(folder: Path, cache: RenderCache) -> dict[str, str]:
    """Build with a fresh Kustomizer (as a new process would) and return the ConfigMap's data."""
    with Kustomizer(cache=cache) as kustomizer:
        result = kustomizer.build(folder)
    assert result.ok, result.error
    return result.objects[0]["data"]


def test_unchanged_inputs_are_served_from_the_cache(tmp_path: Path) -> None:
    root = tree(tmp_path / "src")
    cache = RenderCache(tmp_path / "cache")

    first = render(root / "overlays/dev", cache)
    second = render(root / "overlays/dev", cache)

    assert first == second == {"LOG_LEVEL": "info", "EXTRA": "one"}
    assert cache.hits == 1
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1


@pytest.mark.parametrize(
    ("rel", "content", "expected"),
    [
        # reached through ../../base
        ("base/configmap.yaml", CONFIGMAP % "debug", {"LOG_LEVEL": "debug", "EXTRA": "one"}),
        ("overlays/dev/extra.yaml", PATCH % "two", {"LOG_LEVEL": "info", "EXTRA": "two"}),  # a patch file
    ],
    ids=["base-file", "patch-file"],
)
def test_a_changed_input_anywhere_in_the_build_is_rendered_again(
    tmp_path: Path, rel: str, content: str, expected: dict[str, str]
) -> None:
    root = tree(tmp_path / "src")
    cache = RenderCache(tmp_path / "cache")
    render(root / "overlays/dev", cache)

    (root / rel).write_text(content)

    assert render(root / "overlays/dev", cache) == expected
    assert cache.hits == 0


def test_another_kustomize_binary_is_another_key(tmp_path: Path) -> None:
    root = tree(tmp_path / "src")
    cache = RenderCache(tmp_path / "cache")
    command = kustomize_command()

    assert cache.key(root / "overlays/dev", command) != cache.key(root / "overlays/dev", [*command[:1], "other"])


def test_remote_or_unreadable_builds_are_never_cached(tmp_path: Path) -> None:
    root = build_file_tree(
        tmp_path,
        {
            "remote/kustomization.yaml": "resources: [https://example.invalid/base]\n",
            "broken/kustomization.yaml": "resources: [unclosed\n",
        },
    )
    cache = RenderCache(tmp_path / "cache")

    assert cache.key(root / "remote", kustomize_command()) is None
    assert cache.key(root / "broken", kustomize_command()) is None


def test_failed_builds_are_not_stored(tmp_path: Path) -> None:
    root = build_file_tree(tmp_path / "src", {"bad/kustomization.yaml": "resources: [missing.yaml]\n"})
    cache = RenderCache(tmp_path / "cache")

    with Kustomizer(cache=cache) as kustomizer:
        assert not kustomizer.build(root / "bad").ok

    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").glob("*.json"))


def test_prune_removes_only_old_renders(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    old, fresh, foreign = folder / "old.json", folder / "fresh.json", folder / "notes.txt"
    for path in (old, fresh, foreign):
        path.write_text("[]")
    month_ago = time.time() - 30 * 24 * 3600
    os.utime(old, (month_ago, month_ago))
    os.utime(foreign, (month_ago, month_ago))

    assert RenderCache(folder).prune() == 1
    assert sorted(p.name for p in folder.iterdir()) == ["fresh.json", "notes.txt"]


def test_validate_fills_the_cache_the_verifier_reads(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "platform")
    repo = PlatformRepo(root)

    report = validate(root)
    expected = Expected(repo)
    rendered = expected.rendered

    assert report.ok, [r.line() for r in report.failures]
    assert (root / c.RENDER_CACHE_DIR).is_dir()
    assert expected.app_envs and set(rendered.objects) == {pair.namespace for pair in expected.app_envs}
    assert expected.render_cache_hits == len(expected.app_envs)
    again = validate(root)
    assert again.cached_builds == again.builds > 0
    assert [r.line() for r in again.results] == [r.line() for r in report.results]


def test_folders_digested_together_get_their_own_keys_and_see_later_edits(tmp_path: Path) -> None:
    """`keys` reads a shared base once, yet each key is that folder's own, and nothing is remembered after."""
    root = tree(tmp_path / "src")
    build_file_tree(root, {"overlays/prod/kustomization.yaml": "namespace: shop-prod\nresources: [../../base]\n"})
    folders = [root / "overlays/dev", root / "overlays/prod", root / "base"]
    cache, command = RenderCache(tmp_path / "cache"), kustomize_command()

    together, one_by_one = cache.keys(folders, command), [cache.key(f, command) for f in folders]
    build_file_tree(root, {"base/configmap.yaml": CONFIGMAP % "debug"})
    edited = cache.keys(folders, command)

    assert together == one_by_one
    assert len(set(together)) == 3 and None not in together
    assert all(before != after for before, after in zip(together, edited, strict=True))
    assert edited == [cache.key(f, command) for f in folders]
