"""How one `comind bootstrap` runs: its options (typed), the phases and their default time budgets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from comind_scaffold import constants as c
from comind_scaffold.errors import InputError
from comind_scaffold.repo import PlatformRepo

if TYPE_CHECKING:
    from comind_scaffold._kube import KubeClient

PHASES = ("preflight", "services", "cluster", "root-app", "wait")
DEFAULT_BUDGETS: dict[str, float] = {"preflight": 60, "services": 300, "cluster": 1800, "root-app": 120, "wait": 900}
LOCAL_KUBECONFIG = c.KUBECONFIG_FILE.format(profile="local")  # written by environments/local (k3d)


@dataclass(frozen=True)
class BootstrapOptions:
    """How to bootstrap.

    Attributes:
        profile: local or aws.
        existing_cluster: Use the cluster the kubeconfig points at instead of creating one.
        kubeconfig: Kubeconfig of that cluster (default: kubectl's).
        context: Kubeconfig context (default: the current one).
        dry_run: Show each phase's plan, change nothing, write no state.
        skip_services: Do not start the local Docker services.
        budgets: Seconds allowed per phase (missing phases use DEFAULT_BUDGETS).
        poll_interval: Seconds between two looks at Argo CD in the wait phase.

    """

    profile: str = "local"
    existing_cluster: bool = False
    kubeconfig: Path | None = None
    context: str | None = None
    dry_run: bool = False
    skip_services: bool = False
    budgets: Mapping[str, float] = field(default_factory=dict)
    poll_interval: float = 2.0

    def budget(self, phase: str) -> float:
        """Return the seconds allowed for `phase`."""
        return float(self.budgets.get(phase, DEFAULT_BUDGETS[phase]))


def validate(repo: PlatformRepo, options: BootstrapOptions) -> None:
    """Refuse bad options (InputError naming the option) before any phase runs."""
    if options.profile not in c.PROFILES:
        raise InputError("profile", f"{options.profile!r} must be one of {', '.join(c.PROFILES)}")
    for phase, seconds in options.budgets.items():
        if phase in PHASES and seconds <= 0:
            raise InputError(f"budget {phase}", f"{seconds} must be a positive number of seconds")
    if options.kubeconfig is not None and not Path(options.kubeconfig).is_file():
        raise InputError("kubeconfig", f"{options.kubeconfig}: no such file")
    repo.spec  # noqa: B018 - read the answers now so a broken file fails before any phase


def with_cluster_defaults(repo: PlatformRepo, options: BootstrapOptions) -> BootstrapOptions:
    """The local profile creating its cluster talks to it through the kubeconfig and context k3d writes."""
    if options.profile == "local" and not options.existing_cluster and options.kubeconfig is None:
        return replace(options, kubeconfig=repo.root / LOCAL_KUBECONFIG,
                       context=options.context or f"k3d-{repo.spec.platform_name}")
    return options


def kube_client(options: BootstrapOptions, timeout: float = 10.0) -> KubeClient:
    """A client of the cluster the options name (`kubeconfig`, `context`)."""
    from comind_scaffold._kube import KubeClient

    return KubeClient(str(options.kubeconfig) if options.kubeconfig else None, options.context, timeout=timeout)
