"""Speed of `comind services up|status|clean` with many apps, beside a bare start of the same containers.

    python benchmarks/bench_services.py [--apps 20] [--envs dev,stage,prod]

Baseline: `tests/components/docker_stack.start_stack` — the same four images started with plain
`containers.run` and waited on until healthy, with no ownership/port checks, credentials or per-app
initialisation. Measured in the same run: a cold `up` (containers + one database/role, bucket/user and
queue/DLQ per app environment), a warm `up` (everything already there: the idempotent path), `status`
(four protocol probes) and `clean`. Needs the test Docker engine and images (tests/testbin/DOCKER.md).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from comind_scaffold._docker import DockerEngine  # noqa: E402
from comind_scaffold.services.manager import clean, status, up  # noqa: E402
from comind_scaffold.services.report import Action  # noqa: E402
from tests.components import docker_stack as ds  # noqa: E402
from tests.helpers_services import image_refs, services_yaml, unique_platform, write_platform  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=20)
    parser.add_argument("--envs", default="dev,stage,prod")
    args = parser.parse_args()
    envs = args.envs.split(",")

    client = ds.connect_engine()
    images, s3_image = ds.resolve_images(client)
    t0 = time.monotonic()
    stack = ds.start_stack(client, images=images, s3_image=s3_image, prefer_seed_ports=False)
    bare = time.monotonic() - t0
    ds.remove_session(client, stack.session)

    apps = {
        f"app{i:03d}": {"environments": envs, "with_database": True, "with_storage": True, "with_queue": True}
        for i in range(args.apps)
    }
    engine = DockerEngine(ds.docker_host())
    with tempfile.TemporaryDirectory() as folder:
        repo = write_platform(Path(folder), services_yaml(unique_platform("b"), image_refs(images, s3_image)), apps)
        try:
            t0 = time.monotonic()
            cold_report = up(repo, engine=engine)
            cold = time.monotonic() - t0
            t0 = time.monotonic()
            warm_report = up(repo, engine=engine)
            warm = time.monotonic() - t0
            t0 = time.monotonic()
            rows = status(repo, engine=engine)
            probe = time.monotonic() - t0
        finally:
            t0 = time.monotonic()
            clean(repo, engine=engine)
            removal = time.monotonic() - t0

    created = sum(1 for ch in cold_report.changes if ch.action is Action.CREATED)
    unchanged = all(ch.action in (Action.UNCHANGED, Action.SKIPPED) for ch in warm_report.changes)
    print(f"{args.apps} apps x {len(envs)} envs; S3 image {s3_image}; {created} objects created by the cold up")
    print(f"{'run':44} {'seconds':>8} {'x baseline':>11}")
    for label, seconds in (
        ("baseline: bare start of 4 containers", bare),
        ("comind services up (cold, with per-app init)", cold),
        ("comind services up (warm, nothing to do)", warm),
        ("comind services status (4 probes)", probe),
        ("comind services clean", removal),
    ):
        print(f"{label:44} {seconds:8.2f} {seconds / bare:10.2f}x")
    print(f"warm up changed nothing: {unchanged}; status all ok: {all(row.ok for row in rows)}")
    return 0 if unchanged and all(row.ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
