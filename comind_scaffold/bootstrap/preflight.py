"""The preflight phase: one small check per precondition, each returning a CheckResult; nothing is changed."""

from __future__ import annotations

import shutil

from comind_scaffold import constants as c
from comind_scaffold._terraform import Terraform, parse_version
from comind_scaffold.aws_state import MIN_TERRAFORM as AWS_MIN_TERRAFORM
from comind_scaffold.bootstrap.options import PHASES, BootstrapOptions, kube_client
from comind_scaffold.errors import UserError
from comind_scaffold.models import CheckResult, failed, passed
from comind_scaffold.repo import PlatformRepo

# k3d binds these on 127.0.0.1 (environments/local: API server, ingress http/https).
LOCAL_CLUSTER_PORTS = {"k3d API server": 6550, "ingress http": 80, "ingress https": 443}
MIN_KUBECTL = (1, 27, 0)
LAYER = "preflight"
# A cluster that just started answers slowly on a loaded machine; a preflight check is not a health probe.
_CLUSTER_CHECK_SECONDS = 30.0


def check_tool(name: str, minimum: tuple[int, int, int] | None = None) -> CheckResult:
    """Check that the tool is on PATH (and, for kubectl/terraform, at least `minimum`)."""
    from comind_scaffold._kube import kubectl_client_version

    obj = f"tool {name}"
    path = shutil.which(name)
    if path is None:
        return failed(f"tool.{name}", LAYER, obj, "not found on PATH", f"install {name}")
    if minimum is None:
        return passed(f"tool.{name}", LAYER, obj, path)
    try:
        found = Terraform(".", binary=path).version() if name == "terraform" else parse_version(
            kubectl_client_version(path))
    except (UserError, OSError, ValueError) as err:
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
    from comind_scaffold._aws import credentials_method

    method = credentials_method()
    if method is None:
        return failed("aws.credentials", LAYER, "AWS credentials", "none found",
                      "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`")
    return passed("aws.credentials", LAYER, "AWS credentials", f"from {method}")


def check_cluster(options: BootstrapOptions) -> CheckResult:
    """Check that the existing cluster answers and serves Argo CD's Application kind."""
    from comind_scaffold._kube import KindNotServedError

    obj = f"cluster {options.kubeconfig or '(default kubeconfig)'}"
    try:
        with kube_client(options, timeout=_CLUSTER_CHECK_SECONDS) as client:
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
