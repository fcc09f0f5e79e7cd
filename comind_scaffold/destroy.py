"""`comind destroy --profile local|aws --yes`: take down what comind made for a profile, and only that.

In order, while what each step needs still runs:

1. every app's Terraform (`comind tf destroy APP --env ENV`): its database, bucket, queue and Secret;
2. the environment's Terraform (`infra/terraform/environments/<profile>`): the cluster and what runs in it;
3. local profile: the Docker containers and volumes labelled as this platform's (`comind services clean`);
4. comind's own local files of that profile: bootstrap state, kubeconfig, sealed-secrets certificate.

Locally a state with no resources is reported as absent and not run; on aws the states live in the remote
backend, so every app and environment is run. Nothing is touched without `yes`; `dry_run` only lists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from comind_scaffold import constants as c
from comind_scaffold._terraform import Terraform
from comind_scaffold.aws_state import BACKEND_FILE as AWS_BACKEND_FILE
from comind_scaffold.errors import InputError, TemplateError, UserError
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.tf import tf

__all__ = ["DestroyReport", "DestroyStep", "destroy"]

_LOCAL_FILES = (c.BOOTSTRAP_STATE, c.KUBECONFIG_FILE, c.SEALED_SECRETS_CERT)  # what comind writes for a profile

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DestroyStep:
    """One thing destroy removed (or would remove, or found absent).

    Attributes:
        what: The object, e.g. `terraform apps/shop/terraform/local [dev]`.
        outcome: removed, absent, planned or skipped.
        detail: One line.

    """

    what: str
    outcome: str
    detail: str

    def line(self) -> str:
        """`outcome  what: detail`."""
        return f"{self.outcome:8} {self.what}: {self.detail}"


@dataclass(frozen=True)
class DestroyReport:
    """Every step of a run, in order."""

    profile: str
    dry_run: bool
    steps: list[DestroyStep]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"profile": self.profile, "dry_run": self.dry_run, "steps": [asdict(s) for s in self.steps]}


def _resources(state: Path) -> int:
    """How many resources a local state file holds (0 when there is none)."""
    try:
        data = json.loads(state.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return 0
    return len([r for r in data.get("resources") or [] if r.get("mode") == "managed"])


def _recorded_profile(state: Path) -> str | None:
    try:
        return str(json.loads(state.read_text()).get("profile"))
    except (OSError, ValueError, AttributeError):
        return None


def _app_steps(repo: PlatformRepo, profile: str, dry_run: bool, say: Progress) -> list[DestroyStep]:
    # The apps' Secrets live in the cluster bootstrap made: use its kubeconfig when it is there (the module's
    # default is ~/.kube/config, which may point elsewhere).
    written = repo.root / _LOCAL_FILES[1].format(profile=profile)
    kubeconfig = written if written.is_file() else None
    steps = []
    for app in repo.apps:
        workdir = repo.app_dir(app.app_name) / c.APP_TERRAFORM_DIR / profile
        if not (workdir / "main.tf").is_file():
            continue
        for env in app.environments:
            what = f"terraform {workdir.relative_to(repo.root)} [{env}]"
            if profile == "local":
                count = _resources(workdir / "terraform.tfstate.d" / env / "terraform.tfstate")
                if not count:
                    steps.append(DestroyStep(what, "absent", "no resources in its state"))
                    continue
                planned = f"would destroy {count} resource(s)"
            elif not (repo.root / AWS_BACKEND_FILE).is_file():
                steps.append(DestroyStep(what, "absent", f"no {AWS_BACKEND_FILE}: never bootstrapped on aws"))
                continue
            else:
                planned = "would run terraform destroy (state in the remote backend)"
            if dry_run:
                steps.append(DestroyStep(what, "planned", planned))
                continue
            say(f"destroying {app.app_name} [{env}]")
            result = tf(repo, app.app_name, env, "destroy", profile=profile, kubeconfig=kubeconfig)
            steps.append(DestroyStep(what, "removed", result.summary))
    return steps


def _environment_step(repo: PlatformRepo, profile: str, dry_run: bool, say: Progress) -> DestroyStep:
    workdir = repo.root / c.TERRAFORM_ENVIRONMENTS / profile
    what = f"terraform {workdir.relative_to(repo.root)}"
    if not workdir.is_dir():
        raise TemplateError(f"{workdir}: missing (render the platform with `comind update --platform`)")
    backend_config: list[str] = []
    if profile == "local":
        count = _resources(workdir / "terraform.tfstate")
        if not count:
            return DestroyStep(what, "absent", "no resources in its state (never bootstrapped, or already destroyed)")
        planned = f"would destroy {count} resource(s), the k3d cluster among them"
    else:
        backend_file = repo.root / AWS_BACKEND_FILE
        if not backend_file.is_file():
            return DestroyStep(what, "absent", f"no {AWS_BACKEND_FILE}: the aws environment was never bootstrapped")
        backend_config.append(str(backend_file))
        planned = "would run terraform destroy: the EKS cluster, its VPC and what runs in it"
    if dry_run:
        return DestroyStep(what, "planned", planned)
    say(f"terraform destroy {workdir.relative_to(repo.root)}")
    runner = Terraform(workdir)
    runner.init(backend_config=backend_config)
    done = runner.destroy()
    return DestroyStep(what, "removed", f"{done.destroyed} destroyed")


def _services_steps(repo: PlatformRepo, dry_run: bool) -> list[DestroyStep]:
    from comind_scaffold._docker import DockerEngine
    from comind_scaffold.services.manager import clean, clean_plan

    try:
        engine = DockerEngine(timeout=10)
    except UserError as err:
        return [DestroyStep("docker services", "skipped", f"{err.message}: nothing of ours can be listed")]
    try:
        if dry_run:
            containers, volumes = clean_plan(repo, engine=engine)
            found = [f"container {n}" for n in containers] + [f"volume {v}" for v in volumes]
            return [DestroyStep(f, "planned", "labelled as this platform's") for f in found] or [
                DestroyStep("docker services", "absent", "no container or volume labelled as this platform's")]
        changes = clean(repo, engine=engine)
    finally:
        engine.close()
    return [DestroyStep(ch.object, "removed", "labelled as this platform's") for ch in changes] or [
        DestroyStep("docker services", "absent", "no container or volume labelled as this platform's")]


def destroy(repo: PlatformRepo, profile: str, *, yes: bool = False, dry_run: bool = False,
            keep_services: bool = False, progress: Progress | None = None) -> DestroyReport:
    """Remove what comind made for `profile` (see the module docstring).

    Raises:
        InputError: No `yes` (and no `dry_run`), or an unknown profile.
        ToolFailedError: terraform failed; the steps before it are done, a re-run continues.

    """
    if profile not in c.PROFILES:
        raise InputError("--profile", f"{profile!r} must be one of {', '.join(c.PROFILES)}")
    if not (yes or dry_run):
        raise InputError("--yes", f"required: destroy removes the {profile} cluster, every app's infrastructure"
                                  f"{' and the local services with their data' if profile == 'local' else ''}; "
                                  "--dry-run lists what it would remove")
    say = progress or (lambda _message: None)
    steps = _app_steps(repo, profile, dry_run, say)
    steps.append(_environment_step(repo, profile, dry_run, say))
    if profile == "local" and not keep_services:
        steps += _services_steps(repo, dry_run)
    for pattern in _LOCAL_FILES:
        path = repo.root / pattern.format(profile=profile)
        if not path.is_file():
            continue
        if pattern.startswith(".comind/bootstrap-state") and _recorded_profile(path) != profile:
            continue  # another profile's bootstrap record
        rel = str(path.relative_to(repo.root))
        if dry_run:
            steps.append(DestroyStep(rel, "planned", "comind's local file of this profile"))
        else:
            path.unlink()
            steps.append(DestroyStep(rel, "removed", "comind's local file of this profile"))
    return DestroyReport(profile, dry_run, steps)
