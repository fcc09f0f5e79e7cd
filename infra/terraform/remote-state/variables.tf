variable "name" {
  description = "Platform name (prefix of the state bucket and lock table)."
  type        = string
  default     = "comind-ops"
}

variable "environment" {
  description = "Not used for naming: one state bucket serves every environment."
  type        = string
  default     = "aws"
}

variable "tags" {
  description = "Tags of the state bucket and lock table."
  type        = map(string)
  default     = {}
}

variable "region" {
  description = "AWS region of the state bucket."
  type        = string
  default     = "us-west-2"
}

variable "bucket" {
  description = "S3 bucket holding every Terraform state of the platform."
  type        = string
  default     = "comind-ops-terraform-state"

  validation {
    condition     = can(regex("^[a-z0-9][-a-z0-9.]{1,61}[a-z0-9]$", var.bucket))
    error_message = "bucket must be a valid S3 bucket name."
  }
}

variable "lock_table" {
  description = "DynamoDB table for state locks."
  type        = string
  default     = "comind-ops-terraform-lock"
}
