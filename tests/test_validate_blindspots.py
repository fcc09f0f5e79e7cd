"""What `comind validate` used to let through (issue 12): conflict markers, credentials inside URLs, glob
AppProjects, unnamed kustomize files, repository URLs spelt differently, services sharing a port."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from comind_scaffold._kustomize import Kustomizer
from comind_scaffold.checks.gitops import check_project_least_privilege
from comind_scaffold.checks.resources import AppProject
from comind_scaffold.repo_urls import normalise_repo_url
from tests.helpers_validate import FIXTURE_PLATFORM, assert_fault_named, build_file_tree, validate_with_edits
from tests.test_validate_kustomize import commands

API = "apps/api"
DEV_APP = f"{API}/argocd/dev.yaml"
API_PROD = f"{API}/k8s/overlays/prod/kustomization.yaml"
CORE_PROJECT = "k8s/kustomize/projects/core.yaml"
ANSWERS = ".copier-answers.yml"
SERVICES = "infra/docker/registry/services.yaml"
PLATFORM_REPO = "https://git.example.com/tiny/platform"
IN_CLUSTER = "https://kubernetes.default.svc"
GENERATOR_LITERALS = "      - APP_ENV=prod\n"

# id: ([(file, old, new)], check name, text the result's object must contain, text its message must contain)
EDITS = {
    "conflict-markers": (
        [(DEV_APP, "  project: core\n", "<<<<<<< ours\n  project: core\n=======\n  project: web\n>>>>>>> theirs\n")],
        "yaml.syntax",
        DEV_APP,
        "line 11: merge conflict marker <<<<<<<",
    ),
    "password-in-generator-url": (
        [(API_PROD, GENERATOR_LITERALS, GENERATOR_LITERALS + "      - DATABASE_URL=postgres://api:s3cret@db/api\n")],
        "secrets.url-credential",
        f"{API_PROD}:23",
        "literal password",
    ),
    "password-in-any-url-value": (
        [(DEV_APP, "targetRevision: main\n", "targetRevision: main\n    # https://bot:hunter2@git.example.com\n")],
        "secrets.url-credential",
        f"{DEV_APP}:15",
        "literal password",
    ),
    "password-without-user": (
        [(API_PROD, GENERATOR_LITERALS, f"{GENERATOR_LITERALS}      - REDIS_URL=redis://:s3cret@cache:6379/0\n")],
        "secrets.url-credential",
        f"{API_PROD}:23",
        "literal password",
    ),
    "source-repos-host-glob": (
        [(CORE_PROJECT, f"    - {PLATFORM_REPO}", '    - "https://github.com/*"')],
        "argocd.least-privilege",
        "AppProject argocd/core",
        "sourceRepos allows 'https://github.com/*'",
    ),
    "destination-namespace-glob": (
        [(CORE_PROJECT, "namespace: api-prod", 'namespace: "api-*"')],
        "argocd.least-privilege",
        "AppProject argocd/core",
        "namespace 'api-*'",
    ),
    "destination-server-glob": (
        [(CORE_PROJECT, f"{IN_CLUSTER}\n      namespace: api-prod", "https://*\n      namespace: api-prod")],
        "argocd.least-privilege",
        "AppProject argocd/core",
        "server 'https://*'",
    ),
    "missing-patch-file": (
        [(API_PROD, "patches:\n", "patches:\n  - path: missing-patch.yaml\n")],
        "kustomize.build",
        "apps/api/k8s/overlays/prod",
        "missing-patch.yaml",
    ),
    "repo-url-with-dot-git": (
        [
            (ANSWERS, f"repo_url: {PLATFORM_REPO}", f"repo_url: {PLATFORM_REPO}.git"),
            (DEV_APP, "path: apps/api/k8s/overlays/dev", "path: apps/api/k8s/overlays/qa"),
        ],
        "argocd.source",
        "Application argocd/api-dev",
        "apps/api/k8s/overlays/qa does not exist",
    ),
    "repo-url-host-case-and-slash": (
        [
            (DEV_APP, f"repoURL: {PLATFORM_REPO}", "repoURL: https://Git.Example.COM/tiny/platform/"),
            (DEV_APP, "path: apps/api/k8s/overlays/dev", "path: apps/api/k8s/overlays/qa"),
        ],
        "argocd.source",
        "Application argocd/api-dev",
        "apps/api/k8s/overlays/qa does not exist",
    ),
    "two-services-one-port": (
        [(SERVICES, "port: 5432", "port: 9324")],
        "services.ports",
        SERVICES,
        "port 9324 is used by postgresql port and elasticmq port",
    ),
    "service-on-another-ui-port": (
        [(SERVICES, "port: 5432", "port: 9325")],
        "services.ports",
        SERVICES,
        "port 9325 is used by postgresql port and elasticmq ui_port",
    ),
}


@pytest.mark.parametrize("case", sorted(EDITS))
def test_planted_fault_is_named(tmp_path: Path, case: str) -> None:
    edits, check, obj, message = EDITS[case]
    assert_fault_named(validate_with_edits(tmp_path / "repo", edits), check, obj, message)


# Each is allowed: nothing of the rule it is next to fires.
ALLOWED = {
    "url-password-from-env": (
        [(API_PROD, GENERATOR_LITERALS, f"{GENERATOR_LITERALS}      - DATABASE_URL=postgres://api:$(DB_PW)@db/api\n")],
        "secrets",
    ),
    "url-without-password": (
        [(API_PROD, GENERATOR_LITERALS, GENERATOR_LITERALS + "      - DATABASE_URL=postgres://api@db/api\n")],
        "secrets",
    ),
    "negated-source-repo": (
        [(CORE_PROJECT, f"    - {PLATFORM_REPO}\n", f"    - {PLATFORM_REPO}\n    - '!https://github.com/*'\n")],
        "argocd.least-privilege",
    ),
    "application-repo-url-with-dot-git": (
        [(DEV_APP, f"repoURL: {PLATFORM_REPO}", f"repoURL: {PLATFORM_REPO}.git")],
        "argocd.",
    ),
}


@pytest.mark.parametrize("case", sorted(ALLOWED))
def test_allowed_spelling_passes(tmp_path: Path, case: str) -> None:
    edits, prefix = ALLOWED[case]
    report = validate_with_edits(tmp_path / "repo", edits)
    related = [r for r in report.results if r.name.startswith(prefix)]
    assert related and not [r.line() for r in related if not r.ok and r.status.value != "skip"]
    assert not [r.line() for r in related if r.status.value == "skip"], "a path check was skipped"


@pytest.mark.parametrize("command", commands(), ids=lambda cmd: Path(cmd[0]).name)
def test_kustomize_error_names_the_missing_patch_without_klog_prefix(tmp_path: Path, command: list[str]) -> None:
    folder = build_file_tree(
        tmp_path,
        {"app/kustomization.yaml": "resources: [cm.yaml]\npatches:\n  - path: gone.yaml\n",
         "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"},
    ) / "app"
    with Kustomizer(command) as kustomizer:
        error = kustomizer.build(folder).error
    assert error is not None and "gone.yaml" in error, error
    assert not re.match(r"[EF]\d{4} ", error) and "run.go" not in error, error


SPELLINGS = [
    "https://github.com/Comind-Pro/comind-ops",
    "https://github.com/comind-pro/comind-ops.git",
    "https://GitHub.com/comind-pro/comind-ops/",
    "  https://github.com/comind-pro/comind-ops.git/ ",
    "gh:comind-pro/comind-ops",
]


def test_every_spelling_of_one_repository_normalises_alike() -> None:
    assert {normalise_repo_url(url) for url in SPELLINGS} == {"https://github.com/comind-pro/comind-ops"}
    scp_like = normalise_repo_url("git@github.com:comind-pro/comind-ops.git")
    assert scp_like == "ssh://git@github.com/comind-pro/comind-ops"
    assert normalise_repo_url("https://github.com/comind-pro/other") != normalise_repo_url(SPELLINGS[0])


def test_the_gitops_layer_holds_live_projects_to_the_same_rule() -> None:
    project = yaml.safe_load((FIXTURE_PLATFORM / CORE_PROJECT).read_text())
    project["spec"]["sourceRepos"] = ["https://github.com/*"]
    project["spec"]["destinations"][0]["namespace"] = "api-*"
    verdict = check_project_least_privilege(AppProject(project))
    assert not verdict.ok
    assert "sourceRepos allows 'https://github.com/*'" in verdict.message
    assert "namespace 'api-*'" in verdict.message


def test_an_app_name_the_naming_rule_refuses_is_named(tmp_path: Path) -> None:
    report = validate_with_edits(tmp_path / "repo", [(f"{API}/.copier-answers.yml", "app_name: api", "app_name: 'on'")])
    assert_fault_named(report, "answers", "app 'on'", "app_name: 'on' reads as a YAML boolean or null")


def test_an_app_whose_bucket_name_would_not_fit_is_named(tmp_path: Path) -> None:
    long_name = "s" * 55  # tiny-sss…-dev: 64 characters
    rename = ("apps/site/.copier-answers.yml", "app_name: site", f"app_name: {long_name}")
    report = validate_with_edits(tmp_path / "repo", [rename])
    assert_fault_named(report, "answers", f"app '{long_name}'", f"the bucket 'tiny-{long_name}-dev', 64 characters")
