"""The Argo CD configuration the platform template renders (the values Terraform passes to the argo-cd chart).

tests/test_argocd_platform.py runs the real controllers with exactly this configuration; here, without a
cluster, what it must contain, that both environments pass it, and what the controller gets from it.
"""

from __future__ import annotations

import re

import pytest

from comind_scaffold.repo import PlatformRepo
from tests.components.argocd import built_argocd_crds, platform_argocd_config, upstream_env
from tests.components.require import skip_or_fail
from tests.helpers_verify import platform_repo  # noqa: F401


def test_local_argocd_config_has_the_app_of_apps_health_check_and_its_pace(
        platform_repo: PlatformRepo) -> None:  # noqa: F811
    config = platform_argocd_config(platform_repo.root)
    lua = config["cm"]["resource.customizations.health.argoproj.io_Application"]
    assert "obj.status.health.status" in lua and "return hs" in lua
    seconds = re.fullmatch(r"(\d+)([sm])", config["cm"]["timeout.reconciliation"])
    assert seconds, config["cm"]["timeout.reconciliation"]
    # `comind sync` refreshes after a push; a period shorter than Argo CD's 120 s multiplies the periodic compares
    assert int(seconds[1]) * (60 if seconds[2] == "m" else 1) == 120
    assert config["params"]["controller.resource.health.persist"] == "true"
    assert 0 <= int(config["params"]["controller.sync.wave.delay.seconds"]) < 2  # Argo CD's default: 2
    # fewer than Argo CD's 20, so that refreshes of an Application waiting in the queue join (bench_gitops.py)
    assert 1 <= int(config["params"]["controller.status.processors"]) < 20


def test_only_local_sets_the_status_processors(platform_repo: PlatformRepo) -> None:  # noqa: F811
    """A local cluster has a couple of cores; an EKS platform keeps Argo CD's default for its node size."""
    aws = (platform_repo.root / "infra/terraform/environments/aws/platform.tf").read_text()
    shared = (platform_repo.root / "infra/terraform/argocd-values.yaml").read_text()
    assert "controller.status.processors" not in aws + shared


def test_aws_passes_the_same_values_file_to_the_chart(platform_repo: PlatformRepo) -> None:  # noqa: F811
    for tf in ("environments/aws/platform.tf", "environments/local/main.tf"):
        text = (platform_repo.root / "infra/terraform" / tf).read_text()
        assert 'values = [file("${path.module}/../../argocd-values.yaml")' in text, tf


def test_the_controller_gets_the_settings_as_the_upstream_manifest_maps_them(
        platform_repo: PlatformRepo, request: pytest.FixtureRequest) -> None:  # noqa: F811
    if built_argocd_crds() is None:
        skip_or_fail("Argo CD not built: run tests/testbin/build-argocd.sh", request.config)
    config = platform_argocd_config(platform_repo.root)
    env = upstream_env("argocd-application-controller",
                       {"argocd-cm": config["cm"], "argocd-cmd-params-cm": config["params"]})
    assert env["ARGOCD_RECONCILIATION_TIMEOUT"] == config["cm"]["timeout.reconciliation"]
    assert env["ARGOCD_APPLICATION_CONTROLLER_PERSIST_RESOURCE_HEALTH"] == "true"
    assert env["ARGOCD_SYNC_WAVE_DELAY"] == config["params"]["controller.sync.wave.delay.seconds"]
    assert env["ARGOCD_APPLICATION_CONTROLLER_STATUS_PROCESSORS"] == config["params"]["controller.status.processors"]
    repo_env = upstream_env("argocd-repo-server", {"argocd-cm": config["cm"]})
    assert repo_env == {"ARGOCD_RECONCILIATION_TIMEOUT": config["cm"]["timeout.reconciliation"]}


def test_no_kind_the_platform_deploys_is_excluded_from_argocd(platform_repo: PlatformRepo) -> None:  # noqa: F811
    """Argo CD never applies an excluded kind (the chart's default list has EndpointSlice, which the platform
    layer deploys on local): the platform's own list must leave out every kind its manifests hold."""
    import yaml

    exclusions = yaml.safe_load(platform_argocd_config(platform_repo.root)["cm"]["resource.exclusions"])
    excluded = {(group, kind) for rule in exclusions for group in rule["apiGroups"] for kind in rule["kinds"]}
    deployed: set[tuple[str, str]] = set()
    for path in [*platform_repo.root.glob("k8s/**/*.yaml"), *platform_repo.root.glob("apps/**/*.yaml")]:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc:
                group = doc["apiVersion"].rpartition("/")[0] if "/" in doc["apiVersion"] else ""
                deployed.add((group, doc["kind"]))
    assert ("discovery.k8s.io", "EndpointSlice") in deployed  # the reason for this test
    assert not deployed & excluded, sorted(deployed & excluded)
