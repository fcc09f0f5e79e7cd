"""`comind new-app`: add an app to the platform repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("new-app")
    def new_app(
        name: Annotated[str, typer.Argument(help="App name: a DNS-1123 label; namespaces are <name>-<env>.")],
        team: Annotated[str, typer.Option("--team", "-t", help="Owning team (one of the platform's teams).")],
        with_database: Annotated[bool, typer.Option(help="PostgreSQL database <app>_<env>.")] = False,
        with_cache: Annotated[bool, typer.Option(help="Redis (needs redis enabled in the platform).")] = False,
        with_queue: Annotated[bool, typer.Option(help="SQS queue <app>-<env> + DLQ (needs elasticmq).")] = False,
        with_storage: Annotated[bool, typer.Option(help="S3 bucket <platform>-<app>-<env>.")] = False,
        env: Annotated[
            list[str] | None, typer.Option("--env", "-e", help="Environment (repeat); default: all.")
        ] = None,
        port: Annotated[int | None, typer.Option(help="Container port (1024-65535); default 8080.")] = None,
        image: Annotated[str | None, typer.Option(help="Image without tag.")] = None,
        image_tag: Annotated[str | None, typer.Option(help="Image tag; 'latest' only for dev-only apps.")] = None,
        replicas: Annotated[list[str] | None, typer.Option(help="N for every environment, or ENV=N (repeat).")] = None,
        no_ingress: Annotated[bool, typer.Option("--no-ingress", help="No Ingress.")] = False,
        data: Annotated[list[str] | None, typer.Option("--data", "-d", help="Any other answer, KEY=VALUE.")] = None,
        platform_dir: Annotated[Path | None, typer.Option(help="Platform repository (default: search upwards).")
                                ] = None,
        pretend: Annotated[bool, typer.Option(help="Check and list the files, write nothing.")] = False,
    ) -> None:
        """Add an app: check every answer, render apps/NAME, add its namespaces to the team's AppProject.

        Nothing is written when a check fails; the message names the answer and the rule (exit 2).
        """
        flags = {"with_database": with_database, "with_cache": with_cache, "with_queue": with_queue,
                 "with_storage": with_storage}
        repo = api.PlatformRepo.open(platform_dir)
        with console.status(f"rendering apps/{name}"):
            result = api.new_app(repo, name, team, data=data or [], environments=env or [], replicas=replicas or [],
                                 services=[flag for flag, on in flags.items() if on], port=port, image=image,
                                 image_tag=image_tag, ingress=not no_ingress, pretend=pretend)
        verb = "would create" if result.pretend else "created"
        for file in result.files:
            console.print(f"  {verb} {file}", markup=False)
        for project in result.projects:
            console.print(f"  updated {project}", markup=False)
        prefix = "pretend, nothing written: " if result.pretend else ""
        console.print(f"{prefix}{name}: {len(result.files)} files, template {result.version}", markup=False)
        if not result.pretend:
            console.print(f"next: review, then git add apps/{name} k8s/kustomize/projects && git commit", markup=False)
