"""A JSON Schema subset compiled into plain Python checks.

Kubernetes and CRD schemas use a small set of keywords (type, properties, additionalProperties, required,
items, enum, anyOf/oneOf/allOf, pattern and a few bounds). Compiling them once into closures makes a check
about ten times cheaper than a general validator walking the schema per object; `compile_schema` refuses a
keyword it does not know instead of ignoring it, so callers can fall back to `jsonschema`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from comind_scaffold.errors import UnsupportedSchemaError

__all__ = ["SchemaIssue", "UnsupportedSchemaError", "Validator", "compile_schema"]

# Keywords that describe but never constrain.
_ANNOTATIONS = frozenset(
    {"description", "format", "title", "default", "example", "examples", "$schema", "$id", "discriminator", "nullable"}
)


@dataclass(frozen=True)
class SchemaIssue:
    """The first way an instance breaks its schema.

    Attributes:
        path: Where, as `spec.template.spec.containers[0]` (empty for the top level).
        message: What is wrong, e.g. `unknown field 'foo'`.

    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


_Check = Callable[[Any, str], SchemaIssue | None]


def _is_integer(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": _is_integer,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "null": lambda v: v is None,
}

_JSON_NAMES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def _json_type(value: Any) -> str:
    return "null" if value is None else _JSON_NAMES.get(type(value), type(value).__name__)


