terraform {
  required_version = ">= 1.5.0"

  required_providers {
    localdev = {
      source  = "registry.terraform.io/comind/localdev"
      version = "~> 0.2.0"
    }
  }
}
