variable "environment" {
  description = "Environment of this state; `comind tf` selects the workspace of the same name."
  type        = string

  validation {
    condition     = contains(["dev", "stage", "prod"], var.environment)
    error_message = "environment must be one of the app's environments: dev, stage, prod."
  }
}

variable "region" {
  description = "AWS region of the platform."
  type        = string
  default     = "us-west-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-west-2."
  }
}

variable "state_bucket" {
  description = "S3 bucket of the Terraform states (`comind tf` passes the one backend.hcl names)."
  type        = string
}

variable "kubeconfig" {
  description = "Kubeconfig of the EKS cluster."
  type        = string
  default     = "~/.kube/config"
}

variable "kube_context" {
  description = "Kubeconfig context (empty: the current context)."
  type        = string
  default     = ""
}
