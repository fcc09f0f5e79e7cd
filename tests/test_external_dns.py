"""external-dns on the aws profile: the Argo CD Applications, their AppProject, the namespace's policies, the IRSA
Terraform that gives its ServiceAccount a role, the apps' ALB Ingresses it publishes, and `comind validate` on the
rendered platform.

The chart and the ALB controller cannot run here (they need Route53 and ELB); what external-dns writes is checked by
the verifier (tests/test_verify_aws.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import copier
import hcl2
import pytest
import yaml

from comind_scaffold.checks.aws import ingress_hosts
from comind_scaffold.checks.expected import Expected
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.scaffold import new_app, sync_projects
from comind_scaffold.update import update
from comind_scaffold.validation.run import validate
from tests.helpers_platform import render_platform, template_source
from tests.helpers_platform_checks import kustomize_build
from tests.helpers_scaffold import commit_all, make_platform, older_template_repo

CHART_REPO = "https://kubernetes-sigs.github.io/external-dns/"
NAMESPACE = "external-dns"
CERTIFICATE = "arn:aws:acm:us-west-2:123456789012:certificate/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
ENVIRONMENTS = ("dev", "stage", "prod")
ALB_COMMIT = "0ebc417"  # the commit that made the apps' aws Ingress class alb
_HCL = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)


def _render(where: Path, profile: str, certificate: str = "") -> Path:
    root = render_platform(where, {"default_profile": profile, "aws_domain": "apps.example.org",
                                   "aws_certificate_arn": certificate})
    copier.run_copy(str(template_source()), root / "apps" / "shop",
                    data={"template": "app", "app_name": "shop", "team": "backend"},
                    defaults=True, unsafe=True, quiet=True)
    sync_projects(PlatformRepo(root))
    return root


@pytest.fixture(scope="module")
def aws_platform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp("aws") / "platform", "aws", CERTIFICATE)


@pytest.fixture(scope="module")
def local_platform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp("local") / "platform", "local")


def _by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _app_ingresses(root: Path) -> dict[str, dict[str, Any]]:
    """The Ingress of app `shop` in each environment, as the real kustomize builds its overlay."""
    return {env: ingress for env in ENVIRONMENTS
            for ingress in _by_kind(kustomize_build(root / "apps/shop/k8s/overlays" / env), "Ingress").values()}


def _terraform(root: Path, name: str = "external-dns.tf") -> dict[str, Any]:
    with (root / "infra/terraform/environments/aws" / name).open() as handle:
        parsed: dict[str, Any] = hcl2.load(handle, serialization_options=_HCL)
    return parsed


def _blocks(parsed: dict[str, Any], kind: str, type_: str) -> dict[str, Any]:
    return {name: body for block in parsed.get(kind, []) for typ, named in block.items() if typ == type_
            for name, body in named.items()}


def test_a_local_platform_renders_no_external_dns(local_platform: Path) -> None:
    objects = kustomize_build(local_platform / "k8s/kustomize")
    assert not [o for o in objects if "external-dns" in o["metadata"]["name"]]
    assert not list(local_platform.glob("k8s/**/*external-dns*"))
    assert not (local_platform / "k8s" / NAMESPACE).exists()


def test_the_chart_is_pinned_and_owns_only_its_records_in_aws_domain(aws_platform: Path) -> None:
    spec = PlatformRepo(aws_platform).spec
    apps = _by_kind(kustomize_build(aws_platform / "k8s/kustomize"), "Application")
    chart, policies = apps["external-dns"]["spec"], apps["external-dns-policies"]["spec"]
    assert (chart["source"]["repoURL"], chart["source"]["chart"], chart["source"]["targetRevision"]) == (
        CHART_REPO, "external-dns", "1.19.0")
    assert chart["project"] == policies["project"] == f"{spec.platform_name}-external-dns"
    assert chart["destination"]["namespace"] == policies["destination"]["namespace"] == NAMESPACE
    assert (policies["source"]["repoURL"], policies["source"]["path"]) == (spec.repo_url, "k8s/external-dns")
    values = chart["source"]["helm"]["valuesObject"]
    assert values["provider"] == {"name": "aws"}
    assert values["domainFilters"] == ["apps.example.org"]
    assert (values["registry"], values["txtOwnerId"]) == ("txt", spec.platform_name)
    assert values["policy"] == "upsert-only"  # never deletes a record it did not create
    assert values["sources"] == ["ingress"]
    assert values["serviceAccount"] == {"create": False, "name": NAMESPACE}
    assert values["securityContext"]["allowPrivilegeEscalation"] is False
    assert values["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    waves = {name: apps[name]["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] for name in apps
             if name.startswith("external-dns")}
    assert waves == {"external-dns-policies": "0", "external-dns": "1"}


def test_the_project_allows_exactly_the_chart_repository_its_namespace_and_kinds(aws_platform: Path) -> None:
    spec = PlatformRepo(aws_platform).spec
    project = _by_kind(kustomize_build(aws_platform / "k8s/kustomize"), "AppProject")[
        f"{spec.platform_name}-external-dns"]["spec"]
    assert project["sourceRepos"] == [spec.repo_url, CHART_REPO]
    assert project["destinations"] == [{"server": "https://kubernetes.default.svc", "namespace": NAMESPACE}]
    cluster = {(k["group"], k["kind"]) for k in project["clusterResourceWhitelist"]}
    namespaced = {(k["group"], k["kind"]) for k in project["namespaceResourceWhitelist"]}
    rbac = "rbac.authorization.k8s.io"
    assert cluster == {(rbac, "ClusterRole"), (rbac, "ClusterRoleBinding")}
    assert namespaced == {("", "Service"), ("apps", "Deployment"), ("networking.k8s.io", "NetworkPolicy")}
    layer = kustomize_build(aws_platform / "k8s/external-dns")
    assert {(o["apiVersion"].rpartition("/")[0], o["kind"]) for o in layer} <= namespaced
    # Terraform owns the namespace and the ServiceAccount carrying the role: Argo CD may create neither.
    assert ("", "Namespace") not in cluster and ("", "ServiceAccount") not in namespaced


def test_the_namespace_denies_by_default_and_lets_out_only_dns_and_https(aws_platform: Path) -> None:
    objects = kustomize_build(aws_platform / "k8s/external-dns")
    assert {o["metadata"]["namespace"] for o in objects} == {NAMESPACE}
    policies = {name: p["spec"] for name, p in _by_kind(objects, "NetworkPolicy").items()}
    assert policies.pop("default-deny-all") == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert [p for p in policies.values() if "ingress" in p] == []
    ports = sorted((port["protocol"], port["port"]) for p in policies.values() for rule in p["egress"]
                   for port in rule["ports"])
    assert ports == [("TCP", 53), ("TCP", 443), ("UDP", 53)]
    namespace = _blocks(_terraform(aws_platform), "resource", "kubernetes_namespace_v1")["external_dns"]
    labels = namespace["metadata"][0]["labels"]
    assert (namespace["metadata"][0]["name"], labels["pod-security.kubernetes.io/enforce"]) == (NAMESPACE, "restricted")


def test_the_role_may_change_only_the_looked_up_zone_of_aws_domain(aws_platform: Path) -> None:
    parsed = _terraform(aws_platform)
    zone = _blocks(parsed, "data", "aws_route53_zone")["public"]
    assert (zone["name"], zone["private_zone"]) == ("${var.domain}", False)
    assert _blocks(parsed, "resource", "aws_route53_zone") == {}  # looked up, never created (nor destroyed)
    statements = _blocks(parsed, "data", "aws_iam_policy_document")["external_dns"]["statement"]
    granted = {action: statement["resources"] for statement in statements for action in statement["actions"]}
    assert granted == {
        "route53:ChangeResourceRecordSets": ["${data.aws_route53_zone.public.arn}"],
        "route53:ListResourceRecordSets": ["${data.aws_route53_zone.public.arn}"],
        "route53:ListTagsForResources": ["${data.aws_route53_zone.public.arn}"],
        "route53:ListHostedZones": ["*"],  # no resource-level permission exists for it
    }
    role = {name: body for block in parsed["module"] for name, body in block.items()}["external_dns_irsa"]
    assert role["role_policy_arns"] == {"external_dns": "${aws_iam_policy.external_dns.arn}"}
    assert role["oidc_providers"]["main"]["namespace_service_accounts"] == [f"{NAMESPACE}:{NAMESPACE}"]
    account = _blocks(parsed, "resource", "kubernetes_service_account_v1")["external_dns"]["metadata"][0]
    assert account["name"] == NAMESPACE
    assert account["annotations"] == {"eks.amazonaws.com/role-arn": "${module.external_dns_irsa.iam_role_arn}"}


def test_validate_is_clean_on_the_aws_platform(aws_platform: Path) -> None:
    assert [f"{r.name} {r.object}: {r.message}" for r in validate(aws_platform).failures] == []


def test_a_team_may_not_take_the_name_of_the_external_dns_project(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as refused:
        render_platform(tmp_path / "badteam",
                        {"default_profile": "aws", "teams": ["platform", "comind-ops-external-dns"]})
    assert "teams: comind-ops-external-dns is reserved for a platform AppProject" in str(refused.value)


def test_the_readme_says_how_app_hosts_get_their_records(aws_platform: Path) -> None:
    readme = (aws_platform / "README.md").read_text()
    section = readme[readme.index("- **aws, app hosts**"):readme.index("## Rules this repository keeps")]
    for fact in ("`<app>.<env>.apps.example.org`", "external-dns", "public Route53 zone `apps.example.org`",
                 "`upsert-only`", "infra/terraform/environments/aws/external-dns.tf", "(class `alb`",
                 "one internet-facing ALB, group `comind-ops`", f"`aws_certificate_arn` (`{CERTIFICATE}`)",
                 "`*.<env>.apps.example.org`"):
        assert fact in " ".join(section.split()), fact
    assert "nginx" not in section and "yet" not in section


def test_the_apps_ingresses_on_aws_join_the_platforms_alb_with_its_certificate(aws_platform: Path) -> None:
    ingresses = _app_ingresses(aws_platform)
    assert {env: i["spec"]["rules"][0]["host"] for env, i in ingresses.items()} == {
        env: f"shop.{env}.apps.example.org" for env in ENVIRONMENTS}
    for ingress in ingresses.values():
        assert ingress["spec"]["ingressClassName"] == "alb"
        assert ingress["metadata"]["annotations"] == {
            "alb.ingress.kubernetes.io/scheme": "internet-facing",
            "alb.ingress.kubernetes.io/target-type": "ip",
            "alb.ingress.kubernetes.io/group.name": "comind-ops",
            "alb.ingress.kubernetes.io/healthcheck-path": "/",
            "alb.ingress.kubernetes.io/certificate-arn": CERTIFICATE,
            "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS":443}]',
        }
    # One source: Terraform's default for Argo CD's ALB Ingress is the same answer, and Argo CD joins the group.
    certificate = {name: body for block in _terraform(aws_platform, "variables.tf")["variable"]
                   for name, body in block.items()}["certificate_arn"]
    assert certificate["default"] == CERTIFICATE
    platform_tf = (aws_platform / "infra/terraform/environments/aws/platform.tf").read_text()
    assert '"alb.ingress.kubernetes.io/group.name" = var.name' in platform_tf
    assert '"alb.ingress.kubernetes.io/certificate-arn" = var.certificate_arn' in platform_tf
    readme = (aws_platform / "apps/shop/README.md").read_text()
    assert "https://shop.prod.apps.example.org" in readme


def test_the_verifier_asks_route53_for_exactly_the_hosts_the_app_ingresses_serve(aws_platform: Path) -> None:
    repo = PlatformRepo(aws_platform)
    served = sorted(i["spec"]["rules"][0]["host"] for i in _app_ingresses(aws_platform).values())
    assert sorted(ingress_hosts(Expected(repo).app_envs, repo.spec.aws_domain)) == served


def test_without_a_certificate_the_alb_listens_on_http_as_argo_cds_does(tmp_path: Path) -> None:
    root = _render(tmp_path / "platform", "aws")
    for ingress in _app_ingresses(root).values():
        annotations = ingress["metadata"]["annotations"]
        assert ingress["spec"]["ingressClassName"] == "alb"
        assert "alb.ingress.kubernetes.io/certificate-arn" not in annotations
        assert "alb.ingress.kubernetes.io/listen-ports" not in annotations  # the controller's default: HTTP 80
    assert "http://shop.dev.apps.example.org" in (root / "apps/shop/README.md").read_text()


def test_a_local_platforms_app_keeps_nginx_and_the_local_domain(local_platform: Path) -> None:
    for env, ingress in _app_ingresses(local_platform).items():
        assert ingress["spec"]["ingressClassName"] == "nginx"
        assert ingress["spec"]["rules"][0]["host"] == f"shop.{env}.127.0.0.1.nip.io"
        assert "annotations" not in ingress["metadata"]


def test_validate_is_clean_on_the_local_platform(local_platform: Path) -> None:
    assert [f"{r.name} {r.object}: {r.message}" for r in validate(local_platform).failures] == []


@pytest.mark.parametrize(("certificate", "message"), [
    ("arn:aws:iam::123456789012:server-certificate/x",
     "aws_certificate_arn: must be empty or an ACM certificate ARN"),
    (CERTIFICATE.replace("us-west-2", "eu-west-1"),
     "aws_certificate_arn: is in eu-west-1; an ALB takes a certificate of its own region (us-west-2)"),
])
def test_a_certificate_that_is_no_acm_arn_of_the_region_is_refused(tmp_path: Path, certificate: str,
                                                                    message: str) -> None:
    with pytest.raises(ValueError) as refused:
        render_platform(tmp_path / "badcert", {"default_profile": "aws", "aws_certificate_arn": certificate})
    assert message in str(refused.value)


_APP_FILES = ("templates/app/copier-questions.yml", "templates/app/README.md.jinja",
              "templates/app/k8s/base/{% if ingress %}ingress.yaml{% endif %}.jinja")


def test_comind_update_moves_an_older_aws_app_to_the_alb(tmp_path: Path) -> None:
    """An app made before its template knew the profile (class nginx) gets class alb and the certificate from the
    platform's facts on its next `comind update`; the update leaves no conflict."""
    template = tmp_path / "template"  # v1.0.0: the app template as it was before the ALB Ingress
    release_current = older_template_repo(template, f"{ALB_COMMIT}~1", _APP_FILES)
    platform = make_platform(template, tmp_path / "platform", default_profile="aws",
                             aws_domain="apps.example.org", aws_certificate_arn=CERTIFICATE)
    new_app("shop", "payments", platform_dir=platform, options={"environments": ["dev"]})
    commit_all(platform, "app shop")
    before = _by_kind(kustomize_build(platform / "apps/shop/k8s/overlays/dev"), "Ingress")["shop"]
    assert before["spec"]["ingressClassName"] == "nginx"  # the gap this test closes
    release_current()  # v1.1.0: the ALB Ingress

    report = update(platform, ["shop"], vcs_ref="v1.1.0")

    assert not report.conflicted and not report.failed, report
    after = yaml.safe_load((platform / "apps/shop/k8s/base/ingress.yaml").read_text())
    assert after["spec"]["ingressClassName"] == "alb"
    assert after["metadata"]["annotations"]["alb.ingress.kubernetes.io/certificate-arn"] == CERTIFICATE
    answers = yaml.safe_load((platform / "apps/shop/.copier-answers.yml").read_text())
    assert (answers["platform_profile"], answers["ingress_certificate_arn"]) == ("aws", CERTIFICATE)
