"""`comind bootstrap` against the real control plane standing in for an existing cluster.

This control plane has Argo CD's CRDs but runs no Argo CD, so nothing ever reports the root app Synced: here the
wait phase always runs out of budget (which is itself tested), and the phases before it, the state file and
resuming are checked up to that point. A bootstrap that ends with everything Synced and Healthy, a second run that
changes nothing and the wait running out on a Progressing app run against real Argo CD in
tests/test_argocd_platform.py. Nothing writes Application status.
"""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from comind_scaffold.bootstrap.options import BootstrapOptions
from comind_scaffold.bootstrap.phases import phase_services
from comind_scaffold.bootstrap.preflight import check_port_free, preflight
from comind_scaffold.bootstrap.run import PhaseResult, bootstrap
from comind_scaffold.bootstrap.state import STATE_FILE, read_state
from comind_scaffold.cli import main
from comind_scaffold.errors import ValidationFailed
from comind_scaffold.models import Status
from comind_scaffold.repo import PlatformRepo
from tests.helpers_terraform import PLATFORM_ANSWERS, REPO_ROOT

ROOT_APP = "comind-ops-root"


def _platform(root: Path) -> PlatformRepo:
    """A platform repository holding the repo's own rendered root app and its AppProject."""
    (root / ".copier-answers.yml").write_text(yaml.safe_dump({**PLATFORM_ANSWERS, "template": "platform"}))
    services = root / "infra" / "docker" / "registry" / "services.yaml"
    services.parent.mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / "infra" / "docker" / "registry" / "services.yaml", services)
    (root / "k8s" / "kustomize" / "projects").mkdir(parents=True)
    for name in ("root-app.yaml", f"projects/{ROOT_APP}.yaml"):
        shutil.copyfile(REPO_ROOT / "k8s" / "kustomize" / name, root / "k8s" / "kustomize" / name)
    return PlatformRepo(root)


@pytest.fixture
def platform(tmp_path: Path) -> PlatformRepo:
    return _platform(tmp_path)


def _run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# --------------------------------------------------------------------------- preflight and bad input


def test_unreachable_cluster_fails_preflight_in_one_line(platform: PlatformRepo, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "dead",
        "clusters": [{"name": "dead", "cluster": {"server": f"https://127.0.0.1:{port}",
                                                  "insecure-skip-tls-verify": True}}],
        "users": [{"name": "dead", "user": {"token": "none"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "dead"}}],
    }))
    code, out = _run_cli(capsys, "bootstrap", "--existing-cluster", "--skip-services", "--kubeconfig",
                         str(kubeconfig), "--platform-dir", str(platform.root))
    assert code == 1
    failures = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(failures) == 1, out
    assert failures[0].startswith(f"FAIL cluster.reachable cluster {kubeconfig}: API server https://127.0.0.1:{port}")
    assert "Traceback" not in out
    assert not (platform.root / STATE_FILE).exists()


