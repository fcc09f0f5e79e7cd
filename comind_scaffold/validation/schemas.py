"""Schemas for every object a platform renders: Kubernetes (per minor version) and Argo CD.

Kubernetes schemas come from `kubernetes_validate`'s strict set (unknown fields fail). Argo CD's come from
its CRDs when a folder of them is given (`--argocd-crds DIR` or `COMIND_ARGOCD_CRDS`), else from
`argocd_schema.BUILTIN_SCHEMAS`. Each schema is loaded and compiled once per kind and then reused.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from kubernetes_validate import utils as kv
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from comind_scaffold._yaml import SafeLoader as _Loader
from comind_scaffold.errors import InputError
from comind_scaffold.validation.argocd_schema import BUILTIN_SCHEMAS
from comind_scaffold.validation.compiled import SchemaIssue, UnsupportedSchemaError, Validator
from comind_scaffold.validation.monitoring_schema import API_VERSION as MONITORING_API
from comind_scaffold.validation.monitoring_schema import SERVICE_MONITOR

__all__ = ["ARGOCD_CRDS_ENV", "ArgoCDSchemas", "KubernetesSchemas", "SchemaSet", "supported_kubernetes_versions"]

ARGOCD_CRDS_ENV = "COMIND_ARGOCD_CRDS"
ARGOCD_GROUP = "argoproj.io"
_OBJECT_META_REF = "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def supported_kubernetes_versions() -> list[str]:
    """Kubernetes minors with schemas, oldest first (`1.25` … `1.37`)."""
    return [kv.major_minor(v) for v in kv.all_versions()]


def _minor_tuple(version: str) -> tuple[int, int]:
    major, _, rest = version.partition(".")
    minor = re.match(r"\d*", rest)
    return (int(major) if major.isdigit() else 0, int(minor.group()) if minor and minor.group() else 0)


class _JsonschemaValidator:
    """The general validator, for a schema the compiler cannot take."""

    def __init__(self, schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> None:
        resource = Resource.from_contents({"$defs": dict(definitions)}, default_specification=DRAFT202012)
        registry: Registry = Registry().with_resource("/api/_definitions.json", resource)
        root = {**schema, "$defs": dict(definitions)}
        self._validator = jsonschema.Draft202012Validator(root, registry=registry)

    def first_issue(self, instance: Any) -> SchemaIssue | None:
        error = jsonschema.exceptions.best_match(self._validator.iter_errors(instance))
        if error is None:
            return None
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        return SchemaIssue(path, error.message)


def _compile(schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> Validator | _JsonschemaValidator:
    try:
        return Validator(schema, definitions)
    except UnsupportedSchemaError:
        return _JsonschemaValidator(schema, definitions)


class KubernetesSchemas:
    """Strict schemas of built-in Kubernetes kinds for one minor version.

    Args:
        version: `1.34` or `1.34.2`; the newest schema set not newer than it is used (the oldest if it is
            older than every set).

    """

    def __init__(self, version: str) -> None:
        self.requested = version
        available = kv.all_versions()
        wanted = _minor_tuple(version.lstrip("v"))
        fitting = [v for v in available if _minor_tuple(v) <= wanted]
        self._full = fitting[-1] if fitting else available[0]
        self.version = kv.major_minor(self._full)
        self._definitions: dict[str, Any] | None = None
        self._validators: dict[tuple[str, str], Validator | _JsonschemaValidator | None] = {}
        self._lock = threading.Lock()

    def _file(self, name: str) -> Any:
        return kv.schema_contents(f"kubernetes-json-schema/v{self._full}-local-strict/{name}", self._full)

    @property
    def definitions(self) -> dict[str, Any]:
        """Every named Kubernetes type (what `$ref`s resolve to)."""
        if self._definitions is None:
            self._definitions = self._file("_definitions.json")["$defs"]
        return self._definitions

    def validator(self, api_version: str, kind: str) -> Validator | _JsonschemaValidator | None:
        """The compiled schema of a kind, or None when it is not a built-in kind."""
        key = (api_version, kind)
        with self._lock:
            if key not in self._validators:
                self._validators[key] = self._load(api_version, kind)
            return self._validators[key]

    def _load(self, api_version: str, kind: str) -> Validator | _JsonschemaValidator | None:
        # kubernetes_validate's file naming: rbac.authorization.k8s.io/v1 -> rbac-v1.
        group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
        if not re.fullmatch(r"[A-Za-z0-9-]+", group_version) or not re.fullmatch(r"[A-Za-z0-9]+", kind):
            return None
        try:
            schema = self._file(f"{kind.lower()}-{group_version}.json")
        except FileNotFoundError:
            return None
        return _compile(schema, self.definitions)


def _strictify(node: Any) -> Any:
    """A CRD schema as the API server applies it with strict field validation: unknown fields fail."""
    if isinstance(node, list):
        return [_strictify(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: (value if key in ("enum", "required", "properties") else _strictify(value)) for key, value in node.items()
    }
    if isinstance(node.get("properties"), dict):
        out["properties"] = {name: _strictify(sub) for name, sub in node["properties"].items()}
        if "additionalProperties" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    if out.get("x-kubernetes-int-or-string") and "anyOf" not in out:
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def _crd_schemas(path: Path) -> dict[str, dict[str, Any]]:
    try:
        docs = list(yaml.load_all(path.read_text(), Loader=_Loader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise InputError("argocd-crds", f"{path}: cannot be read as YAML ({err.__class__.__name__})") from err
    found: dict[str, dict[str, Any]] = {}
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc.get("spec") or {}
        if spec.get("group") != ARGOCD_GROUP:
            continue
        for version in spec.get("versions") or []:
            schema = ((version or {}).get("schema") or {}).get("openAPIV3Schema")
            if version.get("name") == "v1alpha1" and isinstance(schema, dict):
                strict = _strictify(schema)
                strict.setdefault("properties", {})["metadata"] = {"$ref": _OBJECT_META_REF}
                found[spec["names"]["kind"]] = strict
    return found


_CRD_KIND = re.compile(r"^\s+names:\s*\n(?:\s+[\w-]+:.*\n|\s+- .*\n)*?\s+kind:\s*(\w+)\s*$", re.MULTILINE)


class ArgoCDSchemas:
    """Schemas of Argo CD's kinds and where they came from; CRD files are parsed only when a kind is needed.

    Attributes:
        source: `CRDs in DIR` or `built-in`, for the report.

    """

    def __init__(self, schemas: Mapping[str, dict[str, Any]], source: str, files: Mapping[str, Path] | None = None):
        self._schemas = dict(schemas)
        self._files = dict(files or {})
        self.source = source
        self._lock = threading.Lock()

    @property
    def kinds(self) -> set[str]:
        """The kinds covered."""
        return set(self._schemas) | set(self._files)

    def schema(self, kind: str) -> dict[str, Any] | None:
        """The strict JSON schema of `kind`, or None when it is not covered."""
        with self._lock:
            if kind not in self._schemas and kind in self._files:
                self._schemas.update(_crd_schemas(self._files[kind]))
            return self._schemas.get(kind)

    @classmethod
    def builtin(cls) -> ArgoCDSchemas:
        """comind-ops' own schema (see `argocd_schema`)."""
        return cls(BUILTIN_SCHEMAS, "built-in")

    @classmethod
    def from_crds(cls, folder: Path | str) -> ArgoCDSchemas:
        """Use the `openAPIV3Schema` of Argo CD's CRDs found in the YAML files of `folder`.

        Raises:
            InputError: `folder` is missing or holds no Argo CD CRD.

        """
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError("argocd-crds", f"{folder} is not a folder")
        files: dict[str, Path] = {}
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise InputError("argocd-crds", f"{path}: cannot be read ({err.__class__.__name__})") from err
            if "CustomResourceDefinition" in text and re.search(rf"group:\s*{re.escape(ARGOCD_GROUP)}\s*$", text, re.M):
                files.update({kind: path for kind in _CRD_KIND.findall(text)})
        if not files:
            raise InputError("argocd-crds", f"{folder} holds no CustomResourceDefinition of group {ARGOCD_GROUP}")
        return cls({}, f"CRDs in {folder}", files)

    @classmethod
    def resolve(cls, folder: Path | str | None = None) -> ArgoCDSchemas:
        """The CRDs in `folder`, else in `$COMIND_ARGOCD_CRDS`, else the built-in schema."""
        chosen = folder or os.environ.get(ARGOCD_CRDS_ENV)
        return cls.from_crds(chosen) if chosen else cls.builtin()


