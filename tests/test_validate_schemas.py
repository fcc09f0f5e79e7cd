"""Schemas: the compiled validator agrees with jsonschema, and our own Argo CD schema with Argo CD's CRDs."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from comind_scaffold.validation.scan import scan
from comind_scaffold.validation.schemas import (
    ArgoCDSchemas,
    KubernetesSchemas,
    SchemaSet,
    _JsonschemaValidator,
)
from tests.components.kube import argocd_crds_dir
from tests.components.require import skip_or_fail
from tests.helpers_validate import FIXTURE_PLATFORM, REPO_ROOT

ARGOCD_KINDS = ("Application", "AppProject")


def rendered_objects(*roots: Path) -> list[dict[str, Any]]:
    objects = []
    for root in roots:
        repo = scan(root)
        try:
            objects += [o.data for o in repo.objects]
        finally:
            repo.kustomizer.close()
    return objects


def mutations(obj: dict[str, Any], path: tuple[Any, ...] = ()) -> Iterator[tuple[str, dict[str, Any]]]:
    """Malformed copies of `obj`: an unknown field in every mapping, a list in place of every scalar."""

    def at(tree: Any, where: tuple[Any, ...]) -> Any:
        for key in where:
            tree = tree[key]
        return tree

    node = at(obj, path)
    if isinstance(node, dict):
        changed = copy.deepcopy(obj)
        at(changed, path)["zzUnknownField"] = 1
        yield f"{path}+zzUnknownField", changed
        for key in node:
            if path == () and key in ("apiVersion", "kind"):
                continue
            yield from mutations(obj, (*path, key))
    elif isinstance(node, list):
        for index in range(len(node)):
            yield from mutations(obj, (*path, index))
    else:
        changed = copy.deepcopy(obj)
        parent = at(changed, path[:-1])
        parent[path[-1]] = [node]
        yield f"{path}=[...]", changed


@pytest.fixture(scope="module")
def platform_objects() -> list[dict[str, Any]]:
    return rendered_objects(FIXTURE_PLATFORM, REPO_ROOT / "k8s")


@pytest.fixture(scope="module")
def crds(request: pytest.FixtureRequest) -> ArgoCDSchemas:
    crds = argocd_crds_dir()
    if not crds.is_dir():
        skip_or_fail(f"Argo CD CRDs not found at {crds} (set COMIND_ARGOCD_CRDS)", request.config)
    return ArgoCDSchemas.from_crds(crds)


def test_compiled_validator_agrees_with_kubernetes_validate(platform_objects: list[dict[str, Any]]) -> None:
    schemas = KubernetesSchemas("1.34.2")
    checked = 0
    per_kind: dict[str, int] = {}
    for obj in platform_objects:
        per_kind[obj["kind"]] = per_kind.get(obj["kind"], 0) + 1
        if per_kind[obj["kind"]] > 2:  # the reference costs ~30 ms a call: two objects of each kind suffice
            continue
        validator = schemas.validator(obj["apiVersion"], obj["kind"])
        if validator is None:
            continue
        cases = [("as rendered", obj), *list(mutations(obj))[:12]]
        for label, case in cases:
            try:
                kubernetes_validate.validate(case, "1.34", strict=True)
                reference_ok = True
            except kubernetes_validate.ValidationError:
                reference_ok = False
            issue = validator.first_issue(case)
            assert (issue is None) == reference_ok, f"{obj['kind']} {label}: ours={issue} reference ok={reference_ok}"
            checked += 1
    assert checked > 100


def test_compiled_crd_schema_agrees_with_jsonschema(
    crds: ArgoCDSchemas, platform_objects: list[dict[str, Any]]
) -> None:
    schemas = SchemaSet("1.34", crds)
    argocd_objects = [o for o in platform_objects if o["kind"] in ARGOCD_KINDS]
    assert argocd_objects
    for obj in argocd_objects:
        compiled = schemas.validator(obj["apiVersion"], obj["kind"])
        reference = _JsonschemaValidator(crds.schema(obj["kind"]) or {}, schemas.kubernetes.definitions)
        for label, case in [("as rendered", obj), *mutations(obj)]:
            ours, theirs = compiled.first_issue(case), reference.first_issue(case)
            assert (ours is None) == (theirs is None), f"{obj['kind']} {label}: compiled={ours} jsonschema={theirs}"


def test_builtin_argocd_schema_matches_the_crds(crds: ArgoCDSchemas, platform_objects: list[dict[str, Any]]) -> None:
    real, builtin = SchemaSet("1.34", crds), SchemaSet("1.34", ArgoCDSchemas.builtin())
    argocd_objects = [o for o in platform_objects if o["kind"] in ARGOCD_KINDS]
    rejected = 0
    for obj in argocd_objects:
        crd_validator = real.validator(obj["apiVersion"], obj["kind"])
        own_validator = builtin.validator(obj["apiVersion"], obj["kind"])
        assert crd_validator.first_issue(obj) is None, obj["metadata"]["name"]
        assert own_validator.first_issue(obj) is None, obj["metadata"]["name"]
        for label, case in mutations(obj):
            by_crd, by_own = crd_validator.first_issue(case), own_validator.first_issue(case)
            assert (by_crd is None) == (by_own is None), f"{obj['kind']} {label}: crd={by_crd} own={by_own}"
            rejected += by_crd is not None
    assert rejected > 100


@pytest.mark.parametrize(("asked", "used"), [("1.34.2", "1.34"), ("v1.30", "1.30"), ("1.99", "1.37"), ("1.20", "1.25")])
def test_kubernetes_version_picks_the_nearest_schema_set(asked: str, used: str) -> None:
    assert KubernetesSchemas(asked).version == used


def test_unknown_kinds_have_no_schema() -> None:
    schemas = SchemaSet("1.34")

    assert schemas.validator("example.com/v1", "Widget") is None
    assert schemas.validator("argoproj.io/v1alpha1", "Rollout") is None
    assert schemas.validator("v1", "../../etc/passwd") is None
