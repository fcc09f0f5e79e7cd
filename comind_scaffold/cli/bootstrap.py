"""`comind bootstrap --profile local|aws [--dry-run]` (make bootstrap): stand the platform up, phase by phase."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.api import PHASES
from comind_scaffold.cli._output import console, print_results
from comind_scaffold.errors import InputError, ValidationFailed

_STYLE = {"done": "green", "unchanged": "dim", "skipped": "dim", "resumed": "cyan", "planned": "yellow"}


def parse_budgets(items: list[str]) -> dict[str, float]:
    """`["wait=600"]` → `{"wait": 600.0}`; a malformed item is an InputError naming it."""
    budgets: dict[str, float] = {}
    for item in items:
        phase, sep, seconds = item.partition("=")
        if not sep or phase not in PHASES:
            raise InputError("--budget", f"{item!r} must be PHASE=SECONDS with PHASE one of {', '.join(PHASES)}")
        try:
            budgets[phase] = float(seconds)
        except ValueError as err:
            raise InputError("--budget", f"{item!r}: {seconds!r} is not a number of seconds") from err
    return budgets


def _print_phase(result: api.PhaseResult) -> None:
    took = f" ({result.seconds:.1f} s)" if result.seconds >= 0.05 else ""
    style = _STYLE.get(result.outcome, "")
    console.print(f"[{style}]{result.phase:9} {result.outcome:9}[/] {result.detail}{took}", markup=True,
                  highlight=False)


def register(app: typer.Typer) -> None:
    """Add `comind bootstrap`."""

    @app.command("bootstrap")
    def bootstrap_command(
        profile: Annotated[str | None, typer.Option(help="local or aws (default: the platform's).")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Show each phase's plan; change nothing.")] = False,
        existing_cluster: Annotated[bool, typer.Option(
            "--existing-cluster",
            help="Use the cluster --kubeconfig points at (Argo CD installed) instead of creating one.",
        )] = False,
        kubeconfig: Annotated[Path | None, typer.Option(help="Kubeconfig of the cluster.")] = None,
        context: Annotated[str | None, typer.Option(help="Kubeconfig context.")] = None,
        skip_services: Annotated[bool, typer.Option("--skip-services", help="Do not start the Docker services.")
                                 ] = False,
        budget: Annotated[list[str] | None, typer.Option(
            "--budget", metavar="PHASE=SECONDS", help=f"Time budget of a phase ({', '.join(PHASES)}); repeatable."
        )] = None,
        poll_interval: Annotated[float, typer.Option(help="Seconds between two looks at Argo CD.")] = 5.0,
        platform_dir: Annotated[Path | None, typer.Option("--platform-dir", help="Platform repository.")] = None,
    ) -> None:
        """Preflight, services, cluster, root app, then wait until every Application is Synced and Healthy."""
        repo = api.PlatformRepo.open(platform_dir)
        options = api.BootstrapOptions(
            profile=profile or repo.spec.default_profile, existing_cluster=existing_cluster, kubeconfig=kubeconfig,
            context=context, dry_run=dry_run, skip_services=skip_services, budgets=parse_budgets(budget or []),
            poll_interval=poll_interval,
        )
        try:
            with console.status("bootstrap") as spinner:
                report = api.bootstrap(repo, options, progress=spinner.update, on_phase=_print_phase)
        except ValidationFailed as err:
            print_results(err.results)
            raise
        if report.resumed:
            console.print("resumed an interrupted run")
        if dry_run:
            console.print("dry run: nothing was changed")
        else:
            console.print("changed" if report.changed else "nothing to do: the platform is already as declared")
