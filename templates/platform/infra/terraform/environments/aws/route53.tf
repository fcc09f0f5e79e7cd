# Private DNS of the managed services: <service>.<env>.internal.<domain> → the RDS and ElastiCache endpoints, the
# names the ExternalName Services of platform-<env> point at (k8s/platform/overlays/<env>/aws).
# Terraform knows those endpoints, so it writes the records; only the EKS VPC resolves the zone.
resource "aws_route53_zone" "internal" {
  name    = "internal.${var.domain}"
  comment = "Managed services of ${var.name} (comind)"

  vpc {
    vpc_id = module.vpc.vpc_id
  }
}

locals {
  internal_records = merge([
    for env in var.environments : {
      "postgresql.${env}" = aws_db_instance.platform.address
      "redis.${env}"      = aws_elasticache_replication_group.redis.primary_endpoint_address
    }
  ]...)
}

resource "aws_route53_record" "internal" {
  for_each = local.internal_records

  zone_id = aws_route53_zone.internal.zone_id
  name    = "${each.key}.internal.${var.domain}"
  type    = "CNAME"
  ttl     = 60
  records = [each.value]
}
