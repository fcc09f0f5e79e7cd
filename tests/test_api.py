"""The public library surface: every verb `comind_scaffold.api` names resolves to a callable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from comind_scaffold import api


@pytest.mark.parametrize("name", api.__all__)
def test_every_verb_resolves_to_a_callable(name: str) -> None:
    assert callable(getattr(api, name))


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_verb"):
        api.no_such_verb  # noqa: B018


def test_importing_api_loads_no_service_clients() -> None:
    code = "import sys, comind_scaffold.api; print(sorted(m for m in ('docker', 'psycopg', 'boto3', 'kubernetes', 'copier') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("module", ["comind_scaffold", "comind_scaffold.cli"])
def test_python_dash_m_runs_the_cli(module: str) -> None:
    done = subprocess.run([sys.executable, "-m", module, "version"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    from comind_scaffold import __version__

    assert done.stdout.strip() == __version__
