"""modules/app (local profile) driven by tftest — plain terraform, no comind in between — against the real services.

The app's rendered root module (`apps/<app>/terraform/local`, which calls `infra/terraform/modules/app/local`)
is planned, applied and destroyed by tftest with the variables `comind tf` would pass. The plan must create
exactly the app's database, bucket and user, queues and Secret; after apply the verifier's checks find them;
after destroy they are gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tftest

from comind_scaffold._kube import KubeClient
from comind_scaffold._terraform import find_binary, mirror_cli_config
from comind_scaffold.checks.apps import check_app_secret
from comind_scaffold.checks.expected import AppEnv
from comind_scaffold.checks.local_services import check_app_resources
from comind_scaffold.checks.resources import Snapshot
from comind_scaffold.models import Status
from comind_scaffold.services.credentials import load_credentials
from comind_scaffold.tf import local_variables
from tests.helpers_terraform import app_answers, write_platform

pytestmark = [pytest.mark.terraform, pytest.mark.docker, pytest.mark.cluster, pytest.mark.slow]

APP, ENV = "ledger", "dev"


def _verifier(repo: Any, kube: Any) -> dict[str, Status]:
    pair = AppEnv(repo.apps[0], ENV)
    results = check_app_resources(pair, repo.services, load_credentials(repo.credentials_path), timeout=10.0)
    with KubeClient(str(kube.kubeconfig)) as client:
        results.append(check_app_secret(Snapshot(client), pair))
    return {r.object: r.status for r in results}


def test_plan_apply_destroy_with_tftest(tmp_path: Path, service_stack: Any, kube_cluster: Any,
                                        provider_mirror: Path) -> None:
    repo = write_platform(tmp_path, service_stack, app_answers(APP))
    variables = {k: str(v).lower() if isinstance(v, bool) else v  # tftest writes -var k=v; HCL booleans are lowercase
                 for k, v in local_variables(repo, repo.apps[0], ENV, kube_cluster.kubeconfig, None).items()}
    tf = tftest.TerraformTest(repo.app_dir(APP) / "terraform" / "local", binary=find_binary(),
                              env={"TF_CLI_CONFIG_FILE": str(mirror_cli_config())})
    tf.setup(workspace_name=ENV)

    plan = tf.plan(output=True, tf_vars=variables)
    created = sorted(address for address, change in plan.resource_changes.items()
                     if change["change"]["actions"] == ["create"])
    expected = [
        "module.app.localdev_kubernetes_secret.this",
        "module.app.localdev_password.database[0]",
        "module.app.localdev_postgresql_database.this[0]",
        "module.app.localdev_s3_bucket.this[0]",
        "module.app.localdev_sqs_queue.dead_letter[0]",
        "module.app.localdev_sqs_queue.main[0]",
        "terraform_data.workspace_guard",
    ]
    if service_stack.s3.kind == "minio":
        expected += ["module.app.localdev_minio_user.this[0]", "module.app.localdev_password.storage[0]"]
    assert created == sorted(expected)

    tf.apply(tf_vars=variables)
    try:
        outputs = tf.output()
        assert (outputs["database_name"], outputs["bucket_name"]) == ("ledger_dev", "comind-ops-ledger-dev")
        assert outputs["queue_url"].endswith("/ledger-dev")
        assert set(_verifier(repo, kube_cluster).values()) == {Status.PASS}
    finally:
        tf.destroy(tf_vars=variables)
    assert set(_verifier(repo, kube_cluster).values()) == {Status.FAIL}