def _same(left: Any, right: Any) -> bool:
    return left == right and isinstance(left, bool) == isinstance(right, bool)


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Compiler:
    def __init__(self, definitions: Mapping[str, Any]) -> None:
        self.definitions = definitions
        self.named: dict[str, list[_Check]] = {}

    def ref(self, ref: str) -> _Check:
        name = ref.rsplit("/", 1)[-1]
        if name not in self.definitions:
            raise UnsupportedSchemaError(f"unresolvable $ref {ref!r}")
        cell = self.named.get(name)
        if cell is None:
            cell = []
            self.named[name] = cell  # registered before compiling so recursive schemas terminate
            cell.append(self.compile(self.definitions[name]))
        return lambda value, path: cell[0](value, path)

    def compile(self, schema: Any) -> _Check:  # noqa: C901 - one branch per keyword reads best
        if schema is True or schema == {}:
            return lambda value, path: None
        if schema is False:
            return lambda value, path: SchemaIssue(path, "no value is allowed here")
        if not isinstance(schema, dict):
            raise UnsupportedSchemaError(f"schema must be an object, got {_json_type(schema)}")
        checks: list[_Check] = []
        for keyword, arg in schema.items():
            if keyword in _ANNOTATIONS or keyword.startswith("x-"):
                continue
            builder = getattr(self, "k_" + keyword.lstrip("$"), None)
            if builder is None:
                if keyword in ("properties", "additionalProperties", "required", "patternProperties"):
                    continue
                raise UnsupportedSchemaError(f"keyword {keyword!r}")
            checks.append(builder(arg))
        if {"properties", "additionalProperties", "required", "patternProperties"} & schema.keys():
            checks.append(self.object_check(schema))
        if not checks:
            return lambda value, path: None
        if len(checks) == 1:
            return checks[0]

        def all_checks(value: Any, path: str) -> SchemaIssue | None:
            for check in checks:
                issue = check(value, path)
                if issue is not None:
                    return issue
            return None

        return all_checks

    def object_check(self, schema: dict[str, Any]) -> _Check:
        if "patternProperties" in schema:
            raise UnsupportedSchemaError("keyword 'patternProperties'")
        properties = {name: self.compile(sub) for name, sub in schema.get("properties", {}).items()}
        required = tuple(schema.get("required", ()))
        extra = schema.get("additionalProperties", True)
        extra_check = None if extra is True or extra is False else self.compile(extra)
        closed = extra is False

        def check_object(value: Any, path: str) -> SchemaIssue | None:
            if not isinstance(value, dict):
                return None
            for name in required:
                if name not in value:
                    return SchemaIssue(path, f"missing required field '{name}'")
            for key, item in value.items():
                sub = properties.get(key)
                if sub is None:
                    if closed:
                        return SchemaIssue(path, f"unknown field '{key}'")
                    if extra_check is None:
                        continue
                    sub = extra_check
                issue = sub(item, _child(path, key))
                if issue is not None:
                    return issue
            return None

        return check_object

    def k_ref(self, ref: str) -> _Check:
        return self.ref(ref)

    def k_type(self, arg: str | list[str]) -> _Check:
        names = [arg] if isinstance(arg, str) else list(arg)
        try:
            tests = [_TYPE_TESTS[name] for name in names]
        except KeyError as err:
            raise UnsupportedSchemaError(f"type {err.args[0]!r}") from err
        wanted = " or ".join(names)

        def check_type(value: Any, path: str) -> SchemaIssue | None:
            for test in tests:
                if test(value):
                    return None
            return SchemaIssue(path, f"expected {wanted}, got {_json_type(value)}")

        return check_type

    def k_enum(self, arg: list[Any]) -> _Check:
        allowed = list(arg)

        def check_enum(value: Any, path: str) -> SchemaIssue | None:
            if any(_same(value, option) for option in allowed):
                return None
            return SchemaIssue(path, f"{value!r} is not one of {allowed}")

        return check_enum

    def k_items(self, arg: Any) -> _Check:
        item_check = self.compile(arg)

        def check_items(value: Any, path: str) -> SchemaIssue | None:
            if not isinstance(value, list):
                return None
            for index, item in enumerate(value):
                issue = item_check(item, _child(path, index))
                if issue is not None:
                    return issue
            return None

        return check_items

    def k_allOf(self, arg: list[Any]) -> _Check:  # noqa: N802 - named after the keyword
        subs = [self.compile(sub) for sub in arg]

        def check_all(value: Any, path: str) -> SchemaIssue | None:
            for sub in subs:
                issue = sub(value, path)
                if issue is not None:
                    return issue
            return None

        return check_all

    def k_anyOf(self, arg: list[Any]) -> _Check:  # noqa: N802 - named after the keyword
        subs = [self.compile(sub) for sub in arg]

        def check_any(value: Any, path: str) -> SchemaIssue | None:
            issues = [sub(value, path) for sub in subs]
            if any(issue is None for issue in issues):
                return None
            return SchemaIssue(path, "matches none of the allowed forms: " + "; ".join(i.message for i in issues if i))

        return check_any

    def k_oneOf(self, arg: list[Any]) -> _Check:  # noqa: N802 - named after the keyword
        subs = [self.compile(sub) for sub in arg]

        def check_one(value: Any, path: str) -> SchemaIssue | None:
            matches = sum(1 for sub in subs if sub(value, path) is None)
            if matches == 1:
                return None
            return SchemaIssue(path, f"must match exactly one allowed form, matches {matches}")

        return check_one

    def k_pattern(self, arg: str) -> _Check:
        regex = re.compile(arg)

        def check_pattern(value: Any, path: str) -> SchemaIssue | None:
            if isinstance(value, str) and not regex.search(value):
                return SchemaIssue(path, f"{value!r} does not match {arg!r}")
            return None

        return check_pattern

    def _bound(self, kind: type | tuple[type, ...], measure: Callable[[Any], Any], limit: Any, low: bool) -> _Check:
        word = "at least" if low else "at most"

        def check_bound(value: Any, path: str) -> SchemaIssue | None:
            if not isinstance(value, kind) or isinstance(value, bool):
                return None
            size = measure(value)
            if (size < limit) if low else (size > limit):
                return SchemaIssue(path, f"must be {word} {limit}, is {size}")
            return None

        return check_bound

    def k_minLength(self, arg: int) -> _Check:  # noqa: N802 - named after the keyword
        return self._bound(str, len, arg, low=True)

    def k_maxLength(self, arg: int) -> _Check:  # noqa: N802 - named after the keyword
        return self._bound(str, len, arg, low=False)

    def k_minItems(self, arg: int) -> _Check:  # noqa: N802 - named after the keyword
        return self._bound(list, len, arg, low=True)

    def k_maxItems(self, arg: int) -> _Check:  # noqa: N802 - named after the keyword
        return self._bound(list, len, arg, low=False)

    def k_minimum(self, arg: float) -> _Check:
        return self._bound((int, float), lambda v: v, arg, low=True)

    def k_maximum(self, arg: float) -> _Check:
        return self._bound((int, float), lambda v: v, arg, low=False)


class Validator:
    """A compiled schema.

    Args:
        schema: A JSON schema using the supported keywords.
        definitions: What `$ref`s point into, by the last segment of the reference.

    Raises:
        UnsupportedSchemaError: The schema uses a keyword outside the supported subset.

    """

    def __init__(self, schema: Mapping[str, Any], definitions: Mapping[str, Any] | None = None) -> None:
        self._check = _Compiler(definitions or {}).compile(dict(schema))

    def first_issue(self, instance: Any) -> SchemaIssue | None:
        """The first problem found, or None when `instance` is valid."""
        return self._check(instance, "")

    def is_valid(self, instance: Any) -> bool:
        """True when `instance` matches the schema."""
        return self._check(instance, "") is None


def compile_schema(schema: Mapping[str, Any], definitions: Mapping[str, Any] | None = None) -> Validator:
    """Compile `schema` (see `Validator`)."""
    return Validator(schema, definitions)
