variable "name" {
  description = "App name (DNS-1123 label); namespaces are <name>-<environment>."
  type        = string

  # The naming rule of comind_scaffold/naming.py (tests/test_naming_rules.py checks that both accept the same names).
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", var.name)) && length(var.name) <= 63
    error_message = "name must be a DNS-1123 label: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit."
  }

  validation {
    condition     = !contains(["y", "n", "yes", "no", "on", "off", "true", "false", "null"], var.name)
    error_message = "name must not read as a YAML boolean or null (false, n, no, null, off, on, true, y, yes)."
  }

  validation {
    condition     = !contains(["default", "platform", "argocd", "sealed-secrets", "ingress-nginx", "metallb-system"], var.name) && !can(regex("^(kube|platform)-", var.name))
    error_message = "name is reserved (default, platform, argocd, kube-*, platform-* and the platform's namespaces)."
  }
}

variable "environment" {
  description = "Environment of this state (dev, stage, prod, ...); one state per app and environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", var.environment)) && length(var.environment) <= 12
    error_message = "environment must be a DNS-1123 label of at most 12 characters."
  }
}

variable "tags" {
  description = "Extra labels for the Kubernetes objects this module creates."
  type        = map(string)
  default     = {}
}

variable "platform" {
  description = "Platform name; buckets are <platform>-<name>-<environment>."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", var.platform))
    error_message = "platform must be a DNS-1123 label."
  }
}

variable "team" {
  description = "Owning team (label comind.ops/team)."
  type        = string
}

variable "with_database" {
  description = "Create a PostgreSQL database and its owner role <name>_<environment>."
  type        = bool
  default     = false
}

variable "with_storage" {
  description = "Create the bucket <platform>-<name>-<environment>."
  type        = bool
  default     = false
}

variable "with_queue" {
  description = "Create the queue <name>-<environment> and its dead-letter queue <name>-<environment>-dlq."
  type        = bool
  default     = false
}

variable "with_cache" {
  description = "Put the platform Redis address into the connection Secret."
  type        = bool
  default     = false
}

variable "database" {
  description = "RDS instance of the app environment's database (when with_database)."
  type = object({
    engine_version    = string
    instance_class    = string
    allocated_storage = number
    subnet_group_name = string
  })
  default = {
    engine_version    = "15"
    instance_class    = "db.t4g.micro"
    allocated_storage = 20
    subnet_group_name = ""
  }

  validation {
    condition     = var.database.allocated_storage >= 20 && var.database.allocated_storage <= 1000
    error_message = "database.allocated_storage must be between 20 and 1000 GiB."
  }
}

variable "vpc_id" {
  description = "VPC of the platform (security group of the database)."
  type        = string
}

variable "client_security_group_ids" {
  description = "Security groups allowed to reach the database (the EKS nodes)."
  type        = list(string)
  default     = []
}

variable "oidc_provider_arn" {
  description = "ARN of the EKS cluster's IAM OIDC provider (IRSA)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be an IAM OIDC provider ARN."
  }
}

variable "oidc_provider" {
  description = "The OIDC issuer without https:// (oidc.eks.<region>.amazonaws.com/id/<id>)."
  type        = string
}

variable "cache_endpoint" {
  description = "Address of the platform's ElastiCache Redis (host:port), put into the Secret when with_cache."
  type        = string
  default     = ""
}

variable "max_receive_count" {
  description = "Deliveries before a message moves to the dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}
