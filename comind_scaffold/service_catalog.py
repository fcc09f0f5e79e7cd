"""One record per local service: every name it goes by, its default ports, its container and data folder.

services.yaml, the platform's answers, new-app's flags, the Terraform variables, the container names and the
tests all read these records instead of spelling the names and ports again.
"""

from __future__ import annotations

from dataclasses import dataclass


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
        extra_port: The default console (MinIO) or UI (ElasticMQ) port, if it has one.

    """

    name: str
    answer: str
    app_flag: str
    container: str
    port: int
    aws_port: int
    data_dir: str
    extra_port: int | None = None


POSTGRESQL = LocalService("postgresql", "postgres", "with_database", "postgres", 5432, 5432,
                          "/var/lib/postgresql/data")
MINIO = LocalService("minio", "minio", "with_storage", "minio", 9000, 443, "/data", extra_port=9001)
REDIS = LocalService("redis", "redis", "with_cache", "redis", 6379, 6379, "/data")
ELASTICMQ = LocalService("elasticmq", "elasticmq", "with_queue", "elasticmq", 9324, 443, "/data", extra_port=9325)

SERVICES: dict[str, LocalService] = {s.name: s for s in (POSTGRESQL, MINIO, REDIS, ELASTICMQ)}
NAMES: tuple[str, ...] = tuple(SERVICES)
BY_APP_FLAG: dict[str, LocalService] = {s.app_flag: s for s in SERVICES.values()}
