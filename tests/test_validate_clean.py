"""Clean input validates clean: the fixture platform, this repository, and a platform rendered by the templates."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from comind_scaffold.models import Status
from comind_scaffold.validation.run import ALL_CHECKS, validate
from comind_scaffold.validation.scan import scan
from tests.components.kube import argocd_crds_dir
from tests.components.require import skip_or_fail
from tests.helpers_scaffold import commit_all, make_platform, make_template_repo
from tests.helpers_validate import FIXTURE_PLATFORM, REPO_ROOT, failures


@pytest.fixture(scope="module")
def argocd_crds(request: pytest.FixtureRequest) -> Path:
    crds = argocd_crds_dir()
    if not crds.is_dir():
        skip_or_fail(f"Argo CD CRDs not found at {crds} (set COMIND_ARGOCD_CRDS)", request.config)
    return crds


@pytest.fixture(scope="module")
def rendered_platform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A platform from `comind init` with two apps from `comind new-app`, as a user would make it."""
    from comind_scaffold.scaffold import new_app

    where = tmp_path_factory.mktemp("rendered")
    template = make_template_repo(where / "template")
    platform = make_platform(template, where / "platform")
    new_app(
        "shop",
        "payments",
        platform_dir=platform,
        options={
            "with_database": True,
            "with_queue": True,
            "with_storage": True,
            "image": "ghcr.io/acme/shop",
            "image_tag": "1.2.3",
        },
    )
    commit_all(platform, "shop")
    new_app(
        "blog",
        "web",
        platform_dir=platform,
        options={
            "with_database": True,
            "image": "ghcr.io/acme/blog",
            "image_tag": "2.0.0",
            "environments": ["dev", "prod"],
        },
    )
    commit_all(platform, "blog")
    return platform


def test_fixture_platform_is_clean() -> None:
    report = validate(FIXTURE_PLATFORM)

    assert report.ok, [r.line() for r in report.failures]
    assert [r for r in report.results if r.status is Status.SKIP] == []
    assert report.builds == 5 and report.objects == 26
    assert report.argocd_schemas == "built-in"


def test_fixture_platform_is_clean_against_the_real_crds(argocd_crds: Path) -> None:
    report = validate(FIXTURE_PLATFORM, argocd_crds=argocd_crds)

    assert report.ok, [r.line() for r in report.failures]
    assert report.argocd_schemas == f"CRDs in {argocd_crds}"


def test_crds_come_from_the_environment(argocd_crds: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMIND_ARGOCD_CRDS", str(argocd_crds))

    assert validate(FIXTURE_PLATFORM).argocd_schemas == f"CRDs in {argocd_crds}"


def test_this_repositorys_platform_is_clean(argocd_crds: Path, tmp_path: Path) -> None:
    """The platform files this repository renders for itself (its tests hold broken fixtures on purpose)."""
    for part in (".copier-answers.yml", "apps", "infra", "k8s"):
        source = REPO_ROOT / part
        if source.is_dir():
            shutil.copytree(source, tmp_path / part)
        else:
            shutil.copy2(source, tmp_path / part)

    report = validate(tmp_path, argocd_crds=argocd_crds)

    assert report.ok, [r.line() for r in report.failures]


@pytest.mark.slow
def test_rendered_platform_with_apps_is_clean(rendered_platform: Path, argocd_crds: Path) -> None:
    report = validate(rendered_platform, argocd_crds=argocd_crds)

    assert report.ok, [r.line() for r in report.failures]
    built = {r.object for r in report.results if r.name == "kustomize.build"}
    assert {"apps/shop/k8s/overlays/prod", "apps/blog/k8s/overlays/dev"} <= built
    assert "apps/blog/k8s/overlays/stage" not in built


@pytest.mark.slow
def test_rendered_platform_catches_a_hand_edit(rendered_platform: Path, tmp_path: Path) -> None:
    copy = tmp_path / "platform"
    shutil.copytree(rendered_platform, copy)
    deployment = copy / "apps/shop/k8s/base/deployment.yaml"
    deployment.write_text(deployment.read_text().replace("readinessProbe:", "readinessProbe_:"))

    report = validate(copy)

    found = failures(report.results, "schema")
    assert {r.object.split(" (")[0] for r in found} == {
        f"Deployment shop-{env}/shop" for env in ("dev", "stage", "prod")
    }
    assert all("unknown field 'readinessProbe_'" in r.message for r in found)


def test_checks_run_one_by_one_on_a_scan() -> None:
    """The verifier's static layer calls single checks on a scan; each works on its own."""
    repo = scan(FIXTURE_PLATFORM)
    try:
        for check in ALL_CHECKS:
            results = check(repo)
            assert results and all(r.layer == "static" for r in results), check.__name__
            assert all(r.ok for r in results), [r.line() for r in results]
    finally:
        repo.kustomizer.close()


def test_manifests_outside_the_platform_folders_are_not_deployed_but_secrets_there_are_found(tmp_path: Path) -> None:
    from tests.helpers_validate import copy_fixture

    broken = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: ns}\nspec: {bogus: 1}\n"
    repo = copy_fixture(
        tmp_path / "repo",
        {"tests/fixtures/broken.yaml": broken, "docs/setup.yaml": "database:\n  password: hunter2\n"},
    )
    found = failures(validate(repo).results)
    assert [(r.name.split(".")[0], r.object) for r in found] == [("secrets", "docs/setup.yaml:2")], [
        r.line() for r in found
    ]
