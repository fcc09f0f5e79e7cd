"""The answers of a new app, built from the CLI's options and checked against the platform before anything is written.

The rules are those of the template's validators (templates/app/copier-questions.yml) plus what only the whole
repository can tell: names taken by other apps, and the platform's teams, environments and services.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

from comind_scaffold import service_catalog as catalog
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.naming import check_app_name, check_bucket_names, check_dns_label
from comind_scaffold.quota import memory_bytes, millicores
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.specs import AppSpec

DEFAULT_IMAGE = "nginxinc/nginx-unprivileged"
DEFAULT_IMAGE_TAG = "1.27-alpine"
SERVICE_OF_FLAG = {flag: service.name for flag, service in catalog.BY_APP_FLAG.items()}
_IMAGE = re.compile(r"[a-z0-9]([-a-z0-9._/]*[a-z0-9])?(:[0-9]+/[-a-z0-9._/]*[a-z0-9])?")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_ANSWER_FIELDS = frozenset(AppSpec.model_fields) - {"src_path", "commit"} | {
    "platform",
    "gitops_repo_url",
    "gitops_revision",
    "domain",
    "service_ports",
}


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
        if key in _BOOLEANS:
            if value.lower() not in _TRUE | _FALSE:
                raise InputError(key, f"{value!r} must be true or false")
            typed[key] = value.lower() in _TRUE
        elif key in _INTEGERS:
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


def check_app_answers(repo: PlatformRepo, answers: Mapping[str, Any], *, explicit_port: bool) -> None:
    """Raise InputError for the first answer the template or the platform would reject.

    Raises:
        InputError: Names the field and the rule.

    """
    _check_types(answers)
    platform = repo.spec
    name, environments = answers["app_name"], answers["environments"]
    if not environments:
        raise InputError("env", "must name at least one environment")
    for env in environments:
        if env not in platform.environments:
            raise InputError(
                "env", f"{env!r} is not an environment of the platform ({', '.join(platform.environments)})"
            )
    if len(set(environments)) != len(environments):
        raise InputError("env", "lists an environment twice")
    check_app_name(name, environments)
    if repo.app_dir(name).exists():
        raise InputError("name", f"{name!r} is taken (apps/{name} exists)")
    if answers["team"] not in platform.teams:
        raise InputError("team", f"{answers['team']!r} is not a team of the platform ({', '.join(platform.teams)})")
    _check_runtime(answers)
    _check_services(repo, answers)
    spec = AppSpec.model_validate(answers)
    if spec.with_storage:
        check_bucket_names(name, [spec.bucket(platform.platform_name, env) for env in environments])
    _check_collisions(repo, spec, explicit_port=explicit_port)


_BOOLEANS = (*catalog.APP_FLAGS, "ingress", "autoscaling")
_INTEGERS = ("port", "max_replicas", "sync_wave")
_STRINGS = (
    "description",
    "health_path",
    "image",
    "image_tag",
    "cpu_request",
    "cpu_limit",
    "memory_request",
    "memory_limit",
)


def _check_types(answers: Mapping[str, Any]) -> None:
    for key in _BOOLEANS:
        if not isinstance(answers[key], bool):
            raise InputError(key, f"{answers[key]!r} must be true or false")
    for key in _INTEGERS:
        if not isinstance(answers[key], int) or isinstance(answers[key], bool):
            raise InputError(key, f"{answers[key]!r} must be a whole number")
    for key in _STRINGS:
        if not isinstance(answers[key], str):
            raise InputError(key, f"{answers[key]!r} must be text")
    if not all(isinstance(env, str) for env in answers["environments"]):
        raise InputError("env", "must be a list of environment names")


def _check_runtime(answers: Mapping[str, Any]) -> None:
    port = answers["port"]
    if not 1024 <= port <= 65535:
        raise InputError("port", f"{port} must be 1024-65535 (unprivileged: the container runs as non-root)")
    if not str(answers["health_path"]).startswith("/") or " " in answers["health_path"]:
        raise InputError("health_path", f"{answers['health_path']!r} must be an absolute URL path without spaces")
    if answers["image"] == DEFAULT_IMAGE and port != 8080:
        raise InputError("image", f"the default image listens on 8080 only; with port {port} give an image of your own")
    if not _IMAGE.fullmatch(answers["image"]):
        raise InputError("image", f"{answers['image']!r} must be an image name without tag; put the tag in image_tag")
    tag = answers["image_tag"]
    if not _TAG.fullmatch(tag):
        raise InputError("image_tag", f"{tag!r} must be a Docker tag (letters, digits, '_', '.', '-'; at most 128)")
    beyond_dev = [env for env in answers["environments"] if env != "dev"]
    if tag == "latest" and beyond_dev:
        raise InputError("image_tag", f"'latest' is not allowed outside dev ({', '.join(beyond_dev)}); pin a version")
    for env, count in answers["replicas"].items():
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise InputError("replicas", f"{env} must be a whole number of at least 1 (got {count})")
    if millicores("cpu_limit", answers["cpu_limit"]) < millicores("cpu_request", answers["cpu_request"]):
        raise InputError("cpu_limit", f"{answers['cpu_limit']} is below cpu_request {answers['cpu_request']}")
    if memory_bytes("memory_limit", answers["memory_limit"]) < memory_bytes(
        "memory_request", answers["memory_request"]
    ):
        raise InputError(
            "memory_limit", f"{answers['memory_limit']} is below memory_request {answers['memory_request']}"
        )
    if answers["autoscaling"] and not max(answers["replicas"].values()) <= answers["max_replicas"] <= 100:
        raise InputError("max_replicas", f"{answers['max_replicas']} must be between the largest replica count and 100")
    if not 0 <= answers["sync_wave"] <= 100:
        raise InputError("sync_wave", f"{answers['sync_wave']} must be 0-100")
    check_dns_label("team", answers["team"])


def _check_services(repo: PlatformRepo, answers: Mapping[str, Any]) -> None:
    wanted = [flag for flag in SERVICE_OF_FLAG if answers[flag]]
    if not wanted:
        return
    try:
        enabled = repo.services.enabled()
    except TemplateError as err:
        raise TemplateError(f"{err.message}; needed to check {', '.join(wanted)}") from err
    for flag in wanted:
        service = SERVICE_OF_FLAG[flag]
        if service not in enabled:
            raise InputError(
                flag,
                f"needs {service} enabled in infra/docker/registry/services.yaml (it is not; enable it in the "
                "platform's answers and run comind update --platform)",
            )


def _claimed(app: AppSpec, platform: str, domain: str) -> dict[str, set[str]]:
    """Every name an app takes, by kind."""
    envs = app.environments
    return {
        "namespace": {app.namespace(env) for env in envs},
        "database": {app.database(env) for env in envs},
        "bucket": {app.bucket(platform, env) for env in envs},
        "queue": {app.queue(env) for env in envs},
        "ingress host": {app.host(env, domain) for env in envs},
    }


def _check_collisions(repo: PlatformRepo, new: AppSpec, *, explicit_port: bool) -> None:
    platform, domain = repo.spec.platform_name, repo.spec.ingress_domain()
    mine = _claimed(new, platform, domain)
    for other in repo.apps:
        for what, taken in _claimed(other, platform, domain).items():
            clash = sorted(mine[what] & taken)
            if clash:
                raise InputError("name", f"{what} {clash[0]!r} is already used by app {other.app_name!r}")
        if explicit_port and other.port == new.port:
            raise InputError("port", f"{new.port} is already used by app {other.app_name!r}; pick a free port")
