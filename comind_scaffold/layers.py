"""The verifier declared once: its layers (marker, targets, checks, profiles) and its options.

The suite's markers, the per-profile selection, the `layer` of every `CheckResult`, pytest's `comind` option
group, the typed `VerifyOptions` the run reads, and the flags of `comind status` / `comind gitops-status` all
read these two tables.
"""

from __future__ import annotations

import types
from dataclasses import Field, dataclass, field, fields
from typing import Any, get_args, get_origin, get_type_hints

from comind_scaffold.constants import PROFILES
from comind_scaffold.errors import InputError

# What a layer reaches besides the repository on disk (the platform repository every layer reads).
REPOSITORY, DOCKER_ENGINE, KUBE_API, AWS_API = "repository", "docker", "cluster", "aws"
SUITE_PACKAGE = "comind_scaffold.verifier.suite"


@dataclass(frozen=True)
class Layer:
    """One verifier layer.

    Attributes:
        name: The pytest marker and `--layer` value; its tests live in `<SUITE_PACKAGE>.test_<name>`.
        about: What it checks (the marker's help).
        targets: What it reaches: the repository on disk, the Docker engine, the cluster's API, AWS.
        checks: The names of its test functions, in the order they run (`comind status --list` shows them;
            tests/test_architecture.py holds the list to the module).
        profiles: The profiles it runs on.

    """

    name: str
    about: str
    targets: tuple[str, ...]
    checks: tuple[str, ...]
    profiles: tuple[str, ...] = PROFILES

    @property
    def module(self) -> str:
        """The suite module holding the layer's checks."""
        return f"{SUITE_PACKAGE}.test_{self.name}"


STATIC = Layer(
    "static", "offline checks of a platform repository (no cluster)", (REPOSITORY,), ("test_static_validation",)
)
SERVICES = Layer(
    "services",
    "local Docker services layer",
    (DOCKER_ENGINE,),
    ("test_service_container", "test_service_port", "test_service_probe", "test_app_service_resources"),
    profiles=("local",),
)
CLUSTER = Layer(
    "cluster",
    "Kubernetes cluster layer",
    (KUBE_API,),
    (
        "test_api_reachable",
        "test_server_version",
        "test_nodes_ready",
        "test_platform_namespace",
        "test_controllers_available",
        "test_platform_pods",
        "test_ingress_class",
    ),
)
GITOPS = Layer(
    "gitops",
    "Argo CD layer",
    (KUBE_API,),
    (
        "test_argocd_crds",
        "test_root_app",
        "test_application_synced_healthy",
        "test_application_source",
        "test_team_project",
        "test_project_least_privilege",
        "test_monitoring_stack",
    ),
)
APPS = Layer(
    "apps",
    "per-app, per-environment layer",
    (KUBE_API,),
    (
        "test_app_namespace",
        "test_app_guard",
        "test_app_deployment",
        "test_app_images",
        "test_app_endpoints",
        "test_app_ingress",
        "test_app_application",
        "test_app_secret",
    ),
)
AWS = Layer(
    "aws",
    "AWS layer",
    (AWS_API, KUBE_API),  # the load-balancer controller runs in the cluster
    (
        "test_aws_reachable",
        "test_eks_cluster",
        "test_node_group",
        "test_network_tags",
        "test_platform_aws_resources",
        "test_internal_dns",
        "test_public_dns",
        "test_app_aws_resources",
        "test_lb_controller",
    ),
    profiles=("aws",),
)

LAYERS: tuple[Layer, ...] = (STATIC, SERVICES, CLUSTER, GITOPS, APPS, AWS)
NAMES: tuple[str, ...] = tuple(layer.name for layer in LAYERS)
MODULE_LAYER: dict[str, Layer] = {layer.module: layer for layer in LAYERS}


def of_profile(profile: str) -> frozenset[str]:
    """The names of the layers that run on `profile`."""
    return frozenset(layer.name for layer in LAYERS if profile in layer.profiles)


def layers_reaching(target: str) -> frozenset[str]:
    """The names of the layers that reach `target` (KUBE_API, DOCKER_ENGINE, AWS_API, REPOSITORY)."""
    return frozenset(layer.name for layer in LAYERS if target in layer.targets)


# --- options ---------------------------------------------------------------------------------------------------------

_KUBE = layers_reaching(KUBE_API)
_REMOTE = tuple(name for name in NAMES if name != STATIC.name)  # every layer that talks to something


