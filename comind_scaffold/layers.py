"""The verifier's layers, declared once: what each checks, what it reaches, and on which profiles it runs.

The suite's markers, `comind status --layer`, the per-profile selection and the `layer` of every `CheckResult`
all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from comind_scaffold.constants import PROFILES


@dataclass(frozen=True)
class Layer:
    """One verifier layer.

    Attributes:
        name: The pytest marker and `--layer` value.
        about: What it checks (the marker's help).
        target: What it reaches: the repository on disk, the Docker engine, the cluster's API, or AWS.
        profiles: The profiles it runs on.

    """

    name: str
    about: str
    target: str
    profiles: tuple[str, ...] = PROFILES


STATIC = Layer("static", "offline checks of a platform repository (no cluster)", "repository")
SERVICES = Layer("services", "local Docker services layer", "docker", profiles=("local",))
CLUSTER = Layer("cluster", "Kubernetes cluster layer", "cluster")
GITOPS = Layer("gitops", "Argo CD layer", "cluster")
APPS = Layer("apps", "per-app, per-environment layer", "cluster")
AWS = Layer("aws", "AWS layer", "aws", profiles=("aws",))

LAYERS: tuple[Layer, ...] = (STATIC, SERVICES, CLUSTER, GITOPS, APPS, AWS)
NAMES: tuple[str, ...] = tuple(layer.name for layer in LAYERS)


def of_profile(profile: str) -> frozenset[str]:
    """The names of the layers that run on `profile`."""
    return frozenset(layer.name for layer in LAYERS if profile in layer.profiles)
