"""The app template rendered by plain Copier over a matrix of answers: every overlay builds with the real
`kubectl kustomize`, every object validates strictly against Kubernetes 1.34, every Argo CD Application against
Argo CD's own CRD schema, and the security defaults are really there."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import copier
import jsonschema
import kubernetes_validate
import pytest
import yaml

from comind_scaffold import service_catalog as catalog
from tests.components.kube import argocd_crds_dir
from tests.components.require import skip_or_fail
from tests.helpers_scaffold import load_yaml_docs, make_platform, make_template_repo

K8S_VERSION = "1.34"

# One row per case: the answers beyond app_name/team. Together they turn every flag on and off, cover environment
# subsets and every team.
MATRIX: dict[str, dict[str, Any]] = {
    "defaults": {},
    "database": {"with_database": True, "team": "web"},
    "cache-queue": {"with_cache": True, "with_queue": True, "environments": ["dev", "prod"]},
    "storage-no-ingress": {"with_storage": True, "ingress": False, "environments": ["stage"]},
    "everything": {
        "with_database": True,
        "with_cache": True,
        "with_queue": True,
        "with_storage": True,
        "autoscaling": True,
        "max_replicas": 6,
        "replicas": {"dev": 1, "stage": 2, "prod": 3},
        "team": "platform",
    },
    "dev-only-latest": {"environments": ["dev"], "image": "ghcr.io/acme/api", "image_tag": "latest", "port": 9000},
    "sized": {
        "cpu_request": "0.25",
        "cpu_limit": "1",
        "memory_request": "128Mi",
        "memory_limit": "1Gi",
        "autoscaling": True,
        "sync_wave": 20,
    },
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("app-template")
    template = make_template_repo(root / "template")
    return template, make_platform(template, root / "platform", redis_enabled=True, elasticmq_enabled=True)


def render(template: Path, platform: Path, name: str, answers: dict[str, Any]) -> Path:
    target = platform / "apps" / name
    data = {"template": "app", "app_name": name, "team": "payments", **answers}
    copier.run_copy(str(template), target, data=data, defaults=True, unsafe=True, quiet=True, vcs_ref="v1.0.0")
    return target


def kustomize(folder: Path) -> list[dict[str, Any]]:
    if shutil.which("kubectl") is None:
        skip_or_fail("kubectl (with kustomize) is not on PATH")
    done = subprocess.run(["kubectl", "kustomize", str(folder)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def application_schema(request: pytest.FixtureRequest) -> dict[str, Any]:
    path = argocd_crds_dir() / "application-crd.yaml"
    if not path.is_file():
        skip_or_fail(f"Argo CD CRDs not found at {path.parent} (set COMIND_ARGOCD_CRDS)", request.config)
    crd = yaml.safe_load(path.read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
    return version["schema"]["openAPIV3Schema"]


@pytest.mark.parametrize("case", list(MATRIX))
def test_every_overlay_builds_and_validates(platform: tuple[Path, Path], case: str) -> None:
    template, repo = platform
    answers = MATRIX[case]
    app = render(template, repo, f"m-{case}", answers)
    environments = answers.get("environments", ["dev", "stage", "prod"])
    assert sorted(p.name for p in (app / "k8s/overlays").iterdir()) == sorted(environments)
    for env in environments:
        objects = kustomize(app / "k8s/overlays" / env)
        kinds = {o["kind"] for o in objects}
        assert {
            "Deployment",
            "Service",
            "ServiceAccount",
            "NetworkPolicy",
            "ResourceQuota",
            "LimitRange",
            "PodDisruptionBudget",
            "ConfigMap",
        } <= kinds
        assert ("Ingress" in kinds) == answers.get("ingress", True)
        assert ("HorizontalPodAutoscaler" in kinds) == answers.get("autoscaling", False)
        for obj in objects:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
            assert obj["metadata"]["namespace"] == f"m-{case}-{env}"
            labels = obj["metadata"]["labels"]
            assert labels["app.kubernetes.io/managed-by"] == "comind"
            assert labels["comind.ops/environment"] == env
            assert labels["comind.ops/team"] == answers.get("team", "payments")


@pytest.mark.parametrize("case", ["defaults", "everything", "storage-no-ingress"])
def test_argocd_applications_match_the_crd_schema(
    platform: tuple[Path, Path], case: str, request: pytest.FixtureRequest
) -> None:
    schema = application_schema(request)
    template, repo = platform
    answers = MATRIX[case]
    app = render(template, repo, f"a-{case}", answers)
    environments = answers.get("environments", ["dev", "stage", "prod"])
    assert sorted(p.stem for p in (app / "argocd").iterdir()) == sorted(environments)
    for env in environments:
        (application,) = load_yaml_docs(app / "argocd" / f"{env}.yaml")
        jsonschema.validate(application, schema)
        spec = application["spec"]
        assert application["metadata"]["name"] == f"a-{case}-{env}"
        assert application["metadata"]["namespace"] == "argocd"
        assert "resources-finalizer.argocd.argoproj.io" in application["metadata"]["finalizers"]
        assert spec["project"] == answers.get("team", "payments")
        assert spec["source"] == {
            "repoURL": "https://git.example.com/acme/platform",
            "targetRevision": "main",
            "path": f"apps/a-{case}/k8s/overlays/{env}",
        }
        assert spec["destination"]["namespace"] == f"a-{case}-{env}"
        policy = spec["syncPolicy"]
        assert "CreateNamespace=true" in policy["syncOptions"]
        assert policy["managedNamespaceMetadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        assert ("automated" in policy) == (env != "prod")


def test_jsonschema_rejects_a_broken_application(platform: tuple[Path, Path], request: pytest.FixtureRequest) -> None:
    """The schema check above can fail: a wrong type in the spec is caught."""
    schema = application_schema(request)
    template, repo = platform
    app = render(template, repo, "broken", {"environments": ["dev"]})
    (application,) = load_yaml_docs(app / "argocd" / "dev.yaml")
    application["spec"]["syncPolicy"]["retry"]["limit"] = "five"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(application, schema)


def test_pods_meet_the_restricted_pod_security_level(platform: tuple[Path, Path]) -> None:
    template, repo = platform
    app = render(template, repo, "secure", {"with_database": True})
    objects = {(o["kind"], o["metadata"]["name"]): o for o in kustomize(app / "k8s/overlays/prod")}
    pod = objects[("Deployment", "secure")]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert {"/tmp"} == {m["mountPath"] for m in container["volumeMounts"]}
    assert container["readinessProbe"]["httpGet"]["port"] == "http"
    assert container["livenessProbe"]["httpGet"]["path"] == "/"
    assert container["image"] == "nginxinc/nginx-unprivileged:1.27-alpine"
    assert container["ports"][0]["containerPort"] == 8080
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi"}
    assert objects[("ServiceAccount", "secure")]["automountServiceAccountToken"] is False


def test_network_policies_deny_by_default_and_allow_only_what_is_used(platform: tuple[Path, Path]) -> None:
    template, repo = platform
    app = render(template, repo, "netpol", {"with_database": True, "with_queue": True})
    policies = {
        o["metadata"]["name"]: o["spec"] for o in kustomize(app / "k8s/overlays/dev") if o["kind"] == "NetworkPolicy"
    }
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    controller = policies["allow-ingress-controller"]["ingress"][0]["from"][0]["namespaceSelector"]
    assert controller == {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    dns = policies["allow-dns"]["egress"][0]
    assert dns["to"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "kube-system"}
    platform_egress = policies["allow-platform-services"]["egress"][0]
    assert platform_egress["to"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "platform-dev"
    }
    used = sorted([catalog.POSTGRESQL.port, catalog.ELASTICMQ.port])  # with_database and with_queue, default ports
    assert sorted(p["port"] for p in platform_egress["ports"]) == used


def test_config_map_holds_endpoints_and_no_secrets(platform: tuple[Path, Path]) -> None:
    template, repo = platform
    app = render(
        template, repo, "cfg", {"with_database": True, "with_cache": True, "with_queue": True, "with_storage": True}
    )
    objects = kustomize(app / "k8s/overlays/stage")
    (config,) = [o for o in objects if o["kind"] == "ConfigMap"]
    data = config["data"]
    assert data["DATABASE_NAME"] == "cfg_stage"
    assert data["DATABASE_HOST"] == "postgresql.platform-stage.svc.cluster.local"
    assert data["QUEUE_NAME"] == "cfg-stage" and data["DEAD_LETTER_QUEUE_NAME"] == "cfg-stage-dlq"
    assert data["S3_BUCKET"] == "acme-cfg-stage"
    assert not [k for k in data if any(word in k for word in ("PASSWORD", "SECRET", "TOKEN", "ACCESS_KEY"))]
    (deployment,) = [o for o in objects if o["kind"] == "Deployment"]
    env_from = deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert {"secretRef": {"name": "cfg-infra", "optional": True}} in env_from
    assert env_from[0]["configMapRef"]["name"] == config["metadata"]["name"]


def test_ingress_host_per_environment(platform: tuple[Path, Path]) -> None:
    template, repo = platform
    app = render(template, repo, "web", {"environments": ["dev", "prod"]})
    for env in ("dev", "prod"):
        (ingress,) = [o for o in kustomize(app / "k8s/overlays" / env) if o["kind"] == "Ingress"]
        assert ingress["spec"]["ingressClassName"] == "nginx"
        assert ingress["spec"]["rules"][0]["host"] == f"web.{env}.127.0.0.1.nip.io"


def test_replicas_and_autoscaler_floor_follow_the_environment(platform: tuple[Path, Path]) -> None:
    template, repo = platform
    app = render(
        template,
        repo,
        "scaled",
        {"autoscaling": True, "max_replicas": 8, "replicas": {"dev": 1, "stage": 2, "prod": 4}},
    )
    for env, count in {"dev": 1, "stage": 2, "prod": 4}.items():
        objects = {o["kind"]: o for o in kustomize(app / "k8s/overlays" / env)}
        assert objects["Deployment"]["spec"]["replicas"] == count
        assert objects["HorizontalPodAutoscaler"]["spec"]["minReplicas"] == count
        assert objects["HorizontalPodAutoscaler"]["spec"]["maxReplicas"] == 8
        # Quota leaves room for the largest scale-out plus one surge pod.
        assert objects["ResourceQuota"]["spec"]["hard"]["pods"] == "9"


def test_answers_file_records_the_template_version(platform: tuple[Path, Path]) -> None:
    template, repo = platform
    app = render(template, repo, "recorded", {})
    answers = yaml.safe_load((app / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.0.0"
    assert answers["_src_path"] == str(template)
    assert answers["template"] == "app"
    assert answers["platform"] == "acme"
