"""The verbs that stand the platform up and take it down: local Docker services, Terraform, bootstrap, destroy.

Part of the library surface: `comind_scaffold.api` imports and lists these; as there, each verb imports
its module when called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from comind_scaffold.aws_state import RemoteState
    from comind_scaffold.bootstrap.options import BootstrapOptions
    from comind_scaffold.bootstrap.run import BootstrapReport, PhaseResult
    from comind_scaffold.destroy import DestroyReport
    from comind_scaffold.providers import ProviderBuild
    from comind_scaffold.repo import PlatformRepo
    from comind_scaffold.services.credentials import LocalCredentials
    from comind_scaffold.services.manager import UpReport
    from comind_scaffold.services.report import Change, ServiceStatus
    from comind_scaffold.tf import TfResult

Progress = Callable[[str], None]


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
