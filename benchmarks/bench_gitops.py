"""Onboarding through real Argo CD: commit -> the new apps' Applications Synced+Healthy at that commit.

    python benchmarks/bench_gitops.py [--apps 50] [--envs dev,stage,prod] [--baseline-cap 600]

A platform rendered from the templates is served by a loopback git server and bootstrapped with `comind
bootstrap` against a control plane with Argo CD v3.2.11's own repo-server and application-controller
(tests/components/fixtures_argocd.py). Then, twice:

  comind    `comind new-app` + commit + push + `comind sync`, with the local configuration the template renders
            (timeout.reconciliation 120 s, controller.sync.wave.delay.seconds 1, controller.status.processors 4);
  baseline  commit + push and nothing else, with Argo CD's default configuration (v3.2.11: timeout.reconciliation
            120 s, jitter 60 s, 2 s per sync wave, 20 status processors; the platform's settings in TUNING left
            out, the controller restarted and every Application compared once before the commit).

each for one new app and for `--apps` apps onboarded in one commit. An app is done when every environment that
syncs automatically is Synced+Healthy at the commit with its sync operation finished and its prod (manual sync,
by design) has compared the commit (OutOfSync). A baseline that does not finish within --baseline-cap seconds is
printed as "> cap". After each run: when its steps happened (the roots' compare and sync, the new Applications'
creation, compare, sync start and end, first / median / last) and the CPU seconds each process of the stack used,
which on a shared machine says more than the wall time; --profile adds CPU profiles of the controller. Needs the
binaries of tests/testbin/build-kube.sh and build-argocd.sh, copier and kubectl.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from comind_scaffold.repo import PlatformRepo  # noqa: E402
from comind_scaffold.scaffold import sync_projects  # noqa: E402
from tests.components.argocd import platform_argocd_config, summarize  # noqa: E402
from tests.components.background import BackgroundThread  # noqa: E402
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


def _stamp(value: str | None) -> float | None:
    """An RFC 3339 timestamp of Argo CD or the apiserver (whole seconds, UTC) as epoch seconds."""
    return float(calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))) if value else None


class Timeline:
    """When each step of onboarding happened, in seconds after the push: for every Application, the server's own
    stamps (created, compared at the commit, sync started and finished) and when it was first seen done.

    Argo CD's and the apiserver's stamps have whole seconds; "done" is observed by polling (every 0.5 s plus one
    LIST of every Application)."""

    STEPS = ("created", "compared", "sync started", "sync finished", "done")

    def __init__(self, commit: str, pushed_at: float):
        self.commit, self.pushed_at = commit, pushed_at
        self.steps: dict[str, dict[str, float]] = {}

    def observe(self, app: dict[str, Any], is_done: bool) -> None:
        steps = self.steps.setdefault(app["metadata"]["name"], {})
        status = app.get("status") or {}
        state = status.get("operationState") or {}
        ours = (state.get("syncResult") or {}).get("revision") == self.commit or (
            (state.get("operation") or {}).get("sync") or {}).get("revision") == self.commit
        stamps = {"created": app["metadata"].get("creationTimestamp")}
        if (status.get("sync") or {}).get("revision") == self.commit:
            stamps["compared"] = status.get("reconciledAt")
        if ours:
            stamps["sync started"] = state.get("startedAt")
            stamps["sync finished"] = state.get("finishedAt")
        for step, value in stamps.items():
            when = _stamp(value)
            if step not in steps and when is not None:
                steps[step] = max(0.0, when - self.pushed_at)
        if is_done and "done" not in steps:
            steps["done"] = time.time() - self.pushed_at

    def report(self, names: set[str], roots: list[str]) -> list[str]:
        """One line per root (its steps) and one for the new Applications (each step: first / median / last)."""
        lines = []
        for root in roots:
            steps = self.steps.get(root, {})
            lines.append(f"    {root:14} " + ", ".join(f"{s} {steps[s]:.0f}" for s in self.STEPS[1:4] if s in steps))
        cells = []
        for step in self.STEPS:
            values = sorted(self.steps[n][step] for n in names if step in self.steps.get(n, {}))
            if values:
                cells.append(f"{step} {values[0]:.0f}/{values[len(values) // 2]:.0f}/{values[-1]:.0f}"
                             + (f" ({len(values)})" if len(values) != len(names) else ""))
        lines.append(f"    {len(names)} new (first/median/last): " + ", ".join(cells))
        return lines


class ApplicationWatch(BackgroundThread):
    """Every Application as the apiserver last sent it: one LIST, then a WATCH from its resourceVersion (listed
    again when the watch expires). Polling with a LIST of every Application each half second cost the apiserver
    and this process more CPU than some of what is measured."""

    join_timeout = 0  # the thread may sit in a watch for 90 s; it is a daemon and ends with the run

    def __init__(self, platform: GitOpsPlatform):
        super().__init__("application-watch")
        self.cluster = platform.cluster
        self.path = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"
        self._apps: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._apps)

    def _run(self) -> None:
        while not self._stop.is_set():
            status, data = self.cluster.request("GET", self.path)
            if status != 200:
                time.sleep(1)
                continue
            with self._lock:
                self._apps = {a["metadata"]["name"]: a for a in data.get("items") or []}
            version = data["metadata"]["resourceVersion"]
            while not self._stop.is_set() and version:
                version = self._watch(version)

    def _watch(self, version: str) -> str:
        """Apply the events of one watch; the resourceVersion to go on from ("" to list again)."""
        url = f"{self.cluster.server}{self.path}?watch=1&resourceVersion={version}&timeoutSeconds=60"
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, context=self.cluster._ssl, timeout=90) as stream:
                for line in stream:
                    event = json.loads(line)
                    obj = event.get("object") or {}
                    if event.get("type") == "ERROR":
                        return ""  # 410 Gone: list again
                    version = (obj.get("metadata") or {}).get("resourceVersion") or version
                    with self._lock:
                        if event["type"] == "DELETED":
                            self._apps.pop(obj["metadata"]["name"], None)
                        elif event["type"] in ("ADDED", "MODIFIED"):
                            self._apps[obj["metadata"]["name"]] = obj
        except OSError:
            time.sleep(0.5)
        return version


class CpuMeter:
    """CPU seconds each process of the stack used (its own plus its waited-for children: kustomize, git)."""

    def __init__(self, platform: GitOpsPlatform):
        self.procs = {p.name: p.popen.pid for p in [*platform.cluster._procs, *platform.argocd._procs]}
        self.procs["bench (git server, polling)"] = os.getpid()
        self.start = self.read()

    def read(self) -> dict[str, float]:
        ticks = os.sysconf("SC_CLK_TCK")
        used = {}
        for name, pid in self.procs.items():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used[name] = sum(int(x) for x in fields[11:15]) / ticks  # utime stime cutime cstime
        return used

    def report(self, seconds: float) -> str:
        now = self.read()
        spent = sorted(((now[n] - self.start.get(n, 0.0), n) for n in now), reverse=True)
        total = sum(s for s, _ in spent)
        return (f"    CPU {total:.0f} s in {seconds:.0f} s of wall time: "
                + ", ".join(f"{n} {s:.0f}" for s, n in spent if s >= 0.5))


LABEL = re.compile(r'(\w+)="([^"]*)"')  # one label of Prometheus' text format


class RequestMeter:
    """Requests the kube-apiserver served, by verb and resource (its apiserver_request_total), to say which
    clients' writes its CPU went to."""

    def __init__(self, platform: GitOpsPlatform):
        self.cluster = platform.cluster
        self.start = self.read()

    def read(self) -> dict[str, float]:
        try:
            with urllib.request.urlopen(f"{self.cluster.server}/metrics", context=self.cluster._ssl,
                                        timeout=30) as resp:
                text = resp.read().decode()
        except OSError:
            return {}
        counts: dict[str, float] = {}
        for line in text.splitlines():
            if not line.startswith("apiserver_request_total{"):
                continue
            labels_text, value = line[len("apiserver_request_total{"):].rsplit("} ", 1)
            labels = dict(LABEL.findall(labels_text))
            key = " ".join(x for x in (labels.get("verb", ""), labels.get("resource", ""),
                                       labels.get("subresource", ""),
                                       "dry-run" if labels.get("dry_run") else "") if x)
            counts[key] = counts.get(key, 0.0) + float(value)
        return counts

    def report(self, top: int = 40) -> str:
        now = self.read()
        spent = sorted(((now[k] - self.start.get(k, 0.0), k) for k in now), reverse=True)
        spent = [(n, k) for n, k in spent if n >= 1]
        return (f"    apiserver requests {sum(n for n, _ in spent):.0f}: "
                + ", ".join(f"{k} {n:.0f}" for n, k in spent[:top]))


