locals {
  kubeconfig = abspath("${path.module}/${var.kubeconfig}")
  context    = "k3d-${var.name}"
  repo_root  = abspath("${path.module}/../../../..")

  # Pod Security: the platform's own controllers run restricted except MetalLB's speaker (host network).
  namespaces = {
    "argocd"         = "restricted"
    "sealed-secrets" = "restricted"
    "ingress-nginx"  = "baseline"
    "metallb-system" = "privileged"
  }
  labels = merge(var.tags, {
    "app.kubernetes.io/part-of"    = var.name
    "app.kubernetes.io/managed-by" = "comind"
  })
}

# The Docker services must be up before apps are deployed against them. A data source runs at every plan
# and leaves no state behind, so a healthy platform still plans "no changes".
data "external" "services_up" {
  program     = ["sh", "-c", "comind services status --platform-dir \"$0\" >&2 && echo '{\"up\":\"true\"}'", local.repo_root]
  working_dir = local.repo_root
}

resource "terraform_data" "cluster" {
  input = { name = var.name, kubeconfig = local.kubeconfig, config = filesha256("${path.module}/k3d-cluster.yaml") }

  provisioner "local-exec" {
    command = "k3d cluster create --config '${path.module}/k3d-cluster.yaml' --wait && k3d kubeconfig write '${var.name}' --output '${local.kubeconfig}'"
  }

  provisioner "local-exec" {
    when    = destroy
    command = "k3d cluster delete '${self.input.name}'"
  }
}

provider "kubernetes" {
  config_path    = local.kubeconfig
  config_context = local.context
}

provider "helm" {
  kubernetes {
    config_path    = local.kubeconfig
    config_context = local.context
  }
}

resource "kubernetes_namespace_v1" "platform" {
  for_each = local.namespaces

  metadata {
    name = each.key
    labels = merge(local.labels, {
      "pod-security.kubernetes.io/enforce" = each.value
      "pod-security.kubernetes.io/audit"   = "restricted"
      "pod-security.kubernetes.io/warn"    = "restricted"
    })
  }

  depends_on = [terraform_data.cluster]
}

resource "helm_release" "metallb" {
  name       = "metallb"
  repository = "https://metallb.github.io/metallb"
  chart      = "metallb"
  version    = var.charts.metallb
  namespace  = kubernetes_namespace_v1.platform["metallb-system"].metadata[0].name
  wait       = true
}

# The pool's kinds exist only once the chart is installed, so they are applied after it, not planned.
resource "terraform_data" "metallb_pool" {
  input = var.metallb_address_pool

  # The range is validated (digits, dots, one dash), so it is safe inside the shell command.
  provisioner "local-exec" {
    command = "sed 's/@POOL@/${var.metallb_address_pool}/' '${path.module}/metallb-pool.yaml' | kubectl --kubeconfig '${local.kubeconfig}' --context '${local.context}' apply --server-side --field-manager=comind -f -"
  }

  depends_on = [helm_release.metallb]
}

resource "helm_release" "ingress_nginx" {
  name       = "ingress-nginx"
  repository = "https://kubernetes.github.io/ingress-nginx"
  chart      = "ingress-nginx"
  version    = var.charts.ingress_nginx
  namespace  = kubernetes_namespace_v1.platform["ingress-nginx"].metadata[0].name
  wait       = true

  values = [yamlencode({
    controller = {
      admissionWebhooks    = { enabled = true }
      ingressClassResource = { default = true }
      service              = { type = "LoadBalancer" }
    }
  })]

  depends_on = [terraform_data.metallb_pool]
}

resource "helm_release" "sealed_secrets" {
  name       = "sealed-secrets"
  repository = "https://bitnami-labs.github.io/sealed-secrets"
  chart      = "sealed-secrets"
  version    = var.charts.sealed_secrets
  namespace  = kubernetes_namespace_v1.platform["sealed-secrets"].metadata[0].name
  wait       = true

  values = [yamlencode({
    # kubeseal's and `comind seal --fetch-cert`'s default controller name (the verifier expects it too).
    fullnameOverride = "sealed-secrets-controller"
  })]
}

resource "helm_release" "argocd" {
  name       = "argocd"
  repository = "https://argoproj.github.io/argo-helm"
  chart      = "argo-cd"
  version    = var.charts.argocd
  namespace  = kubernetes_namespace_v1.platform["argocd"].metadata[0].name
  wait       = true

  values = [file("${path.module}/../../argocd-values.yaml"), yamlencode({
    configs = {
      cm     = { "timeout.reconciliation" = var.argocd_reconciliation }
      params = { "controller.status.processors" = tostring(var.argocd_status_processors) }
    }
    server = {
      ingress = {
        enabled          = true
        ingressClassName = "nginx"
        hostname         = "argocd.${var.local_domain}"
      }
    }
  })]

  depends_on = [helm_release.ingress_nginx]
}

# The app-of-apps; from here on Argo CD deploys everything from git.
resource "terraform_data" "root_app" {
  input = filesha256("${local.repo_root}/k8s/kustomize/root-app.yaml")

  provisioner "local-exec" {
    command     = "kubectl --kubeconfig '${local.kubeconfig}' --context '${local.context}' apply --server-side --field-manager=comind -f k8s/kustomize/projects -f k8s/kustomize/root-app.yaml"
    working_dir = local.repo_root
  }

  depends_on = [helm_release.argocd, data.external.services_up]
}