class SchemaSet:
    """Finds and caches the validator of any object's kind.

    Args:
        kubernetes_version: The platform's Kubernetes version (`1.34` or `1.34.2`).
        argocd: Argo CD schemas; the built-in ones when omitted.

    """

    def __init__(self, kubernetes_version: str, argocd: ArgoCDSchemas | None = None) -> None:
        self.kubernetes = KubernetesSchemas(kubernetes_version)
        self.argocd = argocd or ArgoCDSchemas.builtin()
        self._argocd_validators: dict[str, Validator | _JsonschemaValidator] = {}
        self._monitoring_validators: dict[str, Validator | _JsonschemaValidator] = {}
        self._lock = threading.Lock()

    def validator(self, api_version: str, kind: str) -> Validator | _JsonschemaValidator | None:
        """The validator for a kind, or None when no schema is known for it."""
        if (api_version, kind) == (MONITORING_API, "ServiceMonitor"):
            with self._lock:
                if kind not in self._monitoring_validators:
                    self._monitoring_validators[kind] = _compile(SERVICE_MONITOR, self.kubernetes.definitions)
                return self._monitoring_validators[kind]
        if api_version.split("/", 1)[0] != ARGOCD_GROUP:
            return self.kubernetes.validator(api_version, kind)
        if api_version != f"{ARGOCD_GROUP}/v1alpha1":
            return None
        with self._lock:
            if kind not in self._argocd_validators:
                schema = self.argocd.schema(kind)
                if schema is None:
                    return None
                self._argocd_validators[kind] = _compile(schema, self.kubernetes.definitions)
            return self._argocd_validators[kind]