def profile(platform: GitOpsPlatform, label: str, delay: float, seconds: int) -> threading.Thread:
    """After `delay` s, a CPU profile of `seconds` s of the application-controller and of the kube-apiserver
    (their /debug/pprof/profile), saved in the work folder and summarized with `go tool pprof -top`."""
    argocd, cluster = platform.argocd, platform.cluster
    (argocd.workdir / "profiler.enabled").write_text("true")
    folder = argocd.workdir.parent / "profiles"
    folder.mkdir(exist_ok=True)
    tag = label.replace(" ", "").replace(",", "-")

    def grab(url: str, out: Path, context: Any = None) -> None:
        try:
            with urllib.request.urlopen(url, context=context, timeout=seconds + 60) as resp:
                out.write_bytes(resp.read())
        except OSError as err:
            print(f"    profile {out.name}: {err}", flush=True)
            return
        go = shutil.which("go") or "/usr/local/go/bin/go"
        top = subprocess.run([go, "tool", "pprof", "-top", "-nodecount=25", str(out)], capture_output=True,
                             text=True, timeout=300, check=False)
        out.with_suffix(".top.txt").write_text(top.stdout + top.stderr)
        print(f"    profile saved: {out} (top: {out.with_suffix('.top.txt')})", flush=True)

    def run() -> None:
        time.sleep(delay)
        jobs = [threading.Thread(target=grab, args=(
                    f"http://127.0.0.1:{argocd.controller_metrics_port}/debug/pprof/profile?seconds={seconds}",
                    folder / f"{tag}-controller.pprof")),
                threading.Thread(target=grab, args=(f"{cluster.server}/debug/pprof/profile?seconds={seconds}",
                                                    folder / f"{tag}-apiserver.pprof", cluster._ssl))]
        for job in jobs:
            job.start()
        for job in jobs:
            job.join()

    thread = threading.Thread(target=run, name="profile", daemon=True)
    thread.start()
    return thread


