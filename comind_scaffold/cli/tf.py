"""`comind tf plan|apply|destroy|output APP --env ENV`: an app's infrastructure (make tf-apply-app)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console, print_json


def _command(action: str) -> Callable[..., None]:
    def run(
        app_name: Annotated[str, typer.Argument(metavar="APP", help="App under apps/.")],
        env: Annotated[str, typer.Option("--env", help="Environment (and Terraform workspace).")],
        profile: Annotated[str | None, typer.Option(help="local or aws (default: the platform's).")] = None,
        kubeconfig: Annotated[Path | None, typer.Option(help="Kubeconfig for the app's Secret.")] = None,
        context: Annotated[str | None, typer.Option("--context", help="Kubeconfig context.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
        platform_dir: Annotated[Path | None, typer.Option("--platform-dir", help="Platform repository.")] = None,
    ) -> None:
        repo = api.PlatformRepo.open(platform_dir)
        with console.status(f"terraform {action} {app_name} [{env}]"):
            result = api.tf(repo, app_name, env, action, profile=profile, kubeconfig=kubeconfig, context=context)
        if as_json:
            print_json({"app": result.app, "env": result.env, "profile": result.profile, "action": result.action,
                        "changed": result.changed, "summary": result.summary, "outputs": result.outputs})
            return
        console.print(result.summary)
        for name, value in sorted(result.outputs.items()):
            console.print(f"  {name} = {value}")

    run.__doc__ = {
        "plan": "Show what Terraform would change for an app in one environment.",
        "apply": "Create or update an app's database, bucket, queue and connection Secret in one environment.",
        "destroy": "Remove what Terraform created for an app in one environment.",
        "output": "Print an app's Terraform outputs for one environment.",
    }[action]
    return run


def register(app: typer.Typer) -> None:
    """Add `comind tf` and its sub-commands."""
    tf_app = typer.Typer(name="tf", help="Run an app's Terraform (one state per app and environment).",
                         no_args_is_help=True)
    for action in api.ACTIONS:
        tf_app.command(action)(_command(action))
    tf_app.command("install-provider")(install_provider)
    tf_app.command("bootstrap-state")(bootstrap_state)
    app.add_typer(tf_app, name="tf")


def bootstrap_state(
    endpoint_url: Annotated[str | None, typer.Option(
        "--aws-endpoint-url", help="An AWS API emulator (also written into backend.hcl).")] = None,
    aws_profile: Annotated[str | None, typer.Option("--aws-profile", help="AWS profile of the SDK.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    platform_dir: Annotated[Path | None, typer.Option("--platform-dir", help="Platform repository.")] = None,
) -> None:
    """Create the aws profile's Terraform state bucket and write infra/terraform/backend.hcl (bootstrap does it too).

    The bucket is versioned, encrypted, private and tagged as comind's; a second run changes nothing.
    """
    repo = api.PlatformRepo.open(platform_dir)
    with console.status("remote state"):
        state = api.bootstrap_state(repo, endpoint_url=endpoint_url, aws_profile=aws_profile, dry_run=dry_run)
    if as_json:
        print_json({"bucket": state.bucket, "region": state.region, "backend_file": str(state.backend_file),
                    "changed": state.changed,
                    "changes": [{"object": ch.object, "action": ch.action} for ch in state.changes]})
        return
    for change in state.changes:
        console.print(f"{change.action:<9} {change.object}")
    console.print(f"{state.backend_file}: bucket {state.bucket} ({state.region})")


def install_provider() -> None:
    """Build the local profile's Terraform provider (comind/localdev) into comind's mirror; needs Go.

    `comind tf plan|apply` does this by itself when needed; run it ahead to build while offline work goes on.
    """
    with console.status("building comind/localdev"):
        build = api.install_provider()
    how = f"built in {build.seconds:.0f} s" if build.built else "already built"
    console.print(f"comind/localdev {api.LOCALDEV_VERSION}: {how}: {build.binary}")
    console.print(f"terraform CLI config: {build.cli_config}")
