output "cluster_name" {
  description = "EKS cluster name."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "EKS API server endpoint."
  value       = module.eks.cluster_endpoint
}

output "kubeconfig_command" {
  description = "Writes a kubeconfig context for the cluster."
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${module.eks.cluster_name}"
}

output "kube_context" {
  description = "Context name that command creates."
  value       = module.eks.cluster_arn
}

output "vpc_id" {
  description = "Platform VPC (apps' security groups)."
  value       = module.vpc.vpc_id
}

output "node_security_group_id" {
  description = "Security group of the EKS nodes (clients of the apps' databases)."
  value       = module.eks.node_security_group_id
}

output "oidc_provider_arn" {
  description = "IAM OIDC provider of the cluster (IRSA)."
  value       = module.eks.oidc_provider_arn
}

output "oidc_provider" {
  description = "OIDC issuer without https:// (IRSA trust conditions)."
  value       = module.eks.oidc_provider
}

output "database_subnet_group" {
  description = "DB subnet group for the apps' RDS instances."
  value       = module.vpc.database_subnet_group_name
}

output "database_endpoint" {
  description = "Platform RDS PostgreSQL endpoint."
  value       = aws_db_instance.platform.endpoint
}

output "redis_endpoint" {
  description = "ElastiCache Redis primary endpoint (host:port)."
  value       = "${aws_elasticache_replication_group.redis.primary_endpoint_address}:6379"
}

output "argocd_url" {
  description = "Argo CD behind the ALB."
  value       = "https://argocd.${var.domain}"
}

output "internal_zone_id" {
  description = "Private Route53 zone internal.<domain> holding <service>.<env> CNAMEs of the managed services."
  value       = aws_route53_zone.internal.zone_id
}

output "public_zone_id" {
  description = "Public Route53 zone of var.domain, where external-dns writes the ingress hosts' records."
  value       = data.aws_route53_zone.public.zone_id
}
