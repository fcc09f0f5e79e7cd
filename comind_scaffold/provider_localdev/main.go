// Command terraform-provider-localdev manages the per-app resources of a comind-ops platform's local
// profile: a PostgreSQL database and role, an S3 bucket (MinIO or any S3 API), an SQS queue
// (ElasticMQ or any SQS API), a Kubernetes Secret, and random passwords.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	err := providerserver.Serve(context.Background(), newProvider(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/comind/localdev",
	})
	if err != nil {
		log.Fatal(err)
	}
}
