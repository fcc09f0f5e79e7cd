"""AWS layer: EKS, node groups, VPC/subnet tags, app RDS/S3/SQS/ElastiCache, Route53 records, the LB controller.

Every client is built with short timeouts and a single attempt, so a black-holed endpoint costs seconds.
Names come from the platform's answers (`AppSpec` derives them); tests point `endpoint_url` at moto's server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from comind_scaffold import layers
from comind_scaffold import service_catalog as catalog
from comind_scaffold.checks.expected import AppEnv
from comind_scaffold.checks.resources import Snapshot, Workload
from comind_scaffold.errors import AwsUnreachableError, ClusterUnreachableError
from comind_scaffold.models import CheckResult, failed, passed
from comind_scaffold.specs import NodeGroup, PlatformSpec

LAYER = layers.AWS.name
LB_CONTROLLER = "aws-load-balancer-controller"


class Aws:
    """boto3 clients for one region, endpoint and profile, bounded and created once each.

    Attributes:
        region: The AWS region.
        endpoint_url: An emulator's URL (moto's server in tests), or None for AWS itself.

    """

    def __init__(
        self, region: str, endpoint_url: str | None = None, profile: str | None = None, timeout: float = 5.0
    ) -> None:
        from comind_scaffold import _aws

        self.region = region
        self.endpoint_url = endpoint_url
        self._session = _aws.session(profile, region)
        self._config = _aws.bounded(timeout, attempts=1)
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        """Return a boto3 client of `service` (one per service)."""
        if service not in self._clients:
            self._clients[service] = self._session.client(service, endpoint_url=self.endpoint_url, config=self._config)
        return self._clients[service]

    def call(self, service: str, operation: str, **kwargs: Any) -> dict[str, Any] | None:
        """Call one API operation; None when the resource is not found.

        Raises:
            AwsUnreachableError: The endpoint does not answer or rejects the credentials.

        """
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            result: dict[str, Any] = getattr(self.client(service), operation)(**kwargs)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if "NotFound" in code or code in {
                "NoSuchBucket",
                "404",
                "AWS.SimpleQueueService.NonExistentQueue",
                "QueueDoesNotExist",
            }:
                return None
            raise AwsUnreachableError(f"AWS {service}.{operation}: {code or err}") from err
        except BotoCoreError as err:
            where = self.endpoint_url or f"{service}.{self.region}.amazonaws.com"
            raise AwsUnreachableError(
                f"AWS API {where}: unreachable ({err})", hint="check --aws-endpoint-url/--aws-profile and the network"
            ) from err
        return result


def guarded(name: str, obj: str, probe: Callable[[], CheckResult]) -> CheckResult:
    """Run one probe, turning an unreachable API into a FAIL naming the object."""
    try:
        return probe()
    except AwsUnreachableError as err:
        return failed(name, LAYER, obj, err.message, err.hint or "")


def check_eks_cluster(aws: Aws, spec: PlatformSpec) -> CheckResult:
    """Check that the EKS cluster `<platform>` is ACTIVE and runs the configured minor version."""
    ref = f"EKS cluster {spec.platform_name}"

    def probe() -> CheckResult:
        found = aws.call("eks", "describe_cluster", name=spec.platform_name)
        if found is None:
            return failed("eks.cluster", LAYER, ref, f"does not exist in {aws.region}")
        cluster = found["cluster"]
        if cluster.get("status") != "ACTIVE":
            return failed("eks.cluster", LAYER, ref, f"status {cluster.get('status')}")
        if cluster.get("version") != spec.kubernetes_minor:
            return failed(
                "eks.cluster", LAYER, ref, f"version {cluster.get('version')}, configured {spec.kubernetes_minor}"
            )
        return passed("eks.cluster", LAYER, ref, f"ACTIVE, {cluster.get('version')}")

    return guarded("eks.cluster", ref, probe)


def check_node_group(aws: Aws, spec: PlatformSpec, group: NodeGroup) -> CheckResult:
    """Check that the node group is ACTIVE with the configured min/max/desired sizes."""
    ref = f"EKS node group {spec.platform_name}/{group.name}"

    def probe() -> CheckResult:
        found = aws.call("eks", "describe_nodegroup", clusterName=spec.platform_name, nodegroupName=group.name)
        if found is None:
            return failed("eks.nodegroup", LAYER, ref, "does not exist")
        ng = found["nodegroup"]
        if ng.get("status") != "ACTIVE":
            issues = (ng.get("health") or {}).get("issues") or []
            why = "; ".join(f"{i.get('code')}: {i.get('message')}" for i in issues)
            return failed("eks.nodegroup", LAYER, ref, f"status {ng.get('status')}" + (f" ({why})" if why else ""))
        sizes = ng.get("scalingConfig") or {}
        want = {"minSize": group.min_size, "maxSize": group.max_size, "desiredSize": group.desired_size}
        wrong = [f"{k}={sizes.get(k)} (expected {v})" for k, v in want.items() if sizes.get(k) != v]
        if wrong:
            return failed("eks.nodegroup", LAYER, ref, "sizes: " + ", ".join(wrong))
        return passed("eks.nodegroup", LAYER, ref, f"ACTIVE, {sizes.get('desiredSize')} desired")

    return guarded("eks.nodegroup", ref, probe)


def check_network_tags(aws: Aws, spec: PlatformSpec) -> CheckResult:
    """Each subnet of the cluster exists and carries `kubernetes.io/cluster/<platform>`."""
    ref = f"VPC of {spec.platform_name}"

    def probe() -> CheckResult:
        found = aws.call("eks", "describe_cluster", name=spec.platform_name)
        if found is None:
            return failed("vpc.tags", LAYER, ref, "no EKS cluster to read the VPC from")
        subnet_ids = (found["cluster"].get("resourcesVpcConfig") or {}).get("subnetIds") or []
        if not subnet_ids:
            return failed("vpc.tags", LAYER, ref, "the cluster has no subnets configured")
        subnets = (aws.call("ec2", "describe_subnets", SubnetIds=subnet_ids) or {}).get("Subnets") or []
        vpc_ref = f"VPC {', '.join(sorted({s['VpcId'] for s in subnets})) or '?'}"
        tag = f"kubernetes.io/cluster/{spec.platform_name}"
        untagged = [s["SubnetId"] for s in subnets if tag not in {t["Key"] for t in s.get("Tags") or []}]
        missing = sorted(set(subnet_ids) - {s["SubnetId"] for s in subnets})
        problems = ([f"missing subnets {', '.join(missing)}"] if missing else []) + (
            [f"subnets without {tag}: {', '.join(untagged)}"] if untagged else []
        )
        if problems:
            return failed("vpc.tags", LAYER, vpc_ref, "; ".join(problems))
        return passed("vpc.tags", LAYER, vpc_ref, f"{len(subnets)} subnet(s) tagged {tag}")

    return guarded("vpc.tags", ref, probe)


Lookup = Callable[[Aws], dict[str, Any] | None]


def platform_resources(spec: PlatformSpec) -> list[tuple[str, str, Lookup]]:
    """(kind, name, lookup) of the platform's shared services (names as infra/terraform/environments/aws sets them)."""
    name = spec.platform_name
    database, cache, bucket = f"{name}-platform", f"{name}-redis", f"{name}-artifacts-{spec.aws_region}"
    return [
        ("RDS instance", database, lambda a: a.call("rds", "describe_db_instances", DBInstanceIdentifier=database)),
        (
            "ElastiCache replication group",
            cache,
            lambda a: a.call("elasticache", "describe_replication_groups", ReplicationGroupId=cache),
        ),
        ("S3 bucket", bucket, lambda a: a.call("s3", "head_bucket", Bucket=bucket)),
    ]


