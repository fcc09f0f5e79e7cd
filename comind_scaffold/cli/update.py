"""`comind update`: move apps (or the platform) to a newer template; `--abort` undoes the last update."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from comind_scaffold.cli._output import console

if TYPE_CHECKING:
    from comind_scaffold.update import UpdateReport


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

        The AppProjects are synced and what changed is checked (`comind validate`); a result that does not
        validate exits 1. The state before the update is recorded; `comind update --abort` restores it exactly.
        """
        from comind_scaffold.update import abort_update
        from comind_scaffold.update import update as run_update

        if abort:
            for folder in abort_update(platform_dir):
                console.print(f"restored {folder}", markup=False)
            return
        with console.status("updating"):
            report = run_update(platform_dir, apps or [], every=every, platform=platform, vcs_ref=vcs_ref, jobs=jobs)
        show_report(report)


def show_report(report: UpdateReport) -> None:
    """Print an update's results and raise the error that gives its exit code (conflicts, failures, checks).

    Raises:
        UpdateConflictError: Conflicts left, or edits of removed or renamed files kept aside.
        UpdateFailedError: An update failed (what failed is named).
        ValidationFailed: The result does not pass the static checks.

    """
    from comind_scaffold.errors import UpdateConflictError, UpdateFailedError, ValidationFailed

    for r in report.results:
        detail = f": {', '.join(r.conflicts)}" if r.conflicts else (f": {r.message}" if r.message else "")
        console.print(f"{r.name:30} {r.old_version:>14} → {r.new_version:<14} {r.status}{detail}", markup=False)
        for line in r.kept:
            console.print(f"  kept: {line}", markup=False)
    for project in report.projects:
        console.print(f"synced {project}", markup=False)
    for note in report.notes:
        console.print(f"note: {note}", markup=False)
    statuses = ("updated", "unchanged", "conflicts", "failed")
    counts = {s: sum(1 for r in report.results if r.status == s) for s in statuses}
    console.print(" ".join(f"{k}={v}" for k, v in counts.items()))
    if report.conflicted:
        files = [f for r in report.conflicted for f in r.conflicts]
        kept = [line.split(": ", 1)[0] for r in report.conflicted for line in r.kept]
        files += [name for name in kept if name not in files]
        raise UpdateConflictError(", ".join(r.name for r in report.conflicted), files)
    if report.failed:
        raise UpdateFailedError([(r.name, r.message) for r in report.failed])
    if report.failures:
        console.print(f"the updated result does not validate ({len(report.failures)} failure(s)):", markup=False)
        for failure in report.failures:
            console.print(f"  {failure.line()}", markup=False)
        raise ValidationFailed(report.failures)
