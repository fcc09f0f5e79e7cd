"""The kustomize worker (tools/kustomize-worker) against plain `kustomize build`: same objects, same errors."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from comind_scaffold._kustomize import WORKER_NAME, Kustomizer, kustomize_command, worker_binary
from comind_scaffold.repo import PlatformRepo
from tests.components.require import skip_or_fail
from tests.helpers_validate import CACHED_KUSTOMIZE, FIXTURE_PLATFORM, build_file_tree
from tests.helpers_verify import platform_repo  # noqa: F401

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {LOG_LEVEL: info, RETRIES: '3'}\n"


@pytest.fixture(scope="module")
def worker(request: pytest.FixtureRequest) -> str:
    found = worker_binary()
    if found is None:
        skip_or_fail(f"{WORKER_NAME} is not built: run tests/testbin/build-kustomize.sh", request.config)
    return found


@pytest.fixture(scope="module")
def plain_kustomize(request: pytest.FixtureRequest) -> str:
    found = shutil.which("kustomize") or (str(CACHED_KUSTOMIZE) if CACHED_KUSTOMIZE.is_file() else None)
    if found is None:
        skip_or_fail("kustomize is not built: run tests/testbin/build-kustomize.sh", request.config)
    return found


def plain_build(kustomize: str, folder: Path) -> tuple[list[dict[str, Any]], str]:
    """What `kustomize build FOLDER` prints, parsed the way the adapter parses it, and its stderr."""
    done = subprocess.run([kustomize, "build", str(folder)], capture_output=True, text=True, check=False)
    return [d for d in yaml.safe_load_all(done.stdout) if d is not None], done.stderr


def test_the_worker_renders_what_kustomize_build_prints(
    worker: str,
    plain_kustomize: str,
    platform_repo: PlatformRepo,  # noqa: F811
) -> None:
    """The generated platform (every app overlay, the platform layer, the app-of-apps) and the fixture platform."""
    folders = [
        *sorted(platform_repo.root.glob("apps/*/k8s/overlays/*")),
        *sorted(platform_repo.root.glob("k8s/platform/overlays/*")),
        platform_repo.root / "k8s/kustomize",
        *sorted(FIXTURE_PLATFORM.glob("apps/*/k8s/overlays/*")),
    ]

    with Kustomizer(command=[worker], workers=2) as kustomizer:
        builds = kustomizer.build_many(folders)

    assert len(builds) == len(folders) > 8
    for folder in folders:
        build = builds[folder.resolve()]
        assert build.ok, build.error
        assert list(build.objects) == plain_build(plain_kustomize, folder)[0], folder


def test_the_worker_fails_with_kustomizes_own_error_line(worker: str, plain_kustomize: str, tmp_path: Path) -> None:
    tree = build_file_tree(
        tmp_path,
        {
            "ok/kustomization.yaml": "resources: [cm.yaml]\n",
            "ok/cm.yaml": CONFIGMAP,
            "missing/kustomization.yaml": "resources: [cm.yaml, gone.yaml]\n",
            "missing/cm.yaml": CONFIGMAP,
            "bad-patch/kustomization.yaml": "resources: [../ok]\npatches: [{path: nope.yaml}]\n",
        },
    )
    folders = [tree / "missing", tree / "ok", tree / "bad-patch"]
    with (
        Kustomizer(command=[worker], workers=1) as served,
        Kustomizer(command=[plain_kustomize, "build"], workers=1, batch_size=1) as separate,
    ):
        got, want = served.build_many(folders), separate.build_many(folders)

    assert {p: (b.objects, b.error) for p, b in got.items()} == {p: (b.objects, b.error) for p, b in want.items()}
    assert "gone.yaml" in (got[(tree / "missing").resolve()].error or "")
    assert got[(tree / "ok").resolve()].objects[0]["data"] == {"LOG_LEVEL": "info", "RETRIES": "3"}


def test_a_build_that_sets_an_openapi_schema_does_not_leak_into_the_next(
    worker: str, plain_kustomize: str, tmp_path: Path
) -> None:
    """kustomize keeps a custom schema process-wide: the worker ends after such a build, a fresh one goes on."""
    tree = build_file_tree(
        tmp_path,
        {
            "pinned/kustomization.yaml": "openapi: {path: schema.json}\nnamespace: a\nresources: [cm.yaml]\n",
            "pinned/schema.json": '{"definitions": {}}\n',
            "pinned/cm.yaml": CONFIGMAP,
            "plain/kustomization.yaml": "namespace: b\nresources: [cm.yaml]\n",
            "plain/cm.yaml": CONFIGMAP,
        },
    )

    with Kustomizer(command=[worker], workers=1) as kustomizer:
        pinned = kustomizer.build(tree / "pinned")
        ended = kustomizer._idle.get()
        assert ended.proc.wait(timeout=10) == 0
        kustomizer._idle.put(ended)
        plain = kustomizer.build(tree / "plain")

    assert list(pinned.objects) == plain_build(plain_kustomize, tree / "pinned")[0]
    assert list(plain.objects) == plain_build(plain_kustomize, tree / "plain")[0]
    assert plain.objects[0]["metadata"]["namespace"] == "b"


def test_a_worker_that_died_is_replaced(worker: str, tmp_path: Path) -> None:
    tree = build_file_tree(
        tmp_path,
        {f"{name}/kustomization.yaml": "resources: [../base]\n" for name in ("a", "b")}
        | {"base/kustomization.yaml": "resources: [cm.yaml]\n", "base/cm.yaml": CONFIGMAP},
    )
    with Kustomizer(command=[worker], workers=1) as kustomizer:
        first = kustomizer.build(tree / "a")
        idle = kustomizer._idle.get()
        os.kill(idle.proc.pid, signal.SIGKILL)
        idle.proc.wait()
        kustomizer._idle.put(idle)

        second = kustomizer.build(tree / "b")

    assert first.ok and second.ok, second.error
    assert second.objects == first.objects


def test_the_worker_is_preferred_when_installed(worker: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMIND_KUSTOMIZE", raising=False)
    monkeypatch.setenv("COMIND_KUSTOMIZE_WORKER", worker)
    assert kustomize_command() == [worker]

    monkeypatch.setenv("COMIND_KUSTOMIZE", "kubectl")  # an explicit choice still wins
    assert kustomize_command()[1:] == ["kustomize"]
