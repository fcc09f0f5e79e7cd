output "namespace" {
  description = "Namespace holding the connection Secret."
  value       = module.app.namespace
}

output "secret_name" {
  description = "Secret with the connection details."
  value       = module.app.secret_name
}

output "database_name" {
  description = "Database and role, or null."
  value       = module.app.database_name
}

output "bucket_name" {
  description = "Bucket, or null."
  value       = module.app.bucket_name
}

output "storage_user" {
  description = "MinIO user of the bucket, or null."
  value       = module.app.storage_user
}

output "queue_url" {
  description = "Queue URL, or null."
  value       = module.app.queue_url
}

output "dead_letter_queue_url" {
  description = "Dead-letter queue URL, or null."
  value       = module.app.dead_letter_queue_url
}

output "service_account_role_arn" {
  description = "IAM role of the app's ServiceAccount (aws only)."
  value       = module.app.service_account_role_arn
}
