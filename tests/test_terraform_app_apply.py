"""`comind tf` on the local profile against the real services and API server.

modules/app/local is planned and applied through `comind_scaffold.tf.tf` against the Docker PostgreSQL,
MinIO (or the moto stand-in) and ElasticMQ of the test stack and the test control plane; the verifier's
checks then find the database, bucket, queues and Secret; destroy removes them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import psycopg
import pytest

from comind_scaffold._kube import KubeClient
from comind_scaffold.checks.apps import check_app_secret
from comind_scaffold.checks.expected import AppEnv
from comind_scaffold.checks.local_services import check_app_resources
from comind_scaffold.checks.resources import Snapshot
from comind_scaffold.errors import ToolFailedError
from comind_scaffold.models import Status
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.tf import tf
from tests.components.require import skip_or_fail
from tests.helpers_terraform import app_answers, write_platform

pytestmark = [pytest.mark.terraform, pytest.mark.docker, pytest.mark.cluster, pytest.mark.slow]


@pytest.fixture
def platform(tmp_path: Path, service_stack: Any, provider_mirror: Path) -> PlatformRepo:
    return write_platform(tmp_path, service_stack, app_answers("shop"))


def _secret(kube: Any, namespace: str, name: str) -> dict[str, Any] | None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        secret = client.CoreV1Api(kube.api_client).read_namespaced_secret(name, namespace)
    except ApiException as err:
        if err.status == 404:
            return None
        raise
    return {"labels": secret.metadata.labels or {},
            "data": {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}}


def _verifier_results(repo: PlatformRepo, kube: Any, env: str) -> dict[str, Status]:
    """What the verifier's apps layer says about the app's resources and Secret."""
    from comind_scaffold.services.credentials import load_credentials

    pair = AppEnv(repo.apps[0], env)
    results = check_app_resources(pair, repo.services, load_credentials(repo.credentials_path), timeout=10.0)
    with KubeClient(str(kube.kubeconfig)) as client:
        results.append(check_app_secret(Snapshot(client), pair))
    return {result.object: result.status for result in results}


def _sqs(stack: Any) -> Any:
    mq = stack.elasticmq.credentials
    return boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{stack.elasticmq.port}",
                        aws_access_key_id=mq["access_key"], aws_secret_access_key=mq["secret_key"],
                        region_name=mq["region"])


@pytest.fixture
def applied(platform: PlatformRepo, kube_cluster: Any) -> Iterator[PlatformRepo]:
    result = tf(platform, "shop", "dev", "apply", kubeconfig=kube_cluster.kubeconfig)
    assert result.changed, result.summary
    try:
        yield platform
    finally:
        tf(platform, "shop", "dev", "destroy", kubeconfig=kube_cluster.kubeconfig)


def test_apply_creates_what_the_verifier_finds(applied: PlatformRepo, kube_cluster: Any, service_stack: Any) -> None:
    results = _verifier_results(applied, kube_cluster, "dev")
    assert results == {
        "database shop_dev": Status.PASS,
        "bucket comind-ops-shop-dev": Status.PASS,
        "queue shop-dev": Status.PASS,
        "queue shop-dev-dlq": Status.PASS,
        "Secret shop-dev/shop-infra": Status.PASS,
    }


def test_secret_logs_into_the_database_and_names_the_queues(applied: PlatformRepo, kube_cluster: Any,
                                                            service_stack: Any) -> None:
    secret = _secret(kube_cluster, "shop-dev", "shop-infra")
    assert secret is not None
    assert secret["labels"]["app.kubernetes.io/managed-by"] == "comind"
    data = secret["data"]
    assert len(data["DATABASE_PASSWORD"]) == 32
    with psycopg.connect(host="127.0.0.1", port=service_stack.postgres.port, user=data["DATABASE_USER"],
                         password=data["DATABASE_PASSWORD"], dbname=data["DATABASE_NAME"], connect_timeout=10) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == ("shop_dev", "shop_dev")
    assert data["QUEUE_URL"].startswith("http://elasticmq.platform-dev.svc.cluster.local:")
    assert data["DATABASE_HOST"] == "postgresql.platform-dev.svc.cluster.local"
    assert data["QUEUE_URL"].endswith("/shop-dev")
    assert data["S3_BUCKET"] == "comind-ops-shop-dev"


def _s3_as(stack: Any, access_key: str, secret_key: str) -> Any:
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{stack.s3.port}", aws_access_key_id=access_key,
                        aws_secret_access_key=secret_key, region_name="us-east-1")


def test_bucket_login_reaches_its_bucket_only(applied: PlatformRepo, kube_cluster: Any, service_stack: Any,
                                              request: pytest.FixtureRequest) -> None:
    if service_stack.s3.kind != "minio":
        skip_or_fail("MinIO (the S3 stand-in has no users, so the Secret carries no keys)", request.config)
    data = _secret(kube_cluster, "shop-dev", "shop-infra")["data"]  # type: ignore[index]
    s3 = _s3_as(service_stack, data["S3_ACCESS_KEY"], data["S3_SECRET_KEY"])
    s3.put_object(Bucket="comind-ops-shop-dev", Key="probe.txt", Body=b"ok")
    assert s3.get_object(Bucket="comind-ops-shop-dev", Key="probe.txt")["Body"].read() == b"ok"
    s3.delete_object(Bucket="comind-ops-shop-dev", Key="probe.txt")
    root = service_stack.s3.credentials
    _s3_as(service_stack, root["access_key"], root["secret_key"]).create_bucket(Bucket="comind-ops-other")
    try:
        with pytest.raises(botocore.exceptions.ClientError, match="AccessDenied"):
            s3.put_object(Bucket="comind-ops-other", Key="probe.txt", Body=b"no")
    finally:
        _s3_as(service_stack, root["access_key"], root["secret_key"]).delete_bucket(Bucket="comind-ops-other")


def test_queue_redrives_to_its_dead_letter_queue(applied: PlatformRepo, service_stack: Any) -> None:
    sqs = _sqs(service_stack)
    url = sqs.get_queue_url(QueueName="shop-dev")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    policy = json.loads(attributes["RedrivePolicy"])
    assert policy["deadLetterTargetArn"].endswith(":shop-dev-dlq")
    assert int(policy["maxReceiveCount"]) == 5


def test_second_apply_and_plan_change_nothing(applied: PlatformRepo, kube_cluster: Any) -> None:
    again = tf(applied, "shop", "dev", "apply", kubeconfig=kube_cluster.kubeconfig)
    plan = tf(applied, "shop", "dev", "plan", kubeconfig=kube_cluster.kubeconfig)
    assert (again.changed, plan.changed) == (False, False), (again.summary, plan.summary)
    assert again.outputs["database_name"] == "shop_dev"
    assert again.outputs["bucket_name"] == "comind-ops-shop-dev"


def test_destroy_removes_everything(platform: PlatformRepo, kube_cluster: Any, service_stack: Any) -> None:
    tf(platform, "shop", "prod", "apply", kubeconfig=kube_cluster.kubeconfig)
    tf(platform, "shop", "prod", "destroy", kubeconfig=kube_cluster.kubeconfig)
    results = _verifier_results(platform, kube_cluster, "prod")
    assert set(results.values()) == {Status.FAIL}, results
    assert _secret(kube_cluster, "shop-prod", "shop-infra") is None


def test_apply_refuses_a_database_it_did_not_create(platform: PlatformRepo, kube_cluster: Any,
                                                    service_stack: Any) -> None:
    pg = service_stack.postgres
    admin = dict(host="127.0.0.1", port=pg.port, user=pg.credentials["username"],
                 password=pg.credentials["password"], dbname="postgres", autocommit=True, connect_timeout=10)
    with psycopg.connect(**admin) as conn:
        conn.execute("CREATE DATABASE shop_prod")
    try:
        refused = 'postgresql: database "shop_prod" already exists without the comment'

        with pytest.raises(ToolFailedError, match=refused):
            tf(platform, "shop", "prod", "apply", kubeconfig=kube_cluster.kubeconfig)
        tf(platform, "shop", "prod", "destroy", kubeconfig=kube_cluster.kubeconfig)
        with psycopg.connect(**admin) as conn:
            kept = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'shop_prod'").fetchone()
        assert kept == (1,)
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute("DROP DATABASE IF EXISTS shop_prod")


def _services_up_objects(repo: PlatformRepo, env: str) -> None:
    """What `comind services up` makes for the app's `env` after its containers are up: database, bucket, queues."""
    from comind_scaffold.services import init
    from comind_scaffold.services.credentials import load_credentials, save_credentials

    creds = load_credentials(repo.credentials_path)
    assert creds is not None
    spec, host = repo.services.services, repo.services.bind_address
    apps = [app.model_copy(update={"environments": [env]}) for app in repo.apps]
    init.init_postgresql(spec["postgresql"], creds, apps, host)
    init.init_minio(spec["minio"], creds, apps, repo.services.platform, host)
    init.init_elasticmq(spec["elasticmq"], creds, apps, host)
    save_credentials(repo.credentials_path, creds)


