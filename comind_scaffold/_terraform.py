"""The only module that runs terraform (or OpenTofu).

Variables are handed over as ``TF_VAR_*`` environment variables, so secrets never appear on a command line
or in a file. Providers come from the local filesystem mirror when one was built
(``tests/testbin/build-providers.sh``) and no usable CLI config is set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comind_scaffold.errors import ToolFailedError, ToolNotFoundError

MIN_VERSION = (1, 5, 0)
_ERROR_LINE = re.compile(r"^(?:│\s*)?Error: (.+)$", re.MULTILINE)
_APPLY_SUMMARY = re.compile(r"Resources: (\d+) added, (\d+) changed, (\d+) destroyed")
_DESTROY_SUMMARY = re.compile(r"Resources: (\d+) destroyed")


def cache_dir() -> Path:
    """Return where comind-ops keeps built test binaries and the provider mirror."""
    return Path(os.environ.get("COMIND_CACHE") or Path.home() / ".cache" / "comind-ops")


def mirror_cli_config() -> Path:
    """Return the CLI config written by build-providers.sh (it may not exist)."""
    return cache_dir() / "terraform-mirror" / "terraformrc"


def find_binary() -> str:
    """Return the terraform (or tofu) executable: $COMIND_TERRAFORM, terraform or tofu on PATH, or a built tofu."""
    explicit = os.environ.get("COMIND_TERRAFORM")
    if explicit:
        if shutil.which(explicit) is None:
            raise ToolNotFoundError("terraform", reason=f"COMIND_TERRAFORM={explicit} is not an executable")
        return explicit
    for name in ("terraform", "tofu"):
        found = shutil.which(name)
        if found:
            return found
    # build-providers.sh go-installs OpenTofu here when a machine has no terraform.
    built = sorted((cache_dir() / "bin").glob("tofu-*/tofu"))
    if built:
        return str(built[-1])
    raise ToolNotFoundError(
        "terraform", hint="install terraform >= 1.5 (or OpenTofu: tests/testbin/build-providers.sh builds it)"
    )


def parse_version(text: str) -> tuple[int, int, int]:
    """`(1, 11, 4)` from `1.11.4` or `v1.11.4-beta1`; ValueError otherwise."""
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", text.strip())
    if not match:
        raise ValueError(f"not a version: {text!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


@dataclass(frozen=True)
class PlanResult:
    """What `terraform plan` found.

    Attributes:
        changed: True when the plan would change something.
        plan_file: The saved plan, when one was written.
        output: What terraform printed.

    """

    changed: bool
    plan_file: Path | None
    output: str


@dataclass(frozen=True)
class ApplyResult:
    """Counts from `terraform apply` / `destroy`."""

    added: int
    changed: int
    destroyed: int
    output: str

    @property
    def touched(self) -> bool:
        """True when anything was added, changed or destroyed."""
        return bool(self.added or self.changed or self.destroyed)


def _first_error(output: str) -> str:
    found = _ERROR_LINE.search(output)
    if found:
        return found.group(1).strip()
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


class Terraform:
    """One terraform working directory.

    Attributes:
        workdir: The root module.
        binary: The executable used.

    """

    def __init__(self, workdir: Path | str, *, binary: str | None = None, timeout: float = 1800.0) -> None:
        self.workdir = Path(workdir)
        self.binary = binary or find_binary()
        self.timeout = timeout
        self._checked = False

    def __repr__(self) -> str:
        return f"<Terraform {self.workdir}>"

    def _env(self, variables: Mapping[str, Any] | None) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"})
        configured = env.get("TF_CLI_CONFIG_FILE")
        if not (configured and Path(configured).is_file()) and mirror_cli_config().is_file():
            env["TF_CLI_CONFIG_FILE"] = str(mirror_cli_config())
        for name, value in (variables or {}).items():
            if value is None:
                continue
            env[f"TF_VAR_{name}"] = value if isinstance(value, str) else json.dumps(value)
        return env

    def run(self, *args: str, variables: Mapping[str, Any] | None = None, ok_codes: Sequence[int] = (0,)
            ) -> subprocess.CompletedProcess[str]:
        """Run `terraform <args>` in the working directory; a failure raises ToolFailedError."""
        if not self._checked:
            self.check_version()
        try:
            done = subprocess.run(
                [self.binary, *args], cwd=self.workdir, env=self._env(variables), capture_output=True, text=True,
                timeout=self.timeout, check=False,
            )
        except subprocess.TimeoutExpired as err:
            message = f"terraform {args[0]} in {self.workdir}: no answer after {self.timeout:.0f} s"
            raise ToolFailedError(message) from err
        if done.returncode not in ok_codes:
            output = done.stdout + done.stderr
            raise ToolFailedError(f"terraform {args[0]} in {self.workdir}: {_first_error(done.stderr or output)}",
                                  output=output)
        return done

    def version(self) -> tuple[int, int, int]:
        """Return the binary's version."""
        try:
            done = subprocess.run([self.binary, "version", "-json"], capture_output=True, text=True, timeout=60,
                                  env=self._env(None), check=False)
            return parse_version(json.loads(done.stdout)["terraform_version"])
        except (OSError, subprocess.TimeoutExpired, ValueError, KeyError) as err:
            raise ToolNotFoundError("terraform", reason=f"{self.binary} does not report a version ({err})") from err

    def check_version(self) -> None:
        """Raise ToolNotFoundError when the binary is older than MIN_VERSION."""
        found = self.version()
        if found < MIN_VERSION:
            need = ".".join(map(str, MIN_VERSION))
            have = ".".join(map(str, found))
            raise ToolNotFoundError("terraform", reason=f"{self.binary} is {have}; at least {need} is needed")
        self._checked = True

    def init(self, *, backend: bool = True, backend_config: Sequence[str] = ()) -> None:
        """`terraform init` (providers from the mirror or the registry, no prompts)."""
        args = ["init", "-no-color", "-input=false"]
        if not backend:
            args.append("-backend=false")
        args += [f"-backend-config={item}" for item in backend_config]
        self.run(*args)

    def select_workspace(self, name: str) -> None:
        """Select the workspace `name`, creating it on first use."""
        self.run("workspace", "select", "-or-create=true", "-no-color", name)

    def workspace(self) -> str:
        """Return the selected workspace."""
        return self.run("workspace", "show", "-no-color").stdout.strip()

    def plan(self, variables: Mapping[str, Any] | None = None, *, out: Path | None = None,
             destroy: bool = False) -> PlanResult:
        """`terraform plan -detailed-exitcode`; `changed` says whether anything would change."""
        args = ["plan", "-no-color", "-input=false", "-detailed-exitcode"]
        if destroy:
            args.append("-destroy")
        if out is not None:
            args.append(f"-out={out}")
        done = self.run(*args, variables=variables, ok_codes=(0, 2))
        return PlanResult(changed=done.returncode == 2, plan_file=out, output=done.stdout)

    def apply(self, variables: Mapping[str, Any] | None = None, *, plan_file: Path | None = None) -> ApplyResult:
        """Apply a saved plan, or plan and apply in one step."""
        if plan_file is not None:
            done = self.run("apply", "-no-color", "-input=false", str(plan_file))
        else:
            done = self.run("apply", "-no-color", "-input=false", "-auto-approve", variables=variables)
        found = _APPLY_SUMMARY.search(done.stdout)
        added, changed, destroyed = (int(n) for n in found.groups()) if found else (0, 0, 0)
        return ApplyResult(added, changed, destroyed, output=done.stdout)

    def destroy(self, variables: Mapping[str, Any] | None = None) -> ApplyResult:
        """`terraform destroy -auto-approve`."""
        done = self.run("destroy", "-no-color", "-input=false", "-auto-approve", variables=variables)
        found = _DESTROY_SUMMARY.search(done.stdout)
        return ApplyResult(0, 0, int(found.group(1)) if found else 0, output=done.stdout)

    def output(self) -> dict[str, Any]:
        """Return the root module's outputs as `{name: value}` (sensitive values included)."""
        raw = json.loads(self.run("output", "-no-color", "-json").stdout or "{}")
        return {name: item.get("value") for name, item in raw.items()}

    def resource_values(self) -> dict[str, list[dict[str, Any]]]:
        """Return the state's attribute values by resource type, child modules included (one `terraform show`)."""
        raw = json.loads(self.run("show", "-no-color", "-json").stdout or "{}")
        found: dict[str, list[dict[str, Any]]] = {}
        modules = [raw.get("values", {}).get("root_module", {})]
        while modules:
            module = modules.pop()
            for resource in module.get("resources", []):
                found.setdefault(resource.get("type", ""), []).append(resource.get("values") or {})
            modules += module.get("child_modules", [])
        return found

    def validate(self) -> list[str]:
        """`terraform validate -json`: the error summaries (empty when valid)."""
        done = self.run("validate", "-no-color", "-json", ok_codes=(0, 1))
        report = json.loads(done.stdout)
        return [f"{d.get('summary', '')}: {d.get('detail', '')}".strip(": ")
                for d in report.get("diagnostics", []) if d.get("severity") == "error"]

    def fmt_check(self, recursive: bool = True) -> list[str]:
        """`terraform fmt -check`: the files that are not formatted."""
        args = ["fmt", "-check", "-list=true", "-no-color"] + (["-recursive"] if recursive else [])
        done = self.run(*args, ok_codes=(0, 3))
        return [line for line in done.stdout.splitlines() if line.strip()]
