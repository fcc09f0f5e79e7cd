"""The aws layer against moto's server (an AWS API emulator on loopback), never against AWS itself."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from comind_scaffold.checks import aws as checks
from comind_scaffold.checks.expected import Expected
from comind_scaffold.models import CheckResult, Status
from comind_scaffold.repo import PlatformRepo
from tests.helpers_verify import free_port, moto_endpoint, platform_repo, run_verify  # noqa: F401

pytestmark = pytest.mark.aws


def _create_world(aws: checks.Aws, repo: PlatformRepo) -> None:
    spec = repo.spec
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = []
    for index, zone in enumerate(("a", "b")):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{index}.0/24", AvailabilityZone=f"{aws.region}{zone}")
        subnets.append(subnet["Subnet"]["SubnetId"])
    ec2.create_tags(Resources=subnets, Tags=[{"Key": f"kubernetes.io/cluster/{spec.platform_name}", "Value": "shared"}])
    eks = aws.client("eks")
    role = "arn:aws:iam::123456789012:role/eks"
    eks.create_cluster(
        name=spec.platform_name, version=spec.kubernetes_minor, roleArn=role, resourcesVpcConfig={"subnetIds": subnets}
    )
    for group in spec.eks_node_groups:
        eks.create_nodegroup(
            clusterName=spec.platform_name,
            nodegroupName=group.name,
            subnets=subnets,
            nodeRole=role,
            scalingConfig={"minSize": group.min_size, "maxSize": group.max_size, "desiredSize": group.desired_size},
        )
    aws.client("rds").create_db_instance(
        DBInstanceIdentifier=f"{spec.platform_name}-platform",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="x" * 16,
    )
    aws.client("elasticache").create_replication_group(
        ReplicationGroupId=f"{spec.platform_name}-redis",
        ReplicationGroupDescription="platform cache",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=1,
    )
    aws.client("s3").create_bucket(
        Bucket=f"{spec.platform_name}-artifacts-{aws.region}",
        CreateBucketConfiguration={"LocationConstraint": aws.region},
    )
    route53 = aws.client("route53")
    zone = route53.create_hosted_zone(Name=checks.internal_zone(spec), CallerReference="world",
                                      VPC={"VPCRegion": aws.region, "VPCId": vpc},
                                      HostedZoneConfig={"PrivateZone": True})["HostedZone"]["Id"]
    records = [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"{service}.{env}.{checks.internal_zone(spec)}", "Type": "CNAME", "TTL": 60,
        "ResourceRecords": [{"Value": f"{service}.abc123.{aws.region}.amazonaws.com"}]}}
        for env in spec.environments for service in ("postgresql", "redis")]
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": records})
    _write_public_records(aws, repo)
    for pair in Expected(repo).app_envs:
        app, env = pair.app, pair.env
        if app.with_database:
            aws.client("rds").create_db_instance(
                DBInstanceIdentifier=pair.namespace,
                DBInstanceClass="db.t3.micro",
                Engine="postgres",
                MasterUsername="app",
                MasterUserPassword="x" * 16,
            )
        if app.with_storage:
            aws.client("s3").create_bucket(
                Bucket=app.bucket(spec.platform_name, env), CreateBucketConfiguration={"LocationConstraint": aws.region}
            )
        if app.with_queue:
            for queue in (app.queue(env), f"{app.queue(env)}-dlq"):
                aws.client("sqs").create_queue(QueueName=queue)


ALB = "k8s-shop-1234567890.us-west-2.elb.amazonaws.com."


def _write_public_records(aws: checks.Aws, repo: PlatformRepo) -> None:
    """The public zone of aws_domain as external-dns leaves it: an ALIAS A for the first app host, CNAMEs for the
    others and for Argo CD's host."""
    route53 = aws.client("route53")
    zone = route53.create_hosted_zone(Name=f"{repo.spec.aws_domain}.", CallerReference="public")["HostedZone"]["Id"]
    hosts = [*checks.ingress_hosts(Expected(repo).app_envs, repo.spec.aws_domain), checks.argocd_host(repo.spec)]
    alias = {"Name": f"{hosts[0]}.", "Type": "A",
             "AliasTarget": {"HostedZoneId": "Z1H1FL5HABSF5", "DNSName": ALB, "EvaluateTargetHealth": True}}
    cnames = [{"Name": f"{host}.", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": ALB}]}
              for host in hosts[1:]]
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={
        "Changes": [{"Action": "CREATE", "ResourceRecordSet": r} for r in [alias, *cnames]]})


def _delete_public_cname(aws: checks.Aws, domain: str, host: str) -> None:
    """Delete the CNAME of `host` that _write_public_records made in the public zone of `domain`."""
    route53 = aws.client("route53")
    zone = route53.list_hosted_zones_by_name(DNSName=f"{domain}.")["HostedZones"][0]["Id"]
    gone = {"Name": f"{host}.", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": ALB}]}
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={
        "Changes": [{"Action": "DELETE", "ResourceRecordSet": gone}]})


