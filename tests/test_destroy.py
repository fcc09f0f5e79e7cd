"""`comind destroy`: refuses without --yes, lists with --dry-run, and removes only what comind made.

The environment's Terraform runs for real on a provider-less stand-in of environments/local (k3d, helm and the
kubernetes provider cannot be had here); an applied app's Terraform runs against the real services and control
plane; the Docker part runs against the real engine and service images.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from comind_scaffold._docker import DockerEngine
from comind_scaffold._kube import KubeClient
from comind_scaffold._terraform import find_binary
from comind_scaffold.destroy import destroy
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.services.kinds import owned_labels
from comind_scaffold.services.manager import up
from tests.components import docker_stack as ds
from tests.helpers_seal import copy_platform, tree
from tests.helpers_services import (
    foreign_container,
    image_refs,
    run_cli,
    services_yaml,
    unique_platform,
    write_platform,
)

STAND_IN = 'resource "terraform_data" "cluster" {\n  input = "k3d stand-in"\n}\n'


def test_without_yes_nothing_happens(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    platform = copy_platform(tmp_path / "platform")
    before = tree(platform)
    code, out, err = run_cli(capsys, "destroy", "--platform-dir", str(platform))
    assert (code, out) == (2, "")
    assert err.strip() == ("error: --yes: required: destroy removes the local cluster, every app's infrastructure "
                           "and the local services with their data; --dry-run lists what it would remove")
    code, _, err = run_cli(capsys, "destroy", "--profile", "gcp", "--yes", "--platform-dir", str(platform))
    assert (code, err.strip()) == (2, "error: --profile: 'gcp' must be one of local, aws")
    assert tree(platform) == before


def test_dry_run_lists_and_keeps_everything(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    platform = copy_platform(tmp_path / "platform")
    (platform / ".comind").mkdir()
    (platform / ".comind" / "kubeconfig-aws").write_text("apiVersion: v1\n")
    before = tree(platform)
    code, out, err = run_cli(capsys, "destroy", "--profile", "aws", "--dry-run", "--json", "--platform-dir",
                             str(platform))
    assert code == 0, err
    steps = {s["what"]: (s["outcome"], s["detail"]) for s in json.loads(out)["steps"]}
    assert steps["terraform apps/orders-api/terraform/aws [prod]"] == (
        "absent", "no infra/terraform/backend.hcl: never bootstrapped on aws")
    assert steps["terraform infra/terraform/environments/aws"][0] == "absent"
    assert steps[".comind/kubeconfig-aws"] == ("planned", "comind's local file of this profile")
    (platform / "infra/terraform/backend.hcl").write_text('bucket = "b"\n')
    code, out, _ = run_cli(capsys, "destroy", "--profile", "aws", "--dry-run", "--json", "--platform-dir",
                           str(platform))
    steps = {s["what"]: s["outcome"] for s in json.loads(out)["steps"]}
    assert steps["terraform apps/orders-api/terraform/aws [prod]"] == "planned"
    assert steps["terraform infra/terraform/environments/aws"] == "planned"
    (platform / "infra/terraform/backend.hcl").unlink()
    assert tree(platform) == before


@pytest.mark.terraform
def test_environment_state_is_destroyed_by_terraform(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    find_binary()
    platform = copy_platform(tmp_path / "platform")
    env = platform / "infra/terraform/environments/local"
    for tf_file in env.glob("*.tf"):
        tf_file.unlink()
    (env / "main.tf").write_text(STAND_IN)
    subprocess.run([find_binary(), "init", "-input=false", "-no-color"], cwd=env, check=True, capture_output=True)
    subprocess.run([find_binary(), "apply", "-auto-approve", "-input=false", "-no-color"], cwd=env, check=True,
                   capture_output=True)
    state = json.loads((env / "terraform.tfstate").read_text())
    assert [r["type"] for r in state["resources"]] == ["terraform_data"]
    (platform / ".comind").mkdir()
    (platform / ".comind" / "kubeconfig-local").write_text("apiVersion: v1\n")
    (platform / ".comind" / "sealed-secrets-local.pem").write_text("cert\n")
    (platform / ".comind" / "bootstrap-state.json").write_text('{"profile": "aws", "completed": []}\n')

    report = destroy(PlatformRepo(platform), "local", dry_run=True, keep_services=True)
    assert [(s.what, s.outcome) for s in report.steps if s.outcome != "absent"] == [
        ("terraform infra/terraform/environments/local", "planned"),
        (".comind/kubeconfig-local", "planned"), (".comind/sealed-secrets-local.pem", "planned")]

    code, out, err = run_cli(capsys, "destroy", "--yes", "--keep-services", "--platform-dir", str(platform))
    assert code == 0, err
    assert "removed  terraform infra/terraform/environments/local: 1 destroyed" in out
    assert json.loads((env / "terraform.tfstate").read_text())["resources"] == []
    assert not (platform / ".comind" / "kubeconfig-local").exists()
    assert not (platform / ".comind" / "sealed-secrets-local.pem").exists()
    assert (platform / ".comind" / "bootstrap-state.json").exists()  # the aws profile's record stays
    # A second run finds nothing left.
    code, out, _ = run_cli(capsys, "destroy", "--yes", "--keep-services", "--platform-dir", str(platform))
    assert code == 0 and "0 removed" in out


@pytest.mark.docker
def test_local_services_go_by_label_only(tmp_path: Path, docker_engine: Any, service_images: tuple[ds.ImageSet, str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", ds.docker_host())
    engine = DockerEngine(ds.docker_host())
    name = unique_platform("d")
    repo = write_platform(tmp_path / "platform", services_yaml(name, image_refs(*service_images),
                                                               enabled=("postgresql",)))
    (repo.root / "infra/terraform/environments/local").mkdir(parents=True)
    labels = owned_labels(name)
    with foreign_container(engine._client, f"{name}-postgresql-not-ours", service_images[0].postgres):
        try:
            up(repo, engine=engine)
            ours = [s.name for s in engine.containers(labels)]
            assert ours and engine.volumes(labels)
            report = destroy(repo, "local", yes=True)
            removed = [s.what for s in report.steps if s.outcome == "removed"]
            assert {f"container {n}" for n in ours} <= set(removed)
            assert engine.containers(labels) == [] and engine.volumes(labels) == []
            assert engine._client.containers.get(f"{name}-postgresql-not-ours").status == "created"
        finally:
            from comind_scaffold.services.manager import clean

            clean(repo, engine=engine)
            engine.close()


@pytest.mark.terraform
@pytest.mark.docker
@pytest.mark.cluster
@pytest.mark.slow
def test_an_applied_app_is_destroyed_first(tmp_path: Path, service_stack: Any, provider_mirror: Path,
                                           kube_cluster: Any) -> None:
    import shutil

    import psycopg

    from comind_scaffold.tf import tf
    from tests.helpers_terraform import app_answers
    from tests.helpers_terraform import write_platform as write_tf_platform

    repo = write_tf_platform(tmp_path, service_stack, app_answers("shop"))
    shutil.copy(kube_cluster.kubeconfig, repo.root / ".comind" / "kubeconfig-local")  # what bootstrap writes
    assert tf(repo, "shop", "dev", "apply", kubeconfig=kube_cluster.kubeconfig).changed
    pg = service_stack.postgres

    def databases() -> set[str]:
        with psycopg.connect(host="127.0.0.1", port=pg.port, user=pg.credentials["username"],
                             password=pg.credentials["password"], dbname="postgres", connect_timeout=10) as conn:
            return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}

    assert "shop_dev" in databases()
    with KubeClient(str(kube_cluster.kubeconfig)) as kube:
        assert kube.get("Secret", "shop-infra", "shop-dev") is not None
    try:
        # The shared test services carry this platform's name: --keep-services leaves them to their fixture.
        report = destroy(repo, "local", yes=True, keep_services=True)
        steps = {s.what: (s.outcome, s.detail) for s in report.steps}
        outcome, detail = steps["terraform apps/shop/terraform/local [dev]"]
        assert outcome == "removed" and detail.startswith("shop [dev, local]: ") and " 0 destroyed" not in detail
        assert steps["terraform infra/terraform/environments/local"][0] == "absent"
        assert steps[".comind/kubeconfig-local"][0] == "removed"
        assert "shop_dev" not in databases()
        with KubeClient(str(kube_cluster.kubeconfig)) as kube:
            assert kube.get("Secret", "shop-infra", "shop-dev") is None
    finally:
        if "shop_dev" in databases():
            tf(repo, "shop", "dev", "destroy", kubeconfig=kube_cluster.kubeconfig)
