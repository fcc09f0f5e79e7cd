"""Kubernetes objects as validation sees them: where each came from, and the parts checks look at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from comind_scaffold._yaml import SafeLoader

__all__ = [
    "POD_SPEC_PATHS",
    "Container",
    "RenderedObject",
    "YamlFile",
    "conflict_marker",
    "containers",
    "read_yaml_file",
]


class _Loader(SafeLoader):  # type: ignore[misc]
    """Safe loading; application tags (Copier's `!include`, CloudFormation's `!Ref`) read as plain values."""


def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _untagged)

# Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
LONG_RUNNING = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})
# What git writes around a conflict: 7 of the same character at the start of a line, then a label or nothing.
_CONFLICT_MARKER = re.compile(r"^(?:<{7}|>{7})(?: .*)?$|^={7}$", re.MULTILINE)


class YamlFile:
    """One YAML file of the repository, checked once; its nodes and documents are built only when asked for.

    Reading a file only parses it (libyaml's parser, no Python objects), which is all most files need: the
    files a kustomization reads are checked for syntax here and rendered by kustomize. Nodes (for the secret
    scan) and documents (for objects no kustomization renders) are built the first time a rule asks.

    Attributes:
        path: Absolute path.
        rel: Path relative to the validated folder (what results name).
        error: `line N: problem` when it is not valid YAML (or cannot be read).
        text: The file's text, when it could be read.

    """

    def __init__(
        self,
        path: Path,
        rel: str,
        *,
        nodes: tuple[yaml.Node, ...] | None = None,
        error: str | None = None,
        text: str | None = None,
    ) -> None:
        self.path = path
        self.rel = rel
        self.error = error
        self.text = text
        self._nodes = nodes

    def __repr__(self) -> str:
        return f"<YamlFile {self.rel}{' (error)' if self.error else ''}>"

    @property
    def nodes(self) -> tuple[yaml.Node, ...]:
        """The composed documents (with line numbers), for the secret scan; empty when the file is not valid."""
        if self._nodes is None:
            self._nodes = ()
            if self.text is not None and self.error is None:
                try:
                    self._nodes = _compose(self.text)
                except yaml.YAMLError as err:  # not expected: reading parsed it, and it has no anchor or alias
                    self.error = _syntax_error(err)
        return self._nodes

    @cached_property
    def docs(self) -> tuple[Any, ...]:
        """The file's documents (empty ones dropped)."""
        loader = _Loader("")
        try:
            built = [loader.construct_document(node) for node in self.nodes]
        except (yaml.YAMLError, ValueError, TypeError) as err:  # e.g. a timestamp like 2024-13-45
            self.error = f"a value cannot be read ({err.__class__.__name__}: {str(err).splitlines()[0]})"
            return ()
        finally:
            loader.dispose()
        return tuple(doc for doc in built if doc is not None)


def _compose(text: str) -> tuple[yaml.Node, ...]:
    loader = _Loader(text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
        return tuple(nodes)
    finally:
        loader.dispose()


def conflict_marker(text: str) -> tuple[int, str] | None:
    """(1-based line, marker) of the first merge conflict marker (`<<<<<<<`, `=======`, `>>>>>>>`), if any."""
    found = _CONFLICT_MARKER.search(text)
    return (text.count("\n", 0, found.start()) + 1, found.group(0)[:7]) if found else None


def _parses(text: str) -> bool:
    """True when `text` certainly composes: libyaml parses it and it has no anchor or alias (composing checks those)."""
    if "&" in text or "*" in text or not hasattr(_Loader, "raw_parse"):
        return False
    loader = _Loader(text)
    try:
        loader.raw_parse()
    except yaml.YAMLError:
        return False  # composed below, so the error is reported exactly as composing reports it
    finally:
        loader.dispose()
    return True


def read_yaml_file(path: Path, rel: str) -> YamlFile:
    """Read and parse a YAML file, turning every failure into `YamlFile.error`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return YamlFile(path, rel, error=f"cannot be read ({err.__class__.__name__})")
    marker = conflict_marker(text)
    if marker is not None:
        line, what = marker
        return YamlFile(path, rel, text=text, error=f"line {line}: merge conflict marker {what}; resolve the conflict")
    if _parses(text):
        return YamlFile(path, rel, text=text)
    try:
        nodes = _compose(text)
    except yaml.YAMLError as err:
        return YamlFile(path, rel, text=text, error=_syntax_error(err))
    return YamlFile(path, rel, nodes=nodes, text=text)


def _syntax_error(err: yaml.YAMLError) -> str:
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}: " if mark else ""
        return f"{where}{err.problem or err.context or 'not valid YAML'}"
    return f"not valid YAML ({err.__class__.__name__})"


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


@dataclass(frozen=True)
class RenderedObject:
    """A Kubernetes object and where it was rendered from.

    Attributes:
        data: The object.
        source: The kustomization folder that rendered it, or the YAML file holding it (relative).
        app: The comind app it belongs to, when known.
        env: The environment (`overlays/<env>`), when known.

    """

    data: dict[str, Any] = field(repr=False)
    source: str
    app: str | None = None
    env: str | None = None

    @property
    def kind(self) -> str:
        """The object's kind ('' when missing)."""
        return self.get_str("kind")

    @property
    def api_version(self) -> str:
        """The object's apiVersion ('' when missing)."""
        return self.get_str("apiVersion")

    @property
    def name(self) -> str:
        """metadata.name ('' when missing)."""
        return self.get_str("metadata", "name")

    @property
    def namespace(self) -> str:
        """metadata.namespace ('' when missing)."""
        return self.get_str("metadata", "namespace")

    @property
    def labels(self) -> dict[str, Any]:
        """metadata.labels."""
        return self.get_dict("metadata", "labels")

    def get(self, *keys: str) -> Any:
        """A nested field, or None when any step is missing."""
        return _get(self.data, *keys)

    def get_list(self, *keys: str) -> list[Any]:
        """A nested list; empty when missing or not a list (foreign input can hold anything)."""
        value = _get(self.data, *keys)
        return value if isinstance(value, list) else []

    def get_dict(self, *keys: str) -> dict[str, Any]:
        """A nested mapping; empty when missing or not a mapping."""
        value = _get(self.data, *keys)
        return value if isinstance(value, dict) else {}

    def get_str(self, *keys: str) -> str:
        """A nested scalar as text; '' when missing or not a scalar."""
        value = _get(self.data, *keys)
        return "" if value is None or isinstance(value, dict | list) else str(value)

    @property
    def ref(self) -> str:
        """`Kind namespace/name in source`, what results name."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where} ({self.source})"


@dataclass(frozen=True)
class Container:
    """One container of a workload."""

    obj: RenderedObject
    spec: dict[str, Any]
    init: bool

    @property
    def name(self) -> str:
        """The container's name."""
        return str(self.spec.get("name") or "?")

    @property
    def ref(self) -> str:
        """`Kind namespace/name container NAME (source)`."""
        where = f"{self.obj.namespace}/{self.obj.name}" if self.obj.namespace else self.obj.name
        word = "initContainer" if self.init else "container"
        return f"{self.obj.kind} {where} {word} {self.name} ({self.obj.source})"

    @property
    def long_running(self) -> bool:
        """True for a regular container of a Deployment, StatefulSet, DaemonSet, ReplicaSet or Pod."""
        return not self.init and self.obj.kind in LONG_RUNNING


def containers(obj: RenderedObject) -> Iterator[Container]:
    """Every container and init container of a workload object (nothing for other kinds)."""
    path = POD_SPEC_PATHS.get(obj.kind)
    if path is None:
        return
    pod = obj.get(*path)
    if not isinstance(pod, dict):
        return
    for key, init in (("initContainers", True), ("containers", False)):
        specs = pod.get(key)
        for spec in specs if isinstance(specs, list) else []:
            if isinstance(spec, dict):
                yield Container(obj, spec, init)
