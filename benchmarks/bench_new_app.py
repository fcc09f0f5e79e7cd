"""Speed of `comind new-app` beside a raw `copier copy` of the same answers.

    python benchmarks/bench_new_app.py [--runs 5]

Baseline: `copier copy --trust --defaults --data-file ANSWERS --vcs-ref v1.0.0 TEMPLATE DEST` — the same
template version and the same complete answers, but none of comind's checks (names taken, collisions, platform
teams/environments/services, clean tree) and no AppProject sync. Both run as fresh processes, as a user runs
them; the same pair is also timed in-process (library `new_app()` vs `copier.run_copy()`) to separate the cost
of starting the `comind` process from the cost of the verb. Medians of --runs; target: CLI ratio <= 1.3x.

A second pair times `comind new-app` of the wheel installed into a fresh venv, its platform recording a git URL
(a bare repository served as file://), beside raw `copier copy` from the same URL (target <= 1.3x as well);
`--skip-installed` leaves it out (it builds and installs the wheel first, ~1 min).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import copier  # noqa: E402
import yaml  # noqa: E402

from comind_scaffold.app_answers import app_answers  # noqa: E402
from comind_scaffold.repo import PlatformRepo  # noqa: E402
from comind_scaffold.scaffold import new_app  # noqa: E402
from tests.helpers_scaffold import commit_all, console_scripts, scratch_platform  # noqa: E402


def timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-installed", action="store_true")
    args = parser.parse_args()
    comind, copier_cli = console_scripts()
    env = dict(os.environ)
    with scratch_platform("bench-new-app-") as (root, template, platform):
        repo = PlatformRepo(platform)
        cli_comind, cli_copier, lib_comind, lib_copier = [], [], [], []
        for run in range(args.runs):
            name = f"cli{run}"
            cli_comind.append(
                timed(
                    lambda n=name: subprocess.run(
                        [
                            comind,
                            "new-app",
                            n,
                            "--team",
                            "payments",
                            "--with-database",
                            "--platform-dir",
                            str(platform),
                        ],
                        env=env,
                        check=True,
                        capture_output=True,
                    )
                )
            )
            commit_all(platform, name)
            raw = f"raw{run}"
            answers = app_answers(repo, raw, "payments", {"with_database": True})
            data_file = root / f"{raw}.yml"
            data_file.write_text(yaml.safe_dump(answers))
            cli_copier.append(
                timed(
                    lambda r=raw, f=data_file: subprocess.run(
                        [
                            copier_cli,
                            "copy",
                            "--trust",
                            "--defaults",
                            "--quiet",
                            "--data-file",
                            str(f),
                            "--vcs-ref",
                            "v1.0.0",
                            str(template),
                            str(platform / "apps" / r),
                        ],
                        env=env,
                        check=True,
                        capture_output=True,
                    )
                )
            )
            commit_all(platform, raw)
            lib = f"lib{run}"
            lib_comind.append(
                timed(lambda n=lib: new_app(n, "payments", platform_dir=platform, options={"with_database": True}))
            )
            commit_all(platform, lib)
            rawlib = f"rawlib{run}"
            answers = app_answers(repo, rawlib, "payments", {"with_database": True})
            lib_copier.append(
                timed(
                    lambda a=answers, r=rawlib: copier.run_copy(
                        str(template),
                        platform / "apps" / r,
                        data=a,
                        defaults=True,
                        unsafe=True,
                        quiet=True,
                        vcs_ref="v1.0.0",
                    )
                )
            )
            commit_all(platform, rawlib)
        startup = statistics.median(
            timed(lambda: subprocess.run([comind, "--help"], capture_output=True, check=True)) for _ in range(3)
        )
        copier_startup = statistics.median(
            timed(lambda: subprocess.run([copier_cli, "--help"], capture_output=True, check=True)) for _ in range(3)
        )

    rows = [] if args.skip_installed else [installed_pair(args.runs, copier_cli, env)]
    rows += [
        ("process: comind new-app vs copier copy", statistics.median(cli_comind), statistics.median(cli_copier)),
        ("in-process: new_app() vs copier.run_copy()", statistics.median(lib_comind), statistics.median(lib_copier)),
        ("start-up only: comind --help vs copier --help", startup, copier_startup),
    ]
    print(f"new-app benchmark, {args.runs} runs each, medians (baseline: raw copier copy of the same answers)")
    print(f"{'':48} {'comind':>9} {'baseline':>9} {'ratio':>7}")
    for label, mine, base in rows:
        print(f"{label:48} {mine:8.2f}s {base:8.2f}s {mine / base:6.2f}x")
    print(f"target: process ratio <= 1.30x; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


def installed_pair(runs: int, copier_cli: str, env: dict[str, str]) -> tuple[str, float, float]:
    """Median seconds of the installed wheel's `comind new-app` and raw `copier copy`, both from a git URL."""
    import tempfile

    from tests.helpers_scaffold import git, make_template_repo
    from tests.test_installed import install_wheel

    with tempfile.TemporaryDirectory(prefix="bench-installed-") as scratch:
        root = Path(scratch)
        bin_dir = install_wheel(root / "wheel")
        bare = root / "comind-ops.git"
        git(root, "clone", "-q", "--bare", str(make_template_repo(root / "template")), str(bare))
        clean = {k: v for k, v in env.items() if k != "COMIND_TEMPLATE"}
        platform = root / "platform"
        subprocess.run([str(bin_dir / "comind"), "init", str(platform), "--template", bare.as_uri()],
                       env=clean, check=True, capture_output=True)
        git(platform, "init", "-q", "-b", "main")
        commit_all(platform, "platform")
        repo = PlatformRepo(platform)
        mine, base = [], []
        for run in range(runs):
            name, raw = f"inst{run}", f"instraw{run}"
            mine.append(timed(lambda n=name: subprocess.run(
                [str(bin_dir / "comind"), "new-app", n, "--team", "backend", "--with-database"],
                cwd=platform, env=clean, check=True, capture_output=True)))
            commit_all(platform, name)
            data_file = root / f"{raw}.yml"
            data_file.write_text(yaml.safe_dump(app_answers(repo, raw, "backend", {"with_database": True})))
            base.append(timed(lambda r=raw, f=data_file: subprocess.run(
                [copier_cli, "copy", "--trust", "--defaults", "--quiet", "--data-file", str(f), "--vcs-ref", "v1.0.0",
                 bare.as_uri(), str(platform / "apps" / r)], env=clean, check=True, capture_output=True)))
            commit_all(platform, raw)
    return ("installed wheel, git URL: comind new-app vs copier", statistics.median(mine), statistics.median(base))


if __name__ == "__main__":
    sys.exit(main())
