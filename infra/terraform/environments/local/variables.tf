variable "name" {
  description = "Cluster name (k3d adds the k3d- prefix to the kubeconfig context)."
  type        = string
  default     = "comind-ops"

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", var.name)) && length(var.name) <= 32
    error_message = "name must be a DNS-1123 label of at most 32 characters."
  }
}

variable "environment" {
  description = "Name of this platform environment."
  type        = string
  default     = "local"

  validation {
    condition     = var.environment == "local"
    error_message = "environment must be local in environments/local."
  }
}

variable "tags" {
  description = "Extra labels for the namespaces this environment creates."
  type        = map(string)
  default     = {}
}

variable "kubernetes_version" {
  description = "Kubernetes version of the k3s image (pinned; the image is rancher/k3s:v<version>-k3s1)."
  type        = string
  default     = "1.34.2"

  validation {
    condition     = can(regex("^1\\.[0-9]+\\.[0-9]+$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.34.2."
  }
}

variable "kubeconfig" {
  description = "Where k3d writes this cluster's kubeconfig (not ~/.kube/config, which is left alone)."
  type        = string
  default     = "../../../../.comind/kubeconfig-local"
}

variable "local_domain" {
  description = "Domain of the local ingress hosts (argocd.<domain>, <app>.<env>.<domain>)."
  type        = string
  default     = "127.0.0.1.nip.io"

  validation {
    condition     = can(regex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.local_domain))
    error_message = "local_domain must be a DNS domain."
  }
}

variable "metallb_address_pool" {
  description = "Load-balancer addresses MetalLB hands out: a range inside the k3d network's subnet (k3d-cluster.yaml)."
  type        = string
  default     = "172.28.255.200-172.28.255.250"

  validation {
    condition     = can(regex("^172\\.28\\.[0-9]+\\.[0-9]+-172\\.28\\.[0-9]+\\.[0-9]+$", var.metallb_address_pool))
    error_message = "metallb_address_pool must be a range inside the k3d network 172.28.0.0/16."
  }
}

variable "charts" {
  description = "Pinned Helm chart versions of the platform components."
  type = object({
    argocd         = string
    ingress_nginx  = string
    sealed_secrets = string
    metallb        = string
  })
  default = {
    argocd         = "9.1.3"
    ingress_nginx  = "4.12.1"
    sealed_secrets = "2.17.2"
    metallb        = "0.14.9"
  }

  validation {
    condition     = alltrue([for v in values(var.charts) : can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", v))])
    error_message = "every chart version must be pinned (x.y.z)."
  }
}

variable "argocd_status_processors" {
  # Argo CD's default is 20. A refresh asked for while an Application waits in the controller's queue joins the
  # one already queued; with more processors than the cluster has cores none waits, so each resource created or
  # changed during an app's sync costs a compare of the whole app. On 2 cores, 4 made 150 onboarded Applications
  # compare half as often and use a third less CPU (benchmarks/bench_gitops.py).
  description = "Application compares the local Argo CD runs at once (controller.status.processors)."
  type        = number
  default     = 4

  validation {
    condition     = var.argocd_status_processors >= 1 && floor(var.argocd_status_processors) == var.argocd_status_processors
    error_message = "argocd_status_processors must be a whole number of at least 1."
  }
}

variable "argocd_reconciliation" {
  # Argo CD's own default. `comind sync` asks for a compare right after a push; a shorter period makes every
  # Application compare again that much more often: at 30 s, 150 onboarded Applications spent most of the
  # controller's compares on periodic ones (benchmarks/bench_gitops.py).
  description = "How often Argo CD compares git with the cluster locally (timeout.reconciliation)."
  type        = string
  default     = "120s"

  validation {
    condition     = can(regex("^[0-9]+[sm]$", var.argocd_reconciliation))
    error_message = "argocd_reconciliation must be a duration such as 30s or 2m."
  }
}

variable "repo_url" {
  description = "Git repository Argo CD follows (the platform repo)."
  type        = string
  default     = "https://github.com/comind-pro/comind-ops"
}
