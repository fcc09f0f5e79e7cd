"""The platform template, rendered with Copier into tmp_path across a matrix of answers and checked as a platform
engineer would: YAML, real kustomize builds, Kubernetes 1.34 and Argo CD schemas (strict), least privilege,
default-deny, Pod Security, the services file and answers read back, and every Makefile target."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from comind_scaffold import service_catalog as catalog
from comind_scaffold.specs import load_platform_spec, load_services_spec
from tests.helpers_platform import default_answers, render_platform, root_answers
from tests.helpers_platform_checks import (
    argocd_validator,
    kustomization_dirs,
    kustomize_build,
    make_targets,
    rendered_objects,
)

VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "repo-root": root_answers(),
    "env-dev": {"environments": ["dev"]},
    "env-prod": {"environments": ["prod"]},
    "env-stage-prod": {"environments": ["stage", "prod"]},
    "env-all-four": {"environments": ["dev", "qa", "stage", "prod"]},
    "teams-platform-only": {"teams": ["platform"]},
    "teams-many": {"teams": ["platform", "data-science", "web", "payments"], "platform_name": "acme"},
    "aws-all-services": {"default_profile": "aws", "redis_enabled": True, "elasticmq_enabled": True},
    "local-redis-only": {"redis_enabled": True, "elasticmq_enabled": False, "redis_port": 6380},
    "local-elasticmq-only": {"redis_enabled": False, "elasticmq_enabled": True},
}

_rendered: dict[str, Path] = {}


def _render(name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each variant is rendered once per test session."""
    if name not in _rendered:
        _rendered[name] = render_platform(tmp_path_factory.mktemp(name) / "platform", VARIANTS[name])
    return _rendered[name]


