"""Services layer (local): each enabled service's container, port and protocol, and every app's resources.

PYTEST_DONT_REWRITE: a failing check already says what is wrong; pytest's introspection would only repeat it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comind_scaffold.checks import local_services as checks
from comind_scaffold.verifier import record

if TYPE_CHECKING:
    from comind_scaffold.checks.expected import AppEnv
    from comind_scaffold.repo import PlatformRepo
    from comind_scaffold.services.credentials import LocalCredentials
    from comind_scaffold.services.report import ServiceStatus
    from comind_scaffold.specs import ServiceName


def test_service_container(service_rows: dict[str, ServiceStatus], service: ServiceName) -> None:
    verdict = record(checks.check_container(service_rows[service]))
    assert verdict.ok, verdict.detail


def test_service_port(
    service_rows: dict[str, ServiceStatus], service: ServiceName, platform: PlatformRepo, probe_timeout: float
) -> None:
    spec = platform.services.services[service]
    verdict = record(checks.check_port(service, spec, platform.services, service_rows[service], probe_timeout))
    assert verdict.ok, verdict.detail


def test_service_probe(service_rows: dict[str, ServiceStatus], service: ServiceName) -> None:
    verdict = record(checks.check_probe(service_rows[service]))
    assert verdict.ok, verdict.detail


def test_app_service_resources(
    local_credentials: LocalCredentials, app_env: AppEnv, platform: PlatformRepo, probe_timeout: float
) -> None:
    verdict = record(checks.check_app_resources(app_env, platform.services, local_credentials, probe_timeout))
    assert verdict.ok, verdict.detail
