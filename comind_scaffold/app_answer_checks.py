"""The checks a new app's answers must pass before anything is written.

The rules are those of the template's validators (templates/app/copier-questions.yml) plus what only the whole
repository can tell: names taken by other apps, and the platform's teams, environments and services.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from comind_scaffold import service_catalog as catalog
from comind_scaffold.app_answers import BOOLEAN_QUESTIONS, DEFAULT_IMAGE, INTEGER_QUESTIONS, TEXT_QUESTIONS
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.naming import check_app_name, check_bucket_names, check_dns_label
from comind_scaffold.quota import memory_bytes, millicores
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.specs import AppSpec

SERVICE_OF_FLAG = {flag: service.name for flag, service in catalog.BY_APP_FLAG.items()}
_IMAGE = re.compile(r"[a-z0-9]([-a-z0-9._/]*[a-z0-9])?(:[0-9]+/[-a-z0-9._/]*[a-z0-9])?")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


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


def _check_types(answers: Mapping[str, Any]) -> None:
    for key in BOOLEAN_QUESTIONS:
        if not isinstance(answers[key], bool):
            raise InputError(key, f"{answers[key]!r} must be true or false")
    for key in INTEGER_QUESTIONS:
        if not isinstance(answers[key], int) or isinstance(answers[key], bool):
            raise InputError(key, f"{answers[key]!r} must be a whole number")
    for key in TEXT_QUESTIONS:
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
