locals {
  namespace   = "${var.name}-${var.environment}"
  database    = replace("${var.name}_${var.environment}", "-", "_")
  bucket      = "${var.platform}-${var.name}-${var.environment}"
  queue       = "${var.name}-${var.environment}"
  secret_name = "${var.name}-infra"

  labels = merge(var.tags, {
    "app.kubernetes.io/name"       = var.name
    "app.kubernetes.io/part-of"    = var.platform
    "app.kubernetes.io/managed-by" = "comind"
    "comind.ops/team"              = var.team
    "comind.ops/environment"       = var.environment
    "comind.ops/app"               = var.name
  })

  # Pods reach each service through its Service in platform-<env> (k8s/platform/overlays/<env>: an EndpointSlice
  # naming the container on the k3d network). Queue URLs are re-rooted there: the provider reaches ElasticMQ on
  # loopback, pods do not.
  hosts        = { for s in ["postgresql", "minio", "redis", "elasticmq"] : s => "${s}.platform-${var.environment}.svc.cluster.local" }
  sqs_endpoint = "http://${local.hosts.elasticmq}:${var.ports.elasticmq}"
  queue_path   = var.with_queue ? regex("^[a-z]+://[^/]+/(.*)$", localdev_sqs_queue.main[0].url)[0] : ""
  dlq_path     = var.with_queue ? regex("^[a-z]+://[^/]+/(.*)$", localdev_sqs_queue.dead_letter[0].url)[0] : ""

  database_values = var.with_database ? {
    DATABASE_HOST     = local.hosts.postgresql
    DATABASE_PORT     = tostring(var.ports.postgresql)
    DATABASE_NAME     = local.database
    DATABASE_USER     = local.database
    DATABASE_PASSWORD = localdev_password.database[0].result
    DATABASE_URL      = "postgresql://${local.database}:${localdev_password.database[0].result}@${local.hosts.postgresql}:${var.ports.postgresql}/${local.database}"
  } : {}

  storage_user = var.with_storage && var.minio_admin
  storage_values = var.with_storage ? merge({
    S3_ENDPOINT = "http://${local.hosts.minio}:${var.ports.minio}"
    S3_BUCKET   = local.bucket
    S3_REGION   = "us-east-1"
    }, local.storage_user ? {
    S3_ACCESS_KEY = localdev_minio_user.this[0].name
    S3_SECRET_KEY = localdev_minio_user.this[0].secret
  } : {}) : {}

  queue_values = var.with_queue ? {
    SQS_ENDPOINT  = local.sqs_endpoint
    SQS_REGION    = "elasticmq"
    QUEUE_NAME    = local.queue
    QUEUE_URL     = "${local.sqs_endpoint}/${local.queue_path}"
    DLQ_NAME      = "${local.queue}-dlq"
    DLQ_URL       = "${local.sqs_endpoint}/${local.dlq_path}"
    QUEUE_ARN     = localdev_sqs_queue.main[0].arn
    DLQ_QUEUE_ARN = localdev_sqs_queue.dead_letter[0].arn
  } : {}

  cache_values = var.with_cache ? {
    REDIS_HOST = local.hosts.redis
    REDIS_PORT = tostring(var.ports.redis)
  } : {}
}

resource "localdev_password" "database" {
  count = var.with_database ? 1 : 0

  length  = 32
  keepers = { database = local.database }
}

resource "localdev_postgresql_database" "this" {
  count = var.with_database ? 1 : 0

  name     = local.database
  password = localdev_password.database[0].result
}

resource "localdev_s3_bucket" "this" {
  count = var.with_storage ? 1 : 0

  name = local.bucket
}

resource "localdev_password" "storage" {
  count = local.storage_user ? 1 : 0

  length  = 40
  keepers = { bucket = local.bucket }
}

# The bucket's own login: a MinIO user named after the bucket whose policy reaches that bucket only.
resource "localdev_minio_user" "this" {
  count = local.storage_user ? 1 : 0

  name   = local.bucket
  secret = localdev_password.storage[0].result
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:GetBucketLocation", "s3:ListBucket"], Resource = ["arn:aws:s3:::${local.bucket}"] },
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource = ["arn:aws:s3:::${local.bucket}/*"] },
    ]
  })

  depends_on = [localdev_s3_bucket.this]
}

resource "localdev_sqs_queue" "dead_letter" {
  count = var.with_queue ? 1 : 0

  name                      = "${local.queue}-dlq"
  message_retention_seconds = 1209600
}

resource "localdev_sqs_queue" "main" {
  count = var.with_queue ? 1 : 0

  name                  = local.queue
  dead_letter_queue_arn = localdev_sqs_queue.dead_letter[0].arn
  max_receive_count     = var.max_receive_count
}

resource "localdev_kubernetes_secret" "this" {
  namespace        = local.namespace
  name             = local.secret_name
  labels           = local.labels
  create_namespace = var.create_namespace
  namespace_labels = merge(local.labels, {
    "pod-security.kubernetes.io/enforce" = "restricted"
    "pod-security.kubernetes.io/audit"   = "restricted"
    "pod-security.kubernetes.io/warn"    = "restricted"
  })
  data = merge(local.database_values, local.storage_values, local.queue_values, local.cache_values, {
    APP_ENVIRONMENT = var.environment
  })

  depends_on = [localdev_postgresql_database.this, localdev_minio_user.this, localdev_sqs_queue.main]
}
