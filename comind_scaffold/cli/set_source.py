"""`comind set-source`: point a platform (and its apps) at another template source, e.g. after a move."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold.cli._output import console


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("set-source")
    def set_source(
        source: Annotated[str, typer.Argument(help="Git URL (or checkout) of comind-ops holding the recorded tags.")],
        platform_dir: Annotated[Path, typer.Option(help="Platform repository (default: search upwards).")] = Path(),
    ) -> None:
        """Record SOURCE as the template source of the platform and every app; commit the result afterwards.

        Nothing is written unless SOURCE answers and holds every version the answers record.
        """
        from comind_scaffold.scaffold import find_platform
        from comind_scaffold.template_source import set_source as repoint

        repo = find_platform(platform_dir)
        changed = repoint(repo.root, source)
        for path in changed:
            console.print(f"recorded {source} in {path.relative_to(repo.root)}", markup=False)
        if not changed:
            console.print(f"already recorded: {source}", markup=False)
