"""`comind status` and `comind gitops-status`: run the platform verifier (pytest verify suite) here.

Their flags are the verifier's options as `api.VERIFY_OPTIONS` declares them, the same ones `pytest verify/`
takes (`gitops-status` has all but `--layer`); `status --list` shows each layer's checks instead of running them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console

_LIST = "list_checks"
_KEYWORD = inspect.Parameter.KEYWORD_ONLY


def _parameter(option: api.VerifyOption) -> inspect.Parameter:
    """The Typer parameter of one verifier option (a repeatable one is a list; no default, an optional value)."""
    if option.repeatable:
        kind: Any = list.__class_getitem__(option.type) | None  # list[str] | None, of the option's type
        default = None
    else:
        kind = option.type if option.default is not None else option.type | None
        default = option.default
    flag = typer.Option(option.flag, help=option.help)
    return inspect.Parameter(option.dest, _KEYWORD, default=default, annotation=Annotated[kind, flag])


def _list_layers(options: api.VerifyOptions) -> None:
    """Print every layer the options select: its profiles, what it reaches, its checks and the options it reads."""
    everywhere = {o.flag for o in api.VERIFY_OPTIONS if len(o.layers) == len(api.VERIFY_LAYERS)}
    for layer in api.VERIFY_LAYERS:
        if (options.layers and layer.name not in options.layers) or (
            options.profile and options.profile not in layer.profiles
        ):
            continue
        console.print(f"{layer.name}: {layer.about} (profiles {', '.join(layer.profiles)}; "
                      f"reaches {', '.join(layer.targets)})", markup=False, highlight=False)
        reads = [o.flag for o in api.VERIFY_OPTIONS if layer.name in o.layers and o.flag not in everywhere]
        if reads:
            console.print(f"  options: {' '.join(reads)}", markup=False, highlight=False)
        for check in layer.checks:
            console.print(f"  {check}", markup=False, highlight=False)


def _command(about: str, *, layers: tuple[str, ...] = ()) -> Callable[..., None]:
    """A command taking the verifier's options (`layers` given: fixed, without --layer; else --layer and --list)."""

    def command(**values: Any) -> None:
        listing = values.pop(_LIST, False)
        options = api.VerifyOptions.of({**values, "layers": list(layers)} if layers else values)
        options.check()
        if listing:
            _list_layers(options)
            return
        repo = api.PlatformRepo.open(options.platform_dir)
        console.print(f"verifying {repo.root} ({', '.join(options.layers) or 'all layers'})")
        code = api.verify(repo, options)
        if code:
            raise typer.Exit(code)

    params = [_parameter(o) for o in api.VERIFY_OPTIONS if not (layers and o.dest == "layers")]
    if not layers:
        listing = typer.Option("--list", help="show each layer's profiles, targets, options and checks; run nothing")
        params.append(inspect.Parameter(_LIST, _KEYWORD, default=False, annotation=Annotated[bool, listing]))
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__doc__ = about
    return command


def register(app: typer.Typer) -> None:
    """Add `status` and `gitops-status`."""
    app.command("status")(
        _command("Check the platform layer by layer (`pytest verify/`); exit 1 when any check fails.")
    )
    app.command("gitops-status")(
        _command(
            "Check Argo CD: every Application Synced and Healthy, AppProjects least-privilege, sources right.",
            layers=("gitops",),
        )
    )
