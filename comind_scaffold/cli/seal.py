"""`comind seal APP --env ENV (--from-literal K=V … | --from-env-file F)`: a SealedSecret in the app's overlay."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.api import CERT_FILE, SCOPES
from comind_scaffold.cli._output import console, print_json
from comind_scaffold.errors import InputError


def seal_command(
    app_name: Annotated[str | None, typer.Argument(metavar="APP", help="App under apps/.")] = None,
    env: Annotated[str | None, typer.Option("--env", help="Environment whose overlay gets the SealedSecret.")] = None,
    literal: Annotated[list[str] | None, typer.Option("--from-literal", help="KEY=VALUE (repeatable).")] = None,
    env_file: Annotated[Path | None, typer.Option("--from-env-file", help="File of KEY=VALUE lines.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Secret name (default: APP-secrets).")] = None,
    cert: Annotated[Path | None, typer.Option("--cert", help=f"Controller certificate PEM (default: {CERT_FILE}).")
                    ] = None,
    scope: Annotated[str, typer.Option("--scope", help=f"Where it may be unsealed: {', '.join(SCOPES)}.")
                     ] = "strict",
    fetch_cert: Annotated[bool, typer.Option("--fetch-cert", help="Fetch the controller's certificate into "
                                             f"{CERT_FILE} (or --cert PATH) first.")] = False,
    profile: Annotated[str | None, typer.Option(help="local or aws: whose cluster (certificate, kubeconfig); "
                                                "default: the platform's.")] = None,
    kubeconfig: Annotated[Path | None, typer.Option(help="Kubeconfig for --fetch-cert.")] = None,
    context: Annotated[str | None, typer.Option("--context", help="Kubeconfig context for --fetch-cert.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    platform_dir: Annotated[Path | None, typer.Option("--platform-dir", help="Platform repository.")] = None,
) -> None:
    """Seal values into a SealedSecret in apps/APP/k8s/overlays/ENV/ (never a plaintext Secret).

    Sealed offline with the platform's sealed-secrets certificate, in the controller's own format (strict
    scope by default: only a Secret of that name in APP-ENV can be unsealed). Re-running with the same name
    replaces the given keys and keeps the others.
    """
    repo = api.PlatformRepo.open(platform_dir)
    report: dict[str, object] = {}
    if app_name is not None:  # check every input before anything is fetched or written
        if env is None:
            raise InputError("--env", "required: the environment whose overlay gets the SealedSecret")
        if literal and env_file:
            raise InputError("--from-literal/--from-env-file", "give one of them, not both")
        if not literal and env_file is None:
            raise InputError("--from-literal/--from-env-file", "nothing to seal: give KEY=VALUE pairs or a file")
        data = api.parse_literals(literal) if literal else api.parse_env_file(env_file)  # type: ignore[arg-type]
    elif not fetch_cert:
        raise InputError("APP", "required (or --fetch-cert alone to fetch the certificate)")
    elif env or literal or env_file or name:
        raise InputError("APP", "required with --env/--from-literal/--from-env-file/--name")
    if fetch_cert:
        fetched = api.fetch_certificate(repo, out=cert, profile=profile, kubeconfig=kubeconfig, context=context)
        report["fetched"] = fetched.to_dict()
        if not as_json:
            console.print(f"certificate from {fetched.source} → {fetched.path} (valid until {fetched.not_after})")
        cert = fetched.path
    if app_name is not None:
        result = api.seal(repo, app_name, env or "", data, name=name, cert=cert, scope=scope, profile=profile)
        report["sealed"] = result.to_dict()
        if not as_json:
            kept = f"; kept {', '.join(result.kept)}" if result.kept else ""
            console.print(f"sealed {', '.join(result.keys)} into {result.file.relative_to(repo.root)} "
                          f"(SealedSecret {result.namespace}/{result.name}, {result.scope}{kept}); "
                          f"listed in {result.kustomization.relative_to(repo.root)}")
    if as_json:
        print_json(report)


def register(app: typer.Typer) -> None:
    """Add `comind seal`."""
    app.command("seal")(seal_command)
