"""Building blocks of comind-ops' own schemas (argocd_schema, monitoring_schema)."""

from __future__ import annotations

from typing import Any

__all__ = ["ANY_OBJECT", "BOOLEAN", "INTEGER", "OBJECT_META", "STRING", "STRINGS", "STRING_MAP", "strict"]

OBJECT_META = {"$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}
INTEGER = {"type": "integer"}
ANY_OBJECT = {"type": "object"}
STRINGS = {"type": "array", "items": STRING}
STRING_MAP = {"type": "object", "additionalProperties": STRING}


def strict(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return the schema of an object of exactly these properties (unknown fields fail)."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema
