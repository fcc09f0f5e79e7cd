"""`comind set APP KEY=VALUE …`: change an app's answers, checked like `comind new-app`, applied like an update."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console, print_update_report


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("set")
    def set_answers(
        name: Annotated[str, typer.Argument(help="The app.")],
        answers: Annotated[list[str], typer.Argument(help="KEY=VALUE answers to change (team=web, port=9090, …).")],
        vcs_ref: Annotated[
            str | None, typer.Option(help="Template version to render with; default: the app's recorded one.")
        ] = None,
        platform_dir: Annotated[Path | None, typer.Option(help="Platform repository (default: search upwards).")
                                ] = None,
    ) -> None:
        """Change an app's answers: a team change moves its Applications and AppProject entries, app_name renames it.

        Every value is checked as `comind new-app` checks it (bad value: exit 2, nothing written); then the app is
        re-rendered with your edits kept, the AppProjects are synced and the result is checked, as `comind update`
        does (`comind update --abort` undoes it).
        """
        repo = api.PlatformRepo.open(platform_dir)
        with console.status("changing answers"):
            report = api.change_answers(repo, name, answers, vcs_ref=vcs_ref)
        print_update_report(report)