def aws_results(aws: checks.Aws, repo: PlatformRepo) -> list[CheckResult]:
    spec = repo.spec
    results = [checks.check_eks_cluster(aws, spec), checks.check_network_tags(aws, spec)]
    results += [checks.check_node_group(aws, spec, group) for group in spec.eks_node_groups]
    results += checks.check_platform_resources(aws, spec)
    results += [checks.check_internal_dns(aws, spec, env) for env in spec.environments]
    results.append(checks.check_public_dns(aws, spec, checks.ingress_hosts(Expected(repo).app_envs, spec.aws_domain)))
    for pair in Expected(repo).app_envs:
        results += checks.check_app_resources(aws, pair, spec.platform_name)
    return results


@pytest.fixture
def aws_world(moto_endpoint: str, platform_repo: PlatformRepo) -> checks.Aws:  # noqa: F811
    # moto builds its EC2 catalogue on the first call: creating the world may take longer than a check may
    _create_world(checks.Aws(platform_repo.spec.aws_region, moto_endpoint, timeout=120), platform_repo)
    return checks.Aws(platform_repo.spec.aws_region, moto_endpoint)


def _failures(results: list[CheckResult]) -> list[CheckResult]:
    return [r for r in results if r.status is Status.FAIL]


def test_healthy_aws_gives_no_failure_and_no_warning(aws_world: checks.Aws, platform_repo: PlatformRepo) -> None:  # noqa: F811
    results = aws_results(aws_world, platform_repo)
    assert [r.line() for r in results if r.status is not Status.PASS] == []
    objects = {r.object for r in results}
    assert "S3 bucket demo-shop-dev" in objects and "SQS queue shop-prod-dlq" in objects
    assert "ElastiCache replication group demo-redis" in objects and "RDS instance shop-prod" in objects
    assert "RDS instance demo-platform" in objects


def test_degraded_node_group_is_named(aws_world: checks.Aws, platform_repo: PlatformRepo) -> None:  # noqa: F811
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.eks.models import eks_backends

    group = platform_repo.spec.eks_node_groups[0]
    nodegroup = eks_backends[DEFAULT_ACCOUNT_ID][aws_world.region].clusters["demo"].nodegroups[group.name]
    nodegroup.status = "DEGRADED"  # the emulator's own state: no API call degrades a node group
    nodegroup.health = {"issues": [{"code": "AsgInstanceLaunchFailures", "message": "no capacity"}]}
    [result] = _failures(aws_results(aws_world, platform_repo))
    assert result.name == "eks.nodegroup"
    assert result.object == f"EKS node group demo/{group.name}"
    assert "DEGRADED" in result.message and "AsgInstanceLaunchFailures" in result.message


def test_missing_bucket_queue_and_platform_cache_are_named(aws_world: checks.Aws, platform_repo: PlatformRepo) -> None:  # noqa: F811
    aws_world.client("s3").delete_bucket(Bucket="demo-shop-prod")
    aws_world.client("elasticache").delete_replication_group(ReplicationGroupId="demo-redis")
    sqs = aws_world.client("sqs")
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="shop-dev-dlq")["QueueUrl"])
    failed = {r.object: r.message for r in _failures(aws_results(aws_world, platform_repo))}
    assert set(failed) == {
        "S3 bucket demo-shop-prod",
        "SQS queue shop-dev-dlq",
        "ElastiCache replication group demo-redis",
    }
    assert failed["ElastiCache replication group demo-redis"] in ("does not exist in us-west-2", "status deleting")
    assert failed["S3 bucket demo-shop-prod"] == failed["SQS queue shop-dev-dlq"] == "does not exist in us-west-2"


def test_missing_private_dns_record_and_zone_are_named(aws_world: checks.Aws, platform_repo: PlatformRepo) -> None:  # noqa: F811
    spec = platform_repo.spec
    route53 = aws_world.client("route53")
    zone_name = checks.internal_zone(spec)
    zone = route53.list_hosted_zones_by_name(DNSName=zone_name)["HostedZones"][0]["Id"]
    env = spec.environments[0]
    gone = {"Name": f"postgresql.{env}.{zone_name}", "Type": "CNAME", "TTL": 60,
            "ResourceRecords": [{"Value": f"postgresql.abc123.{aws_world.region}.amazonaws.com"}]}
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={
        "Changes": [{"Action": "DELETE", "ResourceRecordSet": gone}]})
    [result] = _failures(aws_results(aws_world, platform_repo))
    assert (result.name, result.object) == ("aws.dns", f"Route53 {env}.{zone_name.rstrip('.')}")
    assert result.message == "no CNAME for postgresql"
    assert checks.check_internal_dns(aws_world, spec.model_copy(update={"aws_domain": "other.example"}), env
                                     ).message == "no private hosted zone internal.other.example."


