"""Speed of `comind update --all` on many apps after one template change, beside a shell loop of `copier update`.

    python benchmarks/bench_update_all.py [--apps 50] [--jobs N]

Baseline: `for app in apps/*/; do (cd "$app" && copier update --trust --defaults --skip-answered
--vcs-ref v1.1.0 --conflict inline); done` — one copier process per app, one after the other, over the same
repository at the same commit. comind updates every app in a work tree of its own, in parallel processes, and
checks for conflicts. Both end with the same files (checked). Target: ratio <= 0.3x. A second row runs comind
with COMIND_COPIER_SPEEDUPS=off, for the share of comind_scaffold/_copier_speed.py (same files, checked too).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from comind_scaffold.scaffold import new_app  # noqa: E402
from tests.helpers_scaffold import commit_all, console_scripts, git, scratch_platform  # noqa: E402

SEED = "seedapp"


def children_cpu() -> float:
    """CPU seconds used so far by finished child processes (and theirs): load-independent, unlike wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def clone_apps(platform: Path, count: int) -> list[str]:
    """Copy one generated app under new names (same bytes but the name), as new-app would render them."""
    names = [f"app{index:03d}" for index in range(count)]
    seed = platform / "apps" / SEED
    for name in names:
        for source in seed.rglob("*"):
            if source.is_file():
                target = platform / "apps" / name / source.relative_to(seed)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(source.read_text().replace(SEED, name))
    shutil.rmtree(seed)
    return names


def reset(platform: Path, head: str) -> None:
    git(platform, "reset", "-q", "--hard", head)
    git(platform, "clean", "-qfd", "apps")


def tree_digest(platform: Path) -> str:
    git(platform, "add", "-A", "apps")
    digest = git(platform, "write-tree").strip()
    git(platform, "reset", "-q")
    return digest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    comind, copier_cli = console_scripts()
    env = dict(os.environ)
    with scratch_platform("bench-update-all-") as (_, template, platform):
        new_app(SEED, "payments", platform_dir=platform, options={"with_database": True})
        names = clone_apps(platform, args.apps)
        commit_all(platform, f"{args.apps} apps")
        head = git(platform, "rev-parse", "HEAD").strip()
        deployment = template / "templates/app/k8s/base/deployment.yaml.jinja"
        deployment.write_text(deployment.read_text().replace("revisionHistoryLimit: 5", "revisionHistoryLimit: 8"))
        commit_all(template, "one change")
        git(template, "tag", "v1.1.0")

        loop = "\n".join(
            f'(cd apps/{name} && "{copier_cli}" update --trust --defaults --skip-answered --quiet '
            f"--vcs-ref v1.1.0 --conflict inline)"
            for name in names
        )
        start, cpu = time.perf_counter(), children_cpu()
        subprocess.run(["sh", "-ec", loop], cwd=platform, env=env, check=True, capture_output=True)
        baseline, baseline_cpu = time.perf_counter() - start, children_cpu() - cpu
        expected = tree_digest(platform)
        reset(platform, head)

        command = [comind, "update", "--all", "--vcs-ref", "v1.1.0", "--platform-dir", str(platform)]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        runs: dict[str, tuple[float, float]] = {}
        same = True
        for label, switch in (("comind update --all, speed-ups off", "off"), ("comind update --all", "on")):
            reset(platform, head)
            start, cpu = time.perf_counter(), children_cpu()
            done = subprocess.run(command, env={**env, "COMIND_COPIER_SPEEDUPS": switch}, capture_output=True,
                                  text=True, check=False)
            runs[label] = time.perf_counter() - start, children_cpu() - cpu
            if done.returncode != 0:
                print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
                return 1
            same = same and tree_digest(platform) == expected
        mine, mine_cpu = runs["comind update --all"]
        unpatched, unpatched_cpu = runs["comind update --all, speed-ups off"]

    load = os.getloadavg()[0]
    print(
        f"update --all benchmark: {args.apps} apps, one template change (v1.0.0 -> v1.1.0), "
        f"{os.cpu_count()} CPUs, load average {load:.1f}"
    )
    print(f"{'':40} {'wall s':>8} {'per app':>8} {'CPU s':>8} {'per app':>8}")
    for label, (wall, used) in {"baseline: shell loop of copier update": (baseline, baseline_cpu), **runs}.items():
        print(f"{label:40} {wall:8.2f} {wall / args.apps:8.3f} {used:8.2f} {used / args.apps:8.3f}")
    ratios = f"wall {mine / baseline:.2f}x (target <= 0.30x), CPU {mine_cpu / baseline_cpu:.2f}x"
    print(f"ratio comind / baseline: {ratios}; same resulting files (all three): {same}")
    print(f"speed-ups (comind_scaffold/_copier_speed.py) on / off: wall {mine / unpatched:.2f}x, "
          f"CPU {mine_cpu / unpatched_cpu:.2f}x")
    print("wall time depends on free cores (comind runs one worker per CPU); CPU time does not")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
