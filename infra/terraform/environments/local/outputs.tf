output "cluster_name" {
  description = "k3d cluster name."
  value       = var.name
}

output "kubeconfig" {
  description = "Kubeconfig file of the cluster."
  value       = local.kubeconfig
}

output "kube_context" {
  description = "Context of the cluster in that kubeconfig."
  value       = local.context
}

output "api_endpoint" {
  description = "Kubernetes API server (loopback only)."
  value       = "https://127.0.0.1:6550"
}

output "argocd_url" {
  description = "Argo CD's UI through the local ingress."
  value       = "http://argocd.${var.local_domain}"
}
