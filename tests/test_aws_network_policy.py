"""aws profile, security by default: the VPC CNI enforces NetworkPolicies, and the apps admit the ALB from the VPC.

The ALB (target type ip) connects to pod addresses from its own addresses in the platform's VPC, so on aws an app's
`allow-ingress-controller` admits the VPC's CIDR (the platform answer aws_vpc_cidr, recorded by each app as
platform_vpc_cidr) on the app's port; local keeps the ingress-nginx namespace selector. Namespace argocd is
default-deny for ingress too, from policies the aws environment gives the argo-cd chart; local's values are unchanged.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import copier
import hcl2
import pytest
import yaml

from comind_scaffold._terraform import find_binary
from comind_scaffold.access import ARGOCD_SERVER_PORT, ARGOCD_SERVER_SELECTOR
from comind_scaffold.cli import main
from comind_scaffold.errors import ToolNotFoundError
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.scaffold import new_app, sync_projects
from comind_scaffold.update import update
from comind_scaffold.validation.run import validate
from tests.components.require import skip_or_fail
from tests.helpers_platform_checks import kustomize_build
from tests.helpers_scaffold import commit_all, make_platform, make_template_repo, older_template_repo
from tests.helpers_validate import assert_fault_named, failures, validate_with_edits

CIDR = "10.64.0.0/17"  # not the default 10.40.0.0/16, so the answer is seen to travel
SHOP_PORT = 9090
ENVIRONMENTS = ("dev", "stage", "prod")
BEFORE = "0ebc417"  # the app template whose allow-ingress-controller admitted only ingress-nginx, on aws too
_HCL = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_repo(tmp_path_factory.mktemp("template") / "template")


def _platform(template: Path, where: Path, **answers: Any) -> Path:
    """A platform with app shop (comind new-app, port 9090) and app cart (plain Copier, trusted, port 8080)."""
    platform = make_platform(template, where, aws_domain="apps.example.org", **answers)
    own_image = {"image": "ghcr.io/example/shop", "image_tag": "1.0.0"}  # the default image listens on 8080 only
    new_app("shop", "payments", platform_dir=platform, options={"port": SHOP_PORT, **own_image})
    copier.run_copy(str(template), platform / "apps" / "cart", data={"template": "app", "app_name": "cart",
                    "team": "payments"}, defaults=True, unsafe=True, quiet=True, vcs_ref="v1.0.0")
    sync_projects(PlatformRepo(platform))
    return platform


@pytest.fixture(scope="module")
def aws_platform(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _platform(template, tmp_path_factory.mktemp("aws") / "platform", default_profile="aws",
                     aws_vpc_cidr=CIDR)


@pytest.fixture(scope="module")
def local_platform(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _platform(template, tmp_path_factory.mktemp("local") / "platform", aws_vpc_cidr=CIDR)


def _policies(overlay: Path) -> dict[str, dict[str, Any]]:
    """The NetworkPolicies the real kustomize builds from an overlay, by name."""
    return {o["metadata"]["name"]: o for o in kustomize_build(overlay) if o["kind"] == "NetworkPolicy"}


def _admitting(app: str, source: dict[str, Any], port: int | str) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": {"app.kubernetes.io/name": app}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [source], "ports": [{"port": port, "protocol": "TCP"}]}]}


@pytest.mark.parametrize(("app", "port"), [("shop", SHOP_PORT), ("cart", 8080)])
def test_aws_apps_admit_the_alb_from_the_vpc_cidr_on_their_port_only(aws_platform: Path, app: str,
                                                                     port: int) -> None:
    for env in ENVIRONMENTS:
        policies = _policies(aws_platform / "apps" / app / "k8s/overlays" / env)
        assert policies["allow-ingress-controller"]["metadata"]["namespace"] == f"{app}-{env}"
        assert policies["allow-ingress-controller"]["spec"] == _admitting(app, {"ipBlock": {"cidr": CIDR}}, port)
        assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    answers = yaml.safe_load((aws_platform / "apps" / app / ".copier-answers.yml").read_text())
    assert answers["platform_vpc_cidr"] == CIDR


@pytest.mark.parametrize("app", ["shop", "cart"])
def test_a_local_platforms_apps_keep_the_ingress_nginx_selector(local_platform: Path, app: str) -> None:
    nginx = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    for env in ENVIRONMENTS:
        policies = _policies(local_platform / "apps" / app / "k8s/overlays" / env)
        assert policies["allow-ingress-controller"]["spec"] == _admitting(app, nginx, "http")
    answers = yaml.safe_load((local_platform / "apps" / app / ".copier-answers.yml").read_text())
    assert "platform_vpc_cidr" not in answers


def test_validate_is_clean_on_the_aws_platform(aws_platform: Path) -> None:
    assert [f"{r.name} {r.object}: {r.message}" for r in validate(aws_platform).failures] == []


def _module(root: Path, name: str) -> dict[str, Any]:
    with (root / "infra/terraform/environments/aws/main.tf").open() as handle:
        blocks = hcl2.load(handle, serialization_options=_HCL)["module"]
    module: dict[str, Any] = next(block[name] for block in blocks if name in block)
    return module


def _terraform_value(expression: str, request: pytest.FixtureRequest, where: Path) -> Any:
    """What the real `terraform console` makes of an HCL expression (no provider needed), as JSON."""
    try:
        binary = find_binary()
    except ToolNotFoundError as err:
        skip_or_fail(err.message, request.config)
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([binary, "console"], input=f"jsonencode({expression})\n", cwd=where, capture_output=True,
                          text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(json.loads(done.stdout))


@pytest.mark.terraform
def test_the_vpc_cni_addon_enforces_network_policies_before_the_nodes_start(
        aws_platform: Path, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    addon = _module(aws_platform, "eks")["cluster_addons"]["vpc-cni"]
    assert addon["before_compute"] is True
    expression = addon["configuration_values"]
    assert expression.startswith("${") and expression.endswith("}")
    configuration = _terraform_value(expression[2:-1], request, tmp_path / "console")
    assert json.loads(configuration) == {"enableNetworkPolicy": "true"}
    done = subprocess.run([find_binary(), "fmt", "-check", "-diff", "infra/terraform/environments/aws"],
                          cwd=aws_platform, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout


def test_the_vpc_is_the_cidr_the_apps_admit(aws_platform: Path) -> None:
    """One answer: Terraform's VPC and the apps' ipBlock read the same aws_vpc_cidr."""
    with (aws_platform / "infra/terraform/environments/aws/variables.tf").open() as handle:
        variables = {name: body for block in hcl2.load(handle, serialization_options=_HCL)["variable"]
                     for name, body in block.items()}
    assert variables["vpc_cidr"]["default"] == CIDR
    assert _module(aws_platform, "vpc")["cidr"] == "${var.vpc_cidr}"
    readme = " ".join((aws_platform / "README.md").read_text().split())
    assert f"the answer `aws_vpc_cidr` (`{CIDR}`" in readme and "`enableNetworkPolicy`" in readme


def _argocd_values(root: Path, environment: str, tf: str) -> list[str]:
    """The expressions of the `values` list the environment's helm_release "argocd" passes to the chart."""
    with (root / "infra/terraform/environments" / environment / tf).open() as handle:
        blocks = hcl2.load(handle, serialization_options=_HCL)["resource"]
    values: list[str] = next(b["helm_release"]["argocd"] for b in blocks
                             if "argocd" in b.get("helm_release", {}))["values"]
    return values


