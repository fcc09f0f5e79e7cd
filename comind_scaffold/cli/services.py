"""`comind services up|status|stop|logs|clean|credentials`: the local services in Docker."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console, print_json
from comind_scaffold.errors import InputError

services_app = typer.Typer(
    name="services",
    help="Run the local services (PostgreSQL, MinIO, Redis, ElasticMQ) in Docker.",
    no_args_is_help=True,
)

PlatformDir = Annotated[
    Path | None, typer.Option("--platform-dir", help="Platform repository (default: the one containing the cwd).")
]


def _print_changes(changes: list[api.Change]) -> None:
    for change in changes:
        style = "green" if change.changed else "dim"
        console.print(f"[{style}]{change.line()}[/]", markup=True, highlight=False)


@services_app.command("up")
def up_command(
    only: Annotated[list[str] | None, typer.Option("--only", help="Only this service (repeatable).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds the services may take to become healthy.")] = 180.0,
    pull: Annotated[bool, typer.Option("--pull", help="Pull images that are not present.")] = False,
    platform_dir: PlatformDir = None,
) -> None:
    """Start the enabled services, wait until healthy, create the databases, buckets and queues apps declare."""
    repo = api.PlatformRepo.open(platform_dir)
    with console.status("starting services") as spinner:
        report = api.services_up(repo, only=only, timeout=timeout, pull=pull, progress=lambda msg: spinner.update(msg))
    _print_changes(report.changes)
    if report.credentials_created:
        console.print(f"generated local-only credentials in {repo.credentials_path} (mode 0600, git-ignored)")
    console.print("changed" if report.changed else "nothing to do: every service and object is already as declared")


def _print_row(row: api.ServiceStatus) -> None:
    mark = "ok  " if row.ok else "DOWN"
    state = row.state if row.state != "running" else f"running/{row.health}"
    ports = ",".join(str(port) for port in row.ports.values())
    probe = f"{row.probe.status.value} {row.probe.message}" if row.probe else "-"
    if row.probe is None and row.state == "running":
        probe = "not probed: no local credentials (run comind services up)"
    console.print(
        f"[{'green' if row.ok else 'red'}]{mark}[/] {row.service:10} {state:18} {ports:11} {row.image}  {probe}",
        markup=True, highlight=False,
    )


@services_app.command("status")
def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds each protocol probe may take.")] = 3.0,
    platform_dir: PlatformDir = None,
) -> None:
    """One row per service: container, health, ports, image and a protocol probe; exit 1 when one is down."""
    rows = api.services_status(api.PlatformRepo.open(platform_dir), timeout=timeout)
    if as_json:
        print_json([row.model_dump(mode="json") | {"ok": row.ok} for row in rows])
    else:
        for row in rows:
            _print_row(row)
    down = [row.service for row in rows if not row.ok]
    if down:
        if not as_json:
            console.print(f"[red]down or unhealthy: {', '.join(down)}[/]", markup=True)
        raise typer.Exit(1)


@services_app.command("stop")
def stop_command(
    only: Annotated[list[str] | None, typer.Option("--only", help="Only this service (repeatable).")] = None,
    platform_dir: PlatformDir = None,
) -> None:
    """Stop the service containers; their data stays."""
    _print_changes(api.services_stop(api.PlatformRepo.open(platform_dir), only=only))


@services_app.command("logs")
def logs_command(
    service: Annotated[str, typer.Argument(help=f"{', '.join(api.LOCAL_SERVICES[:-1])} or {api.LOCAL_SERVICES[-1]}.")],
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    tail: Annotated[str, typer.Option(help="Lines from the end, or 'all'.")] = "all",
    platform_dir: PlatformDir = None,
) -> None:
    """Print a service's container log."""
    if tail != "all" and not tail.isdigit():
        raise InputError("--tail", f"{tail!r} must be a number of lines or 'all'")
    repo = api.PlatformRepo.open(platform_dir)
    for line in api.services_logs(repo, service, follow=follow, tail=int(tail) if tail.isdigit() else "all"):
        console.print(line, markup=False, highlight=False)


@services_app.command("clean")
def clean_command(
    yes: Annotated[bool, typer.Option("--yes", help="Delete without asking.")] = False,
    platform_dir: PlatformDir = None,
) -> None:
    """Remove this platform's containers and data volumes (only those labelled as created by comind)."""
    repo = api.PlatformRepo.open(platform_dir)
    containers, volumes = api.services_clean_plan(repo)
    if not containers and not volumes:
        console.print("nothing to remove")
        return
    if not yes:
        console.print("will remove: " + ", ".join([*containers, *volumes]))
        if not sys.stdin.isatty():
            raise InputError("--yes", "required to delete service data when not asked interactively")
        typer.confirm("Delete these containers and their data?", abort=True)
    _print_changes(api.services_clean(repo))


@services_app.command("credentials")
def credentials_command(
    show: Annotated[bool, typer.Option("--show", help="Print the secret values too.")] = False,
    platform_dir: PlatformDir = None,
) -> None:
    """Where the local-only service credentials are; `--show` prints them."""
    repo = api.PlatformRepo.open(platform_dir)
    creds = api.services_credentials(repo)
    if creds is None:
        raise InputError("credentials", f"{repo.credentials_path} does not exist yet; run comind services up")
    console.print(str(repo.credentials_path))
    if show:
        print_json(creds.model_dump())


def register(app: typer.Typer) -> None:
    """Add the `services` command group to the app."""
    app.add_typer(services_app, name="services")
