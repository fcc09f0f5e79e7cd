"""A black-holed cluster (the port accepts connections, nothing ever answers): one probe, one cause, no rendering."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from comind_scaffold import constants as c
from comind_scaffold.repo import PlatformRepo
from tests.helpers_verify import ROOT, platform_repo  # noqa: F401


@pytest.fixture
def black_holed_kubeconfig(tmp_path: Path) -> Iterator[Path]:
    """A kubeconfig whose API server is a loopback port that accepts connections (backlog) and never answers."""
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(64)
        server = {"server": f"https://127.0.0.1:{hole.getsockname()[1]}", "insecure-skip-tls-verify": True}
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "hole",
            "clusters": [{"name": "hole", "cluster": server}],
            "users": [{"name": "hole", "user": {"token": "none"}}],
            "contexts": [{"name": "hole", "context": {"cluster": "hole", "user": "hole"}}],
        }
        path = tmp_path / "hole.kubeconfig"
        path.write_text(yaml.safe_dump(config))
        yield path


def test_a_black_holed_cluster_is_one_failure_and_one_cause_for_every_dependent_check(
    platform_repo: PlatformRepo,  # noqa: F811
    black_holed_kubeconfig: Path,
    tmp_path: Path,
) -> None:
    cache = platform_repo.root / c.RENDER_CACHE_DIR
    before = set(cache.glob("*.json")) if cache.is_dir() else set()
    report = tmp_path / "report.json"

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            str(ROOT / "verify"),
            "-m",
            "cluster or gitops or apps",
            "--profile=local",
            f"--platform-dir={platform_repo.root}",
            f"--kubeconfig={black_holed_kubeconfig}",
            "--probe-timeout=1",
            f"--json={report}",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )

    assert proc.returncode == 1, proc.stdout[-3000:]
    tests = json.loads(report.read_text())["tests"]
    failed = [t for t in tests if t["status"] == "FAIL"]
    not_run = [t for t in tests if t["status"] == "SKIP"]
    assert len(failed) == 1, failed
    [probe] = failed[0]["results"]
    assert (probe["name"], probe["object"]) == ("cluster.reachable", "Kubernetes API")
    cause = probe["message"]
    assert "unreachable (no answer within 1s)" in cause, cause
    # every other check of the three layers: not run, for that same one-line cause
    assert {t["layer"] for t in not_run} == {"cluster", "gitops", "apps"}
    assert len(not_run) >= 2 * len(platform_repo.apps) * len(platform_repo.spec.environments)
    assert {t["message"] for t in not_run} == {f"not run: Kubernetes API unusable ({cause})"}
    assert "\n" not in cause
    # against an unreachable cluster there is nothing to compare with: no overlay was rendered
    assert (set(cache.glob("*.json")) if cache.is_dir() else set()) == before
