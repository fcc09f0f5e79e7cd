"""Run the shipped verify suite against a platform repository in a child pytest (what `comind status` does)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from comind_scaffold.errors import InputError
from comind_scaffold.layers import NAMES as LAYERS

SUITE_DIR = Path(__file__).parent / "suite"
# pytest's exit codes → comind's: 0 ok, 1 checks failed, 2 interrupted → 130, 3 internal → 70, 4 usage → 2,
# 5 nothing collected → 1 (a health check that checked nothing has not passed).
_EXIT = {0: 0, 1: 1, 2: 130, 3: 70, 4: 2, 5: 1}


@dataclass(frozen=True)
class Selection:
    """What one verify run checks (profile, layers, environments) and how it reaches the cluster."""

    profile: str | None = None
    layers: Sequence[str] = ()
    envs: Sequence[str] = ()
    kubeconfig: str | None = None
    context: str | None = None
    wait: float = 0.0
    json_path: str | None = None


def verify_command(
    platform_dir: Path, selection: Selection = Selection(), *, extra: Sequence[str] = (), inifile: Path | None = None
) -> list[str]:
    """Return the pytest command line for one verify run."""
    unknown = [layer for layer in selection.layers if layer not in LAYERS]
    if unknown:
        raise InputError("--layer", f"{unknown[0]!r} is not one of {', '.join(LAYERS)}")
    argv = [
        sys.executable,
        "-m",
        "pytest",
        str(SUITE_DIR),
        "-p",
        "no:cacheprovider",
        f"--rootdir={SUITE_DIR}",
        f"--platform-dir={platform_dir}",
        "-q",
        "--tb=line",
    ]
    if inifile is not None:
        argv.append(f"--config-file={inifile}")
    if selection.profile:
        argv.append(f"--profile={selection.profile}")
    if selection.layers:
        argv += ["-m", " or ".join(selection.layers)]
    argv += [f"--env={env}" for env in selection.envs]
    if selection.kubeconfig:
        argv.append(f"--kubeconfig={selection.kubeconfig}")
    if selection.context:
        argv.append(f"--context={selection.context}")
    if selection.wait:
        argv.append(f"--wait={selection.wait}")
    if selection.json_path:
        argv.append(f"--json={selection.json_path}")
    return [*argv, *extra]


def run_verify(platform_dir: Path, selection: Selection = Selection()) -> int:
    """Run the suite (output goes straight to the terminal) and return comind's exit code."""
    with tempfile.TemporaryDirectory(prefix="comind-verify-") as tmp:
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\naddopts = -ra\n")  # ignore whatever pytest config surrounds the suite
        argv = verify_command(platform_dir, selection, inifile=ini)
        code = subprocess.run(argv, check=False).returncode
    return _EXIT.get(code, 70)
