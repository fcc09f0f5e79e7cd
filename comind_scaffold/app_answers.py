"""The answers of a new app, built from the CLI's options, the template's defaults and the platform's facts.

`app_answer_checks.py` holds what they must pass before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

from comind_scaffold import service_catalog as catalog
from comind_scaffold.errors import InputError
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.specs import AppSpec

DEFAULT_IMAGE = "nginxinc/nginx-unprivileged"
DEFAULT_IMAGE_TAG = "1.27-alpine"
_ANSWER_FIELDS = frozenset(AppSpec.model_fields) - {"src_path", "commit"} | {
    "platform",
    "gitops_repo_url",
    "gitops_revision",
    "domain",
    "service_ports",
}

# The template's questions by type; the others are lists, mappings or the platform's facts.
BOOLEAN_QUESTIONS = (*catalog.APP_FLAGS, "ingress", "autoscaling")
INTEGER_QUESTIONS = ("port", "max_replicas", "sync_wave")
TEXT_QUESTIONS = (
    "description",
    "health_path",
    "image",
    "image_tag",
    "cpu_request",
    "cpu_limit",
    "memory_request",
    "memory_limit",
)


def parse_replicas(values: Iterable[str], environments: list[str]) -> dict[str, int]:
    """`--replicas 3` (every environment) or `--replicas prod=3` (one) into a mapping.

    Raises:
        InputError: Not a whole number, or an environment the app does not run in.

    """
    result: dict[str, int] = {}
    for value in values:
        env, _, count = value.rpartition("=")
        try:
            number = int(count)
        except ValueError:
            raise InputError("replicas", f"{value!r} must be N or ENV=N with N a whole number") from None
        for target in [env] if env else environments:
            if target not in environments:
                raise InputError(
                    "replicas", f"{target!r} is not one of the app's environments ({', '.join(environments)})"
                )
            result[target] = number
    return result


def parse_data(pairs: Iterable[str]) -> dict[str, str]:
    """`key=value` pairs of `--data`.

    Raises:
        InputError: A pair without '='.

    """
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError("data", f"{pair!r} must be KEY=VALUE")
        result[key.strip()] = value
    return result


_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


def coerce_data(raw: Mapping[str, str]) -> dict[str, Any]:
    """Type `--data` strings as the app template's questions are (text stays text: `image_tag=1.10`).

    Raises:
        InputError: A value that is not of its question's type.

    """
    typed: dict[str, Any] = {}
    for key, value in raw.items():
        if key in BOOLEAN_QUESTIONS:
            if value.lower() not in _TRUE | _FALSE:
                raise InputError(key, f"{value!r} must be true or false")
            typed[key] = value.lower() in _TRUE
        elif key in INTEGER_QUESTIONS:
            try:
                typed[key] = int(value)
            except ValueError:
                raise InputError(key, f"{value!r} must be a whole number") from None
        elif key in ("environments", "replicas", "service_ports"):
            try:
                typed[key] = yaml.safe_load(value)
            except yaml.YAMLError:
                raise InputError(key, f"{value!r} is not valid YAML") from None
        else:
            typed[key] = value
    return typed


def options_from_flags(
    data: Iterable[str] = (),
    *,
    environments: Sequence[str] = (),
    replicas: Sequence[str] = (),
    services: Iterable[str] = (),
    port: int | None = None,
    image: str | None = None,
    image_tag: str | None = None,
    ingress: bool = True,
) -> dict[str, Any]:
    """The answers `comind new-app` gives: `--data KEY=VALUE` pairs, then the flags that were set.

    `services` are the `with_*` answers switched on (`with_database`, …).

    Raises:
        InputError: A malformed `--data` pair or a value not of its question's type.

    """
    options: dict[str, Any] = coerce_data(parse_data(data))
    if environments:
        options["environments"] = list(environments)
    if replicas:
        options["replicas"] = list(replicas)
    options.update({flag: True for flag in services})
    for key, value in {"port": port, "image": image, "image_tag": image_tag}.items():
        if value is not None:
            options[key] = value
    if not ingress:
        options["ingress"] = False
    return options


def app_answers(repo: PlatformRepo, name: str, team: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Build the full answers of a new app: the template's defaults, the platform's facts, then `options`.

    Raises:
        InputError: An option that is not a question of the app template.

    """
    unknown = sorted(set(options) - _ANSWER_FIELDS)
    if unknown:
        raise InputError(unknown[0], f"is not a question of the app template ({', '.join(sorted(_ANSWER_FIELDS))})")
    platform = repo.spec
    given_envs = options.get("environments")
    environments = [given_envs] if isinstance(given_envs, str) else list(given_envs or platform.environments)
    answers: dict[str, Any] = {
        "template": "app",
        "app_name": name,
        "team": team,
        "description": "",
        "environments": environments,
        "port": 8080,
        "health_path": "/",
        "image": DEFAULT_IMAGE,
        "image_tag": DEFAULT_IMAGE_TAG,
        "replicas": {env: 1 if env == "dev" else 2 for env in environments},
        "cpu_request": "50m",
        "cpu_limit": "500m",
        "memory_request": "64Mi",
        "memory_limit": "256Mi",
        **dict.fromkeys(catalog.APP_FLAGS, False),
        "ingress": True,
        "autoscaling": False,
        "max_replicas": 5,
        "sync_wave": 10,
        **platform_facts(repo),
    }
    for key, value in options.items():
        if key == "replicas":
            given = parse_replicas(value, environments) if isinstance(value, list) else value
            if not isinstance(given, dict):
                raise InputError("replicas", f"{value!r} must be a mapping of environment to replica count")
            answers["replicas"] = {**answers["replicas"], **given}
        elif value is not None:
            answers[key] = value
    answers["replicas"] = {env: answers["replicas"].get(env, 1) for env in answers["environments"]}
    return answers


def platform_facts(repo: PlatformRepo) -> dict[str, Any]:
    """The answers an app takes from its platform (name, git, domain, ports, monitoring, profile, TLS, VPC)."""
    platform = repo.spec
    return {
        "platform": platform.platform_name,
        "gitops_repo_url": platform.repo_url,
        "gitops_revision": platform.target_revision,
        "domain": platform.ingress_domain(),
        "service_ports": _service_ports(repo),
        "platform_monitoring": platform.monitoring,
        "platform_profile": platform.default_profile,
        "ingress_certificate_arn": platform.aws_certificate_arn,
        "platform_vpc_cidr": platform.aws_vpc_cidr,
    }


def _service_ports(repo: PlatformRepo) -> dict[str, int]:
    if repo.spec.default_profile == "aws":
        return {service.name: service.aws_port for service in catalog.SERVICES.values()}
    ports: dict[str, int] = {service.name: service.port for service in catalog.SERVICES.values()}
    for name, service in repo.services.services.items():
        ports[name] = service.port
    return ports
