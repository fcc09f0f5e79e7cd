"""One naming rule: the CLI (comind_scaffold.naming), the Copier validator and the app modules' Terraform validation
accept exactly the same app names; and the names YAML reads as other types are the ones kustomize cannot build."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import jinja2.sandbox
import pytest
import yaml

from comind_scaffold.errors import InputError, ToolNotFoundError
from comind_scaffold.naming import RESERVED_NAMESPACES, YAML_TYPED_WORDS, check_app_name
from tests.components.require import skip_or_fail
from tests.helpers_validate import REPO_ROOT, rename_app

APP_QUESTIONS = REPO_ROOT / "templates/app/copier-questions.yml"
MODULES = REPO_ROOT / "templates/platform/infra/terraform/modules/app"
SAMPLE_APP = REPO_ROOT / "apps/orders-api"
KUBECTL = "/usr/bin/kubectl"

# (name, environment): every rule of the naming rule, on both sides of each bound.
CASES: list[tuple[str, str]] = [
    ("shop", "dev"),
    ("shop\n", "dev"),
    ("Shop", "dev"),
    ("1shop", "dev"),
    ("shop-", "dev"),
    ("my_shop", "dev"),
    ("", "dev"),
    ("a" * 59, "dev"),
    ("a" * 60, "dev"),
    ("a" * 57, "stage"),
    ("a" * 58, "stage"),
    ("a" * 64, "qa"),
    ("kube-x", "dev"),
    ("kubex", "dev"),
    ("platform-x", "dev"),
    ("yess", "dev"),
    *[(word, "dev") for word in sorted(YAML_TYPED_WORDS)],
    *[(name, "dev") for name in sorted(RESERVED_NAMESPACES)],
]


def _cli_accepts(name: str, env: str) -> bool:
    try:
        check_app_name(name, [env])
    except InputError:
        return False
    return True


def _copier_accepts(name: str, env: str) -> bool:
    """Render the app_name validator the way Copier does (its Jinja extensions and envops), without a platform."""
    validator = yaml.safe_load(APP_QUESTIONS.read_text())["app_name"]["validator"]
    env_ = jinja2.sandbox.SandboxedEnvironment(
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"], keep_trailing_newline=True
    )
    context = {"app_name": name, "environments": [env], "_external_data": {}}
    context["_copier_conf"] = {"dst_path": Path("/platform/apps") / name}  # rendered where it belongs
    rendered = env_.from_string(validator).render(**context)
    return not rendered.strip()


@pytest.mark.parametrize(("name", "env"), CASES, ids=[f"{n!r}-{e}"[:40] for n, e in CASES])
def test_copier_validator_agrees_with_the_cli(name: str, env: str) -> None:
    assert _copier_accepts(name, env) == _cli_accepts(name, env)


def _block(text: str, header: str) -> str:
    """One top-level HCL block, from its header line to the closing brace in column 0."""
    found = re.search(rf"(?ms)^{re.escape(header)} \{{\n.*?^\}}\n", text)
    assert found, f"{header} not found"
    return found.group(0)


def _names_config(module: Path, where: Path) -> Path:
    """The module's own name/environment variables and namespace output, verbatim, as a root of their own."""
    variables, outputs = (module / "variables.tf").read_text(), (module / "outputs.tf").read_text()
    local = re.search(r'(?m)^\s*namespace\s*=\s*(".*")$', (module / "main.tf").read_text())
    assert local, "main.tf no longer defines local.namespace"
    where.mkdir()
    (where / "names.tf").write_text(
        _block(variables, 'variable "name"')
        + _block(variables, 'variable "environment"')
        + _block(outputs, 'output "namespace"')
        + f"locals {{\n  namespace = {local.group(1)}\n}}\n"
    )
    for i, (name, env) in enumerate(CASES):  # one file per case: a failed run skips the rest of its file
        (where / f"case_{i}.tftest.hcl").write_text(
            f'run "plan" {{\n  command = plan\n  variables {{\n    name        = {_hcl(name)}\n'
            f"    environment = {_hcl(env)}\n  }}\n}}\n"
        )
    return where


def _hcl(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@pytest.mark.terraform
@pytest.mark.parametrize("module", ["local", "aws"])
def test_terraform_validation_agrees_with_the_cli(module: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from comind_scaffold._terraform import find_binary

    try:
        terraform = find_binary()
    except ToolNotFoundError as err:
        skip_or_fail(err.message, request.config)
    root = _names_config(MODULES / module, tmp_path / module)
    subprocess.run([terraform, "init", "-no-color"], cwd=root, check=True, capture_output=True)
    run = subprocess.run([terraform, "test", "-no-color"], cwd=root, capture_output=True, text=True)
    verdicts = dict(re.findall(r"(?m)^case_(\d+)\.tftest\.hcl\.\.\. (pass|fail)$", run.stdout))
    assert len(verdicts) == len(CASES), run.stdout + run.stderr
    disagree = [
        (name, env, verdicts[str(i)])
        for i, (name, env) in enumerate(CASES)
        if (verdicts[str(i)] == "pass") != _cli_accepts(name, env)
    ]
    assert disagree == []


def _kustomize_builds(app_dir: Path) -> bool:
    run = subprocess.run([KUBECTL, "kustomize", str(app_dir / "k8s/overlays/prod")], capture_output=True, text=True)
    return run.returncode == 0


@pytest.mark.skipif(not Path(KUBECTL).exists(), reason=f"{KUBECTL} not installed")
def test_the_yaml_typed_names_are_exactly_the_names_kustomize_cannot_build(tmp_path: Path) -> None:
    """The sample app renamed to each YAML 1.1 boolean/null word, and to near misses, through real kubectl kustomize."""
    near_misses = ["yess", "nul", "ye", "of", "onn", "tru", "falsey", "nulls", "yn"]
    verdicts = {}
    for name in [*sorted(YAML_TYPED_WORDS), *near_misses]:
        app = tmp_path / name
        shutil.copytree(SAMPLE_APP / "k8s", app / "k8s")
        rename_app(app, "orders-api", name)
        verdicts[name] = _kustomize_builds(app)
    assert verdicts == {name: name not in YAML_TYPED_WORDS for name in verdicts}
    assert {name for name in verdicts if not _cli_accepts(name, "dev")} == YAML_TYPED_WORDS