def test_missing_tools_each_fail_on_their_own_line(platform: PlatformRepo, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    monkeypatch.setenv("PATH", str(empty_path))
    with pytest.raises(ValidationFailed) as caught:
        bootstrap(platform, BootstrapOptions(profile="local", skip_services=True))
    failed = {r.object: r.message for r in caught.value.results if r.status is Status.FAIL}
    assert {name: failed.get(f"tool {name}") for name in ("kubectl", "terraform", "helm", "k3d")} == {
        name: "not found on PATH" for name in ("kubectl", "terraform", "helm", "k3d")
    }


def test_aws_without_credentials_fails_preflight(platform: PlatformRepo, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    results = preflight(platform, BootstrapOptions(profile="aws"))
    assert [r.line() for r in results if r.name == "aws.credentials"] == [
        "FAIL aws.credentials AWS credentials: none found (hint: set AWS_PROFILE or "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`)"
    ]


def test_busy_port_names_the_port() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        result = check_port_free("ingress http", port)
    assert result.status is Status.FAIL
    assert result.object == f"port 127.0.0.1:{port} (ingress http)"
    assert result.message.startswith("already in use")


@pytest.mark.parametrize(("args", "field"), [
    (["--budget", "wait=soon"], "--budget"),
    (["--budget", "nap=3"], "--budget"),
    (["--profile", "gcp"], "profile"),
    (["--kubeconfig", "/nonexistent/kubeconfig"], "kubeconfig"),
])
def test_bad_input_exits_2_with_one_line(platform: PlatformRepo, capsys: pytest.CaptureFixture[str],
                                         args: list[str], field: str) -> None:
    code, out = _run_cli(capsys, "bootstrap", "--existing-cluster", "--platform-dir", str(platform.root), *args)
    lines = [line for line in out.splitlines() if line.strip()]
    assert (code, len(lines)) == (2, 1), out
    assert lines[0].startswith(f"error: {field}: ")
    assert not (platform.root / STATE_FILE).exists()


# --------------------------------------------------------------------------- against the control plane


@pytest.fixture
def cluster(argocd_cluster: Any) -> Iterator[Any]:
    """The session's control plane with an `argocd` namespace and no root app or project left over."""
    from kubernetes import client

    names = {n.metadata.name for n in client.CoreV1Api(argocd_cluster.api_client).list_namespace().items}
    if "argocd" not in names:
        argocd_cluster.create_namespace("argocd")
    # a control plane just started on a loaded machine may still answer 429 (API priority and fairness settling)
    argocd_cluster.wait_for("Applications to be served", lambda: argocd_cluster.request(
        "GET", "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications")[0] == 200, timeout=60, interval=0.5)
    yield argocd_cluster
    argocd_cluster.kubectl("delete", "-n", "argocd", "application", ROOT_APP, "appproject", ROOT_APP,
                           "--ignore-not-found", "--wait=false", check=False)


def _options(cluster: Any, **extra: Any) -> BootstrapOptions:
    base = {"profile": "local", "existing_cluster": True, "kubeconfig": cluster.kubeconfig, "skip_services": True,
            "poll_interval": 0.2}
    return BootstrapOptions(**{**base, **extra})


NO_ARGOCD_WAIT = 0.5  # seconds: nothing will report the root app Synced on this control plane


def _run_until_wait_fails(platform: PlatformRepo, cluster: Any, **extra: Any) -> tuple[list[PhaseResult], str]:
    """Bootstrap with a short wait budget: the phases recorded, and the wait's failure line for the root app (the
    session's control plane may hold other tests' Applications, none reconciled either)."""
    seen: list[PhaseResult] = []
    with pytest.raises(ValidationFailed) as caught:
        bootstrap(platform, _options(cluster, budgets={"wait": NO_ARGOCD_WAIT}, **extra), on_phase=seen.append)
    lines = [r.line() for r in caught.value.results if r.object == f"Application argocd/{ROOT_APP}"]
    assert len(lines) == 1, [r.line() for r in caught.value.results]
    return seen, lines[0]


@pytest.mark.cluster
def test_phases_run_in_order_and_the_wait_names_the_root_app_nothing_reconciles(
        platform: PlatformRepo, cluster: Any) -> None:
    seen, line = _run_until_wait_fails(platform, cluster)
    assert [(p.phase, p.outcome) for p in seen] == [
        ("preflight", "unchanged"), ("services", "skipped"), ("cluster", "skipped"), ("root-app", "done")]
    assert line == (f"FAIL application.synced_healthy Application argocd/{ROOT_APP}: sync=Unknown health=Unknown "
                    "(hint: see `argocd app get` / the Argo CD UI)")
    app = cluster.get_application(ROOT_APP)
    assert app["spec"]["source"]["path"] == "k8s/kustomize"
    assert "status" not in app or not app["status"], "something wrote the root app's status"
    state = json.loads((platform.root / STATE_FILE).read_text())
    assert (state["completed"], state["finished"]) == (["preflight", "services", "cluster", "root-app"], False)


@pytest.mark.cluster
def test_interrupted_run_resumes_after_its_last_completed_phase(platform: PlatformRepo, cluster: Any) -> None:
    _run_until_wait_fails(platform, cluster)
    before = cluster.get_application(ROOT_APP)["metadata"]["resourceVersion"]
    resumed, _ = _run_until_wait_fails(platform, cluster)
    assert {p.phase: p.outcome for p in resumed} == {
        "preflight": "unchanged", "services": "resumed", "cluster": "resumed", "root-app": "resumed"}
    assert cluster.get_application(ROOT_APP)["metadata"]["resourceVersion"] == before
    assert read_state(platform)["finished"] is False


@pytest.mark.cluster
def test_dry_run_plans_and_changes_nothing(platform: PlatformRepo, cluster: Any,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run_cli(capsys, "bootstrap", "--dry-run", "--existing-cluster", "--skip-services",
                         "--kubeconfig", str(cluster.kubeconfig), "--platform-dir", str(platform.root))
    assert code == 0, out
    assert "would apply comind-ops-root.yaml, root-app.yaml" in out
    assert "would wait up to 900 s" in out
    listed = cluster.kubectl("get", "-n", "argocd", "application", ROOT_APP, "--ignore-not-found", "-o", "name")
    assert listed.stdout.strip() == ""
    assert not (platform.root / STATE_FILE).exists()


@pytest.mark.cluster
def test_run_stopped_by_ctrl_c_resumes_at_the_phase_it_was_in(platform: PlatformRepo, cluster: Any) -> None:
    def stop_at_root_app(message: str) -> None:
        if message == "root-app…":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bootstrap(platform, _options(cluster), progress=stop_at_root_app)
    assert read_state(platform)["completed"] == ["preflight", "services", "cluster"]
    resumed, _ = _run_until_wait_fails(platform, cluster)
    assert {p.phase: p.outcome for p in resumed} == {
        "preflight": "unchanged", "services": "resumed", "cluster": "resumed", "root-app": "done"}


@pytest.mark.cluster
def test_root_app_phase_applies_once_then_reports_unchanged(platform: PlatformRepo, cluster: Any) -> None:
    """The server-side apply and its dry-run diff: a second run finds nothing to change and writes nothing; an
    edited root app is planned by a dry run and applied by the next run."""
    from comind_scaffold.bootstrap.phases import phase_root_app

    options = _options(cluster)
    first = phase_root_app(platform, options)
    before = cluster.get_application(ROOT_APP)["metadata"]["resourceVersion"]
    second = phase_root_app(platform, options)
    assert cluster.get_application(ROOT_APP)["metadata"]["resourceVersion"] == before
    root_app = platform.root / "k8s" / "kustomize" / "root-app.yaml"
    root_app.write_text(root_app.read_text().replace("path: k8s/kustomize", "path: k8s/kustomize/elsewhere"))
    planned = phase_root_app(platform, _options(cluster, dry_run=True))
    assert cluster.get_application(ROOT_APP)["spec"]["source"]["path"] == "k8s/kustomize"
    applied = phase_root_app(platform, options)
    names = f"{ROOT_APP}.yaml, root-app.yaml"
    assert [first, second, planned, applied] == [
        ("done", f"applied {names}"), ("unchanged", f"{names}: already applied"),
        ("planned", f"would apply {names}"), ("done", f"applied {names}")]
    assert cluster.get_application(ROOT_APP)["spec"]["source"]["path"] == "k8s/kustomize/elsewhere"
    managers = {f["manager"] for f in cluster.get_application(ROOT_APP)["metadata"]["managedFields"]}
    assert managers == {"comind"}


@pytest.mark.cluster
def test_root_app_the_api_server_refuses_is_its_message_and_exit_1(platform: PlatformRepo, cluster: Any,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A root app the API server answers with a refusal (here: the CRD's schema) is neither bad input nor a cluster
    that is down: exit 1 with the server's own reason, one line."""
    root_app = platform.root / "k8s" / "kustomize" / "root-app.yaml"
    doc = yaml.safe_load(root_app.read_text())
    doc["spec"]["syncPolicy"] = "always"
    root_app.write_text(yaml.safe_dump(doc))
    code, out = _run_cli(capsys, "bootstrap", "--existing-cluster", "--skip-services", "--budget", "wait=1",
                         "--kubeconfig", str(cluster.kubeconfig), "--platform-dir", str(platform.root))
    lines = [line for line in out.splitlines() if "syncPolicy" in line]
    assert code == 1, out
    assert len(lines) == 1 and "comind-ops-root" in lines[0] and "expected map" in lines[0], out
    assert "Traceback" not in out


@pytest.mark.terraform
def test_cluster_phase_applies_once_then_reports_unchanged(platform: PlatformRepo) -> None:
    """The cluster phase's plan/apply handling with real terraform, on a provider-less stand-in environment
    (the real environments/local needs k3d, helm and providers this machine cannot have)."""
    from comind_scaffold.bootstrap.phases import phase_cluster

    environment = platform.root / "infra" / "terraform" / "environments" / "local"
    environment.mkdir(parents=True)
    (environment / "main.tf").write_text('resource "terraform_data" "cluster" {\n  input = "v1"\n}\n')
    options = BootstrapOptions(profile="local")
    first = phase_cluster(platform, options)
    second = phase_cluster(platform, options)
    (environment / "main.tf").write_text('resource "terraform_data" "cluster" {\n  input = "v2"\n}\n')
    planned = phase_cluster(platform, BootstrapOptions(profile="local", dry_run=True))
    assert (first, second) == (("done", "1 added, 0 changed, 0 destroyed"),
                               ("unchanged", "infra/terraform/environments/local: no changes"))
    assert planned == ("planned", "infra/terraform/environments/local: Plan: 0 to add, 1 to change, 0 to destroy")
    assert not list((platform.root / ".comind").glob("*.tfplan"))


@pytest.mark.docker
@pytest.mark.cluster
def test_local_bootstrap_starts_the_services_then_leaves_them_alone(
    tmp_path: Path, cluster: Any, service_images: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from comind_scaffold._docker import DockerEngine
    from comind_scaffold.services.manager import clean
    from tests.components import docker_stack as ds
    from tests.helpers_services import image_refs, services_yaml, unique_platform, write_platform

    monkeypatch.setenv("DOCKER_HOST", ds.docker_host())
    repo = write_platform(tmp_path, services_yaml(unique_platform("bs"), image_refs(*service_images)))
    (tmp_path / "k8s" / "kustomize" / "projects").mkdir(parents=True)
    for name in ("root-app.yaml", f"projects/{ROOT_APP}.yaml"):
        shutil.copyfile(REPO_ROOT / "k8s" / "kustomize" / name, tmp_path / "k8s" / "kustomize" / name)
    try:
        first, _ = _run_until_wait_fails(repo, cluster, skip_services=False)
        again = phase_services(repo, _options(cluster, skip_services=False), lambda _message: None)
    finally:
        clean(repo, engine=DockerEngine(ds.docker_host()))
    assert [(p.phase, p.outcome) for p in first][:2] == [("preflight", "unchanged"), ("services", "done")]
    assert again[0] == "unchanged", again
