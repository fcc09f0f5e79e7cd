output "namespace" {
  description = "Namespace holding the connection Secret."
  value       = local.namespace

  precondition {
    condition     = length(local.namespace) <= 63
    error_message = "name: <name>-<environment> must fit 63 characters (a namespace is a DNS-1123 label)."
  }
}

output "secret_name" {
  description = "Name of the Secret with the connection details."
  value       = localdev_kubernetes_secret.this.name
}

output "database_name" {
  description = "Database (and role) name, or null without a database."
  value       = var.with_database ? localdev_postgresql_database.this[0].name : null
}

output "bucket_name" {
  description = "Bucket name, or null without storage."
  value       = var.with_storage ? localdev_s3_bucket.this[0].name : null
}

output "storage_user" {
  description = "MinIO user of the bucket (its access key), or null without storage or MinIO admin API."
  value       = local.storage_user ? localdev_minio_user.this[0].name : null
}

output "queue_url" {
  description = "Queue URL as the provider sees it, or null without a queue."
  value       = var.with_queue ? localdev_sqs_queue.main[0].url : null
}

output "dead_letter_queue_url" {
  description = "Dead-letter queue URL, or null without a queue."
  value       = var.with_queue ? localdev_sqs_queue.dead_letter[0].url : null
}

output "service_account_role_arn" {
  description = "IAM role for the app's ServiceAccount (aws only; null locally)."
  value       = null
}
