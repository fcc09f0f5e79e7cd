"""One verify run's state: options, the platform repo, and each target (cluster, AWS) connected lazily, once.

A target that cannot be reached is remembered with its error: the first test that needs it fails with
that one line, every other test of the layer is reported as not run.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from comind_scaffold import layers
from comind_scaffold.checks.aws import Aws
from comind_scaffold.checks.expected import Expected
from comind_scaffold.checks.resources import Snapshot
from comind_scaffold.constants import PROFILES
from comind_scaffold.errors import ComindError, UserError
from comind_scaffold.layers import AWS_API, DOCKER_ENGINE, KUBE_API, VerifyOptions, layers_reaching
from comind_scaffold.repo import PlatformRepo

if TYPE_CHECKING:
    from comind_scaffold._docker import DockerEngine
    from comind_scaffold.services.credentials import LocalCredentials
    from comind_scaffold.services.report import ServiceStatus
    from comind_scaffold.validation.run import ValidationReport

T = TypeVar("T")
LAYERS = layers.NAMES
PROFILE_LAYERS = {profile: layers.of_profile(profile) for profile in PROFILES}


@dataclass
class Target(Generic[T]):
    """Something the run talks to (its typed `value`), and why it cannot be used (if it cannot)."""

    name: str
    error: str = ""
    hint: str = ""
    reported: bool = False
    value: T | None = None


class VerifySession:
    """Lazily built targets for one run."""

    def __init__(self, options: VerifyOptions) -> None:
        self.options = options
        self.targets: dict[str, Target[Any]] = {}
        self.waited = 0.0
        self._settled = False
        self._lock = threading.Lock()
        self._building: dict[str, Future[Target[Any]]] = {}
        self._static: Future[ValidationReport] | None = None

    def _target(self, name: str, build: Callable[[], T]) -> Target[T]:
        with self._lock:
            future = self._building.get(name)
            if future is None:
                future = self._building[name] = Future()
                owner = True
            else:
                owner = False
        if owner:
            target: Target[T] = Target(name)
            try:
                target.value = build()
            except UserError as err:
                target.error, target.hint = err.message, err.hint or ""
            except ComindError as err:
                target.error = str(err)
            except BaseException as err:  # a bug: every waiter gets it, nobody waits forever
                future.set_exception(err)
                raise
            self.targets[name] = target
            future.set_result(target)
        return future.result()

    def connect_in_background(self, layers: set[str], *, validate: bool = True) -> None:
        """Start connecting to the targets these layers need, all at once, while pytest collects.

        An unreachable target then costs one timeout for the whole run, not one per target in turn. With
        `validate`, the static layer's checks (and their kustomize renders) start now too: they need no target,
        and collecting hundreds of app tests or waiting for a target that does not answer leaves the CPU idle.
        """
        wanted: list[Callable[[], object]] = []
        modules: list[str] = []
        if "static" in layers and validate:
            wanted.append(self.start_static)
            modules.append("comind_scaffold.validation.run")
        if layers & layers_reaching(KUBE_API):
            wanted.append(self.kube)
            modules += ["kubernetes.client", "kubernetes.config"]
        if layers & layers_reaching(DOCKER_ENGINE):
            wanted.append(self.docker)
            modules += ["docker", "comind_scaffold._docker"]
        if layers & layers_reaching(AWS_API):
            wanted.append(self.aws)
            modules += ["boto3", "botocore.config"]
        if "apps" in layers and "static" not in layers:  # with static, its `validate` fills the render cache first
            wanted.append(self.start_rendering)
        for module in modules:  # imported here: two threads importing requests at once can see it half-initialised
            importlib.import_module(module)
        for connect in wanted:
            threading.Thread(target=connect, name=f"comind-connect-{connect.__name__}", daemon=True).start()

    def platform(self) -> Target[PlatformRepo]:
        """Return the platform repository (from --platform-dir, else found from the current folder)."""

        def build() -> PlatformRepo:
            repo = PlatformRepo(self.options.platform_dir) if self.options.platform_dir else PlatformRepo.find()
            _ = repo.spec, repo.apps  # parse now: a broken answers file is this target's error
            return repo

        return self._target("platform repository", build)

    def start_static(self) -> None:
        """Run `validate` in the background; its result or error waits in the future for the static test."""
        self._static_future()

    def static_report(self) -> ValidationReport:
        """`validate` of the platform repository, run once (its errors are raised to every caller)."""
        return self._static_future().result()

    def _static_future(self) -> Future[ValidationReport]:
        with self._lock:
            future, owner = self._static, self._static is None
            if future is None:
                future = self._static = Future()
        if owner:
            from comind_scaffold.validation.run import validate

            try:
                future.set_result(validate(use_value(self.platform()).root))
            except BaseException as err:  # noqa: BLE001 - the test that waits for the report raises it
                future.set_exception(err)
        return future

    @cached_property
    def expected(self) -> Expected | None:
        """What the repo declares for the chosen environments (None when the repo is unusable)."""
        repo = self.platform().value
        return Expected(repo, self.options.envs or None) if repo else None

    def start_rendering(self) -> None:
        """Start rendering the app overlays the apps layer compares against, so it overlaps the API calls.

        Only once the cluster answers: against an unreachable one the apps layer has nothing to compare.
        """
        if self.kube().error:
            return
        expected = self.expected
        if expected is not None:
            expected.start_rendering()

    def kube(self) -> Target[Snapshot]:
        """Return the cluster snapshot; its error is set when the API server does not answer."""

        def build() -> Snapshot:
            from comind_scaffold._kube import KubeClient

            client = KubeClient(self.kubeconfig(), self.options.context, timeout=self.options.timeout)
            snapshot = Snapshot(client)
            _ = snapshot.version  # one request decides whether the cluster can be checked at all
            return snapshot

        target = self._target("Kubernetes API", build)
        if target.error and "kubeconfig" not in target.error:
            target.hint = target.hint or "check --kubeconfig/--context and that the cluster is running"
        return target

    def kubeconfig(self) -> str | None:
        """--kubeconfig; else $KUBECONFIG; else, locally, the kubeconfig `comind bootstrap` wrote; else kubectl's."""
        if self.options.kubeconfig or os.environ.get("KUBECONFIG"):
            return self.options.kubeconfig
        repo = self.platform().value
        if repo is not None and self.options.profile == "local":
            from comind_scaffold.bootstrap.options import LOCAL_KUBECONFIG

            written = repo.root / LOCAL_KUBECONFIG
            if written.is_file():
                return str(written)
        return None

    def settled_snapshot(self) -> Snapshot | None:
        """Return the snapshot after waiting (up to --wait) for Progressing Applications."""
        snapshot = self.kube().value
        if snapshot is not None and not self._settled:
            self._settled = True
            try:
                self.waited = snapshot.wait_while_progressing(self.options.wait)
            except UserError as err:
                self.kube().error = err.message
                return None
        return snapshot if not self.kube().error else None

    def aws(self) -> Target[Aws]:
        """boto3 clients for the platform's region (a profile or an emulator endpoint from the options)."""

        def build() -> Aws:
            repo = self.platform().value
            if repo is None:
                raise UserError("AWS: the platform repository is unusable, so its region is unknown")
            if self.options.aws_endpoint_url is None and not (
                os.environ.get("AWS_ACCESS_KEY_ID")
                or self.options.aws_profile
                or os.environ.get("AWS_PROFILE")
                or Path("~/.aws/credentials").expanduser().exists()
            ):
                raise UserError("AWS: no credentials (set --aws-profile, AWS_PROFILE or AWS_ACCESS_KEY_ID)")
            aws = Aws(
                repo.spec.aws_region, self.options.aws_endpoint_url, self.options.aws_profile, self.options.timeout
            )
            aws.call("eks", "list_clusters", maxResults=1)  # one request decides whether AWS can be checked
            return aws

        return self._target("AWS API", build)

    def docker(self) -> Target[DockerEngine]:
        """Return the Docker engine the local services run in (DOCKER_HOST or the default socket)."""

        def build() -> DockerEngine:
            from comind_scaffold._docker import DockerEngine

            return DockerEngine(timeout=max(self.options.timeout, 1.0))

        return self._target("Docker engine", build)

    @cached_property
    def service_rows(self) -> dict[str, ServiceStatus]:
        """The services manager's status row per service (container state, health, protocol probe)."""
        from comind_scaffold.services.manager import status

        repo, engine = use_value(self.platform()), use_value(self.docker())
        return {row.service: row for row in status(repo, engine=engine, timeout=self.options.timeout)}

    @cached_property
    def local_credentials(self) -> LocalCredentials | None:
        """The generated local-only credentials (None before `comind services up`)."""
        from comind_scaffold.services.credentials import load_credentials

        return load_credentials(use_value(self.platform()).credentials_path)


def use_value(target: Target[T]) -> T:
    """Return the target's value, or its error raised as a UserError."""
    if target.error:
        raise UserError(f"{target.name}: {target.error}", target.hint or None)
    return cast(T, target.value)  # set whenever the error is not
