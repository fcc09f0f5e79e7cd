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
  value       = kubernetes_secret_v1.this.metadata[0].name
}

output "database_name" {
  description = "Database (and role) name, or null without a database."
  value       = var.with_database ? aws_db_instance.this[0].db_name : null
}

output "bucket_name" {
  description = "Bucket name, or null without storage."
  value       = var.with_storage ? aws_s3_bucket.this[0].bucket : null
}

output "storage_user" {
  description = "MinIO user of the bucket (local only; on AWS the app reaches S3 through its IRSA role): null."
  value       = null
}

output "queue_url" {
  description = "Queue URL, or null without a queue."
  value       = var.with_queue ? aws_sqs_queue.main[0].url : null
}

output "dead_letter_queue_url" {
  description = "Dead-letter queue URL, or null without a queue."
  value       = var.with_queue ? aws_sqs_queue.dead_letter[0].url : null
}

output "service_account_role_arn" {
  description = "IAM role for the app's ServiceAccount (annotate it with eks.amazonaws.com/role-arn)."
  value       = aws_iam_role.service_account.arn
}
