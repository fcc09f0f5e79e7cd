"""A generated platform really syncs: real Argo CD (repo-server + application-controller v3.2.11) deploys it.

The demo platform is rendered from the templates with `repo_url` pointing at a loopback HTTPS git server,
committed and pushed; `comind bootstrap --existing-cluster` applies the root app and waits. Every Application's
sync status and health are computed by Argo CD; nothing in the suite writes Application status. Each fault is a
pushed commit (or a stopped git server, a deleted Deployment), found by the verifier with Argo CD's own message,
and undone. What the platform's Terraform installs with Helm is replaced by stand-ins
(tests/components/fixtures_argocd.py).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from comind_scaffold.bootstrap.options import PHASES
from comind_scaffold.bootstrap.state import read_state
from comind_scaffold.checks.expected import Expected
from tests.components.argocd import summarize
from tests.components.fixtures_argocd import GitOpsPlatform, IngressStandIn
from tests.helpers_verify import run_verify

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


def _bootstrap(platform: GitOpsPlatform, wait: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["comind", "bootstrap", "--profile", "local", "--existing-cluster", "--skip-services",
         "--kubeconfig", str(platform.cluster.kubeconfig), "--platform-dir", str(platform.repo.root),
         "--budget", f"wait={wait:.0f}", "--poll-interval", "2"],
        capture_output=True, text=True, timeout=wait + 240, env=platform.env(), check=False)


@pytest.fixture(scope="module")
def synced(argocd_platform: GitOpsPlatform) -> Iterator[tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]]]:
    platform = argocd_platform
    platform.helm_stand_ins()
    with IngressStandIn(platform.cluster):
        commit = platform.push("platform rendered from the template")
        done = _bootstrap(platform)
        yield platform, commit, done


def _expected_applications(platform: GitOpsPlatform) -> set[str]:
    expected = Expected(platform.repo)
    name = platform.repo.spec.platform_name
    envs = platform.repo.spec.environments
    return ({f"{name}-root", f"{name}-apps"} | {f"platform-{e}" for e in envs}
            | {f"{p.app.app_name}-{p.env}" for p in expected.app_envs})


def test_bootstrap_ends_with_every_application_synced_and_healthy_by_argocd(
        synced: tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]]) -> None:
    platform, commit, done = synced
    apps = platform.argocd.applications()
    states = {a["metadata"]["name"]: summarize(a) for a in apps}
    assert done.returncode == 0, (f"comind bootstrap failed ({done.returncode}):\n{done.stdout[-3000:]}"
                                  f"\n{done.stderr[-2000:]}\n{states}\n{platform.argocd.log_tails(20)}")
    assert set(states) == _expected_applications(platform), states

    def operations_done() -> list[dict[str, Any]] | None:  # Argo CD reports Synced+Healthy a moment before
        found = platform.argocd.applications()
        done_ = all(((a.get("status") or {}).get("operationState") or {}).get("phase") == "Succeeded" for a in found)
        return found if done_ else None

    apps = platform.cluster.wait_for("every sync operation to finish", operations_done, timeout=60, interval=0.5)
    for app in apps:
        name, status = app["metadata"]["name"], app["status"]
        assert states[name][:2] == ("Synced", "Healthy"), (name, states[name])
        # computed by Argo CD from the pushed commit: the revision it compared and the resources it deployed
        assert status["sync"]["revision"] == commit, (name, status["sync"])
        assert status.get("reconciledAt"), name
        assert status.get("resources"), f"{name}: Argo CD reports no resources"
        assert status["operationState"]["phase"] == "Succeeded", (name, status["operationState"])


def _phases(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """`comind bootstrap`'s phase lines (`<phase> <outcome> <detail>`) as phase -> outcome."""
    found = {}
    for line in done.stdout.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in PHASES:
            found[words[0]] = words[1]
    return found


def test_bootstrap_ran_every_phase_and_a_second_run_changes_nothing(
        synced: tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]]) -> None:
    platform, _, done = synced
    assert done.returncode == 0, done.stdout[-2000:]
    assert _phases(done) == {"preflight": "unchanged", "services": "skipped", "cluster": "skipped",
                             "root-app": "done", "wait": "done"}, done.stdout  # wait: prod's first sync requested
    state = read_state(platform.repo) or {}
    assert (state.get("completed"), state.get("finished")) == (list(PHASES), True), state
    root = f"{platform.repo.spec.platform_name}-root"
    before = platform.cluster.get_application(root)["metadata"]["generation"]
    again = _bootstrap(platform, wait=120)
    assert again.returncode == 0, again.stdout[-2000:]
    assert _phases(again) == {"preflight": "unchanged", "services": "skipped", "cluster": "skipped",
                              "root-app": "unchanged", "wait": "unchanged"}, again.stdout
    assert "nothing to do: the platform is already as declared" in again.stdout
    assert platform.cluster.get_application(root)["metadata"]["generation"] == before


