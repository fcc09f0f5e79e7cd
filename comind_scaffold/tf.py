"""`comind tf plan|apply|destroy|output APP --env ENV`: one app's infrastructure, one state per environment.

The app's root module is `apps/<app>/terraform/<profile>/`; the workspace is the environment. On the local
profile the services' addresses come from `services.yaml` and their logins from
`.comind/local-credentials.yaml`, handed to terraform as `TF_VAR_*` variables (never written anywhere).

Locally an app's database, bucket user and queues may already exist, made by `comind services up`: the module
takes them over (both mark what they make) and sets its own generated passwords, which are then written back
to the credentials file so that it keeps naming the logins that work.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from comind_scaffold import constants as c
from comind_scaffold import service_catalog as catalog
from comind_scaffold._terraform import Terraform, find_binary
from comind_scaffold.aws_state import BACKEND_FILE as AWS_BACKEND_FILE
from comind_scaffold.aws_state import backend_bucket
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.providers import install_localdev
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.services.credentials import load_credentials, save_credentials
from comind_scaffold.services.probes import is_minio
from comind_scaffold.specs import AppSpec

Action = Literal["plan", "apply", "destroy", "output"]
ACTIONS: tuple[Action, ...] = ("plan", "apply", "destroy", "output")


@dataclass(frozen=True)
class TfResult:
    """What one `comind tf` run did.

    Attributes:
        app: App name.
        env: Environment (and workspace).
        profile: local or aws.
        action: plan, apply, destroy or output.
        changed: For plan: changes pending; for apply/destroy: something was changed.
        summary: One line for humans.
        outputs: The root module's outputs after the run (empty for plan and destroy).

    """

    app: str
    env: str
    profile: str
    action: str
    changed: bool
    summary: str
    outputs: dict[str, Any] = field(default_factory=dict)


def find_app(repo: PlatformRepo, name: str) -> AppSpec:
    """Return the app called `name`, or raise InputError naming the known ones."""
    for app in repo.apps:
        if app.app_name == name:
            return app
    known = ", ".join(a.app_name for a in repo.apps) or "none"
    raise InputError("app", f"{name!r} is not an app under {c.APPS_DIR}/ (known: {known})")


def app_workdir(repo: PlatformRepo, app: AppSpec, profile: str) -> Path:
    """`apps/<app>/terraform/<profile>`, which must exist."""
    workdir = repo.app_dir(app.app_name) / c.APP_TERRAFORM_DIR / profile
    if not (workdir / "main.tf").is_file():
        raise TemplateError(f"{workdir}: no main.tf (render the app with `comind update {app.app_name}`)")
    return workdir


def local_variables(repo: PlatformRepo, app: AppSpec, env: str, kubeconfig: Path | None,
                    kube_context: str | None) -> dict[str, Any]:
    """TF_VAR_* values for the local profile: service endpoints, local-only logins, kubeconfig."""
    services = repo.services
    host = services.bind_address
    creds = load_credentials(repo.credentials_path)
    if creds is None:
        raise TemplateError(f"{repo.credentials_path}: missing", hint="run `comind services up` first")
    enabled = services.enabled()
    ports: dict[str, int] = {name: spec.port for name, spec in services.services.items()}
    variables: dict[str, Any] = {
        "environment": env,
        "ports": {service.name: ports.get(service.name, service.port) for service in catalog.SERVICES.values()},
        "kube_context": kube_context or "",
    }
    if kubeconfig is not None:
        variables["kubeconfig"] = str(kubeconfig)
    pg, s3, mq = (enabled.get(service.name) for service in (catalog.POSTGRESQL, catalog.MINIO, catalog.ELASTICMQ))
    if pg is not None:
        admin = creds.postgresql
        variables["postgres_admin_url"] = (
            f"postgres://{admin.username}:{admin.password}@{host}:{pg.port}/postgres?sslmode=disable"
        )
    if s3 is not None:
        variables.update(s3_endpoint=f"http://{host}:{s3.port}", s3_access_key=creds.minio.access_key,
                         s3_secret_key=creds.minio.secret_key)
        # Only an S3 stand-in that answers is known to lack the admin API; an endpoint that does not answer
        # counts as MinIO, and Terraform then names the unreachable endpoint itself.
        variables["minio_admin"] = is_minio(host, s3.port, 5.0) is not False
    if mq is not None:
        variables["sqs_endpoint"] = f"http://{host}:{mq.port}"
    return variables


def aws_variables(env: str, kubeconfig: Path | None, kube_context: str | None) -> dict[str, Any]:
    """TF_VAR_* values for the aws profile (credentials come from the AWS SDK chain, not from comind)."""
    variables: dict[str, Any] = {"environment": env, "kube_context": kube_context or ""}
    if kubeconfig is not None:
        variables["kubeconfig"] = str(kubeconfig)
    return variables


def tf(repo: PlatformRepo, app_name: str, env: str, action: str, *, profile: str | None = None,
       kubeconfig: Path | None = None, kube_context: str | None = None, terraform: Terraform | None = None
       ) -> TfResult:
    """Run one app's Terraform for one environment.

    Args:
        repo: The platform repository.
        app_name: An app under `apps/`.
        env: One of the app's environments (also the workspace).
        action: plan, apply, destroy or output.
        profile: local or aws (default: the platform's default_profile).
        kubeconfig: Kubeconfig for the app's Secret (default: the root module's default).
        kube_context: Kubeconfig context (default: its current context).
        terraform: A runner for the working directory (tests pass one; default: a new one).

    Returns:
        What was done; `outputs` after apply and output.

    Raises:
        InputError: Unknown app, environment, action or profile.
        TemplateError: The app has no terraform for the profile, or local credentials are missing.
        ToolNotFoundError: terraform is missing or too old (local: or Go, to build the provider the first time).
        ToolFailedError: terraform failed.

    """
    if action not in ACTIONS:
        raise InputError("action", f"{action!r} must be one of {', '.join(ACTIONS)}")
    profile = profile or repo.spec.default_profile
    if profile not in c.PROFILES:
        raise InputError("profile", f"{profile!r} must be one of {', '.join(c.PROFILES)}")
    app = find_app(repo, app_name)
    if env not in app.environments:
        raise InputError("env", f"{env!r} is not an environment of {app_name} ({', '.join(app.environments)})")
    workdir = app_workdir(repo, app, profile)
    if profile == "local":
        variables = local_variables(repo, app, env, kubeconfig, kube_context)
        backend_config: list[str] = []
        if terraform is None:
            find_binary()  # a missing terraform is the first thing to say
            install_localdev()  # the module's provider: built once from the sources this package ships
    else:
        variables = aws_variables(env, kubeconfig, kube_context)
        backend_file = repo.root / AWS_BACKEND_FILE
        if not backend_file.is_file():
            raise TemplateError(f"{backend_file}: missing", hint="run `comind bootstrap --profile aws` first")
        backend_config = [str(backend_file)]
        variables["state_bucket"] = backend_bucket(backend_file)  # the platform's state, read by the app's root
    runner = terraform or Terraform(workdir)
    runner.init(backend_config=backend_config)
    runner.select_workspace(env)
    where = f"{app_name} [{env}, {profile}]"
    if action == "plan":
        plan = runner.plan(variables)
        summary = "changes pending" if plan.changed else "no changes"
        return TfResult(app_name, env, profile, action, plan.changed, f"{where}: {summary}")
    if action == "output":
        return TfResult(app_name, env, profile, action, False, f"{where}: outputs", runner.output())
    if action == "destroy":
        done = runner.destroy(variables)
        return TfResult(app_name, env, profile, action, done.touched, f"{where}: {done.destroyed} destroyed")
    with tempfile.TemporaryDirectory(prefix="comind-tf-") as scratch:
        plan = runner.plan(variables, out=Path(scratch) / "plan")
        if not plan.changed:
            return TfResult(app_name, env, profile, action, False, f"{where}: no changes", runner.output())
        done = runner.apply(plan_file=plan.plan_file)
    if profile == "local":
        _keep_local_logins(repo, app, env, runner)
    summary = f"{where}: {done.added} added, {done.changed} changed, {done.destroyed} destroyed"
    return TfResult(app_name, env, profile, action, done.touched, summary, runner.output())


def _keep_local_logins(repo: PlatformRepo, app: AppSpec, env: str, runner: Terraform) -> None:
    """Record the passwords Terraform gave the app's database role and bucket user in the local credentials."""
    creds = load_credentials(repo.credentials_path)
    own = creds.apps.get(app.app_name, {}).get(env) if creds else None
    if creds is None or own is None or not (app.with_database or app.with_storage):
        return  # no logins of `comind services up` for this environment: nothing that could go stale
    database, bucket = app.database(env), app.bucket(repo.spec.platform_name, env)
    state = runner.resource_values()
    found = {
        "database_password": [v.get("password") for v in state.get("localdev_postgresql_database", [])
                              if v.get("name") == database],
        "storage_secret_key": [v.get("secret") for v in state.get("localdev_minio_user", [])
                               if v.get("name") == bucket],
    }
    changed = False
    for name, values in found.items():
        if values and isinstance(values[0], str) and getattr(own, name) != values[0]:
            setattr(own, name, values[0])
            changed = True
    if changed:
        save_credentials(repo.credentials_path, creds)
