"""`comind argocd url|password|port-forward` and `comind kubeconfig [--merge]`: getting at a running platform."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console, error_console, print_json

PlatformDir = Annotated[Path | None, typer.Option("--platform-dir", help="Platform repository.")]
Profile = Annotated[str | None, typer.Option(help="local or aws (default: the platform's).")]
Kubeconfig = Annotated[Path | None, typer.Option(help="Kubeconfig (default: the platform's, else kubectl's).")]
Context = Annotated[str | None, typer.Option("--context", help="Kubeconfig context.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Namespace = Annotated[str, typer.Option("--namespace", help="Argo CD's namespace.")]

argocd_app = typer.Typer(name="argocd", help="Argo CD of the running platform: URL, admin password, port-forward.",
                         no_args_is_help=True)


@argocd_app.command("url")
def url_command(profile: Profile = None, as_json: AsJson = False, platform_dir: PlatformDir = None) -> None:
    """Print Argo CD's URL (the platform's ingress; `comind argocd port-forward` works without one)."""
    url = api.argocd_url(api.PlatformRepo.open(platform_dir), profile)
    if as_json:
        print_json({"url": url, "user": "admin"})
    else:
        console.print(url)


@argocd_app.command("password")
def password_command(profile: Profile = None, kubeconfig: Kubeconfig = None, context: Context = None,
                     namespace: Namespace = api.ARGOCD_NAMESPACE, as_json: AsJson = False,
                     platform_dir: PlatformDir = None) -> None:
    """Print the initial admin password (Secret argocd/argocd-initial-admin-secret); the user is admin."""
    password = api.argocd_password(api.PlatformRepo.open(platform_dir), profile=profile, kubeconfig=kubeconfig,
                                   context=context, namespace=namespace)
    if as_json:
        print_json({"user": "admin", "password": password})
    else:
        print(password)


@argocd_app.command("port-forward")
def port_forward_command(
    port: Annotated[int, typer.Option("--port", help="Local port on 127.0.0.1 (0: any free one).")] = 8080,
    profile: Profile = None, kubeconfig: Kubeconfig = None, context: Context = None,
    namespace: Namespace = api.ARGOCD_NAMESPACE, platform_dir: PlatformDir = None,
) -> None:
    """Forward 127.0.0.1:PORT to the argocd-server pod through the API server until Ctrl-C."""
    repo = api.PlatformRepo.open(platform_dir)
    stop = threading.Event()

    def ready(forward: api.Forward) -> None:
        console.print(f"forwarding http://{forward.host}:{forward.port} → {forward.namespace}/{forward.pod}:"
                      f"{forward.remote_port} (user admin, `comind argocd password`); Ctrl-C stops")

    try:
        api.argocd_port_forward(repo, port=port, stop=stop, on_ready=ready,
                                on_error=lambda m: error_console.print(f"[red]error:[/red] {m}"),
                                profile=profile, kubeconfig=kubeconfig, context=context, namespace=namespace)
    except KeyboardInterrupt:
        stop.set()


def kubeconfig_command(
    merge: Annotated[bool, typer.Option("--merge", help="Merge it into ~/.kube/config (other entries are never "
                                        "touched).")] = False,
    use: Annotated[bool, typer.Option("--use", help="With --merge: make it the current context.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="With --merge: replace entries of the same name "
                                            "that differ (a re-created cluster).")] = False,
    profile: Profile = None, as_json: AsJson = False, platform_dir: PlatformDir = None,
) -> None:
    """Print the path of the platform's kubeconfig (written by bootstrap), or merge it into ~/.kube/config.

    Then `kubectl --kubeconfig PATH get pods -n APP-ENV`, or after --merge --use plain `kubectl get pods -n APP-ENV`.
    """
    path = api.platform_kubeconfig(api.PlatformRepo.open(platform_dir), profile)
    if not merge:
        if as_json:
            print_json({"kubeconfig": str(path)})
        else:
            print(path)
        return
    result = api.merge_kubeconfig(path, use=use, overwrite=overwrite)
    if as_json:
        print_json({"kubeconfig": str(path), **result.to_dict()})
        return
    changed = result.added + result.replaced
    console.print(f"{result.target}: " + (f"added/replaced {', '.join(changed)}" if changed else "already merged")
                  + f"; current context {result.current_context}")


def register(app: typer.Typer) -> None:
    """Add `comind argocd …` and `comind kubeconfig`."""
    app.add_typer(argocd_app, name="argocd")
    app.command("kubeconfig")(kubeconfig_command)
