"""`comind update`: move apps (or the platform) to a newer template; `--abort` undoes the last update."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold.cli._output import console


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
        platform_dir: Annotated[Path, typer.Option(help="Platform repository (default: search upwards).")] = Path(),
    ) -> None:
        """Three-way update to a newer template: keeps your edits, lists conflicts (exit 1) for you to resolve.

        The state before the update is recorded; `comind update --abort` restores it exactly.
        """
        from comind_scaffold.errors import UpdateConflictError
        from comind_scaffold.update import abort_update
        from comind_scaffold.update import update as run_update

        if abort:
            for folder in abort_update(platform_dir):
                console.print(f"restored {folder}", markup=False)
            return
        with console.status("updating"):
            report = run_update(platform_dir, apps or [], every=every, platform=platform, vcs_ref=vcs_ref, jobs=jobs)
        for r in report.results:
            detail = f": {', '.join(r.conflicts)}" if r.conflicts else (f": {r.message}" if r.message else "")
            console.print(f"{r.name:30} {r.old_version:>14} → {r.new_version:<14} {r.status}{detail}", markup=False)
        counts = {
            s: sum(1 for r in report.results if r.status == s) for s in ("updated", "unchanged", "conflicts", "failed")
        }
        console.print(" ".join(f"{k}={v}" for k, v in counts.items()))
        if report.conflicted or report.failed:
            bad = report.conflicted + report.failed
            raise UpdateConflictError(
                ", ".join(r.name for r in bad), [f for r in bad for f in r.conflicts] or ["(failed)"]
            )
