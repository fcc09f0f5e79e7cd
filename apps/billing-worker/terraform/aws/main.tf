# Infrastructure of billing-worker on the aws profile. Run it through the CLI, which initialises the S3 backend
# from infra/terraform/backend.hcl (one state per app, one workspace per environment):
#   comind tf plan|apply|destroy|output billing-worker --env ENV --profile aws
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.35"
    }
  }

  # bucket, region and use_lockfile come from infra/terraform/backend.hcl (written by `comind bootstrap`).
  backend "s3" {
    key                  = "apps/billing-worker/terraform.tfstate"
    workspace_key_prefix = "apps-env"
    encrypt              = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      "comind.ops/platform" = "comind-ops"
      "comind.ops/app"      = "billing-worker"
    }
  }
}

provider "kubernetes" {
  config_path    = pathexpand(var.kubeconfig)
  config_context = var.kube_context == "" ? null : var.kube_context
}

# Everything the platform environment exported (VPC, node security group, OIDC provider, cache).
data "terraform_remote_state" "platform" {
  backend = "s3"
  config = {
    bucket = var.state_bucket
    key    = "platform/aws/terraform.tfstate"
    region = var.region
  }
}

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
  source = "../../../../infra/terraform/modules/app/aws"

  name        = "billing-worker"
  environment = var.environment
  platform    = "comind-ops"
  team        = "frontend"

  with_database = false
  with_storage  = false
  with_queue    = true
  with_cache    = false

  vpc_id                    = data.terraform_remote_state.platform.outputs.vpc_id
  client_security_group_ids = [data.terraform_remote_state.platform.outputs.node_security_group_id]
  oidc_provider_arn         = data.terraform_remote_state.platform.outputs.oidc_provider_arn
  oidc_provider             = data.terraform_remote_state.platform.outputs.oidc_provider
  cache_endpoint            = data.terraform_remote_state.platform.outputs.redis_endpoint
  database = {
    engine_version    = "15"
    instance_class    = "db.t4g.micro"
    allocated_storage = 20
    subnet_group_name = data.terraform_remote_state.platform.outputs.database_subnet_group
  }
}
