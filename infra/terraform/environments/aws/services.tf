# The platform's managed services: RDS PostgreSQL, ElastiCache Redis, an S3 bucket for platform artefacts.

resource "random_password" "database" {
  length  = 32
  special = false
}

resource "aws_security_group" "services" {
  name_prefix = "${var.name}-services-"
  description = "Managed services of ${var.name}: reachable from the EKS nodes only"
  vpc_id      = module.vpc.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "services" {
  for_each = { postgres = 5432, redis = 6379 }

  security_group_id            = aws_security_group.services.id
  referenced_security_group_id = module.eks.node_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  description                  = "${each.key} from the EKS nodes"
}

resource "aws_db_instance" "platform" {
  identifier                          = "${var.name}-platform"
  engine                              = "postgres"
  engine_version                      = var.database.engine_version
  instance_class                      = var.database.instance_class
  allocated_storage                   = var.database.allocated_storage
  storage_encrypted                   = true
  db_name                             = replace(var.name, "-", "_")
  username                            = "platform_admin"
  password                            = random_password.database.result
  db_subnet_group_name                = module.vpc.database_subnet_group_name
  vpc_security_group_ids              = [aws_security_group.services.id]
  publicly_accessible                 = false
  multi_az                            = true
  backup_retention_period             = 14
  deletion_protection                 = true
  final_snapshot_identifier           = "${var.name}-platform-final"
  iam_database_authentication_enabled = true
}

resource "aws_secretsmanager_secret" "database" {
  name        = "${var.name}/platform/database"
  description = "Admin login of the platform RDS instance"
}

resource "aws_secretsmanager_secret_version" "database" {
  secret_id = aws_secretsmanager_secret.database.id
  secret_string = jsonencode({
    host     = aws_db_instance.platform.address
    port     = aws_db_instance.platform.port
    username = aws_db_instance.platform.username
    password = random_password.database.result
  })
}

resource "aws_elasticache_subnet_group" "redis" {
  name       = "${var.name}-redis"
  subnet_ids = module.vpc.private_subnets
}

resource "aws_elasticache_replication_group" "redis" {
  replication_group_id       = "${var.name}-redis"
  description                = "Redis of ${var.name}"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.redis_node_type
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  subnet_group_name          = aws_elasticache_subnet_group.redis.name
  security_group_ids         = [aws_security_group.services.id]
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "${var.name}-artifacts-${var.region}"
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}
