"""The local services of a platform (PostgreSQL, MinIO, Redis, ElasticMQ) as labelled Docker containers."""

from comind_scaffold.services.manager import UpReport, clean, clean_plan, logs, status, stop, up
from comind_scaffold.services.probes import probe_elasticmq, probe_minio, probe_postgresql, probe_redis, probe_service
from comind_scaffold.services.report import Action, Change, ServiceStatus

services_up = up
services_status = status
services_stop = stop
services_logs = logs
services_clean = clean

__all__ = [
    "Action",
    "Change",
    "ServiceStatus",
    "UpReport",
    "clean",
    "clean_plan",
    "logs",
    "probe_elasticmq",
    "probe_minio",
    "probe_postgresql",
    "probe_redis",
    "probe_service",
    "services_clean",
    "services_logs",
    "services_status",
    "services_stop",
    "services_up",
    "status",
    "stop",
    "up",
]