def app_resources(pair: AppEnv, platform: str) -> list[tuple[str, str, Lookup]]:
    """(kind, name, lookup) for each AWS resource the app owns in this environment (its cache is the platform's)."""
    app, env, ident = pair.app, pair.env, pair.namespace
    found: list[tuple[str, str, Lookup]] = []
    if app.with_database:
        found.append(
            ("RDS instance", ident, lambda a: a.call("rds", "describe_db_instances", DBInstanceIdentifier=ident))
        )
    if app.with_storage:
        bucket = app.bucket(platform, env)
        found.append(("S3 bucket", bucket, lambda a: a.call("s3", "head_bucket", Bucket=bucket)))
    if app.with_queue:
        for queue in (app.queue(env), f"{app.queue(env)}-dlq"):
            found.append(("SQS queue", queue, _queue_lookup(queue)))
    return found


def _queue_lookup(queue: str) -> Lookup:
    return lambda aws: aws.call("sqs", "get_queue_url", QueueName=queue)


def check_resources(aws: Aws, resources: list[tuple[str, str, Lookup]], what: str) -> list[CheckResult]:
    """Each listed resource exists; `what` names whose they are when there are none."""
    results = []
    for kind, name, lookup in resources:
        ref = f"{kind} {name}"

        def probe(lookup: Lookup = lookup, ref: str = ref) -> CheckResult:
            found = lookup(aws)
            if found is None:
                return failed(
                    "aws.resource", LAYER, ref, f"does not exist in {aws.region}", "run `comind tf apply` for it"
                )
            state = _state(found)
            if state not in ("", "available"):
                return failed("aws.resource", LAYER, ref, f"status {state}")
            return passed("aws.resource", LAYER, ref, state)

        results.append(guarded("aws.resource", ref, probe))
    return results or [passed("aws.resource", LAYER, what, "declares no AWS resources")]


