"""Helpers for the verifier's tests: a platform repo rendered from the real templates, and moto's server.

`render_platform_repo` runs the real Copier templates (platform, then each app) so the verifier is tested
against what comind-ops generates, not against hand-written YAML.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from comind_scaffold.repo import PlatformRepo
from tests.components.require import skip_or_fail

ROOT = Path(__file__).resolve().parents[1]
PLATFORM = "demo"
ENVS = ("dev", "prod")
APPS: tuple[dict[str, Any], ...] = (
    {"app_name": "shop", "team": "backend", "image": "registry.invalid/demo/shop", "image_tag": "1.0.0",
     "with_database": True, "with_storage": True, "with_queue": True, "with_cache": True},
    {"app_name": "web", "team": "frontend", "image": "registry.invalid/demo/web", "image_tag": "2.1.0"},
)
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def _copier(dest: Path, data: Mapping[str, Any]) -> None:
    args = ["copier", "copy", "--trust", "--defaults", "--quiet"]
    for key, value in data.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        args += ["--data", f"{key}={text}"]
    proc = subprocess.run([*args, str(ROOT), str(dest)], capture_output=True, text=True,
                          env={**os.environ, **GIT_IDENTITY}, check=False, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"copier copy into {dest} failed:\n{proc.stderr[-2000:]}")


def render_platform_repo(dest: Path, apps: tuple[dict[str, Any], ...] = APPS,
                         envs: tuple[str, ...] = ENVS) -> PlatformRepo:
    """A platform repo rendered from templates/platform and templates/app (absolute paths, as comind passes)."""
    env_list = "[" + ", ".join(envs) + "]"
    _copier(dest, {"template": "platform", "platform_name": PLATFORM, "environments": env_list,
                   "redis_enabled": True, "elasticmq_enabled": True})
    for app in apps:
        target = dest / "apps" / app["app_name"]
        target.mkdir(parents=True)
        _copier(target, {"template": "app", "environments": env_list, **app})
    return PlatformRepo(dest)


@pytest.fixture(scope="session")
def platform_repo(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> PlatformRepo:
    """The demo platform with two apps (one using every service), rendered once per session."""
    if shutil.which("copier") is None or shutil.which("kubectl") is None:
        skip_or_fail("copier and kubectl are needed to render the demo platform", request.config)
    return render_platform_repo(tmp_path_factory.mktemp("platform") / PLATFORM)


def free_port() -> int:
    """A TCP port nothing listens on right now (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[str]:
    """moto's server (the AWS API emulator) on a loopback port, fresh for each test, with dummy credentials."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as err:
        skip_or_fail(f"moto[server] is not installed: {err}", request.config)
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-west-2"}.items():
        monkeypatch.setenv(key, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto keeps its state per process: start every test from an empty emulator
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30).close()
    try:
        yield endpoint
    finally:
        server.stop()
