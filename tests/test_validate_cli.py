"""`comind validate` as a user runs it: clean and faulty repos, foreign input, --json, bad paths."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers_validate import FIXTURE_PLATFORM, build_file_tree, copy_fixture, edit

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""


def comind(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COMIND_ARGOCD_CRDS"}
    return subprocess.run(
        ["comind", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=120,
    )


def assert_no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr + done.stdout
    assert "internal error" not in done.stderr


def test_clean_fixture_exits_zero() -> None:
    done = comind("validate", FIXTURE_PLATFORM)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL=0" in done.stdout
    assert "5 build(s)" in done.stdout


def test_finding_exits_one_and_names_it(tmp_path: Path) -> None:
    repo = copy_fixture(tmp_path / "repo")
    edit(repo, "apps/api/k8s/overlays/prod/kustomization.yaml", 'newTag: "1.0.0"', "newTag: latest")

    done = comind("validate", repo)

    assert done.returncode == 1
    assert "FAIL image.tag Deployment api-prod/api container api (apps/api/k8s/overlays/prod)" in done.stdout
    assert "1 check(s) failed" in done.stderr
    assert_no_traceback(done)


def test_json_output_matches_the_findings(tmp_path: Path) -> None:
    repo = copy_fixture(tmp_path / "repo")
    edit(
        repo,
        "apps/site/k8s/base/deployment.yaml",
        "          livenessProbe:\n            httpGet: {path: /, port: http}\n",
        "",
    )

    done = comind("validate", repo, "--json")

    assert done.returncode == 1
    report = json.loads(done.stdout)
    failed = [r for r in report["results"] if r["status"] == "FAIL"]
    assert report["ok"] is False and report["counts"]["FAIL"] == len(failed) == 2
    assert {r["object"].split(" (")[0] for r in failed} == {
        "Deployment site-dev/site container site",
        "Deployment site-prod/site container site",
    }
    assert {r["name"] for r in failed} == {"container.probes"}
    assert report["builds"] == 5 and report["kubernetes_version"] == "1.34"
    assert report["timings"]["total"] >= report["timings"]["build"]


def test_plain_kustomize_folder(tmp_path: Path) -> None:
    folder = build_file_tree(
        tmp_path,
        {
            "base/kustomization.yaml": "resources: [deployment.yaml]\n",
            "base/deployment.yaml": DEPLOYMENT,
            "overlays/prod/kustomization.yaml": "namespace: shop\nresources: [../../base]\n",
        },
    )

    done = comind("validate", folder, "--json")

    assert_no_traceback(done)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    failed = {(r["name"], r["object"].split(" (")[0]) for r in report["results"] if r["status"] == "FAIL"}
    assert failed == {
        ("container.resources", "Deployment shop/web container web"),
        ("container.probes", "Deployment shop/web container web"),
        ("networkpolicy.default-deny", "namespace shop"),
        ("pod-security", "namespace shop"),
    }
    assert report["builds"] == 1  # overlays/prod only: base is part of it


def test_folder_of_random_yaml(tmp_path: Path) -> None:
    folder = build_file_tree(
        tmp_path,
        {
            "a.yaml": "just: a mapping\nnumbers: [1, 2, 3]\n",
            "b.yml": "- a list\n- of strings\n",
            "c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {LOG_LEVEL: info}\n",
            "d.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n",
            "copier.yml": "questions: !include questions.yml\n",
        },
    )

    done = comind("validate", folder, "--show-passed")

    assert_no_traceback(done)
    assert done.returncode == 0, done.stdout
    assert "PASS schema .: 1 object(s) valid" in done.stdout
    assert "SKIP schema Widget example.com/v1 (d.yaml): no schema for this kind" in done.stdout


def test_broken_yaml_file(tmp_path: Path) -> None:
    broken = build_file_tree(tmp_path, {"broken.yaml": "apiVersion: v1\nkind: [ConfigMap\nmetadata: {}\n"})

    done = comind("validate", broken / "broken.yaml")

    assert_no_traceback(done)
    assert done.returncode == 1
    assert "FAIL yaml.syntax broken.yaml: line 3: did not find expected" in done.stdout


def test_binary_file_named_yaml(tmp_path: Path) -> None:
    (tmp_path / "blob.yaml").write_bytes(bytes(range(256)))

    done = comind("validate", tmp_path)

    assert_no_traceback(done)
    assert done.returncode == 1
    assert "FAIL yaml.syntax blob.yaml: cannot be read" in done.stdout


def test_empty_folder(tmp_path: Path) -> None:
    done = comind("validate", tmp_path)

    assert_no_traceback(done)
    assert done.returncode == 0
    assert "SKIP yaml.syntax .: no YAML files found" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "/nonexistent/platform"], "error: path: /nonexistent/platform does not exist"),
        (
            ["validate", ".", "--argocd-crds", "/nonexistent/crds"],
            "error: argocd-crds: /nonexistent/crds is not a folder",
        ),
    ],
)
def test_bad_path_is_one_line_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = comind(*args, cwd=tmp_path)

    assert done.returncode == 2
    assert done.stderr.strip() == message
    assert done.stdout == ""


def test_crds_folder_without_argocd_crds(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"crds/widget.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})

    done = comind("validate", FIXTURE_PLATFORM, "--argocd-crds", tmp_path / "crds")

    assert done.returncode == 2
    assert "argocd-crds:" in done.stderr and "holds no CustomResourceDefinition of group argoproj.io" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_objects_of_the_wrong_shape_are_reported(tmp_path: Path) -> None:
    shutil.copy(FIXTURE_PLATFORM.parent / "wrong-shapes.yaml", tmp_path / "objects.yaml")

    done = comind("validate", tmp_path, "--json")

    assert_no_traceback(done)
    assert done.returncode == 1
    failed = {(r["name"], r["object"]) for r in json.loads(done.stdout)["results"] if r["status"] == "FAIL"}
    assert ("schema", "NetworkPolicy ns/n (objects.yaml)") in failed
    assert ("argocd.project", "Application a (objects.yaml)") in failed
    assert ("image.tag", "Deployment  initContainer a (objects.yaml)") in failed


def test_value_that_cannot_be_constructed(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path, {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {when: 2024-13-45}\n"}
    )

    done = comind("validate", tmp_path)

    assert_no_traceback(done)
    assert done.returncode == 1
    assert "FAIL yaml.syntax cm.yaml: a value cannot be read (ValueError: month must be in 1..12)" in done.stdout
