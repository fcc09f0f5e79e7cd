"""Pytest fixture: the real sealed-secrets controller on the session's control plane.

Import it into a test module (``from tests.components.fixtures_sealed_secrets import sealed_secrets``).
A missing build skips (fails under --require-real) with "run tests/testbin/build-sealed-secrets.sh";
a controller that is built but does not start is an error, never a skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.components.kube import KubeCluster, MissingBinaryError
from tests.components.require import skip_or_fail
from tests.components.sealed_secrets import SealedSecretsController, find_controller


@pytest.fixture(scope="session")
def sealed_secrets(request: pytest.FixtureRequest, kube_cluster: KubeCluster,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[SealedSecretsController]:
    """The controller (namespace sealed-secrets, its own ServiceAccount and the chart's RBAC), started once."""
    try:
        binary, crd = find_controller()
    except MissingBinaryError as exc:
        skip_or_fail(str(exc), request.config)
    workdir = Path(tmp_path_factory.mktemp("sealed-secrets"))
    controller = SealedSecretsController(kube_cluster, binary, crd, workdir).start()
    try:
        yield controller
    finally:
        controller.stop()