def test_app_deployments_are_available_on_kwok_nodes(
        synced: tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]]) -> None:
    platform, _, _ = synced
    cluster = platform.cluster
    expected = Expected(platform.repo)
    for pair in expected.app_envs:
        dep = cluster.get("apps/v1", "Deployment", pair.app.app_name, pair.namespace)
        conds = {c["type"]: c["status"] for c in dep["status"].get("conditions", [])}
        assert conds.get("Available") == "True", (pair.namespace, dep["status"])
        assert dep["status"].get("availableReplicas", 0) >= 1
        status, pods = cluster.request("GET", f"/api/v1/namespaces/{pair.namespace}/pods")
        nodes = {p["spec"].get("nodeName") for p in pods["items"]}
        assert nodes and all(n in cluster.node_names for n in nodes), (pair.namespace, nodes)
        # Argo CD created the namespace with the Application's managedNamespaceMetadata
        ns = cluster.get("v1", "Namespace", pair.namespace)
        assert ns["metadata"]["labels"].get("pod-security.kubernetes.io/enforce") == "restricted"


def test_root_app_health_reflects_its_children(
        synced: tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]]) -> None:
    """The platform's Argo CD configuration is active: the root app holds a health for each child Application
    (Argo CD has none for the Application kind without the argocd-cm customization, and keeps resource health in
    status.resources only with controller.resource.health.persist)."""
    platform, _, _ = synced
    root = next(a for a in platform.argocd.applications()
                if a["metadata"]["name"] == f"{platform.repo.spec.platform_name}-root")
    children = [r for r in root["status"]["resources"] if r["kind"] == "Application"]
    assert {r["name"] for r in children} == {f"{platform.repo.spec.platform_name}-apps"} | {
        f"platform-{e}" for e in platform.repo.spec.environments}
    assert all((r.get("health") or {}).get("status") == "Healthy" for r in children), children


