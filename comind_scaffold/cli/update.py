"""`comind update`: move apps (or the platform) to a newer template; `--abort` undoes the last update."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console, print_update_report


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("update")
    def update(
        apps: Annotated[list[str] | None, typer.Argument(help="Apps to update.")] = None,
        every: Annotated[bool, typer.Option("--all", help="Every app under apps/.")] = False,
        platform: Annotated[bool, typer.Option("--platform", help="The platform itself.")] = False,
        vcs_ref: Annotated[str | None, typer.Option(help="Template version (git tag); default: newest.")] = None,
        abort: Annotated[bool, typer.Option("--abort", help="Restore the folders of the last update.")] = False,
        jobs: Annotated[int | None, typer.Option(help="Parallel updates; default: CPU count.")] = None,
        platform_dir: Annotated[Path | None, typer.Option(help="Platform repository (default: search upwards).")
                                ] = None,
    ) -> None:
        """Three-way update to a newer template: keeps your edits, lists conflicts (exit 1) for you to resolve.

        The AppProjects are synced and what changed is checked (`comind validate`); a result that does not
        validate exits 1. The state before the update is recorded; `comind update --abort` restores it exactly.
        """
        repo = api.PlatformRepo.open(platform_dir)
        if abort:
            for folder in api.abort_update(repo):
                console.print(f"restored {folder}", markup=False)
            return
        with console.status("updating"):
            report = api.update(repo, apps or [], every=every, platform=platform, vcs_ref=vcs_ref, jobs=jobs)
        print_update_report(report)
