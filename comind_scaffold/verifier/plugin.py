"""pytest plugin for `pytest verify/ --profile local|aws` (entry point `comind-verify`): its hooks and fixtures.

It is loaded by every pytest run where comind-ops is installed, so it stays inert unless the run is a
verify run: `--profile` is given, or a path given to pytest is a `verify/` folder or the shipped suite.
Which layers and tests a run collects, and with which parameters, is decided in `collection.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from comind_scaffold import constants as c
from comind_scaffold import layers
from comind_scaffold._gc import fewer_collections
from comind_scaffold.layers import VerifyOptions
from comind_scaffold.models import CheckResult, failed, passed
from comind_scaffold.verifier import recording as _record
from comind_scaffold.verifier.collection import (
    keep_applying_layers,
    parameters,
    report_unusable_as_not_run,
    selected_layers,
    static_test_will_run,
)
from comind_scaffold.verifier.report import LayerReport
from comind_scaffold.verifier.session import Target, VerifySession, use_value

if TYPE_CHECKING:
    from comind_scaffold._docker import DockerEngine
    from comind_scaffold.checks.aws import Aws
    from comind_scaffold.checks.expected import Expected
    from comind_scaffold.checks.resources import Snapshot
    from comind_scaffold.repo import PlatformRepo
    from comind_scaffold.services.credentials import LocalCredentials
    from comind_scaffold.services.report import ServiceStatus
    from comind_scaffold.validation.run import ValidationReport

SUITE_DIR = Path(__file__).parent / "suite"
T = TypeVar("T")
_SESSION = pytest.StashKey[VerifySession]()
_FEWER_COLLECTIONS = pytest.StashKey[AbstractContextManager[None]]()
_MARKERS = {layer.name: layer.about for layer in layers.LAYERS}
_REPORT = "comind-verify-report"  # the LayerReport registered as a plugin of a verify run


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the `comind` option group, one option per record of `layers.OPTIONS`."""
    group = parser.getgroup("comind", "comind-ops platform verifier (pytest verify/)")
    for option in layers.OPTIONS:
        extra: dict[str, Any] = {"choices": option.choices} if option.choices else {}
        if option.repeatable:
            extra.update(action="append", default=[])
        else:
            extra.update(type=option.type, default=option.default)
        group.addoption(option.flag, dest=option.pytest_dest, help=option.help, **extra)


def is_verify_run(config: pytest.Config) -> bool:
    """Tell whether this pytest run verifies a platform (not, say, comind-ops' own tests)."""
    if config.getoption(layers.OPTION["profile"].pytest_dest, None):
        return True
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if SUITE_DIR in (path, *path.parents) or any(p.name == "verify" for p in (path, *path.parents)[:2]):
            return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    """Register the layer markers; in a verify run, build the session and the layer report."""
    for name, text in _MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    if not is_verify_run(config):
        return
    config.stash[_FEWER_COLLECTIONS] = fewer = fewer_collections()  # a verify run keeps what it builds to the end
    fewer.__enter__()
    options = VerifyOptions.of({option.dest: config.getoption(option.pytest_dest) for option in layers.OPTIONS})
    session = VerifySession(options)
    if not options.profile:
        repo = session.platform().value
        options.profile = repo.spec.default_profile if repo else "local"
    config.stash[_SESSION] = session
    session.connect_in_background(selected_layers(config, options), validate=static_test_will_run(config))
    config.pluginmanager.register(LayerReport(options.profile, options.json_path), _REPORT)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Give the garbage collector its thresholds back."""
    fewer = config.stash.get(_FEWER_COLLECTIONS, None)
    if fewer is not None:
        fewer.__exit__(None, None, None)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark each test of the shipped suite with its module's layer (before -m/-k select)."""
    layer = layers.MODULE_LAYER.get(getattr(getattr(item, "function", None), "__module__", ""))
    if layer is not None:
        item.add_marker(layer.name)


def _session(config: pytest.Config) -> VerifySession | None:
    return config.stash.get(_SESSION, None)