def test_ingress_host_without_a_public_record_is_named(aws_world: checks.Aws, platform_repo: PlatformRepo) -> None:  # noqa: F811
    spec = platform_repo.spec
    hosts = checks.ingress_hosts(Expected(platform_repo).app_envs, spec.aws_domain)
    assert len(hosts) >= 2
    present = checks.check_public_dns(aws_world, spec, hosts)
    assert (present.status, present.message) == (Status.PASS, f"{len(hosts) + 1} ingress host(s) have a record")
    _delete_public_cname(aws_world, spec.aws_domain, hosts[-1])
    [result] = _failures(aws_results(aws_world, platform_repo))
    assert (result.name, result.object) == ("aws.public_dns", f"Route53 {spec.aws_domain}")
    assert result.message == f"no A or CNAME record for {hosts[-1]}"
    # The ALIAS record of the first host still counts; a zone of another domain is not there at all.
    assert checks.check_public_dns(aws_world, spec, hosts[:1]).status is Status.PASS
    other = checks.check_public_dns(aws_world, spec.model_copy(update={"aws_domain": "other.example"}), hosts)
    assert (other.status, other.message) == (Status.FAIL, "no public hosted zone other.example.")


def test_argo_cds_host_without_a_public_record_is_named(aws_world: checks.Aws, platform_repo: PlatformRepo) -> None:  # noqa: F811
    """Argo CD's own ALB Ingress, argocd.<aws_domain>, needs its record as much as the apps' hosts do."""
    spec = platform_repo.spec
    _delete_public_cname(aws_world, spec.aws_domain, f"argocd.{spec.aws_domain}")
    [result] = _failures(aws_results(aws_world, platform_repo))
    assert (result.name, result.object) == ("aws.public_dns", f"Route53 {spec.aws_domain}")
    assert result.message == f"no A or CNAME record for argocd.{spec.aws_domain}"
    # No app host needed for it: a platform without ingress apps still has Argo CD's.
    assert checks.check_public_dns(aws_world, spec, []).message == result.message


def test_wrong_cluster_version_and_node_group_size(aws_world: checks.Aws, platform_repo: PlatformRepo) -> None:  # noqa: F811
    eks = aws_world.client("eks")
    group = platform_repo.spec.eks_node_groups[0]
    eks.update_nodegroup_config(
        clusterName="demo", nodegroupName=group.name, scalingConfig={"desiredSize": group.desired_size + 1}
    )
    [result] = _failures(aws_results(aws_world, platform_repo))
    assert result.object == f"EKS node group demo/{group.name}"
    assert f"desiredSize={group.desired_size + 1} (expected {group.desired_size})" in result.message


def test_untagged_subnet_is_named(aws_world: checks.Aws, platform_repo: PlatformRepo) -> None:  # noqa: F811
    ec2 = aws_world.client("ec2")
    cluster = aws_world.client("eks").describe_cluster(name="demo")["cluster"]
    subnet = cluster["resourcesVpcConfig"]["subnetIds"][1]
    ec2.delete_tags(Resources=[subnet], Tags=[{"Key": "kubernetes.io/cluster/demo"}])
    [result] = _failures(aws_results(aws_world, platform_repo))
    assert result.name == "vpc.tags" and subnet in result.message


def test_unreachable_endpoint_fails_every_probe_fast(
    platform_repo: PlatformRepo,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws = checks.Aws(platform_repo.spec.aws_region, f"http://127.0.0.1:{free_port()}", timeout=2)
    results = [r for r in aws_results(aws, platform_repo) if "declares no AWS resources" not in r.message]
    assert len(results) >= 11 and all(r.status is Status.FAIL for r in results)
    assert all("unreachable" in r.message and "127.0.0.1" in r.message for r in results)


def _aws_layer(repo: PlatformRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return run_verify("--profile=aws", "-m", "aws", "-k", "not lb_controller", f"--platform-dir={repo.root}", *args)


def test_plugin_aws_layer_passes_on_the_emulator(
    aws_world: checks.Aws,
    platform_repo: PlatformRepo,  # noqa: F811
    moto_endpoint: str,  # noqa: F811
    tmp_path: Any,
) -> None:  # noqa: F811
    report = tmp_path / "report.json"
    proc = _aws_layer(
        platform_repo,
        f"--aws-endpoint-url={moto_endpoint}",
        f"--json={report}",
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "test_node_group[default] PASSED" in proc.stdout or "comind verify summary (profile aws)" in proc.stdout
    data = json.loads(report.read_text())
    assert data["layers"]["aws"]["FAIL"] == 0 and data["layers"]["aws"]["PASS"] >= 5
    assert "static" not in data["layers"] and "services" not in data["layers"]


def test_plugin_unreachable_aws_fails_once(platform_repo: PlatformRepo, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    proc = _aws_layer(
        platform_repo,
        f"--aws-endpoint-url=http://127.0.0.1:{free_port()}",
        "--probe-timeout=1",
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "aws         " in proc.stdout  # the layer row of the summary
    failed_lines = [line for line in proc.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed_lines) == 1 and "test_aws_reachable" in failed_lines[0]
    assert "not run: AWS API unusable" in proc.stdout
