"""`comind set APP KEY=VALUE …`: change an app's answers, checked like `comind new-app`, applied like an update."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("set")
    def set_answers(
        name: Annotated[str, typer.Argument(help="The app.")],
        answers: Annotated[list[str], typer.Argument(help="KEY=VALUE answers to change (team=web, port=9090, …).")],
        vcs_ref: Annotated[
            str | None, typer.Option(help="Template version to render with; default: the app's recorded one.")
        ] = None,
        platform_dir: Annotated[Path, typer.Option(help="Platform repository (default: search upwards).")] = Path(),
    ) -> None:
        """Change an app's answers: a team change moves its Applications and AppProject entries, app_name renames it.

        Every value is checked as `comind new-app` checks it (bad value: exit 2, nothing written); then the app is
        re-rendered with your edits kept, the AppProjects are synced and the result is checked, as `comind update`
        does (`comind update --abort` undoes it).
        """
        from comind_scaffold.answers_change import change_answers
        from comind_scaffold.app_answers import coerce_data, parse_data
        from comind_scaffold.cli._output import console
        from comind_scaffold.cli.update import show_report

        changes = coerce_data(parse_data(answers))
        with console.status("changing answers"):
            report = change_answers(platform_dir, name, changes, vcs_ref=vcs_ref)
        show_report(report)
