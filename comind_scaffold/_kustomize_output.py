"""What a kustomize build prints, read back: its objects (YAML or the worker's JSON) or its one error line.

Kept apart from running the tool: this changes when kustomize or kubectl word their output differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from comind_scaffold._yaml import SafeLoader as _Loader

__all__ = ["KustomizeBuild", "error_line", "from_docs", "from_yaml"]

_KLOG_ERROR = re.compile(r'^[EF]\d{4} [\d:.]+\s+\d+ \S+:\d+\] "command failed" err=(?:"(?P<quoted>.*)"|<)\s*$')
_FILE_NAME = re.compile(r"[\w./-]+\.(?:ya?ml|json)\b")


@dataclass(frozen=True)
class KustomizeBuild:
    """The outcome of building one folder.

    Attributes:
        path: The kustomization folder (absolute).
        objects: The rendered objects, in output order.
        error: The tool's own error line when the build failed.

    """

    path: Path
    objects: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the folder built."""
        return self.error is None


def _error_message(stderr: str) -> list[str]:
    """The lines of the tool's error, without kustomize's `Error:` or kubectl's klog wrapping (`E1203 … err=<`)."""
    lines = stderr.splitlines()
    for number, line in enumerate(lines):
        klog = _KLOG_ERROR.match(line)
        if klog and klog["quoted"] is not None:
            return [klog["quoted"].replace('\\"', '"').replace("\\\\", "\\")]
        if klog:  # err=< … > spans the following lines
            return [part for part in lines[number + 1 :] if part.strip() != ">"]
        if line.startswith(("Error:", "error:")):
            return [line.split(":", 1)[1], *lines[number + 1 :]]
    return lines


def error_line(stderr: str) -> str:
    """The line of the error that names a file (a missing patch is named only on a later line), else its first."""
    lines = [line.strip().lstrip("`: ") for line in _error_message(stderr)]
    lines = [line for line in lines if line]
    naming = [line for line in lines if _FILE_NAME.search(line)]
    return (naming or lines or ["failed without a message"])[-1 if naming else 0]


def from_yaml(path: Path, text: str) -> KustomizeBuild:
    """The build of `path` from the tool's YAML output."""
    try:
        docs = [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except yaml.YAMLError as err:
        return KustomizeBuild(path, error=f"output is not valid YAML ({err.__class__.__name__})")
    return from_docs(path, docs)


def from_docs(path: Path, docs: list[Any]) -> KustomizeBuild:
    """The build of `path` from its parsed documents; every one must be a mapping."""
    objects = tuple(doc for doc in docs if isinstance(doc, dict))
    if len(objects) != len(docs):
        return KustomizeBuild(path, error="output holds a document that is not a mapping")
    return KustomizeBuild(path, objects=objects)