def test_verifier_is_all_green_on_what_argocd_deployed(
        synced: tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    platform, _, done = synced
    assert done.returncode == 0, done.stdout[-2000:]
    platform.terraform_secrets()
    report, junit = tmp_path / "verify.json", tmp_path / "junit.xml"
    proc = run_verify("--profile=local", "-m", "cluster or gitops or apps",
                      f"--kubeconfig={platform.cluster.kubeconfig}", f"--platform-dir={platform.repo.root}",
                      f"--json={report}", f"--junitxml={junit}", "-v")
    assert proc.returncode == 0, proc.stdout[-5000:]
    for app in _expected_applications(platform):  # each judged on the status Argo CD computed
        assert f"Application argocd/{app}" in report.read_text(), app
    assert "test_app_deployment[shop-dev] PASSED" in proc.stdout
    assert "test_app_guard[web-prod-ResourceQuota] PASSED" in proc.stdout
    layers: dict[str, Any] = json.loads(report.read_text())["layers"]
    assert set(layers) == {"cluster", "gitops", "apps"}
    # The one skip: the monitoring check, which says the platform's answer `monitoring` is off.
    assert "test_monitoring_stack SKIPPED" in proc.stdout
    for layer, row in layers.items():
        skips = 1 if layer == "gitops" else 0
        assert row["FAIL"] == 0 and row["WARN"] == 0 and row["SKIP"] == skips and row["PASS"] > 0, (layer, row)
    assert 'failures="0"' in junit.read_text()


STUCK_DEADLINE = 60  # progressDeadlineSeconds of the stuck rollout: Progressing until then, Degraded after
STUCK_PATCH = f"""
  - target:
      kind: Deployment
      name: web
    patch: |-
      - op: add
        path: /spec/template/spec/nodeSelector
        value:
          comind.test/no-such-node: "true"
      - op: add
        path: /spec/progressDeadlineSeconds
        value: {STUCK_DEADLINE}
"""


def _app(platform: GitOpsPlatform, name: str) -> dict[str, Any]:
    return next(a for a in platform.argocd.applications() if a["metadata"]["name"] == name)


def test_a_rollout_that_cannot_finish_shows_in_the_app_its_parents_and_the_verifier(
        synced: tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]]) -> None:
    """A pushed change whose pods can never be scheduled: Argo CD syncs it, the app is Progressing, apps-root and
    the root app reflect it (health customization), the verifier waits `--wait` and names the app and the
    Deployment; past the Deployment's progress deadline Argo CD calls it Degraded, and the verifier carries its
    message; reverting the commit heals everything."""
    platform, _, done = synced
    assert done.returncode == 0, done.stdout[-2000:]
    name = platform.repo.spec.platform_name
    kustomization = platform.repo.root / "apps/web/k8s/overlays/dev/kustomization.yaml"
    original = kustomization.read_text()
    assert original.rstrip().splitlines()[-1].startswith("        value:"), "patches: is no longer the last key"
    kustomization.write_text(original + STUCK_PATCH.lstrip("\n"))
    bad = platform.push("web-dev: pods that no node accepts")
    try:
        platform.argocd.refresh(["web-dev"])

        def stuck() -> bool:
            web, apps, root = (_app(platform, n) for n in ("web-dev", f"{name}-apps", f"{name}-root"))
            return (web["status"]["sync"].get("revision") == bad
                    and summarize(web)[:2] == ("Synced", "Progressing")
                    and summarize(apps)[1] == "Progressing" and summarize(root)[1] == "Progressing")

        platform.cluster.wait_for("web-dev, apps-root and the root app Progressing", stuck, timeout=120, interval=1)
        waited = _bootstrap(platform, wait=3)  # bootstrap's wait budget runs out on it
        assert waited.returncode == 1, waited.stdout[-2000:]
        said = " ".join((waited.stdout + waited.stderr).split())  # however the console wrapped it
        assert ("FAIL application.synced_healthy Application argocd/web-dev: sync=Synced health=Progressing "
                "(still Progressing after waiting") in said, said[-3000:]
        _verify_fails_on(platform, "web-dev", "health=Progressing (still Progressing after waiting",
                         "first unhealthy: Deployment web-dev/web (Progressing", wait=3)
        _wait_app(platform, "web-dev", "web-dev Degraded past the progress deadline",
                  lambda a: summarize(a)[1] == "Degraded", timeout=STUCK_DEADLINE + 90)
        _verify_fails_on(platform, "web-dev", "health=Degraded", "first unhealthy: Deployment web-dev/web (Degraded",
                         "exceeded its progress deadline")
    finally:
        kustomization.write_text(original)
        healed = platform.push("web-dev: back to schedulable pods")
        platform.argocd.refresh(["web-dev"])
    apps = platform.argocd.wait_settled(timeout=180)
    assert _app(platform, "web-dev")["status"]["sync"]["revision"] == healed
    assert all(summarize(a)[:2] == ("Synced", "Healthy") for a in apps)


# ----------------------------------------------------------------------------------------------- faults, via git


@contextlib.contextmanager
def pushed(platform: GitOpsPlatform, path: str, change: Callable[[str], str], refresh: list[str],
           message: str) -> Iterator[str]:
    """Commit and push `change` applied to file `path`, hard-refresh `refresh` (so Argo CD reports repo errors at
    once, not after its 180 s grace period); afterwards push the original back and wait until all is healthy."""
    file = platform.repo.root / path
    original = file.read_text()
    file.write_text(change(original))
    commit = platform.push(message)
    platform.argocd.refresh(refresh, kind="hard")
    try:
        yield commit
    finally:
        file.write_text(original)
        platform.push(f"revert: {message}")
        platform.argocd.refresh(refresh, kind="hard")
        platform.argocd.wait_settled(timeout=240)


def _wait_app(platform: GitOpsPlatform, name: str, what: str, check: Callable[[dict[str, Any]], bool],
              timeout: float = 120) -> dict[str, Any]:
    try:
        return platform.cluster.wait_for(what, lambda: (lambda a: a if check(a) else None)(_app(platform, name)),
                                         timeout=timeout, interval=1)
    except TimeoutError as err:
        raise AssertionError(f"{err}: {name} is {summarize(_app(platform, name))}") from err


