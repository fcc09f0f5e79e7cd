"""What a platform repository declares, parsed once into models.

`PlatformSpec` comes from the platform's Copier answers (`.copier-answers.yml` at the repo root),
`AppSpec` from each `apps/<name>/.copier-answers.yml`, `ServicesSpec` from
`infra/docker/registry/services.yaml`. Names derived from them (namespaces, databases, buckets,
queues, hosts) are computed here and nowhere else.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from comind_scaffold import _yaml
from comind_scaffold import service_catalog as catalog
from comind_scaffold.errors import InputError, TemplateError

_ANSWERS_META = {"_commit", "_src_path", "template"}


# The local services by their canonical name (service_catalog.py holds every fact about each).
ServiceName = catalog.ServiceName


class _Spec(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class NodeGroup(_Spec):
    """One EKS managed node group."""

    name: str
    instance_type: str = "t3.medium"
    min_size: int = Field(1, ge=0)
    max_size: int = Field(4, ge=1)
    desired_size: int = Field(2, ge=0)


class PlatformSpec(_Spec):
    """The platform's answers (see templates/platform questions)."""

    platform_name: str = "comind-ops"
    repo_url: str = "https://github.com/comind-pro/comind-ops"
    target_revision: str = "main"
    environments: list[str] = ["dev", "stage", "prod"]
    teams: list[str] = ["platform", "backend", "frontend"]
    default_profile: Literal["local", "aws"] = "local"
    kubernetes_version: str = "1.34.2"
    local_domain: str = "127.0.0.1.nip.io"
    aws_domain: str = "comind.pro"
    aws_region: str = "us-west-2"
    aws_certificate_arn: str = ""  # ACM certificate of the ALB: Argo CD's Ingress and the apps' (empty: HTTP only)
    aws_vpc_cidr: str = "10.40.0.0/16"  # the VPC (var.vpc_cidr); the apps admit the ALB from it
    k3d_servers: int = 1
    k3d_agents: int = 2
    eks_node_groups: list[NodeGroup] = [NodeGroup(name="default")]
    argocd_chart_version: str = "9.1.3"
    monitoring: bool = False
    monitoring_chart_version: str = "79.10.0"
    # Local Docker services, rendered into infra/docker/registry/services.yaml (read that through ServicesSpec).
    postgres_version: str = "15-alpine"
    postgres_port: int = catalog.POSTGRESQL.port
    postgres_database: str = "comind_ops_dev"
    postgres_user: str = "postgres"
    minio_version: str = "RELEASE.2023-09-30T07-02-29Z"
    minio_port: int = catalog.MINIO.port
    minio_console_port: int = catalog.MINIO.extra_port or 0
    redis_enabled: bool = False
    redis_version: str = "7.2-alpine"
    redis_port: int = catalog.REDIS.port
    elasticmq_enabled: bool = False
    elasticmq_version: str = "1.4.2"
    elasticmq_port: int = catalog.ELASTICMQ.port
    elasticmq_ui_port: int = catalog.ELASTICMQ.extra_port or 0
    src_path: str = Field("", alias="_src_path")
    commit: str = Field("", alias="_commit")

    @property
    def kubernetes_minor(self) -> str:
        """`1.34` from `1.34.2`."""
        return ".".join(self.kubernetes_version.split(".")[:2])

    def ingress_domain(self, profile: str | None = None) -> str:
        """The domain of the apps' ingress hosts on `profile` (default: the platform's default_profile)."""
        return self.aws_domain if (profile or self.default_profile) == "aws" else self.local_domain

    def platform_namespace(self, env: str) -> str:
        """The namespace of an environment's platform services."""
        return f"platform-{env}"


class AppSpec(_Spec):
    """One app's answers (see templates/app questions)."""

    app_name: str
    team: str
    description: str = ""
    port: int = 8080
    image: str = ""
    image_tag: str = ""
    environments: list[str] = ["dev", "stage", "prod"]
    replicas: dict[str, int] = {}
    with_database: bool = False
    with_cache: bool = False
    with_queue: bool = False
    with_storage: bool = False
    ingress: bool = True
    sync_wave: int = 10
    health_path: str = "/"
    metrics_port: int = 0
    metrics_path: str = "/metrics"
    platform_monitoring: bool = False
    platform_profile: Literal["local", "aws"] = "local"  # the platform's default_profile: which ingress serves it
    ingress_certificate_arn: str = ""  # the platform's aws_certificate_arn, on the ALB Ingress
    platform_vpc_cidr: str = "10.40.0.0/16"  # the platform's aws_vpc_cidr: on aws, the ALB's traffic comes from it
    cpu_request: str = "50m"
    cpu_limit: str = "500m"
    memory_request: str = "64Mi"
    memory_limit: str = "256Mi"
    autoscaling: bool = False
    max_replicas: int = 5
    src_path: str = Field("", alias="_src_path")
    commit: str = Field("", alias="_commit")

    def namespace(self, env: str) -> str:
        """`<app>-<env>`."""
        return f"{self.app_name}-{env}"

    def database(self, env: str) -> str:
        """PostgreSQL database (and role) name: `<app>_<env>` with '-' → '_'."""
        return f"{self.app_name}_{env}".replace("-", "_")

    def bucket(self, platform: str, env: str) -> str:
        """S3/MinIO bucket name: `<platform>-<app>-<env>`."""
        return f"{platform}-{self.app_name}-{env}"

    def queue(self, env: str) -> str:
        """SQS/ElasticMQ queue name; its dead-letter queue adds `-dlq`."""
        return f"{self.app_name}-{env}"

    def host(self, env: str, domain: str) -> str:
        """Ingress host `<app>.<env>.<domain>`."""
        return f"{self.app_name}.{env}.{domain}"

    def secret_name(self) -> str:
        """The Secret holding the app's connection details in each namespace."""
        return f"{self.app_name}-infra"


