"""`comind destroy --profile local|aws --yes`: take down what comind made for a profile, and only that."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console, print_json


def destroy_command(
    profile: Annotated[str | None, typer.Option(help="local or aws (default: the platform's).")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Really remove it (required).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be removed, remove nothing.")] = False,
    keep_services: Annotated[bool, typer.Option("--keep-services", help="local: leave the Docker services and "
                                                "their data.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the steps as JSON.")] = False,
    platform_dir: Annotated[Path | None, typer.Option("--platform-dir", help="Platform repository.")] = None,
) -> None:
    """Remove every app's infrastructure, the cluster, and (local) the labelled Docker services and volumes.

    Only what comind made: Terraform states of this platform, Docker objects carrying its labels, its own
    files in .comind/ for the profile. Git content (apps, manifests, answers) is never touched.
    """
    repo = api.PlatformRepo.open(platform_dir)
    chosen = profile or repo.spec.default_profile
    with console.status(f"destroy {chosen}") as spinner:
        report = api.destroy(repo, chosen, yes=yes, dry_run=dry_run, keep_services=keep_services,
                         progress=lambda message: spinner.update(message))
    if as_json:
        print_json(report.to_dict())
        return
    for step in report.steps:
        console.print(step.line(), markup=False)
    removed = sum(1 for s in report.steps if s.outcome == "removed")
    console.print(f"dry run: {sum(1 for s in report.steps if s.outcome == 'planned')} to remove" if dry_run
                  else f"{removed} removed", markup=False)


def register(app: typer.Typer) -> None:
    """Add `comind destroy`."""
    app.command("destroy")(destroy_command)