def _state(answer: dict[str, Any]) -> str:
    """Return the status an RDS or ElastiCache describe call reports ('' for kinds without one)."""
    for key, field in (("DBInstances", "DBInstanceStatus"), ("ReplicationGroups", "Status")):
        if answer.get(key):
            return str(answer[key][0].get(field, ""))
    return ""


def check_app_resources(aws: Aws, pair: AppEnv, platform: str) -> list[CheckResult]:
    """Check that the app's RDS instance, S3 bucket and SQS queues (those it declares) exist."""
    return check_resources(aws, app_resources(pair, platform), pair.namespace)


def check_platform_resources(aws: Aws, spec: PlatformSpec) -> list[CheckResult]:
    """Check that the platform's RDS instance, ElastiCache replication group and artefacts bucket exist."""
    return check_resources(aws, platform_resources(spec), spec.platform_name)


def internal_zone(spec: PlatformSpec) -> str:
    """The private Route53 zone of the managed services' names (environments/aws/route53.tf), with its dot."""
    return f"internal.{spec.aws_domain}."


def _record_sets(aws: Aws, zone_name: str, private: bool) -> list[dict[str, Any]] | None:
    """Every record set of the private or public zone `zone_name` (all pages); None when there is no such zone."""
    zones = (aws.call("route53", "list_hosted_zones_by_name", DNSName=zone_name) or {}).get("HostedZones") or []
    zone = next((z for z in zones
                 if z.get("Name") == zone_name and bool((z.get("Config") or {}).get("PrivateZone")) == private), None)
    if zone is None:
        return None
    records: list[dict[str, Any]] = []
    page: dict[str, Any] = {"HostedZoneId": zone["Id"]}
    while True:
        found = aws.call("route53", "list_resource_record_sets", **page) or {}
        records += found.get("ResourceRecordSets") or []
        if not found.get("IsTruncated"):
            return records
        page = {**page, "StartRecordName": found["NextRecordName"], "StartRecordType": found["NextRecordType"]}


def _internal_cnames(aws: Aws, zone_name: str) -> dict[str, list[str]] | None:
    """CNAME name -> values of the private zone `zone_name`; None when there is no such private zone."""
    records = _record_sets(aws, zone_name, private=True)
    if records is None:
        return None
    return {r["Name"]: [v["Value"] for v in r.get("ResourceRecords") or []]
            for r in records if r.get("Type") == "CNAME"}