def test_apply_takes_over_what_services_up_made(platform: PlatformRepo, kube_cluster: Any, service_stack: Any) -> None:
    from comind_scaffold.services.credentials import load_credentials

    _services_up_objects(platform, "prod")
    made = load_credentials(platform.credentials_path).apps["shop"]["prod"]  # type: ignore[union-attr]
    before, storage_before = made.database_password, made.storage_secret_key
    try:
        result = tf(platform, "shop", "prod", "apply", kubeconfig=kube_cluster.kubeconfig)
        assert result.changed, result.summary
        secret = _secret(kube_cluster, "shop-prod", "shop-infra")
        assert secret is not None
        password = secret["data"]["DATABASE_PASSWORD"]
        logins = load_credentials(platform.credentials_path).apps["shop"]["prod"]  # type: ignore[union-attr]
        assert (password != before, logins.database_password) == (True, password)  # Terraform's, written back
        if service_stack.s3.kind == "minio":  # the user services up made is taken over too, with a new secret
            assert secret["data"]["S3_SECRET_KEY"] == logins.storage_secret_key != storage_before
            bucket_login = _s3_as(service_stack, secret["data"]["S3_ACCESS_KEY"], secret["data"]["S3_SECRET_KEY"])
            assert bucket_login.list_objects_v2(Bucket="comind-ops-shop-prod")["KeyCount"] == 0
        with psycopg.connect(host="127.0.0.1", port=service_stack.postgres.port, user="shop_prod",
                             password=password, dbname="shop_prod", connect_timeout=10) as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("shop_prod",)
        _services_up_objects(platform, "prod")  # services up again leaves Terraform's objects and password alone
        assert tf(platform, "shop", "prod", "plan", kubeconfig=kube_cluster.kubeconfig).changed is False
    finally:
        tf(platform, "shop", "prod", "destroy", kubeconfig=kube_cluster.kubeconfig)
    results = _verifier_results(platform, kube_cluster, "prod")
    assert set(results.values()) == {Status.FAIL}, results  # taken over, so destroyed with the state


def test_cli_output_prints_the_outputs_as_json(applied: PlatformRepo, kube_cluster: Any,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from comind_scaffold.cli import main

    capsys.readouterr()
    code = main(["tf", "output", "shop", "--env", "dev", "--json", "--kubeconfig", str(kube_cluster.kubeconfig),
                 "--platform-dir", str(applied.root)])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (printed["action"], printed["changed"]) == ("output", False)
    assert printed["outputs"]["namespace"] == "shop-dev"
    assert printed["outputs"]["queue_url"].endswith("/shop-dev")
    assert "service_account_role_arn" not in printed["outputs"]  # null outputs are not kept in state
