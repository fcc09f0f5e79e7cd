"""Run the shipped verify suite against a platform repository in a child pytest (what `comind status` does)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from comind_scaffold.errors import InputError
from comind_scaffold.verifier.session import LAYERS

SUITE_DIR = Path(__file__).parent / "suite"
# pytest's exit codes → comind's: 0 ok, 1 checks failed, 2 interrupted → 130, 3 internal → 70, 4 usage → 2,
# 5 nothing collected → 1 (a health check that checked nothing has not passed).
_EXIT = {0: 0, 1: 1, 2: 130, 3: 70, 4: 2, 5: 1}


def verify_command(
    platform_dir: Path,
    *,
    profile: str | None = None,
    layers: Sequence[str] = (),
    envs: Sequence[str] = (),
    kubeconfig: str | None = None,
    context: str | None = None,
    wait: float = 0.0,
    json_path: str | None = None,
    extra: Sequence[str] = (),
    inifile: Path | None = None,
) -> list[str]:
    """Return the pytest command line for one verify run."""
    unknown = [layer for layer in layers if layer not in LAYERS]
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
    if profile:
        argv.append(f"--profile={profile}")
    if layers:
        argv += ["-m", " or ".join(layers)]
    argv += [f"--env={env}" for env in envs]
    if kubeconfig:
        argv.append(f"--kubeconfig={kubeconfig}")
    if context:
        argv.append(f"--context={context}")
    if wait:
        argv.append(f"--wait={wait}")
    if json_path:
        argv.append(f"--json={json_path}")
    return [*argv, *extra]


def run_verify(platform_dir: Path, **options: object) -> int:
    """Run the suite (output goes straight to the terminal) and return comind's exit code."""
    with tempfile.TemporaryDirectory(prefix="comind-verify-") as tmp:
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\naddopts = -ra\n")  # ignore whatever pytest config surrounds the suite
        argv = verify_command(platform_dir, inifile=ini, **options)  # type: ignore[arg-type]
        code = subprocess.run(argv, check=False).returncode
    return _EXIT.get(code, 70)