def measure(platform: GitOpsPlatform, watch: ApplicationWatch, names: list[str], label: str,
            after_push: Callable[[], None], cap: float, profile_at: float = 0) -> tuple[float | None, int, float]:
    """Seconds from commit to every Application of `names` done (None past `cap`), how many there are, `cap`;
    prints where the time went."""
    envs = platform.repo.spec.environments
    wanted = {f"{n}-{e}" for n in names for e in envs}
    platform_name = platform.repo.spec.platform_name
    roots = [f"{platform_name}-root", f"{platform_name}-apps"]
    cpu = CpuMeter(platform)
    requests = RequestMeter(platform)
    t0 = time.perf_counter()
    pushed_at = time.time()
    commit = platform.push(f"onboard {label}")
    timeline = Timeline(commit, pushed_at)
    profiling = profile(platform, label, profile_at, 30) if profile_at else None
    after_push()
    last = -1
    result: float | None = None
    while time.perf_counter() - t0 < cap:
        apps = watch.snapshot()
        finished = 0
        for name in [*wanted, *roots]:
            if name in apps:
                is_done = name in wanted and done(apps[name], commit)
                finished += is_done
                timeline.observe(apps[name], is_done)
        if finished == len(wanted):
            result = time.perf_counter() - t0
            break
        if finished != last and finished:
            print(f"  {label}: {finished}/{len(wanted)} at {time.perf_counter() - t0:.0f} s", flush=True)
            last = finished
        time.sleep(0.25)
    outcome = f"done in {result:.1f}" if result is not None else f"not done in {cap:.0f}"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  {label}: {outcome} s, load {load}; steps, s after the push:", flush=True)
    for line in [*timeline.report(wanted, roots), cpu.report(time.perf_counter() - t0), requests.report()]:
        print(line, flush=True)
    if profiling is not None:
        profiling.join()
    return result, len(wanted), cap


# What the platform sets for speed; the baseline runs without them (Argo CD's defaults).
TUNING = {"cm": ("timeout.reconciliation",),
          "params": ("controller.sync.wave.delay.seconds", "controller.status.processors")}


