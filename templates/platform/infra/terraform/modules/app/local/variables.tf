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

variable "ports" {
  description = "Ports of the local services as the pods see them."
  type = object({
    postgresql = number
    minio      = number
    redis      = number
    elasticmq  = number
  })
  default = { postgresql = 5432, minio = 9000, redis = 6379, elasticmq = 9324 }

  validation {
    condition     = alltrue([for port in values(var.ports) : port >= 1 && port <= 65535])
    error_message = "ports must be between 1 and 65535."
  }
}

variable "minio_admin" {
  description = "The S3 endpoint is MinIO with its admin API: give the bucket a user and policy of its own (false for a plain S3 stand-in, whose Secret then carries no keys)."
  type        = bool
  default     = true
}

variable "create_namespace" {
  description = "Create <name>-<environment> when missing (Argo CD normally creates it); it is never deleted."
  type        = bool
  default     = true
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
