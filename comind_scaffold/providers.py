"""The `comind/localdev` Terraform provider: built from the Go sources shipped in this package into a mirror.

The local profile's per-app module needs a provider for PostgreSQL, MinIO, ElasticMQ and Kubernetes Secrets that
no registry can serve here, so comind-ops ships its own (`provider_localdev/`) and builds it with the Go
toolchain into a filesystem mirror under the comind-ops cache, with a Terraform CLI config that installs
providers from that mirror only. `comind tf` uses that config by itself. A build is reused until the sources
change (a digest of them is kept beside the binary).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from comind_scaffold._files import write_atomic
from comind_scaffold._terraform import cache_dir, mirror_cli_config
from comind_scaffold.errors import ToolFailedError, ToolNotFoundError

LOCALDEV_VERSION = "0.2.0"
SOURCES = Path(__file__).parent / "provider_localdev"
_BUILD_TIMEOUT_SECONDS = 1800
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
# Where Go's own installer puts the toolchain, which is often not on PATH in a non-login shell.
GO_FALLBACKS = ("/usr/local/go/bin/go",)


@dataclass(frozen=True)
class ProviderBuild:
    """Where the provider is and whether this call built it.

    Attributes:
        binary: The provider executable inside the mirror.
        cli_config: The Terraform CLI config that installs from the mirror (TF_CLI_CONFIG_FILE).
        built: True when it was compiled now, False when an earlier build of the same sources was reused.
        seconds: Time spent.

    """

    binary: Path
    cli_config: Path
    built: bool
    seconds: float


def _builds_into_the_provider(name: str) -> bool:
    return (name.endswith(".go") and not name.endswith("_test.go")) or name in ("go.mod", "go.sum")


def _sources_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in SOURCES.iterdir() if _builds_into_the_provider(p.name)):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _write_cli_config(mirror: Path) -> Path:
    config = mirror_cli_config()
    write_atomic(
        config,
        "# Written by comind-ops: providers come only from this local mirror, no registry is contacted.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/*/*"]\n'
        "  }\n"
        "}\n",
    )
    return config


def install_localdev(go: str | None = None, report: Callable[[str], None] | None = None) -> ProviderBuild:
    """Build `comind/localdev` into the mirror unless the same sources were built before.

    Raises:
        ToolNotFoundError: No Go toolchain (`go` on PATH or `$GO`).
        ToolFailedError: The build failed; the message is the compiler's first error line.

    """
    started = time.monotonic()
    say = report or (lambda _message: None)
    mirror = cache_dir() / "terraform-mirror"
    os_arch = f"{platform.system().lower()}_{_ARCH.get(platform.machine(), platform.machine())}"
    dest = mirror / "registry.terraform.io" / "comind" / "localdev" / LOCALDEV_VERSION / os_arch
    binary = dest / f"terraform-provider-localdev_v{LOCALDEV_VERSION}"
    stamp = dest / ".stamp"
    mirror.mkdir(parents=True, exist_ok=True)
    with open(mirror / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # tests and a user's shell may build at once: one builds, the other waits
        config = _write_cli_config(mirror)
        digest = _sources_digest()
        if binary.is_file() and os.access(binary, os.X_OK) and stamp.is_file() and stamp.read_text().strip() == digest:
            return ProviderBuild(binary, config, False, time.monotonic() - started)
        toolchain = go or os.environ.get("GO") or shutil.which("go")
        toolchain = toolchain or next((path for path in GO_FALLBACKS if os.access(path, os.X_OK)), None)
        if not toolchain:
            raise ToolNotFoundError("go", hint="install Go >= 1.24 to build the comind/localdev Terraform provider")
        say(f"building comind/localdev {LOCALDEV_VERSION} with {toolchain} (a few minutes the first time)")
        dest.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": os.environ.get("GOFLAGS", "-mod=mod -buildvcs=false")}
        partial = binary.with_name(binary.name + ".partial")
        ldflags = f"-s -w -X main.version={LOCALDEV_VERSION}"
        try:
            done = subprocess.run(
                [toolchain, "build", "-trimpath", "-ldflags", ldflags, "-o", str(partial), "."],
                cwd=SOURCES, env=env, capture_output=True, text=True, timeout=_BUILD_TIMEOUT_SECONDS, check=False,
            )
        except subprocess.TimeoutExpired as err:
            raise ToolFailedError(f"go build: no result after {_BUILD_TIMEOUT_SECONDS} s") from err
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()] or ["failed without a message"]
            raise ToolFailedError(f"go build of comind/localdev: {lines[0]}", output=done.stderr)
        partial.replace(binary)
        stamp.write_text(digest + "\n")
    return ProviderBuild(binary, config, True, time.monotonic() - started)


def main() -> int:
    """`python -m comind_scaffold.providers`: build (or reuse) the provider, one line per outcome."""
    try:
        build = install_localdev(report=print)
    except (ToolNotFoundError, ToolFailedError) as err:
        print(f"provider localdev {LOCALDEV_VERSION}: {err}", flush=True)
        return 1
    how = f"cold build {build.seconds:.0f}s" if build.built else "warm"
    print(f"provider localdev {LOCALDEV_VERSION}: {how} ({build.binary})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
