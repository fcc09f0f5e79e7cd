"""The library surface: one typed verb for each `comind` command; the CLI calls nothing else.

A verb takes the `PlatformRepo` it works on (`PlatformRepo.open(path | None)` is the one way to open one) and
imports its module when it is called, so importing this module loads no Docker, database, Kubernetes or cloud
client that a caller may never use. The verbs on the repository's files are here; those that stand the
platform up and take it down are api_infra.py's, those on a running platform api_cluster.py's, and this
module lists them all: the CLI imports only this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from comind_scaffold import __version__
from comind_scaffold.access import ARGOCD_SERVER_PORT, Forward, MergeResult
from comind_scaffold.api_cluster import (
    argocd_password,
    argocd_port_forward,
    argocd_url,
    fetch_certificate,
    merge_kubeconfig,
    monitoring_access,
    monitoring_port_forward,
    monitoring_proxy,
    parse_env_file,
    parse_literals,
    platform_kubeconfig,
    seal,
    sync,
)
from comind_scaffold.api_infra import (
    bootstrap,
    bootstrap_state,
    destroy,
    install_provider,
    services_clean,
    services_clean_plan,
    services_credentials,
    services_logs,
    services_status,
    services_stop,
    services_up,
    tf,
)
from comind_scaffold.bootstrap.options import PHASES, BootstrapOptions
from comind_scaffold.bootstrap.run import BootstrapReport, PhaseResult
from comind_scaffold.constants import ARGOCD_NAMESPACE, PROFILES
from comind_scaffold.layers import LAYERS as VERIFY_LAYERS
from comind_scaffold.layers import OPTIONS as VERIFY_OPTIONS
from comind_scaffold.layers import Option as VerifyOption
from comind_scaffold.layers import VerifyOptions
from comind_scaffold.models import CheckResult, Status
from comind_scaffold.monitoring import MONITORING_NAMESPACE, TARGETS, MonitoringAccess, Proxy
from comind_scaffold.providers import LOCALDEV_VERSION, ProviderBuild
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.sealing import SCOPES, SealResult
from comind_scaffold.sealing_cert import CERT_FILE, FetchedCert
from comind_scaffold.service_catalog import NAMES as LOCAL_SERVICES
from comind_scaffold.services.credentials import LocalCredentials
from comind_scaffold.tf import ACTIONS, TfResult

# `X as X` below: re-exported for the CLI's annotations, seen only by type checkers (api stays cheap to import).
if TYPE_CHECKING:
    from comind_scaffold.scaffold import ScaffoldResult
    from comind_scaffold.services.report import Change as Change
    from comind_scaffold.services.report import ServiceStatus as ServiceStatus
    from comind_scaffold.update import UpdateReport as UpdateReport
    from comind_scaffold.update_check import VersionStatus
    from comind_scaffold.validation.run import ValidationReport

__all__ = [
    "ACTIONS",
    "ARGOCD_NAMESPACE",
    "ARGOCD_SERVER_PORT",
    "CERT_FILE",
    "LOCALDEV_VERSION",
    "LOCAL_SERVICES",
    "MONITORING_NAMESPACE",
    "MONITORING_SERVICES",
    "PHASES",
    "PROFILES",
    "SCOPES",
    "VERIFY_LAYERS",
    "VERIFY_OPTIONS",
    "BootstrapOptions",
    "BootstrapReport",
    "CheckResult",
    "FetchedCert",
    "Forward",
    "LocalCredentials",
    "MergeResult",
    "MonitoringAccess",
    "PhaseResult",
    "PlatformRepo",
    "ProviderBuild",
    "Proxy",
    "SealResult",
    "Status",
    "TfResult",
    "VerifyOption",
    "VerifyOptions",
    "abort_update",
    "argocd_password",
    "argocd_port_forward",
    "argocd_url",
    "bootstrap",
    "bootstrap_state",
    "change_answers",
    "check_update",
    "destroy",
    "fetch_certificate",
    "init_platform",
    "install_provider",
    "is_url",
    "merge_kubeconfig",
    "monitoring_access",
    "monitoring_port_forward",
    "monitoring_proxy",
    "new_app",
    "parse_env_file",
    "parse_literals",
    "platform_kubeconfig",
    "seal",
    "services_clean",
    "services_clean_plan",
    "services_credentials",
    "services_logs",
    "services_status",
    "services_stop",
    "services_up",
    "set_source",
    "sync",
    "sync_projects",
    "tf",
    "update",
    "validate",
    "verify",
    "version",
]

MONITORING_SERVICES = tuple(TARGETS)  # what `comind monitoring` can forward to


def version() -> str:
    """Return the version of comind-ops."""
    return __version__


# --- scaffolding (templates/platform, templates/app) -------------------------------------------------------------


def init_platform(dest: Path, data: Sequence[str] = (), *, source: str | None = None,
                  vcs_ref: str | None = None) -> ScaffoldResult:
    """Generate a platform repository at `dest` from KEY=VALUE answers (Copier types each by its question)."""
    from comind_scaffold.app_answers import parse_data
    from comind_scaffold.scaffold import init_platform as generate

    return generate(dest, parse_data(data), source=source, vcs_ref=vcs_ref)


def is_url(source: str) -> bool:
    """Whether a template source is a URL teammates and CI can use (not a path of this machine)."""
    from comind_scaffold.template_source import is_url as portable

    return portable(source)


def new_app(repo: PlatformRepo, name: str, team: str, *, data: Sequence[str] = (),
            environments: Sequence[str] = (), replicas: Sequence[str] = (), services: Sequence[str] = (),
            port: int | None = None, image: str | None = None, image_tag: str | None = None, ingress: bool = True,
            pretend: bool = False) -> ScaffoldResult:
    """Add the app `name` of `team`.

    `data` KEY=VALUE answers come first, then the flags given; `services` are the `with_*` answers switched on.
    """
    from comind_scaffold.app_answers import options_from_flags
    from comind_scaffold.scaffold import new_app as make_app

    options = options_from_flags(data, environments=environments, replicas=replicas, services=services, port=port,
                                 image=image, image_tag=image_tag, ingress=ingress)
    return make_app(name, team, platform_dir=repo.root, options=options, pretend=pretend)


def sync_projects(repo: PlatformRepo) -> list[str]:
    """Rewrite each team's AppProject destinations from the apps; returns the files that changed."""
    from comind_scaffold.scaffold import sync_projects as sync_destinations

    return sync_destinations(repo)


