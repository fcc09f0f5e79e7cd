"""comind_scaffold/_copier_speed.py: what it patches renders exactly what Copier does unpatched, only on the Copier
versions it was written against, and its Jinja compile cache never hands one environment another's code."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from jinja2 import Environment

from comind_scaffold import _copier_speed
from tests.helpers_scaffold import GIT_IDENTITY, REPO_ROOT, commit_all, git, make_template_repo, snapshot

COMIND = shutil.which("comind", path=str(Path(sys.executable).parent))


@pytest.mark.parametrize(
    ("release", "fits"),
    [("9.15.0", True), ("9.19.1", True), ("9.19.2.dev3", True), ("9.14.9", False), ("9.20.0", False),
     ("10.0.0", False), ("8.3.0", False), ("unknown", False)],
)
def test_supported_releases(release: str, fits: bool) -> None:
    assert _copier_speed.supported(release) is fits


def test_pyproject_allows_exactly_the_supported_copier_releases() -> None:
    found = re.search(r'"copier>=(\d+)\.(\d+),<(\d+)\.(\d+)"', (REPO_ROOT / "pyproject.toml").read_text())
    assert found, "pyproject.toml pins copier as >=X.Y,<X.Z"
    low, high = (int(found[1]), int(found[2])), (int(found[3]), int(found[4]))
    assert (low, high) == _copier_speed.SUPPORTED_COPIER


def _patched_in_a_fresh_process(setup: str, **env: str) -> str:
    code = (
        "from jinja2 import Environment\nfrom copier import _template\nfrom copier._main import Worker\n"
        f"from comind_scaffold import _copier_speed\n{setup}\n"
        "print(_copier_speed.install(), hasattr(Environment.compile, '_comind_memoised'),"
        " hasattr(_template.clone, '_comind_shared'),"
        " hasattr(Worker._sync_git_index_executable_bit, '_comind_memoised'))"
    )
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_nothing_is_patched_on_another_copier_release_or_when_switched_off() -> None:
    assert _patched_in_a_fresh_process("") == "True True True True"
    assert _patched_in_a_fresh_process("_copier_speed.version = lambda name: '9.14.0'") == "False False False False"
    assert _patched_in_a_fresh_process("_copier_speed.version = lambda name: '9.20.0'") == "False False False False"
    assert _patched_in_a_fresh_process("", COMIND_COPIER_SPEEDUPS="off") == "False False False False"


SOURCE = "{{ x }}|{{ 'a' | upper }}|{% if x %}\n  yes\n{% endif %}<% x %>"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, "1|A|\n  yes\n<% x %>"),
        ({"finalize": lambda value: f"<{value}>"}, "<1>|<A>|\n  yes\n<% x %>"),
        ({"trim_blocks": True, "lstrip_blocks": True}, "1|A|  yes\n<% x %>"),
        ({"variable_start_string": "<%", "variable_end_string": "%>"}, "{{ x }}|{{ 'a' | upper }}|\n  yes\n1"),
        ({"filters": {"upper": lambda value: "Z"}}, "1|Z|\n  yes\n<% x %>"),
    ],
    ids=["default", "finalize", "trim", "syntax", "filter"],
)
def test_each_environment_gets_code_compiled_for_its_own_configuration(
    settings: dict[str, object], expected: str
) -> None:
    assert _copier_speed.install() and getattr(Environment.compile, "_comind_memoised", False)
    filters = settings.pop("filters", {})
    for _ in range(2):  # the second compile of the same source in a like environment comes from the cache
        environment = Environment(**settings)  # type: ignore[arg-type]
        environment.filters.update(filters)  # type: ignore[call-overload]
        assert environment.from_string(SOURCE).render(x=1) == expected


def test_an_async_environment_gets_async_code() -> None:
    assert _copier_speed.install()
    Environment().from_string(SOURCE).render(x=1)  # the same source compiled for a sync environment first
    template = Environment(enable_async=True).from_string(SOURCE)
    assert asyncio.run(template.render_async(x=1)) == "1|A|\n  yes\n<% x %>"


def test_the_key_is_shared_by_like_environments_only() -> None:
    first, second = Environment(), Environment()
    assert _copier_speed.environment_key(first) == _copier_speed.environment_key(second)
    second.filters["upper"] = str.lower
    assert _copier_speed.environment_key(first) != _copier_speed.environment_key(second)
    assert _copier_speed.environment_key(Environment(enable_async=True)) != _copier_speed.environment_key(first)


# Each platform is made by comind processes with the speed-ups on, the other's with them off.
APPS = [
    ["new-app", "alpha", "--team", "payments", "--with-database", "--with-queue", "--replicas", "prod=3"],
    ["new-app", "beta", "--team", "web", "--env", "dev", "--env", "prod", "--with-cache"],
]


def _comind(cwd: Path, *args: str, speedups: bool) -> None:
    env = {**os.environ, **GIT_IDENTITY, "COMIND_COPIER_SPEEDUPS": "on" if speedups else "off"}
    assert COMIND, "the comind console script is not installed (make venv)"
    done = subprocess.run([COMIND, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_patched_and_unpatched_renders_are_byte_equal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):  # equal trees make equal commits in both platforms
        monkeypatch.setenv(variable, "2026-01-01T00:00:00Z")
    template = make_template_repo(tmp_path / "template")
    platforms = {True: tmp_path / "patched/platform", False: tmp_path / "unpatched/platform"}
    for speedups, platform in platforms.items():
        platform.parent.mkdir()
        _comind(platform.parent, "init", platform.name, "--template", str(template), "--vcs-ref", "v1.0.0",
                "--data", "platform_name=acme", "--data", "teams=[platform, payments, web]",
                "--data", "redis_enabled=true", "--data", "elasticmq_enabled=true", speedups=speedups)
        git(platform, "init", "-q", "-b", "main")
        commit_all(platform, "platform")
        for app in APPS:
            _comind(platform, *app, speedups=speedups)
            commit_all(platform, app[1])
    created = snapshot(platforms[True])
    assert created == snapshot(platforms[False])
    assert "apps/alpha/k8s/base/resourcequota.yaml" in created and "Makefile" in created

    deployment = template / "templates/app/k8s/base/deployment.yaml.jinja"
    deployment.write_text(deployment.read_text().replace("revisionHistoryLimit: 5", "revisionHistoryLimit: 7", 1))
    commit_all(template, "template v1.1.0")
    git(template, "tag", "v1.1.0")
    for speedups, platform in platforms.items():
        _comind(platform, "update", "--all", "--jobs", "2", speedups=speedups)
    updated = snapshot(platforms[True])
    assert updated == snapshot(platforms[False])
    assert b"revisionHistoryLimit: 7" in updated["apps/beta/k8s/base/deployment.yaml"]
    assert updated != created
