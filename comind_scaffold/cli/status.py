"""`comind status` and `comind gitops-status`: run the platform verifier (pytest verify suite) here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console
from comind_scaffold.errors import InputError

_Profile = Annotated[str | None, typer.Option("--profile", help="local or aws (default: the platform's)")]
_Dir = Annotated[Path | None, typer.Option("--platform-dir", help="platform repository (default: found from here)")]
_Json = Annotated[str | None, typer.Option("--json", help="write the summary and results as JSON to this file")]
_Env = Annotated[list[str] | None, typer.Option("--env", help="environment to verify (repeatable)")]
_Kubeconfig = Annotated[str | None, typer.Option("--kubeconfig", help="kubeconfig file")]
_Context = Annotated[str | None, typer.Option("--context", help="kubeconfig context")]
_Wait = Annotated[float, typer.Option("--wait", help="seconds to wait for Progressing Applications")]


def _run(platform_dir: Path | None, layers: list[str], *, profile: str | None, json_path: str | None,
         envs: list[str], kubeconfig: str | None, context: str | None, wait: float) -> None:
    repo = api.PlatformRepo.open(platform_dir)
    if profile is not None and profile not in api.PROFILES:
        raise InputError("--profile", f"{profile!r} must be local or aws")
    console.print(f"verifying {repo.root} ({', '.join(layers) or 'all layers'})")
    code = api.verify(repo, layers=layers, profile=profile, envs=envs, kubeconfig=kubeconfig, context=context,
                      wait=wait, json_path=json_path)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add `status` and `gitops-status`."""

    @app.command("status")
    def status(
        profile: _Profile = None,
        layer: Annotated[
            list[str] | None,
            typer.Option("--layer", help="static, services, cluster, gitops, apps, aws (repeatable; default: all)"),
        ] = None,
        json: _Json = None,
        env: _Env = None,
        platform_dir: _Dir = None,
        kubeconfig: _Kubeconfig = None,
        context: _Context = None,
        wait: _Wait = 0.0,
    ) -> None:
        """Check the platform layer by layer (`pytest verify/`); exit 1 when any check fails."""
        _run(
            platform_dir,
            layer or [],
            profile=profile,
            json_path=json,
            envs=env or [],
            kubeconfig=kubeconfig,
            context=context,
            wait=wait,
        )

    @app.command("gitops-status")
    def gitops_status(
        profile: _Profile = None,
        json: _Json = None,
        env: _Env = None,
        platform_dir: _Dir = None,
        kubeconfig: _Kubeconfig = None,
        context: _Context = None,
        wait: _Wait = 0.0,
    ) -> None:
        """Check Argo CD: every Application Synced and Healthy, AppProjects least-privilege, sources right."""
        _run(
            platform_dir,
            ["gitops"],
            profile=profile,
            json_path=json,
            envs=env or [],
            kubeconfig=kubeconfig,
            context=context,
            wait=wait,
        )
