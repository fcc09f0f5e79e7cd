"""Each finding class of `comind validate`: plant exactly that fault in the fixture platform, expect it named."""

from __future__ import annotations

from pathlib import Path

import pytest

from comind_scaffold.models import Status
from comind_scaffold.validation.run import validate
from tests.helpers_validate import (
    FIXTURE_PLATFORM,
    assert_fault_named,
    copy_fixture,
    edit,
    failures,
    validate_with_edits,
)

API = "apps/api"
DEV_APP = f"{API}/argocd/dev.yaml"
PROD_APP = f"{API}/argocd/prod.yaml"
API_DEPLOYMENT = f"{API}/k8s/base/deployment.yaml"
API_BASE = f"{API}/k8s/base/kustomization.yaml"
API_PROD = f"{API}/k8s/overlays/prod/kustomization.yaml"
SITE_PROD = "apps/site/k8s/overlays/prod/kustomization.yaml"
CORE_PROJECT = "k8s/kustomize/projects/core.yaml"

# id: ([(file, old, new)], check name, text the result's object must contain, text its message must contain)
EDITS = {
    "overlay-does-not-build": (
        [(API_PROD, "  - ../../base\n", "  - ../../base\n  - missing.yaml\n")],
        "kustomize.build",
        "apps/api/k8s/overlays/prod",
        "missing.yaml",
    ),
    "unknown-field": (
        [(API_DEPLOYMENT, "          ports:\n", "          imagePullPolicyy: Always\n          ports:\n")],
        "schema",
        "Deployment api-dev/api",
        "unknown field 'imagePullPolicyy'",
    ),
    "wrong-type": (
        [(API_DEPLOYMENT, "replicas: 1", "replicas: two")],
        "schema",
        "Deployment api-prod/api",
        "expected integer",
    ),
    "argocd-unknown-field": (
        [(DEV_APP, "selfHeal: true", "selfheal: true")],
        "schema",
        "Application argocd/api-dev",
        "unknown field 'selfheal'",
    ),
    "rendered-database-clash": (
        [
            (
                SITE_PROD,
                "      - S3_BUCKET=tiny-site-prod\n",
                "      - S3_BUCKET=tiny-site-prod\n      - DATABASE_NAME=api_prod\n",
            )
        ],
        "unique.database",
        "api_prod",
        "claimed by api, site",
    ),
    "rendered-queue-clash": (
        [
            (
                SITE_PROD,
                "      - S3_BUCKET=tiny-site-prod\n",
                "      - S3_BUCKET=tiny-site-prod\n      - QUEUE_NAME=api-dev\n",
            )
        ],
        "unique.queue",
        "api-dev",
        "claimed by api, site",
    ),
    "rendered-bucket-clash": (
        [(API_PROD, "      - APP_ENV=prod\n", "      - APP_ENV=prod\n      - S3_BUCKET=tiny-site-prod\n")],
        "unique.bucket",
        "tiny-site-prod",
        "claimed by api, site",
    ),
    "ingress-host-clash": (
        [(SITE_PROD, "value: site.prod.127.0.0.1.nip.io", "value: api.prod.127.0.0.1.nip.io")],
        "unique.ingress-host",
        "api.prod.127.0.0.1.nip.io",
        "claimed by api, site",
    ),
    "object-outside-app-namespace": (
        [
            (API_PROD, "namespace: api-prod\n", ""),
            (f"{API}/k8s/base/service.yaml", "  name: api\n", "  name: api\n  namespace: site-prod\n"),
        ],
        "namespace",
        "Service site-prod/api",
        "not api-prod",
    ),
    "source-path-missing": (
        [(DEV_APP, "path: apps/api/k8s/overlays/dev", "path: apps/api/k8s/overlays/qa")],
        "argocd.source",
        "Application argocd/api-dev",
        "apps/api/k8s/overlays/qa does not exist",
    ),
    "destination-not-app-namespace": (
        [(DEV_APP, "  namespace: api-dev\n", "  namespace: site-dev\n")],
        "argocd.destination",
        "Application argocd/api-dev",
        "not the app's namespace api-dev",
    ),
    "project-not-team": (
        [(DEV_APP, "project: core", "project: web")],
        "argocd.project",
        "Application argocd/api-dev",
        "not team core",
    ),
    "project-lacks-namespace": (
        [(CORE_PROJECT, "    - server: https://kubernetes.default.svc\n      namespace: api-prod\n", "")],
        "argocd.project",
        "Application argocd/api-prod",
        "does not allow destination namespace api-prod",
    ),
    "source-repos-star": (
        [(CORE_PROJECT, "    - https://git.example.com/tiny/platform", '    - "*"')],
        "argocd.least-privilege",
        "AppProject argocd/core",
        "sourceRepos allows '*'",
    ),
    "destination-star": (
        [(CORE_PROJECT, "namespace: api-prod", 'namespace: "*"')],
        "argocd.least-privilege",
        "AppProject argocd/core",
        "any namespace",
    ),
    "cluster-whitelist-star": (
        [(CORE_PROJECT, '    - group: ""\n      kind: Namespace', '    - group: "*"\n      kind: "*"')],
        "argocd.least-privilege",
        "AppProject argocd/core",
        "clusterResourceWhitelist allows '*'",
    ),
    "latest-image-in-prod": (
        [(API_PROD, 'newTag: "1.0.0"', "newTag: latest")],
        "image.tag",
        "Deployment api-prod/api container api",
        "uses the tag 'latest'",
    ),
    "untagged-image-in-prod": (
        [
            (API_PROD, '    newTag: "1.0.0"\n', ""),
            (API_DEPLOYMENT, "image: ghcr.io/tiny/api:1.0.0", "image: ghcr.io/tiny/api"),
        ],
        "image.tag",
        "Deployment api-prod/api container api",
        "has no tag",
    ),
    "no-limits": (
        [(API_DEPLOYMENT, "            limits: {cpu: 500m, memory: 256Mi}\n", "")],
        "container.resources",
        "Deployment api-dev/api container api",
        "limits.cpu",
    ),
    "no-liveness-probe": (
        [(API_DEPLOYMENT, "          livenessProbe:\n            httpGet: {path: /, port: http}\n", "")],
        "container.probes",
        "Deployment api-prod/api container api",
        "no livenessProbe",
    ),
    "no-default-deny": (
        [(API_BASE, "  - networkpolicy.yaml\n", "")],
        "networkpolicy.default-deny",
        "namespace api-dev",
        "no default-deny NetworkPolicy",
    ),
    "no-pod-security-label": (
        [(PROD_APP, "        pod-security.kubernetes.io/enforce: restricted\n", "        team: core\n")],
        "pod-security",
        "namespace api-prod",
        "no pod-security.kubernetes.io/enforce label",
    ),
    "privileged-pod-security": (
        [(PROD_APP, "enforce: restricted", "enforce: privileged")],
        "pod-security",
        "namespace api-prod",
        "'privileged'",
    ),
    "broken-answers": (
        [(f"{API}/.copier-answers.yml", "port: 8080", "port: eighty")],
        "answers",
        "apps/api/.copier-answers.yml",
        "port",
    ),
    "broken-yaml": (
        [(f"{API}/argocd/dev.yaml", "  project: core\n", "  project: [core\n")],
        "yaml.syntax",
        "apps/api/argocd/dev.yaml",
        "line ",
    ),
}