@pytest.hookimpl(trylast=True)  # after -m/-k, so only selected tests wait for their targets
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect layers the profile or --layer leave out; run layers in order; report tests of unusable targets."""
    session = _session(config)
    if session is None:
        return
    keep_applying_layers(config, session.options, items)
    report = config.pluginmanager.get_plugin(_REPORT)
    if isinstance(report, LayerReport) and not config.option.collectonly:  # --co lists every test
        report_unusable_as_not_run(config, session, items, report)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Let `record()` find the running test."""
    _record._current.append(item)
    try:
        return (yield)
    finally:
        _record._current.pop()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize verify tests by what the platform declares and the cluster holds."""
    session = _session(metafunc.config)
    if session is None:
        return
    for name, (values, ids) in parameters(session, set(metafunc.fixturenames)).items():
        metafunc.parametrize(name, values, ids=ids)


def use(target: Target[T]) -> T:
    """Return the target's value; its error fails the first test that needs it and skips the others."""
    if target.error:
        if not target.reported:
            target.reported = True
            hint = f" (hint: {target.hint})" if target.hint else ""
            pytest.fail(f"{target.name}: {target.error}{hint}", pytrace=False)
        pytest.skip(f"not run: {target.name} unusable ({target.error})")
    return use_value(target)


def check_target(target: Target[Any], layer: str) -> CheckResult:
    """Return a result saying whether a target can be used (the one failure for an unreachable target)."""
    if target.error:
        target.reported = True
        return failed(f"{layer}.reachable", layer, target.name, target.error, target.hint)
    return passed(f"{layer}.reachable", layer, target.name, "reachable")


def _verify_session(request: pytest.FixtureRequest) -> VerifySession:
    session = _session(request.config)
    if session is None:
        pytest.skip("not a verify run: pass --profile local|aws")
    return session


@pytest.fixture
def platform(request: pytest.FixtureRequest) -> PlatformRepo:
    """Return the platform repository (`PlatformRepo`)."""
    return use(_verify_session(request).platform())


@pytest.fixture
def static_report(request: pytest.FixtureRequest, platform: PlatformRepo) -> ValidationReport:
    """Return what `validate` found in the platform repository (started when the run began, waited for here)."""
    return _verify_session(request).static_report()


@pytest.fixture
def expected(request: pytest.FixtureRequest, platform: PlatformRepo) -> Expected | None:
    """Return what the platform declares (`Expected`: app/env pairs and rendered overlays)."""
    return _verify_session(request).expected


@pytest.fixture
def options(request: pytest.FixtureRequest) -> VerifyOptions:
    """Return the run's options (`VerifyOptions`, the profile settled)."""
    return _verify_session(request).options


@pytest.fixture
def profile(request: pytest.FixtureRequest) -> str:
    """Return the profile: local or aws."""
    return _verify_session(request).options.profile


@pytest.fixture
def kube_target(request: pytest.FixtureRequest) -> Target[Snapshot]:
    """Return the cluster target itself (for the reachability test, which must run even when it is down)."""
    return _verify_session(request).kube()


@pytest.fixture
def kube(request: pytest.FixtureRequest) -> Snapshot:
    """Return the cluster `Snapshot` (Applications settled up to --wait)."""
    session = _verify_session(request)
    use(session.kube())
    snapshot = session.settled_snapshot()
    return snapshot if snapshot is not None else use(session.kube())


@pytest.fixture
def waited(request: pytest.FixtureRequest, kube: Snapshot) -> float:
    """Seconds spent waiting for Progressing Applications."""
    return _verify_session(request).waited


@pytest.fixture
def aws_target(request: pytest.FixtureRequest) -> Target[Aws]:
    """Return the AWS target itself (for the reachability test)."""
    return _verify_session(request).aws()


@pytest.fixture
def aws(request: pytest.FixtureRequest) -> Aws:
    """boto3 clients (`checks.aws.Aws`) for the platform's region."""
    return use(_verify_session(request).aws())


@pytest.fixture
def docker(request: pytest.FixtureRequest) -> DockerEngine:
    """Return the Docker engine of the local services (`DockerEngine`)."""
    return use(_verify_session(request).docker())


@pytest.fixture
def service_rows(
    request: pytest.FixtureRequest, platform: PlatformRepo, docker: DockerEngine
) -> dict[str, ServiceStatus]:
    """Return the services manager's status row per service."""
    return dict(_verify_session(request).service_rows)


@pytest.fixture
def local_credentials(request: pytest.FixtureRequest, platform: PlatformRepo, docker: DockerEngine) -> LocalCredentials:
    """Return the local-only credentials `comind services up` generated; fails the test when there are none."""
    creds = _verify_session(request).local_credentials
    if creds is None:
        pytest.fail(f"no {c.LOCAL_CREDENTIALS} in {platform.root}: run `comind services up`", pytrace=False)
    return creds


@pytest.fixture
def probe_timeout(request: pytest.FixtureRequest) -> float:
    """Seconds each probe may take."""
    return _verify_session(request).options.timeout