class ServiceSpec(_Spec):
    """One Docker service of the local profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    image: str
    version: str
    port: int = Field(ge=1, le=65535)
    console_port: int | None = Field(None, ge=1, le=65535)
    ui_port: int | None = Field(None, ge=1, le=65535)
    database: str | None = None
    username: str | None = None
    cluster_address: IPv4Address | None = None  # network_mode k3d: its fixed address on the cluster network

    @field_validator("version")
    @classmethod
    def _no_latest(cls, value: str) -> str:
        if value == "latest":
            raise ValueError("must be a pinned version, not 'latest'")
        return value

    @property
    def image_ref(self) -> str:
        """`image:version`."""
        return f"{self.image}:{self.version}"


class ClusterNetwork(_Spec):
    """The k3d cluster's Docker network, which the services join in network_mode k3d (see docs/local-services.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    subnet: IPv4Network
    gateway: IPv4Address
    ip_range: IPv4Network  # the addresses Docker hands out (k3d's nodes); the services' fixed ones lie outside


class ServicesSpec(_Spec):
    """`infra/docker/registry/services.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: str
    bind_address: str = "127.0.0.1"
    network_mode: Literal["host", "bridge", "k3d"] = "host"
    cluster_network: ClusterNetwork | None = None
    services: dict[ServiceName, ServiceSpec]

    @model_validator(mode="after")
    def _cluster_addresses(self) -> ServicesSpec:
        net = self.cluster_network
        if self.network_mode != "k3d":
            return self
        if net is None:
            raise ValueError("cluster_network: required with network_mode k3d")
        if not net.ip_range.subnet_of(net.subnet) or net.gateway not in net.subnet:
            raise ValueError(f"cluster_network: ip_range and gateway must lie inside subnet {net.subnet}")
        seen: dict[IPv4Address, str] = {}
        for name, svc in self.enabled().items():
            address = svc.cluster_address
            where = f"services.{name}.cluster_address"
            if address is None:
                raise ValueError(f"{where}: required with network_mode k3d")
            if address not in net.subnet or address in net.ip_range or address == net.gateway:
                raise ValueError(
                    f"{where}: {address} must lie in {net.subnet}, outside ip_range {net.ip_range} "
                    "and not be the gateway"
                )
            if address in seen:
                raise ValueError(f"{where}: {address} is already the address of {seen[address]}")
            seen[address] = name
        return self

    @field_validator("bind_address")
    @classmethod
    def _loopback(cls, value: str) -> str:
        if not value.startswith("127."):
            raise ValueError("must be a loopback address (127.0.0.0/8): services are local-only")
        return value

    def enabled(self) -> dict[str, ServiceSpec]:
        """The enabled services by name."""
        return {name: svc for name, svc in self.services.items() if svc.enabled}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = _yaml.safe_load(path.read_text())
    except FileNotFoundError as err:
        raise TemplateError(f"{path}: not found") from err
    except yaml.YAMLError as err:
        raise TemplateError(f"{path}: not valid YAML ({err.__class__.__name__})") from err
    if not isinstance(data, dict):
        raise TemplateError(f"{path}: expected a mapping at the top level")
    return data


def _first_error(path: Path, err: ValidationError) -> InputError:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(top level)"
    return InputError(f"{path.name}: {field}", first["msg"])


def load_platform_spec(path: Path) -> PlatformSpec:
    """Parse a platform answers file."""
    try:
        return PlatformSpec.model_validate(_read_yaml(path))
    except ValidationError as err:
        raise _first_error(path, err) from err


def load_app_spec(path: Path) -> AppSpec:
    """Parse an app answers file."""
    try:
        return AppSpec.model_validate(_read_yaml(path))
    except ValidationError as err:
        raise _first_error(path, err) from err


def load_services_spec(path: Path) -> ServicesSpec:
    """Parse services.yaml; a schema error names the key and the rule."""
    try:
        return ServicesSpec.model_validate(_read_yaml(path))
    except ValidationError as err:
        raise _first_error(path, err) from err
