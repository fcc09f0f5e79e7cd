"""`comind version`."""

from __future__ import annotations

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("version")
    def version() -> None:
        """Print the comind-ops version."""
        console.print(api.version())