def _verify_fails_on(platform: GitOpsPlatform, app: str, *needles: str, wait: float = 0) -> str:
    """Run the gitops layer; it must fail, with one line naming Application argocd/<app> and every needle."""
    proc = run_verify("--profile=local", "-m", "gitops", f"--kubeconfig={platform.cluster.kubeconfig}",
                      f"--platform-dir={platform.repo.root}", f"--wait={wait:g}")
    assert proc.returncode == 1, proc.stdout[-3000:]
    lines = [line for line in proc.stdout.splitlines() if f"Application argocd/{app}" in line and "FAIL" in line]
    assert any(all(n in line for n in needles) for line in lines), (needles, lines or proc.stdout[-4000:])
    return next(line for line in lines if all(n in line for n in needles))


def test_a_commit_that_does_not_build_is_a_comparison_error_named_by_the_verifier(
        synced: tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]]) -> None:
    platform, _, _ = synced
    path = "apps/web/k8s/overlays/dev/kustomization.yaml"
    with pushed(platform, path, lambda t: t.replace("  - ../../base\n", "  - ../../base\n  - no-such-file.yaml\n"),
                ["web-dev"], "web-dev: a resource that does not exist"):
        app = _wait_app(platform, "web-dev", "a ComparisonError on web-dev",
                        lambda a: any(c.get("type") == "ComparisonError"
                                      for c in (a.get("status") or {}).get("conditions") or []))
        argocd_says = next(c["message"] for c in app["status"]["conditions"] if c["type"] == "ComparisonError")
        assert "no-such-file.yaml" in argocd_says
        _verify_fails_on(platform, "web-dev", "no-such-file.yaml")


def test_a_manifest_the_apiserver_rejects_fails_the_sync_with_its_message(
        synced: tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]]) -> None:
    """platform-dev (its retry takes the newest commit: `retry.refresh`, so the revert is picked up at once)."""
    platform, _, _ = synced
    path = "k8s/platform/overlays/dev/kustomization.yaml"
    with pushed(platform, path, lambda t: t + 'commonAnnotations:\n  "bad key!": "x"\n', ["platform-dev"],
                "platform-dev: an annotation key the apiserver refuses") as commit:
        app = _wait_app(platform, "platform-dev", "platform-dev's sync to fail",
                        lambda a: a["status"]["sync"].get("revision") == commit and "bad key!" in summarize(a)[2])
        assert summarize(app)[0] == "OutOfSync", summarize(app)
        _verify_fails_on(platform, "platform-dev", "bad key!")


def test_a_destination_the_appproject_does_not_allow_is_named(
        synced: tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]]) -> None:
    platform, _, _ = synced
    path = "apps/web/argocd/dev.yaml"
    with pushed(platform, path, lambda t: t.replace("namespace: web-dev\n", "namespace: kube-system\n", 1),
                [f"{platform.repo.spec.platform_name}-apps", "web-dev"], "web-dev: deploy into kube-system"):
        platform.argocd.refresh(["web-dev"], kind="hard")
        app = _wait_app(platform, "web-dev", "web-dev to be refused by its project",
                        lambda a: "allowed destinations in project" in summarize(a)[2])
        assert "kube-system" in summarize(app)[2]
        _verify_fails_on(platform, "web-dev", "kube-system", "allowed destinations in project")


def test_a_prod_change_waits_out_of_sync_for_a_person(
        synced: tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]]) -> None:
    platform, _, _ = synced
    path = "apps/web/k8s/overlays/prod/kustomization.yaml"
    with pushed(platform, path, lambda t: t.replace('"APP_ENV=prod"', '"APP_ENV=prod"\n      - "FEATURE=on"'),
                ["web-prod"], "web-prod: a new setting") as commit:
        app = _wait_app(platform, "web-prod", "web-prod OutOfSync at the new commit",
                        lambda a: summarize(a)[0] == "OutOfSync" and a["status"]["sync"].get("revision") == commit)
        assert app["status"]["operationState"]["syncResult"]["revision"] != commit  # nothing rolled it out
        _verify_fails_on(platform, "web-prod", "sync=OutOfSync", "first unhealthy: ", " web-prod/")


def test_a_deleted_deployment_is_healed_and_the_verifier_is_green_again(
        synced: tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]]) -> None:
    platform, _, _ = synced
    platform.cluster.dynamic.resources.get(api_version="apps/v1", kind="Deployment").delete(
        name="web", namespace="web-dev")
    platform.cluster.wait_deployment_available("web", "web-dev", timeout=120)  # selfHeal put it back
    platform.argocd.wait_settled(timeout=120)
    proc = run_verify("--profile=local", "-m", "cluster or gitops or apps",
                      f"--kubeconfig={platform.cluster.kubeconfig}", f"--platform-dir={platform.repo.root}")
    assert proc.returncode == 0, proc.stdout[-4000:]


