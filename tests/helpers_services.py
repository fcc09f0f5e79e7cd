"""Platform trees for the services tests: answers, services.yaml pointing at the test images, and apps."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from comind_scaffold import service_catalog as catalog
from comind_scaffold.cli import main
from comind_scaffold.repo import PlatformRepo
from tests.components import docker_stack as ds

SERVICES = catalog.NAMES


def unique_platform(tag: str) -> str:
    """A platform name no real user has, so container and volume names never collide."""
    return f"ct{tag}{os.getpid() % 10000}{secrets.token_hex(2)}"


def image_refs(images: ds.ImageSet, s3_image: str) -> dict[str, tuple[str, str]]:
    """Service -> (image, version) of the locally built test images."""
    refs = {"postgresql": images.postgres, "minio": s3_image, "redis": images.redis, "elasticmq": images.elasticmq}
    return {name: (ref.rpartition(":")[0], ref.rpartition(":")[2]) for name, ref in refs.items()}


def services_yaml(platform: str, refs: Mapping[str, tuple[str, str]], enabled: tuple[str, ...] = SERVICES,
                  **overrides: Any) -> dict[str, Any]:
    """A services.yaml on free loopback ports; `overrides` replaces keys of one service (`redis={...}`)."""
    taken: set[int] = set()

    def port() -> int:
        chosen = ds.free_port(avoid=taken)
        taken.add(chosen)
        return chosen

    services: dict[str, Any] = {}
    for name in SERVICES:
        image, version = refs[name]
        entry: dict[str, Any] = {"enabled": name in enabled, "image": image, "version": version, "port": port()}
        if name == catalog.MINIO.name:
            entry["console_port"] = port()
        if name == catalog.POSTGRESQL.name:
            entry["database"] = f"{platform}_dev".replace("-", "_")
        entry.update(overrides.get(name, {}))
        services[name] = entry
    return {"platform": platform, "bind_address": "127.0.0.1", "network_mode": "host", "services": services}


def write_platform(root: Path, services: Mapping[str, Any], apps: Mapping[str, Mapping[str, Any]] = {}) -> PlatformRepo:
    """A platform repository with `services` as services.yaml and one answers file per app."""
    (root / "infra/docker/registry").mkdir(parents=True, exist_ok=True)
    (root / ".copier-answers.yml").write_text(yaml.safe_dump({"platform_name": services["platform"]}))
    (root / "infra/docker/registry/services.yaml").write_text(yaml.safe_dump(dict(services), sort_keys=False))
    for name, answers in apps.items():
        (root / "apps" / name).mkdir(parents=True, exist_ok=True)
        data = {"app_name": name, "team": "backend", **answers}
        (root / "apps" / name / ".copier-answers.yml").write_text(yaml.safe_dump(data))
    return PlatformRepo(root)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `comind ARGS` in-process; returns (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    """Exit 2, no traceback, and the error line names every needle."""
    assert code == 2, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    for needle in needles:
        assert needle in errors[0], errors[0]


@contextmanager
def foreign_container(client: Any, name: str, image: str) -> Iterator[Any]:
    """A container called `name` that comind did not create (no labels); removed afterwards by its id."""
    container = client.containers.create(image, name=name, network_mode="host", entrypoint=["true"])
    try:
        yield container
    finally:
        container.remove(force=True)
