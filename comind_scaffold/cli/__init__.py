"""The `comind` command line: a thin Typer layer over `comind_scaffold.api`.

Each command lives in its own module here and exposes ``register(app)``; modules are found by name so
adding a command never edits this file. This module is the only place that maps errors to exit codes.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from comind_scaffold import api
from comind_scaffold.cli._output import console, error_console
from comind_scaffold.errors import ComindError, UpdateConflictError, UserError, ValidationFailed

try:  # typer >= 0.29 ships its own copy of click
    from typer._click import exceptions as _click_errors
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as _click_errors  # type: ignore[no-redef]

app = typer.Typer(
    name="comind",
    help="Stand up a Kubernetes GitOps platform, onboard apps onto it, and keep both healthy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        console.print(api.version(), markup=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True,
                     help="Print the comind-ops version and exit."),
    ] = False,
) -> None:
    """Stand up a Kubernetes GitOps platform, onboard apps onto it, and keep both healthy."""


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(app)


_register_commands()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (2 bad input, 1 failed checks or conflicts, 0 success)."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=list(argv) if argv is not None else None, prog_name="comind", standalone_mode=False)
    except typer.Exit as stop:
        return stop.exit_code
    except _click_errors.ClickException as err:
        err.show(file=sys.stderr)
        return err.exit_code
    except (typer.Abort, KeyboardInterrupt):
        error_console.print("[red]Aborted.[/red]")
        return 130
    except UserError as err:
        error_console.print(f"[red]error:[/red] {err.message}", markup=True, highlight=False)
        if err.hint:
            error_console.print(f"[yellow]hint:[/yellow] {err.hint}", highlight=False)
        return err.exit_code
    except (UpdateConflictError, ValidationFailed) as err:
        error_console.print(f"[red]{err}[/red]", highlight=False)
        return err.exit_code
    except ComindError as err:
        error_console.print(f"[red]error:[/red] {err}", highlight=False)
        return err.exit_code
    except Exception:
        debug = os.environ.get("COMIND_DEBUG") == "1"
        error_console.print_exception(show_locals=debug)
        error_console.print("[red]internal error[/red] (a bug in comind-ops); set COMIND_DEBUG=1 to see locals")
        return 70
    return int(result or 0)


def entrypoint() -> None:
    """Console-script entry point."""
    sys.exit(main())


__all__ = ["app", "console", "entrypoint", "main"]
