"""`comind monitoring access|port-forward|proxy`: Grafana and Prometheus of the platform (answer `monitoring`)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console, error_console, print_json
from comind_scaffold.errors import InputError

PlatformDir = Annotated[Path | None, typer.Option("--platform-dir", help="Platform repository.")]
Profile = Annotated[str | None, typer.Option(help="local or aws (default: the platform's).")]
Kubeconfig = Annotated[Path | None, typer.Option(help="Kubeconfig (default: the platform's, else kubectl's).")]
Context = Annotated[str | None, typer.Option("--context", help="Kubeconfig context.")]
Namespace = Annotated[str, typer.Option("--namespace", help="The monitoring stack's namespace.")]

monitoring_app = typer.Typer(name="monitoring", no_args_is_help=True,
                             help="Grafana and Prometheus of the running platform: login, port-forward, proxy.")


@monitoring_app.command("access")
def access_command(profile: Profile = None, kubeconfig: Kubeconfig = None, context: Context = None,
                   namespace: Namespace = api.MONITORING_NAMESPACE,
                   as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
                   platform_dir: PlatformDir = None) -> None:
    """Print Grafana's URL and admin login (Secret monitoring/grafana-admin), and how to reach Prometheus."""
    found = api.monitoring_access(api.PlatformRepo.open(platform_dir), profile=profile, kubeconfig=kubeconfig,
                                  context=context, namespace=namespace)
    if as_json:
        print_json(found.to_dict())
        return
    console.print(f"grafana:    {found.grafana_url or 'no ingress on this profile'}")
    console.print(f"user:       {found.user}")
    console.print(f"password:   {found.password}")
    for name, how in found.port_forward.items():
        console.print(f"{name + ':':<11} {how}")


@monitoring_app.command("port-forward")
def port_forward_command(
    service: Annotated[str, typer.Argument(help="grafana or prometheus.")] = "grafana",
    port: Annotated[int | None, typer.Option("--port", help="Local port on 127.0.0.1 (default 3000 for grafana, "
                                             "9090 for prometheus; 0: any free one).")] = None,
    profile: Profile = None, kubeconfig: Kubeconfig = None, context: Context = None,
    namespace: Namespace = api.MONITORING_NAMESPACE, platform_dir: PlatformDir = None,
) -> None:
    """Forward 127.0.0.1:PORT to the pod behind the Service, through the API server, until Ctrl-C."""
    if service not in api.MONITORING_SERVICES:
        raise InputError("SERVICE", f"{service!r} must be one of {', '.join(api.MONITORING_SERVICES)}")
    stop = threading.Event()

    def ready(forward: api.Forward) -> None:
        login = " (`comind monitoring access` prints the login)" if service == "grafana" else ""
        console.print(f"forwarding http://{forward.host}:{forward.port} → {forward.namespace}/{forward.pod}:"
                      f"{forward.remote_port}{login}; Ctrl-C stops")

    try:
        api.monitoring_port_forward(api.PlatformRepo.open(platform_dir), service, port=port, stop=stop,
                                    on_ready=ready, on_error=lambda m: error_console.print(f"[red]error:[/red] {m}"),
                                    profile=profile, kubeconfig=kubeconfig, context=context, namespace=namespace)
    except KeyboardInterrupt:
        stop.set()


@monitoring_app.command("proxy")
def proxy_command(
    port: Annotated[int, typer.Option("--port", help="Local port on 127.0.0.1 (0: any free one).")] = 3000,
    profile: Profile = None, kubeconfig: Kubeconfig = None, context: Context = None,
    namespace: Namespace = api.MONITORING_NAMESPACE, platform_dir: PlatformDir = None,
) -> None:
    """Serve Grafana on 127.0.0.1:PORT through the API server's service proxy until Ctrl-C.

    Like `kubectl proxy`, for one Service: needs only RBAC services/proxy, no kubelet stream.
    """
    stop = threading.Event()

    def ready(proxy: api.Proxy) -> None:
        console.print(f"serving http://{proxy.host}:{proxy.port} → API server {proxy.upstream}/ "
                      "(`comind monitoring access` prints the login); Ctrl-C stops")

    try:
        api.monitoring_proxy(api.PlatformRepo.open(platform_dir), port=port, stop=stop, on_ready=ready,
                             profile=profile, kubeconfig=kubeconfig, context=context, namespace=namespace)
    except KeyboardInterrupt:
        stop.set()


def register(app: typer.Typer) -> None:
    """Add `comind monitoring …`."""
    app.add_typer(monitoring_app, name="monitoring")
