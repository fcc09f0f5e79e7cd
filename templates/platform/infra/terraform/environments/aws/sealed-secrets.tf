# Sealed Secrets: the controller that unseals the SealedSecrets `comind seal` writes into app overlays. The same
# chart and name as environments/local, so `comind seal --fetch-cert` and kubeseal find it on both profiles.

variable "sealed_secrets_chart_version" {
  description = "Pinned sealed-secrets Helm chart version (the same as environments/local's charts.sealed_secrets)."
  type        = string
  default     = "2.17.2"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.sealed_secrets_chart_version))
    error_message = "sealed_secrets_chart_version must be pinned (x.y.z)."
  }
}

resource "kubernetes_namespace_v1" "sealed_secrets" {
  metadata {
    name = "sealed-secrets"
    labels = {
      "app.kubernetes.io/managed-by"       = "comind"
      "pod-security.kubernetes.io/enforce" = "restricted"
    }
  }
}

resource "helm_release" "sealed_secrets" {
  name       = "sealed-secrets"
  repository = "https://bitnami-labs.github.io/sealed-secrets"
  chart      = "sealed-secrets"
  version    = var.sealed_secrets_chart_version
  namespace  = kubernetes_namespace_v1.sealed_secrets.metadata[0].name
  wait       = true

  values = [yamlencode({
    # kubeseal's and `comind seal --fetch-cert`'s default controller name.
    fullnameOverride = "sealed-secrets-controller"
  })]
}
