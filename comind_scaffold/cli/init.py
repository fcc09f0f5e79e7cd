"""`comind init`: generate a new platform repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("init")
    def init(
        dest: Annotated[Path, typer.Argument(help="New (or empty) folder for the platform repository.")],
        data: Annotated[list[str] | None, typer.Option("--data", "-d", help="An answer, KEY=VALUE (repeat).")] = None,
        vcs_ref: Annotated[str | None, typer.Option(help="Template version (git tag); default: newest.")] = None,
        template: Annotated[
            str | None,
            typer.Option(help="Template source (git URL or checkout); default: $COMIND_TEMPLATE, else the templates "
                         "this comind ships, recorded as the public repository at this comind's release."),
        ] = None,
    ) -> None:
        """Generate a platform repository from the comind-ops template; unanswered questions take their defaults."""
        with console.status(f"rendering {dest}"):
            result = api.init_platform(dest, data or [], source=template, vcs_ref=vcs_ref)
        console.print(
            f"created {result.target}: {len(result.files)} files, template {result.source} @ {result.version}",
            markup=False,
        )
        if not api.is_url(result.source):
            console.print(
                f"warning: the template source is recorded as a path of this machine ({result.source}); teammates "
                "and CI cannot use it — pass --template <git URL> (or give the checkout an origin remote)",
                markup=False,
            )
        console.print(
            f"next: cd {dest} && git init && git add -A && git commit -m 'platform from comind-ops'", markup=False
        )