def test_an_unreachable_git_server_is_named(
        synced: tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]]) -> None:
    platform, _, _ = synced
    platform.git.stop()
    try:
        platform.argocd.refresh(["web-dev"], kind="hard")
        _wait_app(platform, "web-dev", "web-dev to report the repository unreachable",
                  lambda a: any(c.get("type") == "ComparisonError"
                                for c in (a.get("status") or {}).get("conditions") or []))
        _verify_fails_on(platform, "web-dev", f"127.0.0.1:{platform.git.port}")
    finally:
        platform.git.start()
        platform.argocd.refresh(["web-dev"], kind="hard")
    platform.argocd.wait_settled(timeout=240)
    left = {a["metadata"]["name"]: a["status"]["conditions"] for a in platform.argocd.applications()
            if a["status"].get("conditions")}
    assert not left, left


# ----------------------------------------------------------------------------------------------- onboarding (last)


def comind_sync(platform: GitOpsPlatform, *apps: str) -> list[str]:
    """`comind sync [APP …] --json` against the test cluster; the Applications it asked Argo CD to refresh."""
    done = subprocess.run(["comind", "sync", *apps, "--json", "--platform-dir", str(platform.repo.root)],
                          capture_output=True, text=True, timeout=120, env=platform.env(), check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return list(json.loads(done.stdout)["refreshed"])


def test_comind_sync_names_an_unknown_app(argocd_platform: GitOpsPlatform) -> None:
    done = subprocess.run(["comind", "sync", "no-such-app", "--platform-dir", str(argocd_platform.repo.root)],
                          capture_output=True, text=True, timeout=120, env=argocd_platform.env(), check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "app: 'no-such-app' is not an app of this platform" in done.stderr and "Traceback" not in done.stderr


def test_onboarding_deploys_the_new_apps_dev_and_leaves_its_prod_for_a_person(
        synced: tuple[GitOpsPlatform, str, subprocess.CompletedProcess[str]]) -> None:
    """`comind new-app` + commit + push: apps-root creates the app's Applications, the team's AppProject (synced by
    the root app) admits its namespaces, dev is deployed; prod (manual sync) waits OutOfSync, as it should."""
    platform, _, _ = synced
    name = platform.repo.spec.platform_name
    made = subprocess.run(["comind", "new-app", "api", "--team", "backend", "--platform-dir", str(platform.repo.root)],
                          capture_output=True, text=True, timeout=300, env=platform.env(), check=False)
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    started = time.monotonic()
    commit = platform.push("onboard api")
    # One `comind sync`: the root app first, awaited (it syncs the AppProject that admits api-dev's namespace), then
    # the apps root (it creates api-dev and api-prod), then the rest. Refreshed together, apps-root could create
    # api-dev before its project admits it, and Argo CD would look at it again only at its next reconciliation.
    # api-dev and api-prod, once the apps root's sync has created them, are not asked again: Argo CD compares an
    # Application as soon as it exists (gitops_sync.compares_anyway, tests/test_gitops_sync.py).
    refreshed = comind_sync(platform)
    assert refreshed[:2] == [f"{name}-root", f"{name}-apps"]
    assert "web-dev" in refreshed[2:], refreshed
    dev = _wait_app(platform, "api-dev", "api-dev Synced and Healthy at the onboarding commit, its sync done",
                    lambda a: summarize(a)[:2] == ("Synced", "Healthy")
                    and (a.get("status") or {}).get("sync", {}).get("revision") == commit
                    and ((a.get("status") or {}).get("operationState") or {}).get("phase") == "Succeeded",
                    timeout=180)
    took = time.monotonic() - started
    assert dev["status"]["operationState"]["syncResult"]["revision"] == commit
    platform.cluster.wait_deployment_available("api", "api-dev", timeout=60)
    prod = _wait_app(platform, "api-prod", "api-prod compared (OutOfSync, never synced)",
                     lambda a: summarize(a)[0] == "OutOfSync", timeout=60)
    assert not prod["status"].get("history"), "nothing may roll out a prod app unattended"
    print(f"onboarding: commit -> api-dev Synced+Healthy in {took:.1f} s")
