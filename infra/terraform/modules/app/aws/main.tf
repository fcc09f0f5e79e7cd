data "aws_partition" "current" {}

locals {
  namespace   = "${var.name}-${var.environment}"
  identifier  = "${var.name}-${var.environment}"
  database    = replace("${var.name}_${var.environment}", "-", "_")
  bucket      = "${var.platform}-${var.name}-${var.environment}"
  queue       = "${var.name}-${var.environment}"
  secret_name = "${var.name}-infra"
  production  = var.environment == "prod"

  labels = merge(var.tags, {
    "app.kubernetes.io/name"       = var.name
    "app.kubernetes.io/part-of"    = var.platform
    "app.kubernetes.io/managed-by" = "comind"
    "comind.ops/team"              = var.team
    "comind.ops/environment"       = var.environment
    "comind.ops/app"               = var.name
  })
  aws_tags = {
    "comind.ops/platform"    = var.platform
    "comind.ops/app"         = var.name
    "comind.ops/environment" = var.environment
    "comind.ops/team"        = var.team
    "managed-by"             = "comind"
  }

  connection = merge(
    var.with_database ? {
      DATABASE_HOST     = aws_db_instance.this[0].address
      DATABASE_PORT     = tostring(aws_db_instance.this[0].port)
      DATABASE_NAME     = local.database
      DATABASE_USER     = local.database
      DATABASE_PASSWORD = random_password.database[0].result
      DATABASE_URL      = "postgresql://${local.database}:${random_password.database[0].result}@${aws_db_instance.this[0].endpoint}/${local.database}?sslmode=require"
    } : {},
    var.with_storage ? { S3_BUCKET = aws_s3_bucket.this[0].bucket, S3_REGION = aws_s3_bucket.this[0].region } : {},
    var.with_queue ? {
      QUEUE_NAME = aws_sqs_queue.main[0].name
      QUEUE_URL  = aws_sqs_queue.main[0].url
      DLQ_NAME   = aws_sqs_queue.dead_letter[0].name
      DLQ_URL    = aws_sqs_queue.dead_letter[0].url
    } : {},
    var.with_cache ? { REDIS_ADDRESS = var.cache_endpoint } : {},
    { APP_ENVIRONMENT = var.environment },
  )
}

# ----------------------------------------------------------------------------- database

resource "random_password" "database" {
  count = var.with_database ? 1 : 0

  length  = 32
  special = false
}

resource "aws_security_group" "database" {
  count = var.with_database ? 1 : 0

  name_prefix = "${local.identifier}-db-"
  description = "PostgreSQL of ${local.identifier}: reachable from the cluster's nodes only"
  vpc_id      = var.vpc_id
  tags        = local.aws_tags
}

resource "aws_vpc_security_group_ingress_rule" "database" {
  for_each = var.with_database ? toset(var.client_security_group_ids) : toset([])

  security_group_id            = aws_security_group.database[0].id
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "PostgreSQL from ${each.value}"
}

resource "aws_db_instance" "this" {
  count = var.with_database ? 1 : 0

  identifier                          = local.identifier
  engine                              = "postgres"
  engine_version                      = var.database.engine_version
  instance_class                      = var.database.instance_class
  allocated_storage                   = var.database.allocated_storage
  storage_encrypted                   = true
  db_name                             = local.database
  username                            = local.database
  password                            = random_password.database[0].result
  db_subnet_group_name                = var.database.subnet_group_name
  vpc_security_group_ids              = [aws_security_group.database[0].id]
  publicly_accessible                 = false
  iam_database_authentication_enabled = true
  backup_retention_period             = local.production ? 14 : 1
  deletion_protection                 = local.production
  skip_final_snapshot                 = !local.production
  final_snapshot_identifier           = local.production ? "${local.identifier}-final" : null
  copy_tags_to_snapshot               = true
  tags                                = local.aws_tags
}

# ----------------------------------------------------------------------------- storage

resource "aws_s3_bucket" "this" {
  count = var.with_storage ? 1 : 0

  bucket = local.bucket
  tags   = local.aws_tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count = var.with_storage ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = var.with_storage ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  count = var.with_storage ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = var.with_storage ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

# ----------------------------------------------------------------------------- queues

resource "aws_sqs_queue" "dead_letter" {
  count = var.with_queue ? 1 : 0

  name                      = "${local.queue}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = local.aws_tags
}

resource "aws_sqs_queue" "main" {
  count = var.with_queue ? 1 : 0

  name                    = local.queue
  sqs_managed_sse_enabled = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter[0].arn
    maxReceiveCount     = var.max_receive_count
  })
  tags = local.aws_tags
}

resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  count = var.with_queue ? 1 : 0

  queue_url = aws_sqs_queue.dead_letter[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.main[0].arn]
  })
}

# ----------------------------------------------------------------------------- secret and IRSA

resource "aws_secretsmanager_secret" "this" {
  name                    = "${var.platform}/${var.name}/${var.environment}"
  description             = "Connection details of ${local.identifier}"
  recovery_window_in_days = local.production ? 30 : 0
  tags                    = local.aws_tags
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id     = aws_secretsmanager_secret.this.id
  secret_string = jsonencode(local.connection)
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${var.oidc_provider}:sub"
      values   = ["system:serviceaccount:${local.namespace}:${var.name}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${var.oidc_provider}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

# Only what the app declared, on its own resources: no wildcard actions or resources.
data "aws_iam_policy_document" "access" {
  statement {
    sid       = "ReadOwnSecret"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [aws_secretsmanager_secret.this.arn]
  }

  dynamic "statement" {
    for_each = var.with_storage ? [1] : []
    content {
      sid       = "ListOwnBucket"
      actions   = ["s3:ListBucket"]
      resources = [aws_s3_bucket.this[0].arn]
    }
  }

  dynamic "statement" {
    for_each = var.with_storage ? [1] : []
    content {
      sid       = "ObjectsOfOwnBucket"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources = ["${aws_s3_bucket.this[0].arn}/*"]
    }
  }

  dynamic "statement" {
    for_each = var.with_queue ? [1] : []
    content {
      sid = "OwnQueues"
      actions = [
        "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
      ]
      resources = [aws_sqs_queue.main[0].arn, aws_sqs_queue.dead_letter[0].arn]
    }
  }

  dynamic "statement" {
    for_each = var.with_database ? [1] : []
    content {
      sid       = "DatabaseLogin"
      actions   = ["rds-db:connect"]
      resources = ["arn:${data.aws_partition.current.partition}:rds-db:*:*:dbuser:${aws_db_instance.this[0].resource_id}/${local.database}"]
    }
  }
}

resource "aws_iam_role" "service_account" {
  name_prefix        = substr("${local.identifier}-", 0, 38)
  description        = "IRSA role of ServiceAccount ${local.namespace}/${var.name}"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags               = local.aws_tags
}

resource "aws_iam_role_policy" "access" {
  name   = "own-resources"
  role   = aws_iam_role.service_account.id
  policy = data.aws_iam_policy_document.access.json
}

resource "kubernetes_secret_v1" "this" {
  metadata {
    name      = local.secret_name
    namespace = local.namespace
    labels    = local.labels
    annotations = {
      "comind.ops/aws-secret-arn" = aws_secretsmanager_secret.this.arn
    }
  }
  data = local.connection
}
