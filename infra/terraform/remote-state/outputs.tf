output "backend_hcl" {
  description = "Partial backend configuration for infra/terraform/backend.hcl."
  value       = <<-HCL
    bucket         = "${aws_s3_bucket.state.bucket}"
    region         = "${var.region}"
    dynamodb_table = "${aws_dynamodb_table.lock.name}"
    encrypt        = true
  HCL
}