@pytest.fixture(params=sorted(VARIANTS), scope="module")
def variant(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return request.param, _render(request.param, tmp_path_factory)


@pytest.fixture
def defaults_platform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render("defaults", tmp_path_factory)


def _answers(name: str) -> dict[str, Any]:
    return {**default_answers(), **VARIANTS[name]}


def test_every_yaml_file_parses(variant: tuple[str, Path]) -> None:
    _, root = variant
    files = [p for p in root.rglob("*") if p.suffix in {".yaml", ".yml"} and ".git" not in p.parts]
    assert len(files) > 10
    for path in files:
        docs = list(yaml.safe_load_all(path.read_text()))
        assert any(doc is not None for doc in docs), f"{path.relative_to(root)} holds no document"


def test_every_kustomization_builds(variant: tuple[str, Path]) -> None:
    name, root = variant
    dirs = kustomization_dirs(root)
    envs = _answers(name)["environments"]
    assert {str(d.relative_to(root)) for d in dirs} == {
        "k8s/kustomize",
        "k8s/platform/base",
        *(f"k8s/platform/overlays/{env}" for env in envs),
        *(f"k8s/platform/overlays/{env}/{profile}" for env in envs for profile in ("local", "aws")),
        *(["k8s/external-dns"] if _answers(name)["default_profile"] == "aws" else []),
    }
    for folder in dirs:
        assert kustomize_build(folder), f"{folder} built to nothing"


def test_kubernetes_objects_validate_strictly_against_1_34(variant: tuple[str, Path]) -> None:
    _, root = variant
    native = [o for o in rendered_objects(root) if not o["apiVersion"].startswith("argoproj.io/")]
    assert {o["kind"] for o in native} >= {"Namespace", "NetworkPolicy", "Service"}
    for obj in native:
        try:
            kubernetes_validate.validate(obj, "1.34", strict=True)
        except jsonschema.ValidationError as err:  # kubernetes_validate raises it (or its subclass)
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {err.message}")


def test_argocd_objects_validate_against_the_crd_schemas(
    variant: tuple[str, Path], request: pytest.FixtureRequest
) -> None:
    _, root = variant
    argo = [o for o in rendered_objects(root) if o["apiVersion"].startswith("argoproj.io/")]
    assert {o["kind"] for o in argo} == {"Application", "AppProject"}
    for obj in argo:
        errors = argocd_validator(obj["kind"], request.config)(obj)
        assert not errors, f"{obj['kind']}/{obj['metadata']['name']}: {errors}"


def test_appprojects_are_least_privilege(variant: tuple[str, Path]) -> None:
    name, root = variant
    answers = _answers(name)
    projects = {o["metadata"]["name"]: o for o in rendered_objects(root) if o["kind"] == "AppProject"}
    root_project = f"{answers['platform_name']}-root"
    # The aws profile adds external-dns' project, with its chart repository (tests/test_external_dns.py).
    external_dns = [f"{answers['platform_name']}-external-dns"] if answers["default_profile"] == "aws" else []
    assert set(projects) == {*answers["teams"], root_project, *external_dns}
    for project_name, project in projects.items():
        assert "*" not in json.dumps(project), f"{project_name} uses '*'"
        if project_name in external_dns:
            continue
        spec = project["spec"]
        assert spec["sourceRepos"] == [answers["repo_url"]]
        destinations = {d["namespace"] for d in spec["destinations"]}
        if project_name == root_project:
            assert destinations == {"argocd"}
            assert spec["clusterResourceWhitelist"] == []
            assert {k["kind"] for k in spec["namespaceResourceWhitelist"]} == {"Application", "AppProject"}
        else:
            platform_ns = {f"platform-{env}" for env in answers["environments"]}
            assert destinations == (platform_ns if project_name == "platform" else set())
            assert spec["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
            assert spec["namespaceResourceWhitelist"], "an empty whitelist would allow every namespaced kind"


def test_app_of_apps_wiring(variant: tuple[str, Path]) -> None:
    name, root = variant
    answers = _answers(name)
    apps = {o["metadata"]["name"]: o for o in rendered_objects(root) if o["kind"] == "Application"}
    platform = answers["platform_name"]
    external_dns = ["external-dns-policies", "external-dns"] if answers["default_profile"] == "aws" else []
    assert set(apps) == {f"{platform}-root", f"{platform}-apps", *(f"platform-{e}" for e in answers["environments"]),
                         *external_dns}
    root_app = apps[f"{platform}-root"]["spec"]
    assert root_app["project"] == f"{platform}-root"
    assert root_app["source"] == {
        "repoURL": answers["repo_url"],
        "targetRevision": answers["target_revision"],
        "path": "k8s/kustomize",
    }
    assert root_app["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert root_app["syncPolicy"]["retry"]["backoff"]["factor"] == 2
    apps_root = apps[f"{platform}-apps"]["spec"]
    assert apps_root["source"]["path"] == "apps"
    assert apps_root["source"]["directory"] == {"recurse": True, "include": "*/argocd/*.yaml"}
    assert (root / "apps").is_dir(), "Argo CD fails on a missing source path"
    for env in answers["environments"]:
        spec = apps[f"platform-{env}"]["spec"]
        assert spec["project"] == "platform"
        assert spec["destination"]["namespace"] == f"platform-{env}"
        assert (root / spec["source"]["path"] / "kustomization.yaml").is_file()
    waves = {
        o["kind"] + "/" + o["metadata"]["name"]: int(
            o["metadata"].get("annotations", {})["argocd.argoproj.io/sync-wave"]
        )
        for o in kustomize_build(root / "k8s/kustomize")
    }
    project_waves = [w for k, w in waves.items() if k.startswith("AppProject/")]
    app_waves = [w for k, w in waves.items() if k.startswith("Application/")]
    assert max(project_waves) < min(app_waves), f"projects must sync first: {waves}"
    assert "Application/" + f"{platform}-root" not in waves, "the root app is applied by bootstrap, not by itself"


def test_platform_namespaces_are_restricted_and_default_deny(variant: tuple[str, Path]) -> None:
    name, root = variant
    answers = _answers(name)
    for env in answers["environments"]:
        objects = kustomize_build(root / f"k8s/platform/overlays/{env}")
        namespaces = [o for o in objects if o["kind"] == "Namespace"]
        assert [n["metadata"]["name"] for n in namespaces] == [f"platform-{env}"]
        labels = namespaces[0]["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
        assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.34"
        assert labels["comind.ops/environment"] == env
        assert labels["app.kubernetes.io/managed-by"] == "comind"
        policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
        assert all(p["metadata"]["namespace"] == f"platform-{env}" for p in policies)
        deny = [
            p
            for p in policies
            if p["spec"]["podSelector"] == {}
            and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
            and not p["spec"].get("ingress")
            and not p["spec"].get("egress")
        ]
        assert deny, f"platform-{env} has no default-deny NetworkPolicy"


def test_platform_services_follow_profile_and_toggles(variant: tuple[str, Path]) -> None:
    name, root = variant
    answers = _answers(name)
    expected = {"postgresql", "minio"}
    expected |= {"redis"} if answers["redis_enabled"] else set()
    expected |= {"elasticmq"} if answers["elasticmq_enabled"] else set()
    for env in answers["environments"]:
        services = {
            o["metadata"]["name"]: o["spec"]
            for o in kustomize_build(root / f"k8s/platform/overlays/{env}")
            if o["kind"] == "Service"
        }
        assert set(services) == expected
        if answers["default_profile"] == "local":  # the containers on the k3d network (test_local_services_reach)
            assert all(spec["type"] == "ClusterIP" and "selector" not in spec for spec in services.values())
            assert services["postgresql"]["ports"][0]["port"] == answers["postgres_port"]
            if "redis" in services:
                assert services["redis"]["ports"][0]["port"] == answers["redis_port"]
        else:
            assert all(spec["type"] == "ExternalName" for spec in services.values())
            assert services["minio"]["externalName"] == f"s3.{answers['aws_region']}.amazonaws.com"
            assert services["postgresql"]["externalName"].endswith(f".{env}.internal.{answers['aws_domain']}")


def test_services_file_loads_without_credentials(variant: tuple[str, Path]) -> None:
    name, root = variant
    answers = _answers(name)
    path = root / "infra/docker/registry/services.yaml"
    spec = load_services_spec(path)
    assert spec.platform == answers["platform_name"]
    assert spec.bind_address == "127.0.0.1"
    assert spec.network_mode == "k3d"
    assert spec.cluster_network is not None and spec.cluster_network.name == f"k3d-{answers['platform_name']}"
    assert spec.services["postgresql"].image_ref == f"postgres:{answers['postgres_version']}"
    assert spec.services["minio"].console_port == answers["minio_console_port"]
    assert spec.services["elasticmq"].image == "softwaremill/elasticmq-native"
    enabled = set(spec.enabled())
    assert ("redis" in enabled) == answers["redis_enabled"]
    assert ("elasticmq" in enabled) == answers["elasticmq_enabled"]
    text = path.read_text().lower()
    for word in ("password", "secret_key", "access_key", "minioadmin"):
        assert not re.search(rf"^\s*{word}\s*:", text, re.M), f"services.yaml holds a {word}"


def test_rendered_answers_load_as_platform_spec(variant: tuple[str, Path]) -> None:
    name, root = variant
    spec = load_platform_spec(root / ".copier-answers.yml")
    for key, value in _answers(name).items():
        got = getattr(spec, key)
        if key == "eks_node_groups":
            got = [g.model_dump() for g in got]
        assert got == value, key


def test_gitignore_keeps_local_state_out(variant: tuple[str, Path]) -> None:
    _, root = variant
    lines = (root / ".gitignore").read_text().splitlines()
    assert {".comind/", ".terraform/", "*.tfstate"} <= set(lines)


def test_ci_workflow_is_pinned_and_secretless(variant: tuple[str, Path]) -> None:
    _, root = variant
    text = (root / ".github/workflows/validate.yml").read_text()
    workflow = yaml.safe_load(text)
    assert workflow["permissions"] == {"contents": "read"}
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    uses = [s["uses"] for s in steps if "uses" in s]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", u) for u in uses), uses
    runs = " ".join(s.get("run", "") for s in steps)
    assert "comind validate" in runs and "comind check-update" in runs
    assert "${{secrets." not in text.replace(" ", "")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_every_make_target_calls_comind(variant: tuple[str, Path]) -> None:
    _, root = variant
    targets = make_targets(root / "Makefile")
    assert {"bootstrap", "status", "gitops-status", "services-setup", "services-logs", "new-app-full"} <= set(targets)
    for target in targets:
        if target == "help":
            continue
        done = subprocess.run(
            ["make", "-n", target, "APP=shop", "TEAM=platform", "ENV=dev", "SVC=postgresql", "COMIND=comind"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"make -n {target}: {done.stderr}"
        assert re.match(r"^comind \S", done.stdout), f"make -n {target} does not call comind: {done.stdout!r}"
    assert "comind bootstrap --profile 'aws'" in _dry_make(root, "bootstrap", "PROFILE=aws")
    assert "-include comind-dev.mk" in (root / "Makefile").read_text().splitlines()[-1]


def test_make_new_app_full_matches_enabled_services(variant: tuple[str, Path]) -> None:
    name, root = variant
    answers = _answers(name)
    line = _dry_make(root, "new-app-full", "APP=shop", "TEAM=platform", "ENVS=dev")
    assert line.startswith("comind new-app 'shop' --team 'platform' --with-database --with-storage")
    assert ("--with-cache" in line) == answers["redis_enabled"]
    assert ("--with-queue" in line) == answers["elasticmq_enabled"]
    assert line.rstrip().endswith("--env dev")


def test_make_without_required_variable_names_it(defaults_platform: Path) -> None:
    root = defaults_platform
    # An ENV inherited from the environment (sh uses it for its startup file) must not stand in for ENV=.
    env = {**os.environ, "ENV": "/etc/shrc", "APP": "from-environment"}
    done = subprocess.run(
        ["make", "-n", "tf-apply-app", "APP=shop"], cwd=root, capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 2
    assert "ENV is required" in done.stderr
    assert done.stdout == ""


def test_make_help_lists_every_target(defaults_platform: Path) -> None:
    root = defaults_platform
    shown = subprocess.run(["make", "help"], cwd=root, capture_output=True, text=True, check=True).stdout
    for target in make_targets(root / "Makefile"):
        assert re.search(rf"^  {re.escape(target)}\s", shown, re.M), f"{target} missing from make help"


def _dry_make(root: Path, *args: str) -> str:
    done = subprocess.run(["make", "-n", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.strip()


BAD_ANSWERS = [
    ({"platform_name": "Comind_Ops"}, "platform_name"),
    ({"platform_name": "a" * 31}, "platform_name"),
    ({"repo_url": "https://user:token@github.com/x/y"}, "repo_url"),
    ({"repo_url": "ftp://example.com/x"}, "repo_url"),
    ({"target_revision": "main branch"}, "target_revision"),
    ({"environments": ["Dev"]}, "environments"),
    ({"environments": []}, "environments"),
    ({"teams": []}, "teams"),
    ({"teams": ["backend"]}, "teams"),
    ({"teams": ["platform", "Back_End"]}, "teams"),
    ({"teams": ["platform", "web", "web"]}, "teams"),
    ({"teams": ["platform", "comind-ops-root"]}, "teams"),
    ({"teams": "platform"}, "teams"),
    ({"default_profile": "gcp"}, "default_profile"),
    ({"kubernetes_version": "1.34"}, "kubernetes_version"),
    ({"kubernetes_version": "1.29.0"}, "kubernetes_version"),
    ({"local_domain": "192.168.1.10.nip.io"}, "local_domain"),
    ({"local_domain": "Not A Domain"}, "local_domain"),
    ({"aws_domain": "localhost"}, "aws_domain"),
    ({"aws_region": "west"}, "aws_region"),
    ({"k3d_servers": 2}, "k3d_servers"),
    ({"k3d_agents": -1}, "k3d_agents"),
    ({"eks_node_groups": []}, "eks_node_groups"),
    ({"eks_node_groups": [{"name": "a", "min_size": 3, "desired_size": 2, "max_size": 4}]}, "eks_node_groups"),
    ({"eks_node_groups": [{"name": "a", "disk": 20}]}, "eks_node_groups"),
    ({"eks_node_groups": [{"instance_type": "t3.large"}]}, "eks_node_groups"),
    ({"argocd_chart_version": "latest"}, "argocd_chart_version"),
    ({"postgres_version": "latest"}, "postgres_version"),
    ({"postgres_port": 80}, "postgres_port"),
    ({"minio_port": catalog.POSTGRESQL.port}, "minio_port"),
    ({"minio_console_port": catalog.MINIO.port}, "minio_console_port"),
    ({"redis_enabled": True, "redis_port": catalog.MINIO.extra_port}, "redis_port"),
    ({"elasticmq_enabled": True, "elasticmq_ui_port": catalog.ELASTICMQ.port}, "elasticmq_ui_port"),
    ({"postgres_database": "comind-ops"}, "postgres_database"),
]


@pytest.mark.parametrize(("answers", "field"), BAD_ANSWERS, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_ANSWERS)])
def test_bad_answer_is_refused_naming_the_question(answers: dict[str, Any], field: str, tmp_path: Path) -> None:
    dest = tmp_path / "p"
    with pytest.raises(ValueError, match=rf"'{field}'"):
        render_platform(dest, answers)
    assert not (dest / "Makefile").exists(), "nothing may be written for bad answers"
