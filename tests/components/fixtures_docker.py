"""Pytest plugin: the test Docker engine and the seed service containers.

Fixtures (session scope):

* ``docker_engine`` -> ``docker.DockerClient`` for the private engine (started with
  ``tests/testbin/setup-docker.sh`` when it is not running and we are root).
* ``service_images`` -> :class:`~tests.components.docker_stack.ImageSet` plus the S3 image tag,
  building missing images with ``build-images.sh`` unless ``COMIND_BUILD_IMAGES=0``.
* ``service_stack`` -> :class:`~tests.components.docker_stack.ServiceStack` with ``postgres``,
  ``s3`` (alias ``minio``), ``redis`` and ``elasticmq`` endpoints, all healthy, on 127.0.0.1.

When the engine or images cannot be had the fixtures call ``skip_or_fail`` (skip, or fail
under ``--require-real`` / ``COMIND_REQUIRE_REAL=1``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.components import docker_stack as ds
from tests.components.require import skip_or_fail


@pytest.fixture(scope="session")
def docker_engine(request: pytest.FixtureRequest) -> Any:
    try:
        client = ds.connect_engine()
    except ds.EngineUnavailable as exc:
        skip_or_fail(f"Docker engine: {exc}", request.config)
    try:
        ds.remove_stale(client)
    except Exception:  # noqa: BLE001 - best effort, never blocks a session
        pass
    return client


@pytest.fixture(scope="session")
def service_images(request: pytest.FixtureRequest, docker_engine: Any) -> tuple[ds.ImageSet, str]:
    build = os.environ.get("COMIND_BUILD_IMAGES", "1") != "0"
    try:
        return ds.resolve_images(docker_engine, build=build)
    except ds.ImageUnavailable as exc:
        skip_or_fail(f"service images: {exc}", request.config)


@pytest.fixture(scope="session")
def service_stack(
    request: pytest.FixtureRequest, docker_engine: Any, service_images: tuple[ds.ImageSet, str]
) -> Iterator[ds.ServiceStack]:
    images, s3_image = service_images
    try:
        stack = ds.start_stack(docker_engine, images=images, s3_image=s3_image)
    except ds.ServiceFailed as exc:
        pytest.fail(f"service stack failed to start: {exc}", pytrace=False)
    try:
        yield stack
    finally:
        ds.remove_session(docker_engine, stack.session)
