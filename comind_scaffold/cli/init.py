"""`comind init`: generate a new platform repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold.cli._output import console


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("init")
    def init(
        dest: Annotated[Path, typer.Argument(help="New (or empty) folder for the platform repository.")],
        data: Annotated[list[str] | None, typer.Option("--data", "-d", help="An answer, KEY=VALUE (repeat).")] = None,
        vcs_ref: Annotated[str | None, typer.Option(help="Template version (git tag); default: newest.")] = None,
        template: Annotated[
            str | None, typer.Option(help="Template source; default: $COMIND_TEMPLATE or this checkout.")
        ] = None,
    ) -> None:
        """Generate a platform repository from the comind-ops template; unanswered questions take their defaults."""
        from comind_scaffold.app_answers import parse_data
        from comind_scaffold.scaffold import init_platform

        # Copier types each value by its question (int, bool, yaml…); strings go through as given.
        answers = parse_data(data or [])
        with console.status(f"rendering {dest}"):
            result = init_platform(dest, answers, source=template, vcs_ref=vcs_ref)
        console.print(f"created {result.target}: {len(result.files)} files, template {result.version}", markup=False)
        console.print(
            f"next: cd {dest} && git init && git add -A && git commit -m 'platform from comind-ops'", markup=False
        )
