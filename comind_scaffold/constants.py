"""Every fixed name of a comind-ops platform repository, in one place."""

from __future__ import annotations

MANAGED_BY = "comind"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_NAME = "app.kubernetes.io/name"
LABEL_PART_OF = "app.kubernetes.io/part-of"
LABEL_TEAM = "comind.ops/team"
LABEL_ENV = "comind.ops/environment"
LABEL_APP = "comind.ops/app"

# Docker containers and volumes the services manager creates carry these labels; clean only by them.
DOCKER_LABEL_MANAGED = "comind.ops/managed"
DOCKER_LABEL_SERVICE = "comind.ops/service"
DOCKER_LABEL_PLATFORM = "comind.ops/platform"

PLATFORM_ANSWERS = ".copier-answers.yml"
APP_ANSWERS = ".copier-answers.yml"
APPS_DIR = "apps"
APP_K8S_BASE = "k8s/base"
APP_K8S_OVERLAYS = "k8s/overlays"
APP_ARGOCD_DIR = "argocd"
APP_TERRAFORM_DIR = "terraform"
KUSTOMIZE_ROOT = "k8s/kustomize"
# Where a platform repository keeps what it deploys; other folders (docs, tests, tools) hold no manifests.
PLATFORM_MANIFEST_DIRS = ("apps", "k8s", "infra")
SERVICES_FILE = "infra/docker/registry/services.yaml"
TERRAFORM_ROOT = "infra/terraform"
TERRAFORM_ENVIRONMENTS = "infra/terraform/environments"
TERRAFORM_APP_MODULE = "infra/terraform/modules/app"
LOCAL_STATE_DIR = ".comind"
RENDER_CACHE_DIR = f"{LOCAL_STATE_DIR}/cache/rendered"  # kustomize renders by input digest
LOCAL_CREDENTIALS = ".comind/local-credentials.yaml"

ARGOCD_NAMESPACE = "argocd"
ARGOCD_GROUP = "argoproj.io"
ARGOCD_API = f"{ARGOCD_GROUP}/v1alpha1"
PLATFORM_NAMESPACES_LOCAL = ("argocd", "sealed-secrets", "ingress-nginx", "metallb-system")
PLATFORM_NAMESPACES_AWS = ("argocd", "sealed-secrets")
PROFILES = ("local", "aws")

# A comment carrying this marker on a line (or the line above) exempts it from the plaintext-secret check:
# templates put it on local-only development defaults, which never leave the developer's machine.
LOCAL_DEV_SECRET_MARKER = "comind:local-dev-default"
