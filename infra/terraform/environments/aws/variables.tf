variable "name" {
  description = "Platform name: the EKS cluster, VPC and managed services are named after it."
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
  default     = "aws"

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", var.environment))
    error_message = "environment must be a DNS-1123 label."
  }
}

variable "tags" {
  description = "Tags added to every AWS resource."
  type        = map(string)
  default     = {}
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-west-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-west-2."
  }
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version (major.minor)."
  type        = string
  default     = "1.34"

  validation {
    condition     = can(regex("^1\\.[0-9]+$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.34."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the platform VPC (split across three availability zones); set it as the platform answer aws_vpc_cidr, from which the apps' NetworkPolicies admit the ALB."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 18
    error_message = "vpc_cidr must be an IPv4 CIDR of /18 or larger."
  }
}

variable "node_groups" {
  description = "EKS managed node groups."
  type = map(object({
    instance_type = string
    min_size      = number
    max_size      = number
    desired_size  = number
  }))
  default = {
    default = { instance_type = "t3.medium", min_size = 1, max_size = 4, desired_size = 2 }
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.min_size <= g.desired_size && g.desired_size <= g.max_size])
    error_message = "every node group needs min_size <= desired_size <= max_size."
  }
}

variable "environments" {
  description = "Environments whose platform-<env> Services resolve through the private zone (route53.tf)."
  type        = list(string)
  default     = ["dev", "stage", "prod"]
}

variable "domain" {
  description = "DNS domain of the platform (argocd.<domain>, <app>.<env>.<domain>)."
  type        = string
  default     = "comind.pro"

  validation {
    condition     = can(regex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z]{2,}$", var.domain))
    error_message = "domain must be a DNS domain."
  }
}

variable "certificate_arn" {
  description = "ACM certificate of the ALB (argocd.<domain>, *.<env>.<domain>); set it as the platform answer aws_certificate_arn, which the apps' Ingresses read too. Empty: HTTP only, not for production."
  type        = string
  default     = ""
}

variable "argocd_chart_version" {
  description = "Pinned argo-cd Helm chart version."
  type        = string
  default     = "9.1.3"
}

variable "database" {
  description = "The platform's RDS PostgreSQL instance."
  type = object({
    engine_version    = string
    instance_class    = string
    allocated_storage = number
  })
  default = { engine_version = "15", instance_class = "db.t4g.medium", allocated_storage = 50 }
}

variable "redis_node_type" {
  description = "ElastiCache Redis node type."
  type        = string
  default     = "cache.t4g.small"
}
