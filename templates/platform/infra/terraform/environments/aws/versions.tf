terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "~> 2.17"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.35"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # bucket, region and use_lockfile: infra/terraform/backend.hcl, written by `comind bootstrap --profile aws`.
  backend "s3" {
    key     = "platform/aws/terraform.tfstate"
    encrypt = true
  }
}
