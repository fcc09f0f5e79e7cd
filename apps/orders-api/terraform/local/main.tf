# Infrastructure of orders-api on the local profile. Run it through the CLI, which selects the workspace
# (one state per environment) and passes the local credentials as TF_VAR_* variables, never in files:
#   comind tf plan|apply|destroy|output orders-api --env ENV --profile local
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    localdev = {
      source  = "registry.terraform.io/comind/localdev"
      version = "~> 0.2.0"
    }
  }

  backend "local" {}
}

provider "localdev" {
  postgres_url    = var.postgres_admin_url
  s3_endpoint     = var.s3_endpoint
  s3_access_key   = var.s3_access_key
  s3_secret_key   = var.s3_secret_key
  sqs_endpoint    = var.sqs_endpoint
  kubeconfig_path = pathexpand(var.kubeconfig)
  kube_context    = var.kube_context
}

# A state selected for another environment would create that environment's resources under the wrong name.
resource "terraform_data" "workspace_guard" {
  input = var.environment

  lifecycle {
    precondition {
      condition     = terraform.workspace == var.environment
      error_message = "workspace and environment differ: run `terraform workspace select ${var.environment}` (comind tf does)."
    }
  }
}

module "app" {
  source = "../../../../infra/terraform/modules/app/local"

  name        = "orders-api"
  environment = var.environment
  platform    = "comind-ops"
  team        = "backend"

  with_database = true
  with_storage  = true
  with_queue    = false
  with_cache    = true

  ports       = var.ports
  minio_admin = var.minio_admin
}
