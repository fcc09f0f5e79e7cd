"""comind_scaffold/service_catalog.py is the one record of each local service: every other spelling is held to it.

Python reads the records; the Go provider reads the generated services_gen.go (compared byte for byte here); the
Copier and Terraform templates, which cannot read Python, spell the names themselves and are checked against the
records below.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest
import typer.main

from comind_scaffold import service_catalog as catalog
from comind_scaffold.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = ROOT / "templates/platform"
APP = ROOT / "templates/app"
MODULE = PLATFORM / "infra/terraform/modules/app/local"
EVERY_NAME = [(name, service) for service in catalog.SERVICES.values() for name in service.names]
# localdev resource types that belong to no service.
PROVIDER_ONLY_RESOURCES = {"localdev_password", "localdev_kubernetes_secret"}


@pytest.mark.parametrize(("name", "service"), EVERY_NAME, ids=[name for name, _ in EVERY_NAME])
def test_every_name_of_a_service_looks_it_up(name: str, service: catalog.LocalService) -> None:
    assert catalog.lookup(name) is service
    assert catalog.canonical(name) == service.name


def test_an_unknown_name_is_one_line_naming_every_accepted_one() -> None:
    with pytest.raises(InputError) as err:
        catalog.lookup("mysql", "--only")
    message = str(err.value)
    assert message.startswith("--only: 'mysql' is not a local service") and "\n" not in message
    assert all(name in message for name, _ in EVERY_NAME)


def test_no_two_services_share_a_name() -> None:
    names = [name for name, _ in EVERY_NAME]
    assert len(names) == len(set(names))
    assert catalog.NAMES == get_args(catalog.ServiceName)


def test_the_go_constants_are_generated_from_the_catalog() -> None:
    committed = catalog.GO_FILE.read_bytes()
    assert committed == catalog.go_source().encode(), "regenerate with: python -m comind_scaffold.service_catalog"
    assert committed.startswith(b"// Code generated ") and b"DO NOT EDIT." in committed.splitlines()[0]


def test_the_go_provider_spells_no_name_the_constants_hold() -> None:
    generated = {f'"{name}"' for s in catalog.SERVICES.values() for name in s.provider_attributes}
    generated |= {f'"_{t.removeprefix("localdev_")}"' for s in catalog.SERVICES.values() for t in s.tf_resources}
    spelled = [f"{path.name}: {literal}" for path in sorted(catalog.GO_FILE.parent.glob("*.go"))
               if path != catalog.GO_FILE and not path.name.endswith("_test.go")
               for literal in generated if literal in path.read_text().replace('tfsdk:"', "")]
    assert spelled == []


def test_no_other_module_spells_a_service_name() -> None:
    """Canonical names, and S3/SQS protocol names outside the modules speaking to real AWS, come from the catalog."""
    import ast

    canonical = set(catalog.NAMES)
    protocols = {catalog.MINIO.api, catalog.ELASTICMQ.api}
    real_aws = {"checks/aws.py", "aws_state.py"}
    spelled = [
        f"{where}:{node.lineno} {node.value!r}"
        for path in sorted(ROOT.joinpath("comind_scaffold").rglob("*.py")) if path != Path(catalog.__file__)
        for where in [path.relative_to(ROOT / "comind_scaffold").as_posix()]
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and (node.value in canonical or (node.value in protocols and where not in real_aws))
    ]
    assert spelled == []


def test_each_dispatch_table_covers_the_services_it_should() -> None:
    from comind_scaffold.services import init, kinds, probes

    every = set(catalog.SERVICES.values())
    assert set(kinds.KINDS) == every
    assert set(probes.PROBES) == every
    assert set(init.PROVISIONERS) == {s for s in every if s.tf_resources}  # those holding per-app objects


def test_new_app_has_one_flag_per_service() -> None:
    from comind_scaffold.cli import app

    command = typer.main.get_command(app).commands["new-app"]  # type: ignore[attr-defined]
    flags = {p.name for p in command.params if p.name.startswith("with_")}
    assert flags == set(catalog.APP_FLAGS)


def test_platform_questions_default_to_the_catalog_ports() -> None:
    import yaml

    questions = yaml.safe_load((PLATFORM / "copier-questions.yml").read_text())
    for service in catalog.SERVICES.values():
        assert questions[f"{service.answer}_port"]["default"] == service.port
        if service.extra_port_role:
            extra = {"console": "console_port", "ui": "ui_port"}[service.extra_port_role]
            assert questions[f"{service.answer}_{extra}"]["default"] == service.extra_port


def test_app_service_ports_question_names_the_catalog() -> None:
    text = (APP / "copier-questions.yml").read_text()
    question = text[text.index("\nservice_ports:"):]
    question = question.split("\n\n")[0]
    aws = dict(re.findall(r'"([a-z]+)": (\d+)', question.split("{%- else %}")[0]))
    assert {name: int(port) for name, port in aws.items()} == {s.name: s.aws_port for s in catalog.SERVICES.values()}
    local = {n: (a, p) for n, a, p in re.findall(r'"([a-z]+)": \{\{ p\.([a-z_]+) \| default\((\d+)\)', question)}
    assert set(local) == set(catalog.NAMES)
    assert {s.name: f"{s.answer}_port" for s in catalog.SERVICES.values()} == {n: a for n, (a, _) in local.items()}
    assert {n: int(p) for n, (_, p) in local.items()} == {s.name: s.port for s in catalog.SERVICES.values()}
    validator = re.search(r"reject\('in', \[([^\]]*)\]\)", question)
    assert validator is not None and set(re.findall(r"'([a-z]+)'", validator.group(1))) == set(catalog.NAMES)


def test_app_network_policy_pairs_each_service_with_its_flag() -> None:
    (path,) = APP.glob("k8s/overlays/*/*networkpolicy-platform.yaml*.jinja")
    used = dict(re.findall(r"\('([a-z]+)', (with_[a-z]+)\)", path.read_text()))
    assert used == {s.name: s.app_flag for s in catalog.SERVICES.values()}


def test_local_platform_services_and_addresses_name_every_service() -> None:
    (services,) = PLATFORM.glob("k8s/platform/overlays/*/local/services.yaml.jinja")
    text = services.read_text()
    ports = dict(re.findall(r"'([a-z]+)': \[\('[a-z0-9]+', ([a-z_]+)\)", text))
    assert ports == {s.name: f"{s.answer}_port" for s in catalog.SERVICES.values()}
    enabled = re.search(r"set enabled = \{([^}]*)\}", text)
    assert enabled is not None and re.findall(r"'([a-z]+)':", enabled.group(1)) == list(catalog.NAMES)
    addresses = re.search(r"set local_addresses = \{([^}]*)\}", (PLATFORM / "~local-network.jinja").read_text())
    assert addresses is not None and re.findall(r"'([a-z]+)':", addresses.group(1)) == list(catalog.NAMES)
    registry = (PLATFORM / "infra/docker/registry/services.yaml.jinja").read_text()
    assert re.findall(r"^  ([a-z]+):$", registry, re.M) == list(catalog.NAMES)


@pytest.mark.parametrize("path", [MODULE / "variables.tf", APP / "terraform/local/variables.tf.jinja"],
                         ids=["module", "app-root"])
def test_terraform_ports_variable_is_the_catalog(path: Path) -> None:
    text = path.read_text()
    block = text[text.index('variable "ports"'):]
    fields = re.findall(r"^\s+([a-z]+)\s+= number$", block[: block.index("})")], re.M)
    default = dict(re.findall(r"([a-z]+) = (\d+)", re.search(r"default\s+= \{([^}]*)\}", block).group(1)))  # type: ignore[union-attr]
    assert fields == list(catalog.NAMES)
    assert {name: int(port) for name, port in default.items()} == {s.name: s.port for s in catalog.SERVICES.values()}


def test_terraform_module_hosts_are_the_service_names() -> None:
    hosts = re.search(r'for s in \[([^\]]*)\]', (MODULE / "main.tf").read_text())
    assert hosts is not None and re.findall(r'"([a-z]+)"', hosts.group(1)) == list(catalog.NAMES)


def test_app_root_module_variables_and_provider_attributes_are_the_catalogs() -> None:
    variables = (APP / "terraform/local/variables.tf.jinja").read_text()
    declared = set(re.findall(r'^variable "([a-z0-9_]+)"', variables, re.M))
    wanted = {v for s in catalog.SERVICES.values() for v in s.tf_variables}
    assert wanted <= declared
    for service in (catalog.MINIO, catalog.ELASTICMQ):
        endpoint = f'variable "{service.api}_endpoint"'
        block = variables[variables.index(endpoint):]
        assert f'default     = "http://127.0.0.1:{service.port}"' in block[: block.index("\n}")]
    main = (APP / "terraform/local/main.tf.jinja").read_text()
    provider = main[main.index('provider "localdev" {'):]
    set_attributes = re.findall(r"^  ([a-z0-9_]+)\s+= ", provider[: provider.index("\n}")], re.M)
    attributes = {a for s in catalog.SERVICES.values() for a in s.provider_attributes}
    assert {a for a in set_attributes if not a.startswith("kube")} <= attributes
    from comind_scaffold import tf

    source = Path(tf.__file__).read_text()
    assert all(f'"{v}"' in source or f"{v}=" in source for v in wanted), "comind tf sets every variable"


def test_every_localdev_resource_type_spelled_belongs_to_a_service_or_the_provider() -> None:
    known = {t for s in catalog.SERVICES.values() for t in s.tf_resources} | PROVIDER_ONLY_RESOURCES
    files = [*ROOT.joinpath("templates").rglob("*.tf*"), *ROOT.joinpath("comind_scaffold").rglob("*.py")]
    spelled = {m for path in files for m in re.findall(r"\blocaldev_[a-z0-9_]+(?=[\".])", path.read_text())}
    assert spelled <= known, sorted(spelled - known)
    assert {t for s in catalog.SERVICES.values() for t in s.tf_resources} <= spelled


def test_aws_platform_terraform_names_the_catalog() -> None:
    aws = PLATFORM / "infra/terraform/environments/aws"
    rule = re.search(r"for_each = \{([^}]*)\}", (aws / "services.tf").read_text())
    assert rule is not None
    for name, port in re.findall(r"([a-z]+) = (\d+)", rule.group(1)):
        assert catalog.lookup(name).aws_port == int(port)
    records = re.findall(r'"([a-z]+)\.\$\{env\}"', (aws / "route53.tf").read_text())
    assert records and all(catalog.canonical(name) == name for name in records)
