"""The library surface: one typed verb for each `comind` command; the CLI calls nothing else.

A verb takes the `PlatformRepo` it works on (`PlatformRepo.open(path | None)` is the one way to open one) and
imports its module when it is called, so importing this module loads no Docker, database, Kubernetes or cloud
client that a caller may never use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comind_scaffold import __version__
from comind_scaffold.access import ARGOCD_SERVER_PORT, Forward, MergeResult
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
    from comind_scaffold.aws_state import RemoteState
    from comind_scaffold.destroy import DestroyReport
    from comind_scaffold.scaffold import ScaffoldResult
    from comind_scaffold.services.manager import UpReport
    from comind_scaffold.services.report import Change as Change
    from comind_scaffold.services.report import ServiceStatus as ServiceStatus
    from comind_scaffold.update import UpdateReport as UpdateReport
    from comind_scaffold.update_check import VersionStatus
    from comind_scaffold.validation.run import ValidationReport

Progress = Callable[[str], None]

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


# --- local Docker services -----------------------------------------------------------------------------------------


def services_up(repo: PlatformRepo, *, only: Sequence[str] | None = None, timeout: float = 180.0,
                pull: bool = False, progress: Progress | None = None) -> UpReport:
    """Start the enabled services, wait until healthy, create what the apps declare."""
    from comind_scaffold.services.manager import up

    return up(repo, only=only, timeout=timeout, pull=pull, progress=progress)


def services_status(repo: PlatformRepo, *, timeout: float = 3.0) -> list[ServiceStatus]:
    """One row per service: container, health, ports, image and a protocol probe."""
    from comind_scaffold.services.manager import status

    return status(repo, timeout=timeout)


def services_stop(repo: PlatformRepo, *, only: Sequence[str] | None = None) -> list[Change]:
    """Stop the service containers; their data stays."""
    from comind_scaffold.services.manager import stop

    return stop(repo, only=only)


def services_logs(repo: PlatformRepo, service: str, *, follow: bool = False,
                  tail: int | str = "all") -> Iterator[str]:
    """A service's container log, line by line."""
    from comind_scaffold.services.manager import logs

    return logs(repo, service, follow=follow, tail=tail)


def services_clean_plan(repo: PlatformRepo) -> tuple[list[str], list[str]]:
    """The containers and volumes `services_clean` would remove (only those labelled as comind's)."""
    from comind_scaffold.services.manager import clean_plan

    return clean_plan(repo)


def services_clean(repo: PlatformRepo) -> list[Change]:
    """Remove this platform's labelled containers and data volumes."""
    from comind_scaffold.services.manager import clean

    return clean(repo)


def services_credentials(repo: PlatformRepo) -> LocalCredentials | None:
    """The local-only service credentials, or None before the first `services up`."""
    from comind_scaffold.services.credentials import load_credentials

    return load_credentials(repo.credentials_path)


# --- terraform, bootstrap, destroy ---------------------------------------------------------------------------------


def tf(repo: PlatformRepo, app: str, env: str, action: str, *, profile: str | None = None,
       kubeconfig: Path | None = None, context: str | None = None) -> TfResult:
    """Run an app's Terraform in one environment (`ACTIONS`)."""
    from comind_scaffold.tf import tf as run_tf

    return run_tf(repo, app, env, action, profile=profile, kubeconfig=kubeconfig, kube_context=context)


def install_provider() -> ProviderBuild:
    """Build the local profile's Terraform provider into comind's mirror (needs Go)."""
    from comind_scaffold.providers import install_localdev

    return install_localdev()


def bootstrap(repo: PlatformRepo, options: BootstrapOptions, *, progress: Progress | None = None,
              on_phase: Callable[[PhaseResult], None] | None = None) -> BootstrapReport:
    """Stand the platform up phase by phase (`PHASES`), resumably."""
    from comind_scaffold.bootstrap.run import bootstrap as run_bootstrap

    return run_bootstrap(repo, options, progress=progress, on_phase=on_phase)