def restart_with_defaults(platform: GitOpsPlatform) -> None:
    """Argo CD as installed without the platform's settings for speed (TUNING)."""
    config = platform_argocd_config(platform.repo.root)
    cm, params = ({k: v for k, v in config[part].items() if k not in TUNING[part]} for part in ("cm", "params"))
    platform.argocd.stop()
    platform.argocd.configure(cm, params)
    platform.argocd.start()
    env = platform.argocd.upstream_env.get("argocd-application-controller", {})
    assert not {"ARGOCD_RECONCILIATION_TIMEOUT", "ARGOCD_SYNC_WAVE_DELAY",
                "ARGOCD_APPLICATION_CONTROLLER_STATUS_PROCESSORS"} & set(env), env
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
    parser.add_argument("--nodes", type=int, default=0,
                        help="kwok nodes, 110 pods each (default: room for every pod both runs start)")
    parser.add_argument("--baseline-cap", type=float, default=600, help="seconds before a baseline run gives up")
    parser.add_argument("--only", choices=("comind", "baseline"), help="measure one side only")
    parser.add_argument("--profile", type=float, default=0, metavar="SECONDS",
                        help="CPU-profile the controller and the apiserver for 30 s, this long after the push of "
                        "the many-apps runs (implies --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (Argo CD's and the control "
                        "plane's logs) and print where it is")
    args = parser.parse_args()
    args.keep = args.keep or bool(args.profile)
    if args.profile:
        os.environ["COMIND_KUBE_PROFILING"] = "1"  # the test control plane serves /debug/pprof only when asked
    envs = tuple(args.envs.split(","))
    sides = ("comind", "baseline") if args.only is None else (args.only,)
    # each app: one pod in dev, two elsewhere (the template's replicas), in every env but prod; plus the demo
    # apps' and the Helm stand-ins' (~20)
    pods = len(sides) * (args.apps + 1) * sum(1 if e == "dev" else 2 for e in envs if e != "prod") + 20
    nodes = args.nodes or max(3, -(-pods * 5 // 4 // 110))
    workdir = Path(tempfile.mkdtemp(prefix="comind-bench-gitops-"))
    rows: dict[str, dict[str, tuple[float | None, int, float]]] = {}
    loads: dict[str, tuple[float, float, float]] = {}
    try:
        with gitops_platform(workdir, envs=envs, nodes=nodes) as platform, IngressStandIn(platform.cluster), \
                ApplicationWatch(platform) as watch:
            t0 = time.perf_counter()
            bootstrap(platform)
            print(f"setup: bootstrapped in {time.perf_counter() - t0:.0f} s ({nodes} kwok nodes)", flush=True)

            def sync() -> None:
                comind(platform, "sync")

            def run(prefix: str, count: int, label: str, after_push: Callable[[], None], cap: float
                    ) -> tuple[float | None, int, float]:
                return measure(platform, watch, add_apps(platform, prefix, count), label, after_push, cap,
                               args.profile if count > 1 else 0)

            if "comind" in sides:
                rows["comind"] = {"one": run("solo", 1, "comind, one app", sync, 300),
                                  "many": run(SEED, args.apps, f"comind, {args.apps} apps", sync, 600)}
                loads["comind"] = os.getloadavg()
            if "baseline" in sides:
                restart_with_defaults(platform)
                rows["baseline"] = {
                    "one": run("base", 1, "baseline, one app", lambda: None, args.baseline_cap),
                    "many": run("herd", args.apps, f"baseline, {args.apps} apps", lambda: None, args.baseline_cap)}
                loads["baseline"] = os.getloadavg()
        print(f"\ncommit -> Synced+Healthy (auto-sync envs) / compared (prod), envs {','.join(envs)}, "
              f"{os.cpu_count()} cores")
        print(f"{'':44} {'one app s':>10} {f'{args.apps} apps s':>12}   load average 1/5/15 min after")
        for label, key in (("comind (local config + `comind sync`)", "comind"),
                           ("baseline (Argo CD defaults, no refresh)", "baseline")):
            if key not in rows:
                continue
            one, many = rows[key]["one"], rows[key]["many"]
            load = " ".join(f"{x:.1f}" for x in loads[key])
            print(f"{label:44} {fmt(one[0], one[2]):>10} {fmt(many[0], many[2]):>12}   {load}"
                  f"  ({one[1]} / {many[1]} Applications)")
        if len(rows) == 2:
            ratios = [ratio(rows["baseline"][key][0], rows["comind"][key][0], args.baseline_cap)
                      for key in ("one", "many")]
            print(f"{'ratio baseline / comind':44} {ratios[0]:>10} {ratios[1]:>12}")
        print(f"targets: one app <= 10 s, {args.apps * len(envs)} Applications <= 60 s")
    finally:
        if args.keep:
            print(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