def check_internal_dns(aws: Aws, spec: PlatformSpec, env: str) -> CheckResult:
    """The CNAMEs the ExternalName Services of platform-<env> name (postgresql, and redis when enabled) exist."""
    zone_name = internal_zone(spec)
    ref = f"Route53 {env}.{zone_name.rstrip('.')}"

    def probe() -> CheckResult:
        records = _internal_cnames(aws, zone_name)
        if records is None:
            return failed("aws.dns", LAYER, ref, f"no private hosted zone {zone_name}",
                          "apply infra/terraform/environments/aws (`comind bootstrap --profile aws`)")
        wanted = [catalog.POSTGRESQL.name, *([catalog.REDIS.name] if spec.redis_enabled else [])]
        missing = [s for s in wanted if not records.get(f"{s}.{env}.{zone_name}")]
        if missing:
            return failed("aws.dns", LAYER, ref, f"no CNAME for {', '.join(missing)}")
        return passed("aws.dns", LAYER, ref, ", ".join(f"{s} → {records[f'{s}.{env}.{zone_name}'][0]}" for s in wanted))

    return guarded("aws.dns", ref, probe)


def check_lb_controller(snapshot: Snapshot) -> CheckResult:
    """Check that the AWS Load Balancer Controller Deployment (in kube-system) is available."""
    ref = f"Deployment kube-system/{LB_CONTROLLER}"
    try:
        obj = snapshot.named("Deployment", LB_CONTROLLER, "kube-system")
    except ClusterUnreachableError as err:
        return failed("lb_controller.available", LAYER, ref, err.message)
    if obj is None:
        return failed("lb_controller.available", LAYER, ref, "does not exist")
    workload = Workload(obj)
    if not workload.is_available:
        return failed("lb_controller.available", LAYER, ref, workload.problem())
    return passed("lb_controller.available", LAYER, ref, f"{workload.ready}/{workload.desired} ready")


def ingress_hosts(pairs: list[AppEnv], domain: str) -> list[str]:
    """The ingress hosts `<app>.<env>.<domain>` of the pairs whose app has an ingress."""
    return [pair.app.host(pair.env, domain) for pair in pairs if pair.app.ingress]


def argocd_host(spec: PlatformSpec) -> str:
    """The host of Argo CD's own ALB Ingress (Terraform's platform.tf): `argocd.<aws_domain>`."""
    return f"argocd.{spec.aws_domain}"


def _public_zone_names(aws: Aws, zone_name: str) -> set[str] | None:
    """Names holding an A/AAAA (alias or not) or CNAME record in the public zone `zone_name`; None without the zone."""
    records = _record_sets(aws, zone_name, private=False)
    if records is None:
        return None
    return {r["Name"] for r in records if r.get("Type") in {"A", "AAAA", "CNAME"}}


def check_public_dns(aws: Aws, spec: PlatformSpec, hosts: list[str]) -> CheckResult:
    """argocd.<aws_domain> and each of the ingress `hosts` have an A/ALIAS or CNAME record (external-dns's)."""
    zone_name = f"{spec.aws_domain}."
    ref = f"Route53 {spec.aws_domain}"
    hosts = [argocd_host(spec), *(h for h in hosts if h != argocd_host(spec))]

    def probe() -> CheckResult:
        names = _public_zone_names(aws, zone_name)
        if names is None:
            return failed("aws.public_dns", LAYER, ref, f"no public hosted zone {zone_name}",
                          "create the zone of aws_domain and delegate the domain to it")
        missing = [h for h in hosts if f"{h}." not in names]
        if missing:
            return failed("aws.public_dns", LAYER, ref, f"no A or CNAME record for {', '.join(missing)}",
                          "check external-dns in namespace external-dns (its logs name the records it refused)")
        return passed("aws.public_dns", LAYER, ref, f"{len(hosts)} ingress host(s) have a record")

    return guarded("aws.public_dns", ref, probe)