def bootstrap_state(repo: PlatformRepo, *, endpoint_url: str | None = None, aws_profile: str | None = None,
                    dry_run: bool = False) -> RemoteState:
    """Create (or check) the aws profile's Terraform state bucket and write `infra/terraform/backend.hcl`."""
    from comind_scaffold.aws_state import ensure_remote_state

    return ensure_remote_state(repo, endpoint_url=endpoint_url, profile=aws_profile, dry_run=dry_run)


def destroy(repo: PlatformRepo, profile: str, *, yes: bool = False, dry_run: bool = False,
            keep_services: bool = False, progress: Progress | None = None) -> DestroyReport:
    """Take down what comind made for a profile, and only that."""
    from comind_scaffold.destroy import destroy as take_down

    return take_down(repo, profile, yes=yes, dry_run=dry_run, keep_services=keep_services, progress=progress)


# --- a running platform: Argo CD, kubeconfig, sealed secrets -------------------------------------------------------


def sync(repo: PlatformRepo, apps: Sequence[str] = (), *, hard: bool = False, profile: str | None = None,
         kubeconfig: Path | None = None, context: str | None = None) -> list[str]:
    """Ask Argo CD to compare now; returns the Applications refreshed.

    The roots go first, each until it has done its part, then the Applications of `apps` (all when empty).
    """
    from comind_scaffold import access
    from comind_scaffold._kube import KubeClient
    from comind_scaffold.gitops_sync import sync_platform

    config, ctx = access.kube_target(repo, profile, kubeconfig, context)
    with KubeClient(config, ctx, timeout=10) as client:
        return sync_platform(client, repo, apps, "hard" if hard else "normal")


def argocd_url(repo: PlatformRepo, profile: str | None = None) -> str:
    """Argo CD's URL (the platform's ingress)."""
    from comind_scaffold import access

    return access.argocd_url(repo, profile)


def argocd_password(repo: PlatformRepo, *, profile: str | None = None, kubeconfig: Path | None = None,
                    context: str | None = None, namespace: str = ARGOCD_NAMESPACE) -> str:
    """The initial admin password, read from the cluster."""
    from comind_scaffold import access
    from comind_scaffold._kube import KubeClient

    config, ctx = access.kube_target(repo, profile, kubeconfig, context)
    with KubeClient(config, ctx, timeout=10) as kube:
        return access.argocd_password(kube, namespace)


def argocd_port_forward(repo: PlatformRepo, *, port: int, stop: threading.Event,
                        on_ready: Callable[[Forward], None], on_error: Callable[[str], None],
                        profile: str | None = None, kubeconfig: Path | None = None, context: str | None = None,
                        namespace: str = ARGOCD_NAMESPACE) -> None:
    """Forward 127.0.0.1:`port` to the argocd-server pod until `stop` is set."""
    from comind_scaffold import access
    from comind_scaffold._kube import KubeClient

    config, ctx = access.kube_target(repo, profile, kubeconfig, context)
    with KubeClient(config, ctx, timeout=10) as kube:
        pod = access.find_pod(kube, namespace, access.ARGOCD_SERVER_SELECTOR)
        access.port_forward(kube, namespace, pod, ARGOCD_SERVER_PORT, local_port=port, stop=stop,
                            on_ready=on_ready, on_error=on_error)


def platform_kubeconfig(repo: PlatformRepo, profile: str | None = None) -> Path:
    """The kubeconfig bootstrap wrote for the platform's cluster."""
    from comind_scaffold import access

    return access.platform_kubeconfig(repo, profile)


def merge_kubeconfig(source: Path, *, use: bool = False, overwrite: bool = False) -> MergeResult:
    """Merge a kubeconfig into ~/.kube/config; other entries are never touched."""
    from comind_scaffold import access

    return access.merge_kubeconfig(source, use=use, overwrite=overwrite)


def parse_literals(items: Sequence[str]) -> dict[str, str]:
    """KEY=VALUE pairs of `--from-literal`."""
    from comind_scaffold.sealing import parse_literals as parse

    return parse(items)


