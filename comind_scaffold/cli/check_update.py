"""`comind check-update`: which apps (and the platform) are behind the newest template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console, print_json


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("check-update")
    def check_update(
        json_output: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
        exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when an update is available.")] = False,
        platform_dir: Annotated[Path | None, typer.Option(help="Platform repository (default: search upwards).")
                                ] = None,
    ) -> None:
        """Compare each app's and the platform's template version with the newest template tag.

        Exits 0 (it reports, it does not judge) unless --exit-code is given: then 1 when anything is outdated.
        """
        statuses = api.check_update(api.PlatformRepo.open(platform_dir))
        if json_output:
            print_json([s.model_dump() for s in statuses])
        else:
            for s in statuses:
                state = "update available" if s.outdated else "up to date"
                console.print(f"{s.name:30} {s.current:>14} → {s.latest:<14} {state}", markup=False)
        if exit_code and any(s.outdated for s in statuses):
            raise typer.Exit(1)
