"""`comind validate`."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console, print_json, print_results
from comind_scaffold.errors import ValidationFailed


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("validate")
    def validate(
        path: Annotated[
            Path, typer.Argument(help="Platform repository, kustomize folder, YAML folder or file.")
        ] = Path("."),
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        argocd_crds: Annotated[
            Path | None,
            typer.Option(
                "--argocd-crds",
                help="Folder of Argo CD CRD YAMLs to validate Applications/AppProjects against "
                "(default: $COMIND_ARGOCD_CRDS, else comind's built-in schema).",
            ),
        ] = None,
        show_passed: Annotated[bool, typer.Option("--show-passed", help="List passed checks too.")] = False,
    ) -> None:
        """Validate a platform repository offline: builds, schemas, names, Argo CD wiring, secrets, security."""
        with console.status("validating…") if not as_json else nullcontext():
            report = api.validate(path, argocd_crds=argocd_crds)
        if as_json:
            print_json(report.to_dict())
        else:
            print_results(report.results, show_passed=show_passed)
            took = report.timings.get("total", 0.0)
            console.print(
                f"{report.builds} build(s) ({report.cached_builds} from the render cache), {report.objects} "
                f"object(s), Kubernetes {report.kubernetes_version} "
                f"schemas, Argo CD {report.argocd_schemas}, {took:.2f} s"
            )
        if not report.ok:
            raise ValidationFailed(report.results)