def _unwrapped(expression: str) -> str:
    assert expression.startswith("${") and expression.endswith("}"), expression
    return expression[2:-1]


def _subnets(root: Path, kind: str) -> str:
    """The vpc module's `<kind>_subnets` as a plain HCL expression: its three zones and the VPC's CIDR filled in."""
    expression = _unwrapped(_module(root, "vpc")[f"{kind}_subnets"])
    assert "local.azs" in expression and "var.vpc_cidr" in expression, expression
    return expression.replace("local.azs", '["a", "b", "c"]').replace("var.vpc_cidr", f'"{CIDR}"')


def _from_pods(*names: str) -> list[dict[str, Any]]:
    return [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": name}}} for name in names]


def _admits(pods: str, sources: list[dict[str, Any]], *ports: int) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": {"app.kubernetes.io/name": pods}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": sources, "ports": [{"protocol": "TCP", "port": port} for port in ports]}]}


@pytest.mark.terraform
def test_aws_argocd_namespace_is_default_deny_with_only_argocds_own_traffic_admitted(
        aws_platform: Path, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The NetworkPolicies Terraform gives the argo-cd chart on aws, from the real templatefile() of platform.tf's
    values with the VPC module's public subnets (module.vpc.public_subnets_cidr_blocks echoes them)."""
    values = _argocd_values(aws_platform, "aws", "platform.tf")
    assert values[0] == '${file("${path.module}/../../argocd-values.yaml")}'
    policies_call = _unwrapped(values[-1])
    assert policies_call.endswith("{alb_subnets = module.vpc.public_subnets_cidr_blocks})"), policies_call
    environment = aws_platform / "infra/terraform/environments/aws"
    public = _subnets(aws_platform, "public")
    call = policies_call.replace("${path.module}", str(environment)).replace(
        "module.vpc.public_subnets_cidr_blocks", public)
    console = tmp_path / "console"
    rendered = yaml.safe_load(_terraform_value(call, request, console))
    assert set(rendered) == {"extraObjects"}  # the chart's own networkPolicy values stay off (server: every source)
    policies = {o["metadata"]["name"]: o["spec"] for o in rendered["extraObjects"] if o["kind"] == "NetworkPolicy"}
    assert len(policies) == len(rendered["extraObjects"])
    assert all("namespace" not in o["metadata"] for o in rendered["extraObjects"])  # the release's: argocd

    alb = [ipaddress.ip_network(c) for c in _terraform_value(public, request, console)]
    pods = [ipaddress.ip_network(c) for c in _terraform_value(_subnets(aws_platform, "private"), request, console)]
    assert len(alb) == 3 and all(net.subnet_of(ipaddress.ip_network(CIDR)) for net in alb + pods)
    assert not any(a.overlaps(p) for a in alb for p in pods)  # the nodes' and pods' addresses are not admitted
    server = "argocd-server"
    assert ARGOCD_SERVER_SELECTOR == f"app.kubernetes.io/name={server}"  # what `comind argocd` looks the pod up by
    assert policies == {
        "argocd-default-deny-ingress": {"podSelector": {}, "policyTypes": ["Ingress"]},
        "argocd-server-from-alb": _admits(server, [{"ipBlock": {"cidr": str(net)}} for net in alb],
                                          ARGOCD_SERVER_PORT),
        "argocd-repo-server-from-argocd": _admits("argocd-repo-server", _from_pods(
            server, "argocd-application-controller", "argocd-applicationset-controller",
            "argocd-notifications-controller"), 8081),
        "argocd-redis-from-argocd": _admits("argocd-redis", _from_pods(
            server, "argocd-repo-server", "argocd-application-controller"), 6379),
        "argocd-dex-server-from-argocd-server": _admits("argocd-dex-server", _from_pods(server), 5556, 5557),
    }


def test_local_argocd_values_stay_without_network_policies(local_platform: Path) -> None:
    """Only the aws environment passes the policies: local's chart values and the shared values file are as before."""
    values = _argocd_values(local_platform, "local", "main.tf")
    assert values[0] == '${file("${path.module}/../../argocd-values.yaml")}'
    assert len(values) == 2 and values[1].startswith("${yamlencode({configs = ")
    assert not any(word in value for value in values for word in ("templatefile", "networkPolicy", "extraObjects"))
    shared = yaml.safe_load((local_platform / "infra/terraform/argocd-values.yaml").read_text())
    assert "extraObjects" not in shared and "networkPolicy" not in (shared.get("global") or {})
    assert "argocd-network-policies.yaml.tftpl" not in "".join(
        p.read_text() for p in (local_platform / "infra/terraform/environments/local").glob("*.tf"))


@pytest.mark.parametrize(("cidr", "message"), [
    ("10.40.0.0/20", "aws_vpc_cidr: must be an IPv4 CIDR of /16 to /18"),
    ("10.40.0.0", "aws_vpc_cidr: must be an IPv4 CIDR of /16 to /18"),
    ("300.40.0.0/16", "aws_vpc_cidr: must be an IPv4 CIDR of /16 to /18"),
    ("10.40.64.0/17", "aws_vpc_cidr: 10.40.64.0/17 has host bits set"),
    ("10.40.0.1/16", "aws_vpc_cidr: 10.40.0.1/16 has host bits set"),
])
def test_comind_init_refuses_a_vpc_cidr_in_one_line(template: Path, tmp_path: Path, cidr: str, message: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "plat"
    capsys.readouterr()
    code = main(["init", str(dest), "--template", str(template), "--data", f"aws_vpc_cidr={cidr}"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in err, err
    assert not dest.exists()


def test_a_vpc_cidr_on_the_block_boundary_is_accepted(template: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["init", str(tmp_path / "plat"), "--template", str(template), "--data", "aws_vpc_cidr=10.40.192.0/18"])
    assert code == 0, capsys.readouterr().err
    assert PlatformRepo(tmp_path / "plat").spec.aws_vpc_cidr == "10.40.192.0/18"


def test_plain_copier_refuses_an_app_vpc_cidr_that_is_no_cidr(template: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"platform_vpc_cidr: \"10.0.0.0/8\" must be an IPv4 CIDR"):
        copier.run_copy(str(template), tmp_path / "apps" / "cart", data={
            "template": "app", "app_name": "cart", "team": "payments", "platform_profile": "aws",
            "platform_vpc_cidr": "10.0.0.0/8"}, defaults=True, unsafe=True, quiet=True, vcs_ref="v1.0.0")


_WIDE_OPEN = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: wide-open
spec:
  podSelector: {{}}
  policyTypes: [Ingress]
  ingress:
    - {rule}
"""
_POLICIES = "apps/api/k8s/base/networkpolicy.yaml"


def _with_policy(where: Path, rule: str) -> Any:
    """Validate the fixture platform with one more NetworkPolicy in app api's base, of one ingress rule."""
    return validate_with_edits(where / "repo", [(_POLICIES, "Egress]\n", "Egress]\n" + _WIDE_OPEN.format(rule=rule))])


@pytest.mark.parametrize(("rule", "why"), [
    ("from: [{ipBlock: {cidr: 0.0.0.0/0}}]", "ipBlock 0.0.0.0/0"),
    ("from: [{ipBlock: {cidr: '::/0'}}]", "ipBlock ::/0"),
    ("ports: [{port: 8080}]", "a rule without 'from'"),
    ("{}", "a rule without 'from'"),
    ("from: [{}]", "an empty 'from' peer"),
])
def test_validate_flags_a_policy_that_admits_every_source(tmp_path: Path, rule: str, why: str) -> None:
    report = _with_policy(tmp_path, rule)
    assert_fault_named(report, "networkpolicy.allow-all", "NetworkPolicy api-prod/wide-open",
                       f"admits ingress from every source ({why})")


def test_validate_accepts_an_ipblock_of_the_vpc(tmp_path: Path) -> None:
    rule = f"from: [{{ipBlock: {{cidr: {CIDR}}}}}]\n      ports: [{{port: 8080, protocol: TCP}}]"
    report = _with_policy(tmp_path, rule)
    assert [r.line() for r in failures(report.results) if r.name.startswith("networkpolicy")] == []


_APP_FILES = ("templates/app/copier-questions.yml", "templates/app/k8s/base/networkpolicy.yaml.jinja")


def test_comind_update_makes_an_older_aws_app_admit_the_alb(tmp_path: Path) -> None:
    """An aws app rendered when allow-ingress-controller named only ingress-nginx (which the ALB is not) admits the
    VPC's CIDR after `comind update`, from the platform's facts, with no conflict."""
    template = tmp_path / "template"
    release_current = older_template_repo(template, BEFORE, _APP_FILES)
    platform = make_platform(template, tmp_path / "platform", default_profile="aws", aws_vpc_cidr=CIDR)
    new_app("shop", "payments", platform_dir=platform, options={"environments": ["dev"]})
    commit_all(platform, "app shop")
    before = _policies(platform / "apps/shop/k8s/overlays/dev")["allow-ingress-controller"]["spec"]
    assert "namespaceSelector" in before["ingress"][0]["from"][0]  # the gap this test closes
    release_current()  # v1.1.0: the ipBlock of the VPC

    report = update(platform, ["shop"], vcs_ref="v1.1.0")

    assert not report.conflicted and not report.failed, report
    built = tmp_path / "after"  # a fresh path: kustomize_build keeps one build per folder
    shutil.copytree(platform / "apps/shop/k8s", built)
    after = _policies(built / "overlays/dev")["allow-ingress-controller"]["spec"]
    assert after == _admitting("shop", {"ipBlock": {"cidr": CIDR}}, 8080)
    answers = yaml.safe_load((platform / "apps/shop/.copier-answers.yml").read_text())
    assert (answers["platform_profile"], answers["platform_vpc_cidr"]) == ("aws", CIDR)
    assert validate(platform).failures == []
