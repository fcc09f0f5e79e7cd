"""The verbs on a running platform: Argo CD, kubeconfig, sealed secrets and the monitoring stack.

Part of the library surface: `comind_scaffold.api` imports and lists these; as there, each verb imports
its module when called, and each that reaches the cluster opens one client of it (`_platform_kube`) for the call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comind_scaffold.access import ARGOCD_SERVER_PORT
from comind_scaffold.constants import ARGOCD_NAMESPACE
from comind_scaffold.monitoring import MONITORING_NAMESPACE

if TYPE_CHECKING:
    from comind_scaffold.access import Forward, MergeResult
    from comind_scaffold.monitoring import MonitoringAccess, Proxy
    from comind_scaffold.repo import PlatformRepo
    from comind_scaffold.sealing import SealResult
    from comind_scaffold.sealing_cert import FetchedCert


@contextmanager
def _platform_kube(repo: PlatformRepo, profile: str | None, kubeconfig: Path | None,
                   context: str | None) -> Iterator[Any]:
    """A client of the platform's cluster (the profile's kubeconfig and context unless given), for one call."""
    from comind_scaffold import access
    from comind_scaffold._kube import KubeClient

    config, ctx = access.kube_target(repo, profile, kubeconfig, context)
    with KubeClient(config, ctx, timeout=10) as kube:
        yield kube


def sync(repo: PlatformRepo, apps: Sequence[str] = (), *, hard: bool = False, profile: str | None = None,
         kubeconfig: Path | None = None, context: str | None = None) -> list[str]:
    """Ask Argo CD to compare now; returns the Applications refreshed.

    The roots go first, each until it has done its part, then the Applications of `apps` (all when empty).
    """
    from comind_scaffold.gitops_sync import sync_platform

    with _platform_kube(repo, profile, kubeconfig, context) as client:
        return sync_platform(client, repo, apps, "hard" if hard else "normal")


def argocd_url(repo: PlatformRepo, profile: str | None = None) -> str:
    """Argo CD's URL (the platform's ingress)."""
    from comind_scaffold import access

    return access.argocd_url(repo, profile)


def argocd_password(repo: PlatformRepo, *, profile: str | None = None, kubeconfig: Path | None = None,
                    context: str | None = None, namespace: str = ARGOCD_NAMESPACE) -> str:
    """The initial admin password, read from the cluster."""
    from comind_scaffold import access

    with _platform_kube(repo, profile, kubeconfig, context) as kube:
        return access.argocd_password(kube, namespace)


def argocd_port_forward(repo: PlatformRepo, *, port: int, stop: threading.Event,
                        on_ready: Callable[[Forward], None], on_error: Callable[[str], None],
                        profile: str | None = None, kubeconfig: Path | None = None, context: str | None = None,
                        namespace: str = ARGOCD_NAMESPACE) -> None:
    """Forward 127.0.0.1:`port` to the argocd-server pod until `stop` is set."""
    from comind_scaffold import access

    with _platform_kube(repo, profile, kubeconfig, context) as kube:
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
    from comind_scaffold import sealing_cert

    target = out or sealing_cert.platform_certificate(repo, profile)
    with _platform_kube(repo, profile, kubeconfig, context) as kube:
        return sealing_cert.fetch_certificate(kube, target)


def seal(repo: PlatformRepo, app: str, env: str, data: dict[str, str], *, name: str | None = None,
         cert: Path | None = None, scope: str = "strict", profile: str | None = None) -> SealResult:
    """Seal `data` into a SealedSecret in the app's overlay of `env`."""
    from comind_scaffold.sealing import seal as seal_values

    return seal_values(repo, app, env, data, name=name, cert=cert, scope=scope, profile=profile)


# --- the monitoring stack (answer `monitoring`): Grafana and Prometheus in namespace monitoring ---------------------


@contextmanager
def _monitoring_kube(repo: PlatformRepo, profile: str | None, kubeconfig: Path | None,
                     context: str | None) -> Iterator[Any]:
    """Open a client of the platform's cluster, once the answers are known to enable monitoring."""
    from comind_scaffold import monitoring

    monitoring.require_monitoring(repo)
    with _platform_kube(repo, profile, kubeconfig, context) as kube:
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
