"""`comind set-source`: point a platform (and its apps) at another template source, e.g. after a move."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("set-source")
    def set_source(
        source: Annotated[str, typer.Argument(help="Git URL (or checkout) of comind-ops holding the recorded tags.")],
        platform_dir: Annotated[Path | None, typer.Option(help="Platform repository (default: search upwards).")
                                ] = None,
    ) -> None:
        """Record SOURCE as the template source of the platform and every app; commit the result afterwards.

        Nothing is written unless SOURCE answers and holds every version the answers record.
        """
        repo = api.PlatformRepo.open(platform_dir)
        changed = api.set_source(repo, source)
        for path in changed:
            console.print(f"recorded {source} in {path.relative_to(repo.root)}", markup=False)
        if not changed:
            console.print(f"already recorded: {source}", markup=False)
