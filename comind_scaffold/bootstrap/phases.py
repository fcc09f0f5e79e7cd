"""The phases that change something: local services, the cluster (Terraform) and the root app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from comind_scaffold import constants as c
from comind_scaffold._terraform import Terraform
from comind_scaffold.aws_state import BACKEND_FILE as AWS_BACKEND_FILE
from comind_scaffold.bootstrap.options import BootstrapOptions, kube_client
from comind_scaffold.errors import InputError
from comind_scaffold.repo import PlatformRepo

ROOT_APP = "k8s/kustomize/root-app.yaml"
FIELD_MANAGER = "comind"

Progress = Callable[[str], None]


def phase_services(repo: PlatformRepo, options: BootstrapOptions, progress: Progress) -> tuple[str, str]:
    """`comind services up` (local profile)."""
    if options.profile != "local" or options.skip_services:
        return "skipped", "no local services for this profile" if options.profile != "local" else "--skip-services"
    if options.dry_run:
        names = ", ".join(repo.services.enabled())
        return "planned", f"would start {names} and create what the apps declare"
    from comind_scaffold.services.manager import up

    report = up(repo, timeout=options.budget("services"), progress=progress)
    return ("done" if report.changed else "unchanged"), f"{len(report.changes)} service objects checked"


def phase_cluster(repo: PlatformRepo, options: BootstrapOptions) -> tuple[str, str]:
    """Terraform of infra/terraform/environments/<profile>: plan, and apply when something would change."""
    if options.existing_cluster:
        return "skipped", "existing cluster: nothing to create"
    workdir = repo.root / c.TERRAFORM_ENVIRONMENTS / options.profile
    backend_config: list[str] = []
    if options.profile == "aws":
        from comind_scaffold.aws_state import ensure_remote_state

        state = ensure_remote_state(repo, dry_run=options.dry_run)
        if not state.backend_file.is_file():  # dry run before the first real one: nothing to plan against yet
            return "planned", f"would create the state bucket {state.bucket} and {AWS_BACKEND_FILE}"
        backend_config.append(str(state.backend_file))
    runner = Terraform(workdir, timeout=options.budget("cluster"))
    runner.init(backend_config=backend_config)
    plan_file = repo.root / c.LOCAL_STATE_DIR / f"bootstrap-{options.profile}.tfplan"
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    plan = runner.plan(out=plan_file)
    try:
        if not plan.changed:
            return "unchanged", f"{workdir.relative_to(repo.root)}: no changes"
        if options.dry_run:
            summary = next((line for line in plan.output.splitlines() if line.startswith("Plan: ")), "changes pending")
            return "planned", f"{workdir.relative_to(repo.root)}: {summary.rstrip('.')}"
        done = runner.apply(plan_file=plan_file)
        return "done", f"{done.added} added, {done.changed} changed, {done.destroyed} destroyed"
    finally:
        plan_file.unlink(missing_ok=True)


def _root_app_files(repo: PlatformRepo) -> list[Path]:
    """Return the root Application and the AppProject it names (`k8s/kustomize/projects/<project>.yaml`)."""
    import yaml

    root_app = repo.root / ROOT_APP
    try:
        project = str(yaml.safe_load(root_app.read_text())["spec"]["project"])
    except (FileNotFoundError, yaml.YAMLError, KeyError, TypeError) as err:
        raise InputError(ROOT_APP, f"must be an Application with spec.project ({err.__class__.__name__})") from err
    project_file = repo.root / c.KUSTOMIZE_ROOT / "projects" / f"{project}.yaml"
    if not project_file.is_file():
        raise InputError(ROOT_APP, f"its project {project!r} has no file {project_file.relative_to(repo.root)}")
    return [project_file, root_app]


def _objects(repo: PlatformRepo, files: list[Path]) -> list[dict[str, Any]]:
    """Every object of `files`, in order."""
    import yaml

    found: list[dict[str, Any]] = []
    for path in files:
        name = str(path.relative_to(repo.root))
        try:
            docs = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
        except yaml.YAMLError as err:
            raise InputError(name, f"is not YAML ({err.__class__.__name__})") from err
        if not all(isinstance(doc, dict) for doc in docs):
            raise InputError(name, "must hold Kubernetes objects (mappings)")
        found += docs
    return found


def phase_root_app(repo: PlatformRepo, options: BootstrapOptions) -> tuple[str, str]:
    """Apply the root AppProject and the app-of-apps server-side; unchanged when the cluster already matches."""
    files = _root_app_files(repo)
    objects = _objects(repo, files)
    from comind_scaffold.monitoring import bootstrap_grafana_admin

    login = bootstrap_grafana_admin(repo, options.kubeconfig, options.context, dry_run=options.dry_run)
    names = ", ".join(f.name for f in files)
    with kube_client(options, timeout=options.budget("root-app")) as kube:
        if not any(kube.would_change(obj, FIELD_MANAGER) for obj in objects):
            return ("done" if login.startswith("; created") else "unchanged"), f"{names}: already applied{login}"
        if options.dry_run:
            return "planned", f"would apply {names}{login}"
        for obj in objects:
            kube.apply(obj, FIELD_MANAGER)
    return "done", f"applied {names}{login}"