@pytest.mark.parametrize("case", sorted(EDITS))
def test_planted_fault_is_named(tmp_path: Path, case: str) -> None:
    edits, check, obj, message = EDITS[case]
    assert_fault_named(validate_with_edits(tmp_path / "repo", edits), check, obj, message)


def test_missing_overlay_is_named(tmp_path: Path) -> None:
    repo = copy_fixture(tmp_path / "repo", {SITE_PROD: None})

    report = validate(repo)

    [missing] = failures(report.results, "kustomize.overlay")
    assert missing.object == "apps/site/k8s/overlays/prod"
    assert "declares environment prod" in missing.message


def test_source_path_that_does_not_build(tmp_path: Path) -> None:
    repo = copy_fixture(tmp_path / "repo", {f"{API}/k8s/broken/kustomization.yaml": "resources: [nothing-here.yaml]\n"})
    edit(repo, DEV_APP, "path: apps/api/k8s/overlays/dev", "path: apps/api/k8s/broken")

    report = validate(repo)

    found = [r for r in failures(report.results, "argocd.source") if "does not build" in r.message]
    assert [r.object for r in found] == ["Application argocd/api-dev (apps/api/argocd/dev.yaml)"]
    assert "nothing-here.yaml" in found[0].message


def test_project_missing_from_projects_folder(tmp_path: Path) -> None:
    repo = copy_fixture(tmp_path / "repo", {CORE_PROJECT: None})
    edit(repo, "k8s/kustomize/kustomization.yaml", "  - projects/core.yaml\n", "")

    report = validate(repo)

    found = [r for r in failures(report.results, "argocd.project") if "not in k8s/kustomize/projects" in r.message]
    assert sorted(r.object.split(" (")[0] for r in found) == [
        "Application argocd/api-dev",
        "Application argocd/api-prod",
    ]


