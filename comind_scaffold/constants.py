"""Every fixed name of a comind-ops platform repository, in one place."""

from __future__ import annotations

# comind's one mark on what it creates: Kubernetes objects, Docker containers, volumes and networks, cloud tags,
# database comments. Clean only what carries it.
MANAGED_BY = "comind"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_TEAM = "comind.ops/team"
LABEL_ENV = "comind.ops/environment"
LABEL_APP = "comind.ops/app"

# Docker objects also name the platform (and service) they belong to.
DOCKER_LABEL_SERVICE = "comind.ops/service"
DOCKER_LABEL_PLATFORM = "comind.ops/platform"
# The Docker mark of older comind versions (=true): still read, never written, so clean and destroy find what
# they created.
LEGACY_DOCKER_LABEL_MANAGED = "comind.ops/managed"

PLATFORM_ANSWERS = ".copier-answers.yml"
APP_ANSWERS = ".copier-answers.yml"
APPS_DIR = "apps"
APP_K8S_OVERLAYS = "k8s/overlays"
APP_TERRAFORM_DIR = "terraform"
KUSTOMIZE_ROOT = "k8s/kustomize"
# Where a platform repository keeps what it deploys; other folders (docs, tests, tools) hold no manifests.
PLATFORM_MANIFEST_DIRS = ("apps", "k8s", "infra")
SERVICES_FILE = "infra/docker/registry/services.yaml"
TERRAFORM_ROOT = "infra/terraform"
TERRAFORM_ENVIRONMENTS = "infra/terraform/environments"
# .comind/ holds what comind writes on this machine (git-ignored); `comind destroy` removes a profile's files.
LOCAL_STATE_DIR = ".comind"
RENDER_CACHE_DIR = f"{LOCAL_STATE_DIR}/cache/rendered"  # kustomize renders by input digest
LOCAL_CREDENTIALS = f"{LOCAL_STATE_DIR}/local-credentials.yaml"
BOOTSTRAP_STATE = f"{LOCAL_STATE_DIR}/bootstrap-state.json"
KUBECONFIG_FILE = f"{LOCAL_STATE_DIR}/kubeconfig-{{profile}}"  # local: k3d writes it; aws: the environment's command
SEALED_SECRETS_CERT = f"{LOCAL_STATE_DIR}/sealed-secrets-{{profile}}.pem"  # written by `comind seal --fetch-cert`

ARGOCD_NAMESPACE = "argocd"
ARGOCD_GROUP = "argoproj.io"
ARGOCD_API = f"{ARGOCD_GROUP}/v1alpha1"
PLATFORM_NAMESPACES_LOCAL = ("argocd", "sealed-secrets", "ingress-nginx", "metallb-system")
PLATFORM_NAMESPACES_AWS = ("argocd", "sealed-secrets")
MONITORING_NAMESPACE = "monitoring"  # the stack of answer `monitoring` (k8s/kustomize/monitoring.yaml)
PROFILES = ("local", "aws")

# A comment carrying this marker on a line (or the line above) exempts it from the plaintext-secret check:
# templates put it on local-only development defaults, which never leave the developer's machine.
LOCAL_DEV_SECRET_MARKER = "comind:local-dev-default"
