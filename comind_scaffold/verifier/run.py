"""Run the shipped verify suite against a platform repository in a child pytest (what `comind status` does)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from comind_scaffold.layers import VerifyOptions

SUITE_DIR = Path(__file__).parent / "suite"
# pytest's exit codes → comind's: 0 ok, 1 checks failed, 2 interrupted → 130, 3 internal → 70, 4 usage → 2,
# 5 nothing collected → 1 (a health check that checked nothing has not passed).
_EXIT = {0: 0, 1: 1, 2: 130, 3: 70, 4: 2, 5: 1}


def verify_command(options: VerifyOptions, *, extra: Sequence[str] = (), inifile: Path | None = None) -> list[str]:
    """Return the pytest command line for one verify run (an option outside its choices: InputError)."""
    options.check()
    argv = [sys.executable, "-m", "pytest", str(SUITE_DIR), "-p", "no:cacheprovider", f"--rootdir={SUITE_DIR}"]
    argv += ["-q", "--tb=line"]
    if inifile is not None:
        argv.append(f"--config-file={inifile}")
    return [*argv, *options.argv(), *extra]


def run_verify(options: VerifyOptions) -> int:
    """Run the suite (output goes straight to the terminal) and return comind's exit code."""
    with tempfile.TemporaryDirectory(prefix="comind-verify-") as tmp:
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\naddopts = -ra\n")  # ignore whatever pytest config surrounds the suite
        argv = verify_command(options, inifile=ini)
        code = subprocess.run(argv, check=False).returncode
    return _EXIT.get(code, 70)
