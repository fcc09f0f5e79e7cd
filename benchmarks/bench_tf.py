"""Speed of `comind tf apply|destroy` for one app environment, beside bare terraform on the same folder.

    python benchmarks/bench_tf.py [--rounds 3]

Baseline: `terraform apply -auto-approve` and `terraform destroy -auto-approve` run directly in the app's
rendered root module with the same TF_VAR_* values (init done once, not timed). Measured in the same run:
`comind tf apply` cold (creates database, bucket, queue + DLQ and Secret), warm (nothing to change: comind
plans first and skips the apply), and `comind tf destroy`. Needs the test Docker engine and images, the
test control plane (tests/testbin/build-kube.sh) and the provider mirror (tests/testbin/build-providers.sh).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from comind_scaffold._terraform import Terraform  # noqa: E402
from comind_scaffold.tf import app_workdir, find_app, local_variables, tf  # noqa: E402
from tests.components import docker_stack as ds  # noqa: E402
from tests.components.kube import KubeCluster  # noqa: E402
from tests.helpers_terraform import app_answers, ensure_provider_mirror, write_platform  # noqa: E402


def _timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    config, reason = ensure_provider_mirror()
    if config is None:
        print(reason, file=sys.stderr)
        return 1
    client = ds.connect_engine()
    images, s3_image = ds.resolve_images(client)
    stack = ds.start_stack(client, images=images, s3_image=s3_image, prefer_seed_ports=False)
    cluster = KubeCluster(nodes=1).start()
    rows: dict[str, list[float]] = {k: [] for k in ("terraform apply", "comind tf apply (cold)",
                                                    "comind tf apply (warm)", "terraform destroy",
                                                    "comind tf destroy")}
    try:
        with tempfile.TemporaryDirectory() as folder:
            repo = write_platform(Path(folder), stack, app_answers("bench"))
            app = find_app(repo, "bench")
            runner = Terraform(app_workdir(repo, app, "local"))
            runner.init()
            runner.select_workspace("dev")
            variables = local_variables(repo, app, "dev", cluster.kubeconfig, None)
            steps: list[tuple[str, Callable[[], object]]] = [
                ("terraform apply", lambda: runner.apply(variables)),
                ("terraform destroy", lambda: runner.destroy(variables)),
                ("comind tf apply (cold)", lambda: tf(repo, "bench", "dev", "apply", kubeconfig=cluster.kubeconfig)),
                ("comind tf apply (warm)", lambda: tf(repo, "bench", "dev", "apply", kubeconfig=cluster.kubeconfig)),
                ("comind tf destroy", lambda: tf(repo, "bench", "dev", "destroy", kubeconfig=cluster.kubeconfig)),
            ]
            for _ in range(args.rounds):
                for name, step in steps:
                    rows[name].append(_timed(step))
    finally:
        cluster.stop()
        ds.remove_session(client, stack.session)
    baseline = {"apply": statistics.median(rows["terraform apply"]),
                "destroy": statistics.median(rows["terraform destroy"])}
    print(f"{'step':28} {'median s':>9} {'vs baseline':>12}   (baseline: bare terraform, {args.rounds} rounds)")
    for name, values in rows.items():
        base = baseline["destroy" if "destroy" in name else "apply"]
        print(f"{name:28} {statistics.median(values):9.2f} {statistics.median(values) / base:11.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