def update(repo: PlatformRepo, apps: Sequence[str] = (), *, every: bool = False, platform: bool = False,
           vcs_ref: str | None = None, jobs: int | None = None) -> UpdateReport:
    """Three-way update of apps (or the platform) to a newer template."""
    from comind_scaffold.update import update as run_update

    return run_update(repo.root, apps, every=every, platform=platform, vcs_ref=vcs_ref, jobs=jobs)


def abort_update(repo: PlatformRepo) -> list[str]:
    """Restore the folders of the last update exactly; returns them."""
    from comind_scaffold.update_undo import abort_update as restore

    return restore(repo.root)


def check_update(repo: PlatformRepo) -> list[VersionStatus]:
    """Each app's and the platform's template version against the newest tag."""
    from comind_scaffold.update_check import check_update as versions

    return versions(repo.root)


def change_answers(repo: PlatformRepo, app: str, answers: Sequence[str], *,
                   vcs_ref: str | None = None) -> UpdateReport:
    """Give an app the KEY=VALUE `answers` (checked as new-app checks them) and re-render it."""
    from comind_scaffold.answers_change import change_answers as change
    from comind_scaffold.app_answers import coerce_data, parse_data

    return change(repo.root, app, coerce_data(parse_data(answers)), vcs_ref=vcs_ref)


def set_source(repo: PlatformRepo, source: str) -> list[Path]:
    """Record `source` as the template source of the platform and every app; returns the files changed."""
    from comind_scaffold.template_source import set_source as repoint

    return repoint(repo.root, source)


# --- offline validation and the verifier ---------------------------------------------------------------------------


def validate(path: Path | str, *, argocd_crds: Path | str | None = None) -> ValidationReport:
    """Validate a platform repository (or any folder of Kubernetes YAML) offline."""
    from comind_scaffold.validation.run import validate as run_validation

    return run_validation(path, argocd_crds=argocd_crds)


def verify(repo: PlatformRepo, options: VerifyOptions | None = None) -> int:
    """Run the verify suite against the platform (output to the terminal); returns comind's exit code.

    `options` (`VERIFY_OPTIONS` lists them) are those of `pytest verify/`; their platform_dir is the repo's.
    """
    from comind_scaffold.verifier.run import run_verify

    return run_verify(replace(options or VerifyOptions(), platform_dir=str(repo.root)))
