"""Services layer (local): each enabled service's container, port and protocol, and every app's resources.

PYTEST_DONT_REWRITE: a failing check already says what is wrong; pytest's introspection would only repeat it.
"""

import pytest

from comind_scaffold.checks import local_services as checks
from comind_scaffold.verifier import record

pytestmark = pytest.mark.services


def test_service_container(service_rows, service):
    verdict = record(checks.check_container(service_rows[service]))
    assert verdict.ok, verdict.detail


def test_service_port(service_rows, service, platform, probe_timeout):
    spec = platform.services.services[service]
    verdict = record(checks.check_port(service, spec, platform.services, service_rows[service], probe_timeout))
    assert verdict.ok, verdict.detail


def test_service_probe(service_rows, service):
    verdict = record(checks.check_probe(service_rows[service]))
    assert verdict.ok, verdict.detail


def test_app_service_resources(local_credentials, app_env, platform, probe_timeout):
    verdict = record(checks.check_app_resources(app_env, platform.services, local_credentials, probe_timeout))
    assert verdict.ok, verdict.detail
