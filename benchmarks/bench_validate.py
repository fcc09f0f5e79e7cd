"""Speed of `comind validate` on a platform with many apps, beside the loop a script would run.

    python benchmarks/bench_validate.py [--apps 100] [--baseline-apps N]

The platform is rendered once through the real templates (`comind init` + `comind new-app`), then the app is
copied and renamed to reach --apps apps x 3 environments, and each team's AppProject lists every namespace.
Baseline ("naive loop"): for every overlay `kubectl kustomize DIR`, then a fresh `kubernetes_validate.validate`
per rendered object and per Argo CD file (what a shell or Python script does: no cache, one tool run after
another). Timed in the same run: `comind validate` as a user runs it (a new process, CLI start included) with
the kustomize it finds, and with `kubectl kustomize` forced. The baseline can be run on fewer apps
(--baseline-apps) and scaled linearly, which is said in the output.
Targets (issue #2 §9 c): comind validate ≤ 10 s and ≤ 0.3x the loop.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import kubernetes_validate  # noqa: E402
import yaml  # noqa: E402

from tests.helpers_scaffold import GIT_IDENTITY, commit_all, make_platform, make_template_repo  # noqa: E402
from tests.helpers_validate import CACHED_KUSTOMIZE, rename_app  # noqa: E402

ENVS = ("dev", "stage", "prod")
TEAM = "payments"
_DESTINATIONS = re.compile(r"(  # comind:destinations:begin[^\n]*\n).*?(\n  # comind:destinations:end)", re.S)


def make_platform_with_apps(where: Path, apps: int) -> Path:
    """Render a platform and one app with the templates, then copy the app to `apps` apps."""
    from comind_scaffold.scaffold import new_app

    os.environ.update(GIT_IDENTITY)
    platform = make_platform(make_template_repo(where / "template"), where / "platform")
    options = {"with_database": True, "with_queue": True, "image": "ghcr.io/acme/app0000", "image_tag": "1.0.0"}
    new_app("app0000", TEAM, platform_dir=platform, options=options)
    commit_all(platform, "app0000")
    for index in range(1, apps):
        name = f"app{index:04d}"
        shutil.copytree(platform / "apps/app0000", platform / "apps" / name)
        rename_app(platform / "apps" / name, "app0000", name)
    project = platform / "k8s/kustomize/projects" / f"{TEAM}.yaml"
    namespaces = [f"app{i:04d}-{env}" for i in range(apps) for env in ENVS]
    listed = "".join(f"    - server: https://kubernetes.default.svc\n      namespace: {ns}\n" for ns in namespaces)
    text = _DESTINATIONS.sub(
        lambda m: f"{m.group(1)}  destinations:\n{listed.rstrip()}{m.group(2)}", project.read_text()
    )
    project.write_text(text)
    return platform


def naive_loop(platform: Path, apps: int, version: str) -> tuple[float, int]:
    """kubectl kustomize per overlay, then a fresh kubernetes_validate call per object and per Argo CD file."""
    started = time.perf_counter()
    errors = 0
    for index in range(apps):  # noqa: B007 - the loop a script would write
        app_dir = platform / "apps" / f"app{index:04d}"
        for env in ENVS:
            out = subprocess.run(
                ["kubectl", "kustomize", str(app_dir / "k8s/overlays" / env)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for obj in yaml.safe_load_all(out):
                errors += _validate_one(obj, version)
        for path in sorted((app_dir / "argocd").glob("*.yaml")):
            for obj in yaml.safe_load_all(path.read_text()):
                errors += _validate_one(obj, version)
    return time.perf_counter() - started, errors


def _validate_one(obj: dict, version: str) -> int:
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError:
        return 1
    except kubernetes_validate.utils.SchemaNotFoundError:
        return 0
    return 0


def run_cli(platform: Path, kustomize: str | None, *, warm: bool = False) -> tuple[float, float, str]:
    """One `comind validate`; its render cache emptied first unless `warm` (then an earlier run's renders count)."""
    if not warm:
        shutil.rmtree(platform / ".comind" / "cache" / "rendered", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in ("COMIND_KUSTOMIZE", "COMIND_ARGOCD_CRDS")}
    if kustomize:
        env["COMIND_KUSTOMIZE"] = kustomize
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(["comind", "validate", str(platform)], capture_output=True, text=True, env=env, check=False)
    took, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"comind validate failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return took, cpu, done.stdout.strip().splitlines()[-1]


def _children_cpu() -> float:
    """CPU seconds of every finished child process (and theirs): what a run costs whatever else the machine does."""
    times = os.times()
    return times.children_user + times.children_system


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--baseline-apps", type=int, default=0, help="run the loop on fewer apps and scale (0: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        started = time.perf_counter()
        platform = make_platform_with_apps(Path(tmp), args.apps)
        print(f"platform: {args.apps} apps x {len(ENVS)} envs generated in {time.perf_counter() - started:.1f} s")

        kubectl = shutil.which("kubectl") or "kubectl"
        runs = []
        if CACHED_KUSTOMIZE.is_file() or shutil.which("kustomize"):
            runs.append(
                (
                    "comind validate (standalone kustomize)",
                    str(CACHED_KUSTOMIZE) if CACHED_KUSTOMIZE.is_file() else None,
                )
            )
        runs.append(("comind validate (kubectl kustomize)", kubectl))
        timed = []
        for label, binary in runs:
            timed.append((label, *run_cli(platform, binary)))
            timed.append((label.replace("(", "(again, render cache filled: "), *run_cli(platform, binary, warm=True)))

        baseline_apps = args.baseline_apps or args.apps
        cpu_start, own_start = _children_cpu(), sum(os.times()[:2])
        loop, errors = naive_loop(platform, baseline_apps, "1.34")
        loop_cpu = _children_cpu() - cpu_start + sum(os.times()[:2]) - own_start
        scale = args.apps / baseline_apps
        loop_full, loop_cpu_full = loop * scale, loop_cpu * scale
        scaled = "" if scale == 1 else f" (measured on {baseline_apps} apps, scaled x{scale:g})"
        print(f"load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall times include other work")
        label = "naive loop (kubectl kustomize + fresh kubernetes_validate)"
        print(f"{label:50} wall {loop_full:7.2f} s  cpu {loop_cpu_full:7.2f} s{scaled}, {errors} schema errors")
        for label, took, cpu, summary in timed:
            print(
                f"{label:50} wall {took:7.2f} s  cpu {cpu:7.2f} s  ratio wall {took / loop_full:.3f}x "
                f"cpu {cpu / loop_cpu_full:.3f}x  [{summary}]"
            )
        best = min(took for _, took, _, _ in timed[::2])  # the target is for a first run
        verdict = "met" if best <= 10 and best / loop_full <= 0.3 else "NOT met"
        print(f"target wall ≤ 10 s and ≤ 0.3x the loop: {verdict} (best {best:.2f} s, {best / loop_full:.3f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
