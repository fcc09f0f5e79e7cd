"""Shared helpers of the Terraform and bootstrap tests: render the HCL templates, build the provider mirror."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import yaml

from comind_scaffold import service_catalog as catalog
from comind_scaffold._terraform import mirror_cli_config
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.services.credentials import (
    LocalCredentials,
    MinioCredentials,
    PostgresCredentials,
    QueueCredentials,
    save_credentials,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
PLATFORM_TERRAFORM = REPO_ROOT / "templates" / "platform" / "infra" / "terraform"
APP_TERRAFORM = REPO_ROOT / "templates" / "app" / "terraform"
BUILD_PROVIDERS = REPO_ROOT / "tests" / "testbin" / "build-providers.sh"

PLATFORM_ANSWERS: dict[str, Any] = {
    "platform_name": "comind-ops",
    "repo_url": "https://github.com/comind-pro/comind-ops",
    "target_revision": "main",
    "environments": ["dev", "stage", "prod"],
    "teams": ["platform", "backend"],
    "kubernetes_version": "1.34.2",
    "local_domain": "127.0.0.1.nip.io",
    "aws_domain": "comind.pro",
    "aws_region": "us-west-2",
    "aws_certificate_arn": "",
    "aws_vpc_cidr": "10.40.0.0/16",
    "k3d_servers": 1,
    "k3d_agents": 2,
    "eks_node_groups": [{"name": "default", "instance_type": "t3.medium", "min_size": 1, "max_size": 4,
                         "desired_size": 2}],
    "argocd_chart_version": "9.1.3",
    **{f"{service.answer}_port": service.port for service in catalog.SERVICES.values()},
}


def app_answers(name: str = "shop", **overrides: Any) -> dict[str, Any]:
    """App answers as the app template records them."""
    answers: dict[str, Any] = {
        "app_name": name, "team": "backend", "platform": "comind-ops", "environments": ["dev", "prod"],
        "with_database": True, "with_storage": True, "with_queue": True, "with_cache": False,
    }
    answers.update(overrides)
    return answers


def _render_tree(source: Path, dest: Path, answers: dict[str, Any]) -> None:
    """Copy `source` to `dest`, rendering `*.jinja` files with `answers` (Copier's suffix rule)."""
    # Loaded from the repository root as Copier loads them, so `{% from "templates/platform/~…" %}` resolves.
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False,
                             loader=jinja2.FileSystemLoader(REPO_ROOT))
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        relative = path.relative_to(source)
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".jinja":
            target = target.with_suffix("")
            target.write_text(env.from_string(path.read_text()).render(**answers))
        else:
            shutil.copyfile(path, target)


def render_platform_terraform(root: Path, **overrides: Any) -> Path:
    """Render templates/platform/infra/terraform into `root/infra/terraform`; returns that folder."""
    dest = root / "infra" / "terraform"
    _render_tree(PLATFORM_TERRAFORM, dest, {**PLATFORM_ANSWERS, **overrides})
    return dest


def render_app_terraform(root: Path, answers: dict[str, Any]) -> Path:
    """Render templates/app/terraform into `root/apps/<app>/terraform`; returns that folder."""
    dest = root / "apps" / answers["app_name"] / "terraform"
    _render_tree(APP_TERRAFORM, dest, answers)
    return dest


def ensure_provider_mirror() -> tuple[Path | None, str]:
    """Build (or reuse) the provider mirror; returns the CLI config, or None and the reason it failed."""
    env = {**os.environ, "VPY": os.environ.get("VPY", sys.executable)}
    done = subprocess.run(["bash", str(BUILD_PROVIDERS)], capture_output=True, text=True, timeout=1800, check=False,
                          env=env)
    if done.returncode != 0 or not mirror_cli_config().is_file():
        return None, f"build-providers.sh failed: {(done.stderr or done.stdout).strip()[-400:]}"
    return mirror_cli_config(), ""


def write_platform(root: Path, stack: Any, app: dict[str, Any]) -> PlatformRepo:
    """A platform repository on disk whose services.yaml and credentials point at the test stack."""
    (root / ".copier-answers.yml").write_text(yaml.safe_dump({**PLATFORM_ANSWERS, "template": "platform"}))
    services = {
        "platform": PLATFORM_ANSWERS["platform_name"],
        "bind_address": "127.0.0.1",
        "network_mode": "host",
        "services": {
            "postgresql": {"image": "postgres", "version": "15", "port": stack.postgres.port},
            "minio": {"image": "minio", "version": "test", "port": stack.s3.port},
            "redis": {"image": "redis", "version": "7", "port": stack.redis.port},
            "elasticmq": {"image": "elasticmq", "version": "1.7.1", "port": stack.elasticmq.port},
        },
    }
    services_file = root / "infra" / "docker" / "registry" / "services.yaml"
    services_file.parent.mkdir(parents=True)
    services_file.write_text(yaml.safe_dump(services))
    pg, s3, mq = stack.postgres.credentials, stack.s3.credentials, stack.elasticmq.credentials
    save_credentials(root / ".comind" / "local-credentials.yaml", LocalCredentials(
        postgresql=PostgresCredentials(username=pg["username"], password=pg["password"], database=pg["database"]),
        minio=MinioCredentials(access_key=s3["access_key"], secret_key=s3["secret_key"], region=s3["region"]),
        elasticmq=QueueCredentials(access_key=mq["access_key"], secret_key=mq["secret_key"], region=mq["region"]),
    ))
    (root / "apps" / app["app_name"]).mkdir(parents=True)
    (root / "apps" / app["app_name"] / ".copier-answers.yml").write_text(yaml.safe_dump({**app, "template": "app"}))
    render_platform_terraform(root)
    render_app_terraform(root, app)
    return PlatformRepo(root)
