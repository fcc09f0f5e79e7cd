"""Onboarding through real Argo CD: commit -> the new apps' Applications Synced+Healthy at that commit.

    python benchmarks/bench_gitops.py [--apps 50] [--envs dev,stage,prod] [--baseline-cap 600]

A platform rendered from the templates is served by a loopback git server and bootstrapped with `comind
bootstrap` against a control plane with Argo CD v3.2.11's own repo-server and application-controller
(tests/components/fixtures_argocd.py). Then, twice:

  comind    `comind new-app` + commit + push + `comind sync`, with the local configuration the template renders
            (timeout.reconciliation 30 s);
  baseline  commit + push and nothing else, with Argo CD's default configuration (v3.2.11: timeout.reconciliation
            120 s, jitter 60 s; argocd-cm without the platform's override, the controller restarted and every
            Application compared once before the commit).

each for one new app and for `--apps` apps onboarded in one commit. An app is done when every environment that
syncs automatically is Synced+Healthy at the commit with its sync operation finished and its prod (manual sync,
by design) has compared the commit (OutOfSync). A baseline that does not finish within --baseline-cap seconds is
printed as "> cap". Needs the binaries of tests/testbin/build-kube.sh and build-argocd.sh, copier and kubectl.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from comind_scaffold.repo import PlatformRepo  # noqa: E402
from comind_scaffold.scaffold import sync_projects  # noqa: E402
from tests.components.argocd import platform_argocd_config, summarize  # noqa: E402
from tests.components.fixtures_argocd import GitOpsPlatform, IngressStandIn, gitops_platform  # noqa: E402
from tests.helpers_verify import _copier as render_app  # noqa: E402

SEED = "fleet"


def comind(platform: GitOpsPlatform, *args: str) -> None:
    done = subprocess.run(["comind", *args, "--platform-dir", str(platform.repo.root)], capture_output=True,
                          text=True, timeout=600, env={**os.environ, **platform.env()}, check=False)
    if done.returncode != 0:
        raise SystemExit(f"comind {' '.join(args)} failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")


def add_apps(platform: GitOpsPlatform, prefix: str, count: int) -> list[str]:
    """The first rendered from templates/app as `comind new-app` renders it (Copier at the checkout's HEAD, so a
    dirty work tree renders too); copies of it under new names for the rest; then the team's AppProject."""
    names = [f"{prefix}{i:02d}" for i in range(count)]
    target = platform.repo.app_dir(names[0])
    target.mkdir(parents=True)
    render_app(target, {"template": "app", "app_name": names[0], "team": "backend",
                        "environments": "[" + ", ".join(platform.repo.spec.environments) + "]"})
    source = platform.repo.app_dir(names[0])
    for name in names[1:]:
        for path in source.rglob("*"):
            if path.is_file():
                out = platform.repo.app_dir(name) / path.relative_to(source)
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(path.read_text().replace(names[0], name))
    sync_projects(PlatformRepo(platform.repo.root))  # what new-app does: the team's AppProject admits them
    return names


def done(app: dict[str, Any], commit: str) -> bool:
    status = app.get("status") or {}
    if (status.get("sync") or {}).get("revision") != commit:
        return False
    if not ((app.get("spec") or {}).get("syncPolicy") or {}).get("automated"):
        return summarize(app)[0] == "OutOfSync"  # prod: compared, waiting for a person
    return (summarize(app)[:2] == ("Synced", "Healthy") and "operation" not in app
            and (status.get("operationState") or {}).get("phase") == "Succeeded")


def measure(platform: GitOpsPlatform, names: list[str], label: str, after_push: Callable[[], None],
            cap: float) -> tuple[float | None, int, float]:
    """Seconds from commit to every Application of `names` done (None past `cap`), how many there are, `cap`."""
    envs = platform.repo.spec.environments
    wanted = {f"{n}-{e}" for n in names for e in envs}
    t0 = time.perf_counter()
    commit = platform.push(f"onboard {label}")
    after_push()
    last = -1
    while time.perf_counter() - t0 < cap:
        apps = {a["metadata"]["name"]: a for a in platform.argocd.applications()}
        finished = sum(1 for n in wanted if n in apps and done(apps[n], commit))
        if finished == len(wanted):
            return time.perf_counter() - t0, len(wanted), cap
        if finished != last and finished:
            print(f"  {label}: {finished}/{len(wanted)} at {time.perf_counter() - t0:.0f} s", flush=True)
            last = finished
        time.sleep(0.5)
    return None, len(wanted), cap


