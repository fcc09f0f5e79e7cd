variable "environment" {
  description = "Environment of this state; `comind tf` selects the workspace of the same name."
  type        = string

  validation {
    condition     = contains(["dev", "stage"], var.environment)
    error_message = "environment must be one of the app's environments: dev, stage."
  }
}

variable "postgres_admin_url" {
  description = "Admin URL of the local PostgreSQL (set by `comind tf` from .comind/local-credentials.yaml)."
  type        = string
  default     = null
  sensitive   = true
}

variable "s3_endpoint" {
  description = "S3 API of the local MinIO, e.g. http://127.0.0.1:9000."
  type        = string
  default     = "http://127.0.0.1:9000"
}

variable "s3_access_key" {
  description = "MinIO root access key (local-only)."
  type        = string
  default     = null
  sensitive   = true
}

variable "s3_secret_key" {
  description = "MinIO root secret key (local-only)."
  type        = string
  default     = null
  sensitive   = true
}

variable "sqs_endpoint" {
  description = "SQS API of the local ElasticMQ, e.g. http://127.0.0.1:9324."
  type        = string
  default     = "http://127.0.0.1:9324"
}

variable "kubeconfig" {
  description = "Kubeconfig of the local cluster."
  type        = string
  default     = "~/.kube/config"
}

variable "kube_context" {
  description = "Kubeconfig context (empty: the current context)."
  type        = string
  default     = ""
}

variable "minio_admin" {
  description = "The S3 endpoint is MinIO with its admin API (comind tf probes it): the bucket gets its own user."
  type        = bool
  default     = true
}

variable "ports" {
  description = "Ports of the local services as pods see them."
  type = object({
    postgresql = number
    minio      = number
    redis      = number
    elasticmq  = number
  })
  default = { postgresql = 5432, minio = 9000, redis = 6379, elasticmq = 9324 }
}
