"""One record per local service: every name it goes by, its default ports, its container and data folder.

services.yaml, the platform's answers, new-app's flags, the Terraform variables, the container names, the
localdev provider (through the Go file `go_source` writes) and the tests all read these records instead of
spelling the names and ports again. `lookup` turns any of a service's names into its record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from comind_scaffold.errors import InputError

# The canonical names, for static typing (services.yaml's keys); the records below must list the same.
ServiceName = Literal["postgresql", "minio", "redis", "elasticmq"]
TF_PROVIDER = "localdev"
GO_FILE = Path(__file__).parent / "provider_localdev" / "services_gen.go"


@dataclass(frozen=True)
class LocalService:
    """A local service.

    Attributes:
        name: Its key in services.yaml, in `comind services --only/logs`, in the Terraform `ports` map.
        answer: The platform answers' prefix (`postgres_port`, `minio_console_port`, …).
        app_flag: The app answer (and new-app flag `--with-…`) that asks for it.
        container: The container's name after `<platform>-`.
        port: Its default host port.
        aws_port: Where an app reaches its managed AWS counterpart (RDS, ElastiCache, SQS, S3).
        data_dir: Where its data volume is mounted inside the container.
        api: The protocol its clients speak: the boto3 client's name, the prefix of the localdev provider's
            attributes and of the app root module's variables for it.
        aliases: Every other name it goes by (answer prefix, protocol, the app's feature and object);
            `lookup` accepts them.
        extra_port: The default console (MinIO) or UI (ElasticMQ) port, if it has one.
        extra_port_role: What the extra port serves: `console` or `ui`.
        region: The region its S3/SQS clients name by default (none for the others).
        provider_attributes: The localdev provider's configuration attributes for it.
        tf_resources: The localdev resource types backed by it.
        tf_variables: The app root module's variables `comind tf` sets for it (`ports` aside).

    """

    name: ServiceName
    answer: str
    app_flag: str
    container: str
    port: int
    aws_port: int
    data_dir: str
    api: str
    aliases: tuple[str, ...]
    extra_port: int | None = None
    extra_port_role: str | None = None
    region: str = ""
    provider_attributes: tuple[str, ...] = ()
    tf_resources: tuple[str, ...] = ()
    tf_variables: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Its canonical name, then its aliases."""
        return (self.name, *self.aliases)


POSTGRESQL = LocalService(
    "postgresql", "postgres", "with_database", "postgres", 5432, 5432, "/var/lib/postgresql/data",
    api="postgres", aliases=("postgres", "database"),
    provider_attributes=("postgres_url",), tf_resources=("localdev_postgresql_database",),
    tf_variables=("postgres_admin_url",),
)
MINIO = LocalService(
    "minio", "minio", "with_storage", "minio", 9000, 443, "/data",
    api="s3", aliases=("s3", "storage", "bucket"), extra_port=9001, extra_port_role="console", region="us-east-1",
    provider_attributes=("s3_endpoint", "s3_region", "s3_access_key", "s3_secret_key"),
    tf_resources=("localdev_s3_bucket", "localdev_minio_user"),
    tf_variables=("s3_endpoint", "s3_access_key", "s3_secret_key"),
)
REDIS = LocalService("redis", "redis", "with_cache", "redis", 6379, 6379, "/data", api="redis", aliases=("cache",))
ELASTICMQ = LocalService(
    "elasticmq", "elasticmq", "with_queue", "elasticmq", 9324, 443, "/data",
    api="sqs", aliases=("sqs", "queue"), extra_port=9325, extra_port_role="ui", region="elasticmq",
    provider_attributes=("sqs_endpoint", "sqs_region", "sqs_access_key", "sqs_secret_key"),
    tf_resources=("localdev_sqs_queue",), tf_variables=("sqs_endpoint",),
)

SERVICES: dict[ServiceName, LocalService] = {s.name: s for s in (POSTGRESQL, MINIO, REDIS, ELASTICMQ)}
NAMES: tuple[ServiceName, ...] = tuple(SERVICES)  # tests/test_service_catalog.py: the same as ServiceName's
BY_APP_FLAG: dict[str, LocalService] = {s.app_flag: s for s in SERVICES.values()}
APP_FLAGS: tuple[str, ...] = tuple(BY_APP_FLAG)
_BY_ANY_NAME: dict[str, LocalService] = {name: s for s in SERVICES.values() for name in s.names}


def accepted_names() -> str:
    """The names `lookup` accepts, for messages: `postgresql, minio, … or their aliases postgres, database, …`."""
    aliases = [alias for service in SERVICES.values() for alias in service.aliases]
    return f"{', '.join(NAMES)} or their aliases {', '.join(aliases)}"


def lookup(name: str, field: str = "service") -> LocalService:
    """The service going by `name` (its canonical name or an alias).

    Raises:
        InputError: No service goes by that name; the message lists the accepted names.

    """
    found = _BY_ANY_NAME.get(name)
    if found is None:
        raise InputError(field, f"{name!r} is not a local service; choose from {accepted_names()}")
    return found


def canonical(name: str, field: str = "service") -> ServiceName:
    """The canonical name of the service going by `name` (see `lookup`)."""
    return lookup(name, field).name


def _go_ident(*parts: str) -> str:
    words = "_".join(parts).split("_")
    return words[0] + "".join(w.upper() if w in ("url", "sqs") else w.capitalize() for w in words[1:])


def go_source() -> str:
    """The Go file of the localdev provider holding the catalog's names (`provider_localdev/services_gen.go`)."""
    lines = [
        "// Code generated from comind_scaffold/service_catalog.py by go_source(); DO NOT EDIT.",
        "// Regenerate: python -m comind_scaffold.service_catalog",
        "",
        "package main",
        "",
    ]
    for service in SERVICES.values():
        if not (service.provider_attributes or service.tf_resources):
            continue
        lines += [f"// {service.name} (services.yaml), also called {', '.join(service.aliases)}.", "const ("]
        consts = [(_go_ident("port", service.name), str(service.port))]
        if service.region:
            consts.append((_go_ident("region", service.name), f'"{service.region}"'))
        consts += [(_go_ident("attr", a), f'"{a}"') for a in service.provider_attributes]
        # The provider's Metadata appends these to its own type name.
        consts += [(_go_ident("resource", t.removeprefix(TF_PROVIDER + "_")), f'"{t.removeprefix(TF_PROVIDER)}"')
                   for t in service.tf_resources]
        width = max(len(ident) for ident, _ in consts)
        lines += [f"\t{ident:<{width}} = {value}" for ident, value in consts]
        lines += [")", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    GO_FILE.write_text(go_source())
    print(GO_FILE)