def restart_with_defaults(platform: GitOpsPlatform) -> None:
    """Argo CD as installed without the platform's local override of timeout.reconciliation."""
    config = platform_argocd_config(platform.repo.root)
    cm = {k: v for k, v in config["cm"].items() if k != "timeout.reconciliation"}
    platform.argocd.stop()
    platform.argocd.configure(cm, config["params"])
    platform.argocd.start()
    env = platform.argocd.upstream_env.get("argocd-application-controller", {})
    assert "ARGOCD_RECONCILIATION_TIMEOUT" not in env, env
    started = time.time()

    def compared_since_restart(app: dict[str, Any]) -> bool:
        stamp = (app.get("status") or {}).get("reconciledAt") or "1970-01-01T00:00:00Z"
        return time.mktime(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone >= started - 1

    deadline = time.perf_counter() + 600
    while not all(compared_since_restart(a) for a in platform.argocd.applications()):  # the start-up reconciliation
        if time.perf_counter() > deadline:
            raise SystemExit("Argo CD did not compare every Application after its restart within 600 s")
        time.sleep(1)
    time.sleep(5)


def settle(platform: GitOpsPlatform, timeout: float = 600) -> None:
    """Every Application compared since the start, the automatically synced ones Synced+Healthy."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        apps = platform.argocd.applications()
        if apps and all((a.get("status") or {}).get("reconciledAt") and (
                summarize(a)[:2] == ("Synced", "Healthy")
                or not ((a.get("spec") or {}).get("syncPolicy") or {}).get("automated")) for a in apps):
            return
        time.sleep(1)
    raise SystemExit("Argo CD never settled: " + ", ".join(
        f"{a['metadata']['name']} {summarize(a)}" for a in platform.argocd.applications()))


def bootstrap(platform: GitOpsPlatform) -> None:
    platform.helm_stand_ins()
    platform.push("platform rendered from the template")
    comind(platform, "bootstrap", "--profile", "local", "--existing-cluster", "--skip-services",
           "--kubeconfig", str(platform.cluster.kubeconfig), "--budget", "wait=600", "--poll-interval", "2")
    platform.terraform_secrets()
    settle(platform)


def fmt(seconds: float | None, cap: float) -> str:
    return f"{seconds:8.1f}" if seconds is not None else f"> {cap:5.0f}"


def ratio(baseline: float | None, ours: float | None, cap: float) -> str:
    """baseline / ours; a capped baseline makes it a lower bound, a capped run of ours leaves it unknown."""
    if ours is None:
        return "n/a"
    return f"{baseline / ours:.1f}x" if baseline is not None else f">= {cap / ours:.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=50, help="apps onboarded in one commit")
    parser.add_argument("--envs", default="dev,stage,prod")
    parser.add_argument("--nodes", type=int, default=3, help="kwok nodes, 110 pods each")
    parser.add_argument("--baseline-cap", type=float, default=600, help="seconds before a baseline run gives up")
    args = parser.parse_args()
    envs = tuple(args.envs.split(","))
    workdir = Path(tempfile.mkdtemp(prefix="comind-bench-gitops-"))
    rows: dict[str, dict[str, tuple[float | None, int, float]]] = {"comind": {}, "baseline": {}}
    loads: dict[str, tuple[float, float, float]] = {}
    try:
        with gitops_platform(workdir, envs=envs, nodes=args.nodes) as platform, IngressStandIn(platform.cluster):
            t0 = time.perf_counter()
            bootstrap(platform)
            print(f"setup: bootstrapped in {time.perf_counter() - t0:.0f} s", flush=True)

            def sync() -> None:
                comind(platform, "sync")

            rows["comind"]["one"] = measure(platform, add_apps(platform, "solo", 1), "comind, one app", sync, 300)
            rows["comind"]["many"] = measure(platform, add_apps(platform, SEED, args.apps),
                                             f"comind, {args.apps} apps", sync, 600)
            loads["comind"] = os.getloadavg()
            restart_with_defaults(platform)
            rows["baseline"]["one"] = measure(platform, add_apps(platform, "base", 1), "baseline, one app",
                                              lambda: None, args.baseline_cap)
            rows["baseline"]["many"] = measure(platform, add_apps(platform, "herd", args.apps),
                                               f"baseline, {args.apps} apps", lambda: None, args.baseline_cap)
            loads["baseline"] = os.getloadavg()
        print(f"\ncommit -> Synced+Healthy (auto-sync envs) / compared (prod), envs {','.join(envs)}, "
              f"{os.cpu_count()} cores")
        print(f"{'':44} {'one app s':>10} {f'{args.apps} apps s':>12}   load average 1/5/15 min after")
        for label, key in (("comind (local config + `comind sync`)", "comind"),
                           ("baseline (Argo CD defaults, no refresh)", "baseline")):
            one, many = rows[key]["one"], rows[key]["many"]
            load = " ".join(f"{x:.1f}" for x in loads[key])
            print(f"{label:44} {fmt(one[0], one[2]):>10} {fmt(many[0], many[2]):>12}   {load}"
                  f"  ({one[1]} / {many[1]} Applications)")
        ratios = [ratio(rows["baseline"][key][0], rows["comind"][key][0], args.baseline_cap) for key in ("one", "many")]
        print(f"{'ratio baseline / comind':44} {ratios[0]:>10} {ratios[1]:>12}")
        print(f"targets: one app <= 10 s, {args.apps * len(envs)} Applications <= 60 s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
