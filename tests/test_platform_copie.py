"""pytest-copie matrix over the platform answers, through the root dispatcher exactly as Copier users run it."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from comind_scaffold.specs import load_platform_spec, load_services_spec

MATRIX = [
    {"default_profile": profile, "redis_enabled": redis, "elasticmq_enabled": sqs, "environments": envs}
    for profile in ("local", "aws")
    for redis, sqs in ((False, False), (True, True))
    for envs in (["dev"], ["dev", "stage", "prod"])
]


@pytest.mark.parametrize("answers", MATRIX, ids=lambda a: "-".join(str(v) for v in a.values()).replace(" ", ""))
def test_platform_renders_for_every_profile_feature_and_environment_set(copie: Any, answers: dict[str, Any]) -> None:
    result = copie.copy(extra_answers={"template": "platform", **answers})

    assert result.exit_code == 0, result.exception
    root = result.project_dir
    spec = load_platform_spec(root / ".copier-answers.yml")
    assert (spec.default_profile, spec.environments) == (answers["default_profile"], answers["environments"])
    services = load_services_spec(root / "infra/docker/registry/services.yaml")
    assert services.services["redis"].enabled is answers["redis_enabled"]
    assert services.services["elasticmq"].enabled is answers["elasticmq_enabled"]
    for env in answers["environments"]:
        built = subprocess.run(
            ["kubectl", "kustomize", str(root / "k8s/platform/overlays" / env)], capture_output=True, text=True
        )
        assert built.returncode == 0, built.stderr
        assert f"name: platform-{env}" in built.stdout
        assert ("name: redis" in built.stdout) is answers["redis_enabled"]
    assert sorted(p.name for p in (root / "k8s/platform/overlays").iterdir()) == sorted(answers["environments"])
