"""Checks of a rendered platform shared by the platform tests: kustomize builds, objects, Argo CD schemas, make."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.components.kube import argocd_crds_dir
from tests.components.require import skip_or_fail

_CRD_FILES = {"Application": "application-crd.yaml", "AppProject": "appproject-crd.yaml"}
# ObjectMeta fields a manifest in git may set (the rest is written by the API server).
_METADATA_FIELDS = {"name", "namespace", "labels", "annotations", "finalizers"}


def kustomization_dirs(root: Path) -> list[Path]:
    """Every folder under `root`/k8s holding a kustomization.yaml, sorted."""
    return sorted(p.parent for p in (root / "k8s").rglob("kustomization.yaml"))


def kustomize_build(folder: Path) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize` renders from `folder` (fails the test with kustomize's message)."""
    return _build(str(folder.resolve()))


@cache
def _build(folder: str) -> list[dict[str, Any]]:
    # Rendered trees are never changed after rendering, so one build per folder and session is enough.
    done = subprocess.run(["kubectl", "kustomize", folder], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"kubectl kustomize {folder}: {done.stderr.strip()}", pytrace=False)
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def rendered_objects(root: Path) -> list[dict[str, Any]]:
    """What reaches the cluster: every overlay and the GitOps tree built, plus the root app bootstrap applies."""
    objects = [obj for folder in kustomization_dirs(root) if folder.name != "base" for obj in kustomize_build(folder)]
    objects.append(yaml.safe_load((root / "k8s/kustomize/root-app.yaml").read_text()))
    return objects


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The CRD schema with unknown fields refused wherever the API server would prune them."""
    if isinstance(schema, dict):
        schema = {key: _strict(value) for key, value in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
    elif isinstance(schema, list):
        return [_strict(item) for item in schema]  # type: ignore[return-value]
    return schema


@cache
def _crd_schema(kind: str) -> dict[str, Any] | None:
    path = argocd_crds_dir() / _CRD_FILES[kind]
    if not path.is_file():
        return None
    crd = yaml.safe_load(path.read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
    schema = _strict(version["schema"]["openAPIV3Schema"])
    schema["properties"].pop("status", None)
    return schema


def argocd_validator(kind: str, config: Any) -> Callable[[dict[str, Any]], list[str]]:
    """A function listing what is wrong with an Argo CD object of `kind` (skip_or_fail without the CRDs)."""
    schema = _crd_schema(kind)
    if schema is None:
        skip_or_fail(f"Argo CD CRDs not found in {argocd_crds_dir()} (set COMIND_ARGOCD_CRDS)", config)
    validator = jsonschema.Draft7Validator(schema)

    def errors(obj: dict[str, Any]) -> list[str]:
        found = [f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(obj)]
        extra = set(obj.get("metadata", {})) - _METADATA_FIELDS
        found += [f"metadata.{key}: not settable from git" for key in sorted(extra)]
        if obj.get("apiVersion") != "argoproj.io/v1alpha1":
            found.append(f"apiVersion: {obj.get('apiVersion')!r} is not argoproj.io/v1alpha1")
        return found

    return errors


def make_targets(makefile: Path) -> list[str]:
    """Targets documented with a `##` comment, in file order."""
    return re.findall(r"^([a-zA-Z0-9_-]+):.*## ", makefile.read_text(), re.M)