def parse_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of an env file."""
    from comind_scaffold.sealing import parse_env_file as parse

    return parse(path)


def fetch_certificate(repo: PlatformRepo, *, out: Path | None = None, profile: str | None = None,
                      kubeconfig: Path | None = None, context: str | None = None) -> FetchedCert:
    """Fetch the sealed-secrets controller's certificate into `out` (default: the platform's, per profile)."""
    from comind_scaffold import access, sealing_cert
    from comind_scaffold._kube import KubeClient

    target = out or sealing_cert.platform_certificate(repo, profile)
    config, ctx = access.kube_target(repo, profile, kubeconfig, context)
    with KubeClient(config, ctx, timeout=10) as kube:
        return sealing_cert.fetch_certificate(kube, target)


def seal(repo: PlatformRepo, app: str, env: str, data: dict[str, str], *, name: str | None = None,
         cert: Path | None = None, scope: str = "strict", profile: str | None = None) -> SealResult:
    """Seal `data` into a SealedSecret in the app's overlay of `env`."""
    from comind_scaffold.sealing import seal as seal_values

    return seal_values(repo, app, env, data, name=name, cert=cert, scope=scope, profile=profile)


# --- the monitoring stack (answer `monitoring`): Grafana and Prometheus in namespace monitoring ---------------------

MONITORING_SERVICES = tuple(TARGETS)


@contextmanager
def _monitoring_kube(repo: PlatformRepo, profile: str | None, kubeconfig: Path | None,
                     context: str | None) -> Iterator[Any]:
    """Open a client of the platform's cluster, once the answers are known to enable monitoring."""
    from comind_scaffold import access, monitoring
    from comind_scaffold._kube import KubeClient

    monitoring.require_monitoring(repo)
    config, ctx = access.kube_target(repo, profile, kubeconfig, context)
    with KubeClient(config, ctx, timeout=10) as kube:
        yield kube


def monitoring_access(repo: PlatformRepo, *, profile: str | None = None, kubeconfig: Path | None = None,
                      context: str | None = None, namespace: str = MONITORING_NAMESPACE) -> MonitoringAccess:
    """Grafana's URL and admin login (Secret monitoring/grafana-admin), and where the port-forwards listen."""
    from comind_scaffold import monitoring

    with _monitoring_kube(repo, profile, kubeconfig, context) as kube:
        return monitoring.monitoring_access(repo, kube, profile, namespace)


def monitoring_port_forward(repo: PlatformRepo, service: str = "grafana", *, port: int | None = None,
                            stop: threading.Event, on_ready: Callable[[Forward], None] | None = None,
                            on_error: Callable[[str], None] | None = None, profile: str | None = None,
                            kubeconfig: Path | None = None, context: str | None = None,
                            namespace: str = MONITORING_NAMESPACE) -> Forward:
    """Forward 127.0.0.1:`port` (default 3000 for grafana, 9090 for prometheus) to its pod until `stop` is set."""
    from comind_scaffold import monitoring

    with _monitoring_kube(repo, profile, kubeconfig, context) as kube:
        return monitoring.monitoring_port_forward(repo, kube, service, local_port=port, namespace=namespace,
                                                  stop=stop, on_ready=on_ready, on_error=on_error)


def monitoring_proxy(repo: PlatformRepo, *, port: int = 3000, stop: threading.Event,
                     on_ready: Callable[[Proxy], None] | None = None, profile: str | None = None,
                     kubeconfig: Path | None = None, context: str | None = None,
                     namespace: str = MONITORING_NAMESPACE) -> Proxy:
    """Serve Grafana on 127.0.0.1:`port` through the API server's service proxy until `stop` is set."""
    from comind_scaffold import monitoring

    with _monitoring_kube(repo, profile, kubeconfig, context) as kube:
        return monitoring.monitoring_proxy(repo, kube, local_port=port, namespace=namespace, stop=stop,
                                           on_ready=on_ready)
