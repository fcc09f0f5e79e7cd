# external-dns (deployed by Argo CD: k8s/kustomize/external-dns.yaml) writes the Route53 records of the ingress hosts
# <app>.<env>.<domain> and argocd.<domain> into the public hosted zone of var.domain. The zone is looked up, not
# created: the domain's registration and delegation are the owner's, and a zone that already holds records stays
# theirs. Terraform makes what needs an AWS account: the IAM role (IRSA), and the namespace and ServiceAccount that
# carry the role's ARN, which the chart then uses (serviceAccount.create = false).

data "aws_route53_zone" "public" {
  name         = var.domain
  private_zone = false
}

data "aws_iam_policy_document" "external_dns" {
  statement {
    sid = "ChangeRecordsOfThePlatformZone"
    actions = [
      "route53:ChangeResourceRecordSets",
      "route53:ListResourceRecordSets",
      "route53:ListTagsForResources",
    ]
    resources = [data.aws_route53_zone.public.arn]
  }

  statement {
    sid       = "FindTheZone"
    actions   = ["route53:ListHostedZones"]
    resources = ["*"] # ListHostedZones has no resource-level permission: it is allowed on "*" or not at all
  }
}

resource "aws_iam_policy" "external_dns" {
  name        = "${var.name}-external-dns"
  description = "external-dns of ${var.name}: records of ${var.domain} only"
  policy      = data.aws_iam_policy_document.external_dns.json
}

module "external_dns_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "5.44.0"

  role_name        = "${var.name}-external-dns"
  role_policy_arns = { external_dns = aws_iam_policy.external_dns.arn }
  oidc_providers = {
    main = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = ["external-dns:external-dns"]
    }
  }
}

resource "kubernetes_namespace_v1" "external_dns" {
  metadata {
    name = "external-dns"
    labels = {
      "app.kubernetes.io/managed-by"       = "comind"
      "pod-security.kubernetes.io/enforce" = "restricted"
      "pod-security.kubernetes.io/audit"   = "restricted"
      "pod-security.kubernetes.io/warn"    = "restricted"
    }
  }
}

resource "kubernetes_service_account_v1" "external_dns" {
  metadata {
    name      = "external-dns"
    namespace = kubernetes_namespace_v1.external_dns.metadata[0].name
    labels    = { "app.kubernetes.io/managed-by" = "comind" }
    annotations = {
      "eks.amazonaws.com/role-arn" = module.external_dns_irsa.iam_role_arn
    }
  }
}
