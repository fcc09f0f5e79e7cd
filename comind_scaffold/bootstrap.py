"""`comind bootstrap`: stand the platform up in ordered phases, each with a time budget, resumable.

Phases: preflight → services (local) → cluster → root-app → wait. `cluster` runs the Terraform of
`infra/terraform/environments/<profile>`; with an existing cluster it is skipped. `root-app` applies the
app-of-apps (server-side, field manager `comind`); `wait` polls Argo CD's Applications with the verifier's
checks until every one is Synced and Healthy. Completed phases are recorded in `.comind/bootstrap-state.json`;
a run that stopped half-way resumes after the last completed phase, and a run on a healthy platform changes
nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from comind_scaffold import constants as c
from comind_scaffold._terraform import Terraform, parse_version
from comind_scaffold.aws_state import BACKEND_FILE as AWS_BACKEND_FILE
from comind_scaffold.aws_state import MIN_TERRAFORM as AWS_MIN_TERRAFORM
from comind_scaffold.errors import InputError, ToolFailedError, UserError, ValidationFailed
from comind_scaffold.models import CheckResult, failed, passed
from comind_scaffold.repo import PlatformRepo

PHASES = ("preflight", "services", "cluster", "root-app", "wait")
DEFAULT_BUDGETS: dict[str, float] = {"preflight": 60, "services": 300, "cluster": 1800, "root-app": 120, "wait": 900}
STATE_FILE = c.BOOTSTRAP_STATE
ROOT_APP = "k8s/kustomize/root-app.yaml"
# k3d binds these on 127.0.0.1 (environments/local: API server, ingress http/https).
LOCAL_KUBECONFIG = c.KUBECONFIG_FILE.format(profile="local")  # written by environments/local (k3d)
LOCAL_CLUSTER_PORTS = {"k3d API server": 6550, "ingress http": 80, "ingress https": 443}
MIN_KUBECTL = (1, 27, 0)
LAYER = "preflight"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BootstrapOptions:
    """How to bootstrap.

    Attributes:
        profile: local or aws.
        existing_cluster: Use the cluster the kubeconfig points at instead of creating one.
        kubeconfig: Kubeconfig of that cluster (default: kubectl's).
        context: Kubeconfig context (default: the current one).
        dry_run: Show each phase's plan, change nothing, write no state.
        skip_services: Do not start the local Docker services.
        budgets: Seconds allowed per phase (missing phases use DEFAULT_BUDGETS).
        poll_interval: Seconds between two looks at Argo CD in the wait phase.

    """

    profile: str = "local"
    existing_cluster: bool = False
    kubeconfig: Path | None = None
    context: str | None = None
    dry_run: bool = False
    skip_services: bool = False
    budgets: Mapping[str, float] = field(default_factory=dict)
    poll_interval: float = 2.0

    def budget(self, phase: str) -> float:
        """Return the seconds allowed for `phase`."""
        return float(self.budgets.get(phase, DEFAULT_BUDGETS[phase]))


@dataclass(frozen=True)
class PhaseResult:
    """One phase of a run.

    Attributes:
        phase: Its name.
        outcome: done, unchanged, skipped, resumed (completed by an earlier run) or planned (dry run).
        detail: What happened, one line.
        seconds: How long it took.

    """

    phase: str
    outcome: str
    detail: str
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the phase changed something."""
        return self.outcome == "done"


@dataclass(frozen=True)
class BootstrapReport:
    """Every phase of a run, in order."""

    profile: str
    phases: list[PhaseResult]
    resumed: bool = False

    @property
    def changed(self) -> bool:
        """True when any phase changed something."""
        return any(p.changed for p in self.phases)


class BootstrapState:
    """`.comind/bootstrap-state.json`: the phases a run completed, so an interrupted run can resume."""

    def __init__(self, path: Path, profile: str, existing_cluster: bool) -> None:
        self.path = path
        self.key = {"profile": profile, "existing_cluster": existing_cluster}
        self.completed: list[str] = []
        self.finished = False

    @classmethod
    def load(cls, path: Path, profile: str, existing_cluster: bool) -> BootstrapState:
        """Return the unfinished run of the same profile and mode, else a fresh state."""
        state = cls(path, profile, existing_cluster)
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return state
        if all(data.get(k) == v for k, v in state.key.items()) and not data.get("finished", True):
            state.completed = [p for p in data.get("completed", []) if p in PHASES]
        return state

    def save(self) -> None:
        """Write atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {**self.key, "completed": self.completed, "finished": self.finished,
                "updated": datetime.now(UTC).isoformat(timespec="seconds")}
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(data, indent=2) + "\n")
        partial.replace(self.path)

    def complete(self, phase: str) -> None:
        """Record a completed phase."""
        if phase not in self.completed:
            self.completed.append(phase)
        self.save()


# --------------------------------------------------------------------------- preflight


def _kubectl_version() -> tuple[int, int, int]:
    done = subprocess.run(["kubectl", "version", "--client", "-o", "json"], capture_output=True, text=True,
                          timeout=30, check=False)
    return parse_version(json.loads(done.stdout)["clientVersion"]["gitVersion"])


def check_tool(name: str, minimum: tuple[int, int, int] | None = None) -> CheckResult:
    """Check that the tool is on PATH (and, for kubectl/terraform, at least `minimum`)."""
    obj = f"tool {name}"
    path = shutil.which(name)
    if path is None:
        return failed(f"tool.{name}", LAYER, obj, "not found on PATH", f"install {name}")
    if minimum is None:
        return passed(f"tool.{name}", LAYER, obj, path)
    try:
        found = Terraform(".", binary=path).version() if name == "terraform" else _kubectl_version()
    except (UserError, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as err:
        return failed(f"tool.{name}", LAYER, obj, f"{path} does not report its version ({err})")
    have, need = ".".join(map(str, found)), ".".join(map(str, minimum))
    if found < minimum:
        return failed(f"tool.{name}", LAYER, obj, f"{have} is older than the supported {need}", f"upgrade {name}")
    return passed(f"tool.{name}", LAYER, obj, f"{have} at {path}")


def check_port_free(label: str, port: int, host: str = "127.0.0.1") -> CheckResult:
    """Check that nothing listens on host:port yet."""
    from comind_scaffold.services.ports import port_holder, port_is_free

    obj = f"port {host}:{port} ({label})"
    if port_is_free(host, port):
        return passed("port.free", LAYER, obj, "free")
    holder = port_holder(port) or "another process"
    return failed("port.free", LAYER, obj, f"already in use by {holder}", "stop it or change the port")


def check_docker() -> CheckResult:
    """Check that the Docker engine answers."""
    from comind_scaffold._docker import DockerEngine

    try:
        engine = DockerEngine(timeout=10)
        engine.close()
    except UserError as err:
        return failed("docker.running", LAYER, "Docker engine", err.message, "start Docker (or set DOCKER_HOST)")
    return passed("docker.running", LAYER, "Docker engine", "reachable")


def check_aws_credentials() -> CheckResult:
    """Check that the AWS SDK finds credentials (environment, profile or instance role); nothing is sent."""
    import boto3

    found = boto3.Session().get_credentials()
    if found is None:
        return failed("aws.credentials", LAYER, "AWS credentials", "none found",
                      "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`")
    return passed("aws.credentials", LAYER, "AWS credentials", f"from {found.method}")


# A cluster that just started answers slowly on a loaded machine; a preflight check is not a health probe.
_CLUSTER_CHECK_SECONDS = 30.0


def check_cluster(options: BootstrapOptions) -> CheckResult:
    """Check that the existing cluster answers and serves Argo CD's Application kind."""
    from comind_scaffold._kube import KindNotServedError, KubeClient

    obj = f"cluster {options.kubeconfig or '(default kubeconfig)'}"
    try:
        with KubeClient(str(options.kubeconfig) if options.kubeconfig else None, options.context,
                        timeout=_CLUSTER_CHECK_SECONDS) as client:
            version = client.version()
            client.list("Application", namespace=c.ARGOCD_NAMESPACE)
    except KindNotServedError:
        return failed("cluster.argocd", LAYER, obj, "Argo CD is not installed (no Application kind is served)",
                      "install Argo CD first, or bootstrap without --existing-cluster")
    except UserError as err:
        return failed("cluster.reachable", LAYER, obj, err.message)
    return passed("cluster.reachable", LAYER, obj, f"{version}, Argo CD CRDs served")


def preflight(repo: PlatformRepo, options: BootstrapOptions) -> list[CheckResult]:
    """Check every precondition of the run, each as one result (nothing is changed)."""
    results = [check_tool("kubectl", MIN_KUBECTL)]
    if not options.existing_cluster:
        # aws: the S3 backend locks with its own lock file (use_lockfile) from Terraform 1.10 on
        results.append(check_tool("terraform", AWS_MIN_TERRAFORM if options.profile == "aws" else (1, 5, 0)))
        results.append(check_tool("helm"))
        if options.profile == "local":
            results.append(check_tool("k3d"))
            results += [check_port_free(label, port) for label, port in LOCAL_CLUSTER_PORTS.items()]
    if options.profile == "local" and not options.skip_services:
        results.append(check_docker())
    if options.profile == "aws":
        results.append(check_aws_credentials())
    if options.existing_cluster:
        results.append(check_cluster(options))
    for phase in options.budgets:
        if phase not in PHASES:
            results.append(failed("budget.phase", LAYER, f"budget {phase}", f"not a phase ({', '.join(PHASES)})"))
    return results


# --------------------------------------------------------------------------- phases


def _kubectl(options: BootstrapOptions, *args: str, ok_codes: tuple[int, ...] = (0,), timeout: float = 120.0
             ) -> subprocess.CompletedProcess[str]:
    argv = ["kubectl"]
    if options.kubeconfig:
        argv.append(f"--kubeconfig={options.kubeconfig}")
    if options.context:
        argv.append(f"--context={options.context}")
    try:
        done = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise ToolFailedError(f"kubectl {args[0]}: no answer after {timeout:.0f} s") from err
    if done.returncode not in ok_codes:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        raise ToolFailedError(f"kubectl {args[0]}: {lines[0]}", output=done.stdout + done.stderr)
    return done


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


def phase_root_app(repo: PlatformRepo, options: BootstrapOptions) -> tuple[str, str]:
    """Apply the root AppProject and the app-of-apps server-side; unchanged when the cluster already matches."""
    files = _root_app_files(repo)
    from comind_scaffold.monitoring import bootstrap_grafana_admin

    login = bootstrap_grafana_admin(repo, options.kubeconfig, options.context, dry_run=options.dry_run)
    file_args = [arg for f in files for arg in ("-f", str(f))]
    timeout = options.budget("root-app")
    # `kubectl diff` exits 0 when the live objects match, 1 when they differ.
    diff = _kubectl(options, "diff", "--server-side", "--field-manager=comind", *file_args, ok_codes=(0, 1),
                    timeout=timeout)
    names = ", ".join(f.name for f in files)
    if diff.returncode == 0:
        return ("done" if login.startswith("; created") else "unchanged"), f"{names}: already applied{login}"
    if options.dry_run:
        return "planned", f"would apply {names}{login}"
    _kubectl(options, "apply", "--server-side", "--field-manager=comind", *file_args, timeout=timeout)
    return "done", f"applied {names}{login}"


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


def gitops_results(options: BootstrapOptions, waited: float) -> list[CheckResult]:
    """Run the verifier's gitops checks: CRDs, root app, and every Application Synced and Healthy."""
    from comind_scaffold._kube import KubeClient
    from comind_scaffold.checks.gitops import applications, check_application, check_argocd_crds, check_root_app
    from comind_scaffold.checks.resources import Snapshot

    with KubeClient(str(options.kubeconfig) if options.kubeconfig else None, options.context, timeout=10) as client:
        snapshot = Snapshot(client)
        results = check_argocd_crds(snapshot) + [check_root_app(snapshot)]
        results += [check_application(app, waited) for app in applications(snapshot)]
    return results


def never_synced_manual(app: Mapping[str, Any]) -> bool:
    """True for an Application without automated sync, compared by Argo CD (OutOfSync) and never synced.

    It has no sync requested either: on a new platform, a prod app waiting for its first deployment.
    """
    spec, status = app.get("spec") or {}, app.get("status") or {}
    return (not (spec.get("syncPolicy") or {}).get("automated") and not app.get("operation")
            and not status.get("history") and not status.get("operationState")
            and (status.get("sync") or {}).get("status") == "OutOfSync")


def first_sync_operation(app: Mapping[str, Any]) -> dict[str, Any]:
    """The operation `argocd app sync` sets (Argo CD's API server, SyncOperation).

    That is the Application's source at the revision Argo CD compared, with its sync options and retry strategy.
    """
    spec, status = app.get("spec") or {}, app.get("status") or {}
    policy = spec.get("syncPolicy") or {}
    sync: dict[str, Any] = {"revision": (status.get("sync") or {}).get("revision")
                            or (spec.get("source") or {}).get("targetRevision") or "HEAD",
                            "syncOptions": list(policy.get("syncOptions") or [])}
    if spec.get("source"):
        sync["source"] = spec["source"]
    operation: dict[str, Any] = {"initiatedBy": {"username": "comind bootstrap"}, "sync": sync}
    if policy.get("retry"):
        operation["retry"] = policy["retry"]
    return {"operation": operation}


def start_first_syncs(options: BootstrapOptions) -> list[str]:
    """Request the first sync of every never-synced manual Application (see `never_synced_manual`).

    Bootstrapping a platform is the deliberate act that rolls out its first version everywhere; after that, a
    manual Application syncs only when a person asks (and the verifier reports it OutOfSync until then).
    """
    from comind_scaffold._kube import KubeClient

    with KubeClient(str(options.kubeconfig) if options.kubeconfig else None, options.context, timeout=10) as client:
        apps = [a for a in client.list("Application", namespace=c.ARGOCD_NAMESPACE) if never_synced_manual(a)]
    names = []
    for app in apps:
        name = str(app["metadata"]["name"])
        _kubectl(options, "patch", "application", name, "-n", c.ARGOCD_NAMESPACE, "--type=merge",
                 "-p", json.dumps(first_sync_operation(app)))
        names.append(name)
    return names


REFRESH_EVERY = 20.0  # seconds between refresh requests while Applications are pending


def refresh_applications(options: BootstrapOptions) -> list[str]:
    """Ask Argo CD to compare every Application now (`comind sync`); the roots first."""
    from comind_scaffold._kube import KindNotServedError, KubeClient
    from comind_scaffold.gitops_sync import request_refresh, roots_first

    with KubeClient(str(options.kubeconfig) if options.kubeconfig else None, options.context, timeout=10) as client:
        try:
            live = [a["metadata"]["name"] for a in client.list("Application", namespace=c.ARGOCD_NAMESPACE)]
        except KindNotServedError:  # Argo CD not installed yet: the wait reports it, nothing to refresh
            return []
        return request_refresh(client, roots_first(live))


def phase_wait(options: BootstrapOptions, progress: Progress, *, clock: Callable[[], float] = time.monotonic,
               sleep: Callable[[float], None] = time.sleep) -> tuple[str, str]:
    """Poll until every Application is Synced and Healthy, or the wait budget runs out (ValidationFailed).

    Manual Applications that were never synced get their first sync requested (`start_first_syncs`).
    """
    budget = options.budget("wait")
    if options.dry_run:
        return "planned", f"would wait up to {budget:.0f} s for every Application to be Synced and Healthy"
    start = clock()
    first_synced: list[str] = []
    refreshed_at: float | None = None
    while True:
        waited = clock() - start
        results = gitops_results(options, waited)
        pending = [r for r in results if not r.ok]
        if pending and (refreshed_at is None or waited - refreshed_at >= REFRESH_EVERY):
            refresh_applications(options)  # Argo CD would otherwise compare again only at its next reconciliation
            refreshed_at = waited
        if pending:
            started = start_first_syncs(options)
            if started:
                first_synced += started
                progress(f"first sync of {', '.join(started)} (manual sync policy, never deployed)")
        if not pending:
            detail = f"{len(results) - 3} Applications Synced and Healthy after {waited:.0f} s"
            if first_synced:
                detail += f" (first sync requested for {', '.join(sorted(set(first_synced)))})"
            return ("done" if first_synced else "unchanged"), detail
        progress(f"waiting for Argo CD ({waited:.0f}/{budget:.0f} s): {pending[0].line()}")
        if waited + options.poll_interval > budget:
            raise ValidationFailed(pending, budget=budget)
        sleep(options.poll_interval)


def _validate(repo: PlatformRepo, options: BootstrapOptions) -> None:
    if options.profile not in c.PROFILES:
        raise InputError("profile", f"{options.profile!r} must be one of {', '.join(c.PROFILES)}")
    for phase, seconds in options.budgets.items():
        if phase in PHASES and seconds <= 0:
            raise InputError(f"budget {phase}", f"{seconds} must be a positive number of seconds")
    if options.kubeconfig is not None and not Path(options.kubeconfig).is_file():
        raise InputError("kubeconfig", f"{options.kubeconfig}: no such file")
    repo.spec  # noqa: B018 - read the answers now so a broken file fails before any phase


def bootstrap(repo: PlatformRepo, options: BootstrapOptions, progress: Progress | None = None,
              on_phase: Callable[[PhaseResult], None] | None = None) -> BootstrapReport:
    """Run (or with `dry_run` show) every phase in order.

    Args:
        repo: The platform repository.
        options: Profile, mode, budgets.
        progress: Called with short status messages while a phase runs.
        on_phase: Called with each phase's result as soon as it is known.

    Returns:
        The phases, in order.

    Raises:
        InputError: Bad options.
        ValidationFailed: Preflight failed (every failure listed), or the wait budget ran out.
        ToolFailedError: terraform or kubectl failed.

    """
    _validate(repo, options)
    if options.profile == "local" and not options.existing_cluster and options.kubeconfig is None:
        options = replace(options, kubeconfig=repo.root / LOCAL_KUBECONFIG,
                          context=options.context or f"k3d-{repo.spec.platform_name}")
    say = progress or (lambda _message: None)
    state = BootstrapState.load(repo.root / STATE_FILE, options.profile, options.existing_cluster)
    resumed = bool(state.completed)
    phases: list[PhaseResult] = []

    def record(result: PhaseResult) -> None:
        phases.append(result)
        if on_phase:
            on_phase(result)

    for phase in PHASES:
        if phase in state.completed and phase != "preflight":
            record(PhaseResult(phase, "resumed", "completed by the interrupted run"))
            continue
        say(f"{phase}…")
        started = time.monotonic()
        if phase == "preflight":
            results = preflight(repo, options)
            if not all(r.ok for r in results):
                raise ValidationFailed(results)
            outcome, detail = "unchanged", f"{len(results)} checks passed"
        elif phase == "services":
            outcome, detail = phase_services(repo, options, say)
        elif phase == "cluster":
            outcome, detail = phase_cluster(repo, options)
        elif phase == "root-app":
            outcome, detail = phase_root_app(repo, options)
        else:
            outcome, detail = phase_wait(options, say)
        elapsed = time.monotonic() - started
        if elapsed > options.budget(phase) and phase != "wait":
            detail += f" (took {elapsed:.0f} s, over its {options.budget(phase):.0f} s budget)"
        record(PhaseResult(phase, outcome, detail, elapsed))
        if not options.dry_run:
            state.complete(phase)
    if not options.dry_run:
        state.finished = True
        state.save()
    return BootstrapReport(options.profile, phases, resumed)


def read_state(repo: PlatformRepo) -> dict[str, Any] | None:
    """Return the recorded state of the last run, or None."""
    try:
        data = json.loads((repo.root / STATE_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None
