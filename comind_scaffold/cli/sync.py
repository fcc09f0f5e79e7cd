"""`comind sync [APP …]`: have Argo CD compare the platform (or some apps) with git now."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console, print_json


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("sync")
    def sync(
        apps: Annotated[list[str] | None, typer.Argument(help="Apps to refresh (default: every Application).")] = None,
        hard: Annotated[bool, typer.Option("--hard", help="Render the manifests again (after a repo error).")] = False,
        profile: Annotated[str | None, typer.Option(help="local or aws (default: the platform's).")] = None,
        kubeconfig: Annotated[
            Path | None, typer.Option(help="Kubeconfig (default: the platform's, else kubectl's).")
        ] = None,
        context: Annotated[str | None, typer.Option("--context", help="Kubeconfig context.")] = None,
        platform_dir: Annotated[Path | None, typer.Option("--platform-dir", help="Platform repository.")] = None,
        json_output: Annotated[bool, typer.Option("--json", help="Print the Applications refreshed as JSON.")] = False,
    ) -> None:
        """Ask Argo CD to compare now, after a push, instead of at its next reconciliation.

        The root app is refreshed first and its sync awaited (it applies the AppProjects), then the apps root (it
        creates a new app's Applications), then the Applications of APP (each environment), or every Application.
        """
        repo = api.PlatformRepo.open(platform_dir)  # unreadable answers: one line, before the cluster is asked
        names = api.sync(repo, apps or [], hard=hard, profile=profile, kubeconfig=kubeconfig, context=context)
        if json_output:
            print_json({"refreshed": names, "kind": "hard" if hard else "normal"})
        else:
            console.print(f"refresh requested ({'hard' if hard else 'normal'}): {', '.join(names) or 'none'}",
                          markup=False)