def test_duplicate_app_answers(tmp_path: Path) -> None:
    answers = (FIXTURE_PLATFORM / API / ".copier-answers.yml").read_text()
    copy = {"apps/api-copy/.copier-answers.yml": answers}
    for env in ("dev", "prod"):
        copy[f"apps/api-copy/k8s/overlays/{env}/kustomization.yaml"] = (
            f"resources: [../../../../{API}/k8s/overlays/{env}]\n"
        )
    repo = copy_fixture(tmp_path / "repo", copy)

    report = validate(repo)

    [dup] = failures(report.results, "unique.app")
    assert dup.object == "api" and "2 answers files" in dup.message


def test_latest_image_allowed_in_dev(tmp_path: Path) -> None:
    repo = copy_fixture(tmp_path / "repo")
    edit(repo, f"{API}/k8s/overlays/dev/kustomization.yaml", 'newTag: "1.0.0"', "newTag: latest")

    report = validate(repo)

    assert report.ok, [r.line() for r in report.failures]


def test_schemas_follow_the_platforms_kubernetes_version(tmp_path: Path) -> None:
    repo = copy_fixture(tmp_path / "repo")
    edit(repo, ".copier-answers.yml", "kubernetes_version: 1.34.2", "kubernetes_version: 1.30.4")

    report = validate(repo)

    assert report.kubernetes_version == "1.30"
    assert any("Kubernetes 1.30" in r.message for r in report.results if r.name == "schema")


def test_applicationset_without_template(tmp_path: Path) -> None:
    appset = (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: previews, namespace: argocd}\n"
        "spec:\n  generators: [{list: {elements: []}}]\n"
    )
    repo = copy_fixture(tmp_path / "repo", {"k8s/appsets/previews.yaml": appset})

    report = validate(repo)

    [found] = failures(report.results, "schema")
    assert found.object == "ApplicationSet argocd/previews (k8s/appsets/previews.yaml)"
    assert found.message == "spec: missing required field 'template'"


def test_file_no_kustomization_reads_is_flagged_and_still_checked(tmp_path: Path) -> None:
    stray = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stray}\ndata: {size: 3}\n"
    repo = copy_fixture(tmp_path / "repo", {"apps/api/k8s/base/stray.yaml": stray})

    report = validate(repo)

    [warning] = [r for r in report.results if r.name == "kustomize.unreferenced"]
    assert warning.status is Status.WARN and warning.object == "apps/api/k8s/base/stray.yaml"
    [invalid] = failures(report.results, "schema")
    assert invalid.object == "ConfigMap stray (apps/api/k8s/base/stray.yaml)"
    assert invalid.message == "data.size: expected string or null, got integer"