def _option(flag: str, help: str, *, layers: tuple[str, ...] | frozenset[str] = NAMES, default: Any = None,
            choices: tuple[str, ...] = ()) -> Any:
    """Declare one field of `VerifyOptions` as an option (its type is the field's annotation)."""
    spec = {"flag": flag, "help": help, "layers": tuple(n for n in NAMES if n in layers), "choices": choices}
    if default is list:
        return field(default_factory=list, metadata={"option": spec})
    return field(default=default, metadata={"option": spec})


@dataclass
class VerifyOptions:
    """One verify run's options, typed: what pytest's `comind` group, `comind status` and the run share."""

    profile: str = _option(  # "" until the run settles it
        "--profile", "which layers apply: local (services) or aws; default: the platform's default_profile",
        default="", choices=PROFILES,
    )
    layers: list[str] = _option("--layer", "layer to check (repeatable; default: every layer of the profile)",
                                default=list, choices=NAMES)
    platform_dir: str | None = _option("--platform-dir", "the platform repository (default: found from here)")
    kubeconfig: str | None = _option("--kubeconfig", "kubeconfig file", layers=_KUBE)
    context: str | None = _option("--context", "kubeconfig context", layers=_KUBE)
    envs: list[str] = _option(
        "--env", "environment to verify (repeatable; default: all of the platform's)", default=list,
        layers=(SERVICES.name, CLUSTER.name, APPS.name, AWS.name),
    )
    wait: float = _option("--wait", "seconds to wait for Progressing Applications before judging them",
                          default=0.0, layers=(GITOPS.name, APPS.name))
    json_path: str | None = _option("--json", "write the layer summary and results as JSON to this file")
    aws_endpoint_url: str | None = _option(
        "--aws-endpoint-url", "AWS API endpoint (an emulator such as moto's server)", layers=(AWS.name,)
    )
    aws_profile: str | None = _option("--aws-profile", "AWS credentials profile", layers=(AWS.name,))
    timeout: float = _option("--probe-timeout", "seconds allowed for each request to a target (default 5)",
                             default=5.0, layers=_REMOTE)

    def check(self) -> None:
        """Raise InputError (`--flag: rule`) for a value outside an option's choices."""
        for option in OPTIONS:
            value = getattr(self, option.dest)
            for item in value if option.repeatable else [value]:
                if option.choices and item and item not in option.choices:
                    raise InputError(option.flag, f"{item!r} is not one of {', '.join(option.choices)}")

    def argv(self) -> list[str]:
        """The flags that give a child pytest these options (those left at their default are left out)."""
        flags: list[str] = []
        for option in OPTIONS:
            value = getattr(self, option.dest)
            if option.repeatable:
                flags += [f"{option.flag}={item}" for item in value]
            elif value != option.default:
                flags.append(f"{option.flag}={value}")
        return flags

    @classmethod
    def of(cls, values: dict[str, Any]) -> VerifyOptions:
        """Build from parsed values by `dest` (one left out keeps its default; a repeatable one's None is empty)."""
        given: dict[str, Any] = {d: list(v or []) if OPTION[d].repeatable else v for d, v in values.items()}
        return cls(**given)


@dataclass(frozen=True)
class Option:
    """One verifier option, as pytest, the typed options and the CLI spell it.

    Attributes:
        flag: The command-line flag (`--probe-timeout`), the same for pytest and `comind status`.
        dest: The `VerifyOptions` field.
        type: The type of one value (str or float).
        default: The value when the flag is not given (empty for a repeatable option).
        help: The flag's help.
        layers: The layers whose checks read it.
        repeatable: Given once per value (`--env dev --env prod`).
        choices: The values allowed (empty: any).

    """

    flag: str
    dest: str
    type: type
    default: Any
    help: str
    layers: tuple[str, ...]
    repeatable: bool = False
    choices: tuple[str, ...] = ()

    @property
    def pytest_dest(self) -> str:
        """The name pytest stores the value under (prefixed: pytest's own options share the namespace)."""
        return f"comind_{self.dest}"


def _option_of(spec: Field[Any], annotation: Any) -> Option:
    repeatable = get_origin(annotation) is list
    if repeatable:
        [value_type] = get_args(annotation)
    elif isinstance(annotation, types.UnionType):  # `str | None`
        [value_type] = [arg for arg in get_args(annotation) if arg is not type(None)]
    else:
        value_type = annotation
    default = () if repeatable else spec.default
    return Option(dest=spec.name, type=value_type, default=default, repeatable=repeatable, **spec.metadata["option"])


_HINTS = get_type_hints(VerifyOptions)
OPTIONS: tuple[Option, ...] = tuple(_option_of(spec, _HINTS[spec.name]) for spec in fields(VerifyOptions))
OPTION: dict[str, Option] = {option.dest: option for option in OPTIONS}
