"""comind-ops' own schema of Argo CD's Application, AppProject and ApplicationSet.

Used only when no Argo CD CRDs are given (`--argocd-crds DIR` or `COMIND_ARGOCD_CRDS`); with them, the CRDs'
own `openAPIV3Schema` is used instead. This schema is strict (unknown fields fail) at every level comind-ops
generates or reads: the Application's spec, sources (with their directory options), destination and sync
policy, and the AppProject's spec. Below that — Helm/kustomize/plugin source options, directory jsonnet, sync
windows, role tokens, orphaned resources, and the ApplicationSet spec beyond its required keys — it only checks
that the value is an object or a list, so a typo there is caught by the real CRDs only.
"""

from __future__ import annotations

from typing import Any

from comind_scaffold.validation.schema_parts import ANY_OBJECT as _ANY_OBJECT
from comind_scaffold.validation.schema_parts import BOOLEAN as _BOOLEAN
from comind_scaffold.validation.schema_parts import INTEGER as _INTEGER
from comind_scaffold.validation.schema_parts import OBJECT_META as _OBJECT_META
from comind_scaffold.validation.schema_parts import STRING as _STRING
from comind_scaffold.validation.schema_parts import STRING_MAP as _STRING_MAP
from comind_scaffold.validation.schema_parts import STRINGS as _STRINGS
from comind_scaffold.validation.schema_parts import strict as _strict

__all__ = ["API_VERSION", "BUILTIN_SCHEMAS"]

API_VERSION = "argoproj.io/v1alpha1"


def _list_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


def _resource(kind: str, spec: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    properties = {
        "apiVersion": {"type": "string", "enum": [API_VERSION]},
        "kind": {"type": "string", "enum": [kind]},
        "metadata": _OBJECT_META,
        "spec": spec,
        "status": _ANY_OBJECT,
        **(extra or {}),
    }
    return _strict(properties, required=("apiVersion", "kind", "metadata", "spec"))


_SOURCE = _strict(
    {
        "repoURL": _STRING,
        "path": _STRING,
        "targetRevision": _STRING,
        "chart": _STRING,
        "ref": _STRING,
        "name": _STRING,
        "tagPrefix": _STRING,
        "helm": _ANY_OBJECT,
        "kustomize": _ANY_OBJECT,
        "directory": _strict({"recurse": _BOOLEAN, "include": _STRING, "exclude": _STRING, "jsonnet": _ANY_OBJECT}),
        "plugin": _ANY_OBJECT,
    },
    required=("repoURL",),
)

_DESTINATION = _strict({"server": _STRING, "name": _STRING, "namespace": _STRING})

_SYNC_POLICY = _strict(
    {
        "automated": _strict({"prune": _BOOLEAN, "selfHeal": _BOOLEAN, "allowEmpty": _BOOLEAN, "enabled": _BOOLEAN}),
        "syncOptions": _STRINGS,
        "retry": _strict(
            {
                "limit": _INTEGER,
                "refresh": _BOOLEAN,
                "backoff": _strict({"duration": _STRING, "factor": _INTEGER, "maxDuration": _STRING}),
            }
        ),
        "managedNamespaceMetadata": _strict({"labels": _STRING_MAP, "annotations": _STRING_MAP}),
    }
)

_APPLICATION_SPEC = _strict(
    {
        "project": _STRING,
        "source": _SOURCE,
        "sources": _list_of(_SOURCE),
        "destination": _DESTINATION,
        "syncPolicy": _SYNC_POLICY,
        "ignoreDifferences": _list_of(
            _strict(
                {
                    "group": _STRING,
                    "kind": _STRING,
                    "name": _STRING,
                    "namespace": _STRING,
                    "jsonPointers": _STRINGS,
                    "jqPathExpressions": _STRINGS,
                    "managedFieldsManagers": _STRINGS,
                },
                required=("kind",),
            )
        ),
        "info": _list_of(_strict({"name": _STRING, "value": _STRING}, required=("name", "value"))),
        "revisionHistoryLimit": _INTEGER,
        "sourceHydrator": _ANY_OBJECT,
    },
    required=("destination", "project"),
)

_GROUP_KIND = _strict({"group": _STRING, "kind": _STRING}, required=("group", "kind"))

_APPPROJECT_SPEC = _strict(
    {
        "description": _STRING,
        "sourceRepos": _STRINGS,
        "sourceNamespaces": _STRINGS,
        "destinations": _list_of(_DESTINATION),
        "clusterResourceWhitelist": _list_of(
            _strict({"group": _STRING, "kind": _STRING, "name": _STRING}, required=("group", "kind"))
        ),
        "clusterResourceBlacklist": _list_of(
            _strict({"group": _STRING, "kind": _STRING, "name": _STRING}, required=("group", "kind"))
        ),
        "namespaceResourceWhitelist": _list_of(_GROUP_KIND),
        "namespaceResourceBlacklist": _list_of(_GROUP_KIND),
        "roles": _list_of(
            _strict(
                {
                    "name": _STRING,
                    "description": _STRING,
                    "policies": _STRINGS,
                    "groups": _STRINGS,
                    "jwtTokens": _list_of(_ANY_OBJECT),
                },
                required=("name",),
            )
        ),
        "syncWindows": _list_of(_ANY_OBJECT),
        "orphanedResources": _ANY_OBJECT,
        "signatureKeys": _list_of(_strict({"keyID": _STRING}, required=("keyID",))),
        "sourceIntegrity": _ANY_OBJECT,
        "permitOnlyProjectScopedClusters": _BOOLEAN,
        "destinationServiceAccounts": _list_of(
            _strict(
                {"server": _STRING, "namespace": _STRING, "defaultServiceAccount": _STRING},
                required=("server", "defaultServiceAccount"),
            )
        ),
    }
)

_APPLICATIONSET_SPEC = {
    "type": "object",
    "properties": {"generators": _list_of(_ANY_OBJECT), "template": _ANY_OBJECT},
    "required": ["generators", "template"],
}

BUILTIN_SCHEMAS: dict[str, dict[str, Any]] = {
    "Application": _resource("Application", _APPLICATION_SPEC, {"operation": _ANY_OBJECT}),
    "AppProject": _resource("AppProject", _APPPROJECT_SPEC),
    "ApplicationSet": _resource("ApplicationSet", _APPLICATIONSET_SPEC),
}
