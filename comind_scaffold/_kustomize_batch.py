"""Many folders in one kustomize run: a generated kustomization lists each through a wrapper that tags its objects.

`write` lays the wrappers out; `split` hands the combined objects back to their folders by the tag. This
changes with the batching trick alone; when to batch and the fallback to separate builds are _kustomize.py's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from comind_scaffold._kustomize_output import KustomizeBuild

__all__ = ["split", "write"]

_BATCH_ANNOTATION = "comind.ops/kustomize-batch-index"


def write(top: Path, paths: list[Path]) -> None:
    """Write into the empty folder `top` a kustomization that builds every one of `paths`, each tagged by index."""
    for index, path in enumerate(paths):
        wrapper = top / f"w{index}"
        wrapper.mkdir()
        tag = {
            "apiVersion": "builtin",
            "kind": "AnnotationsTransformer",
            "metadata": {"name": "comind-batch-tag"},
            "annotations": {_BATCH_ANNOTATION: str(index)},
            "fieldSpecs": [{"path": "metadata/annotations", "create": True}],
        }
        (wrapper / "tag.yaml").write_text(json.dumps(tag))
        wrapped = {"resources": [os.path.relpath(path, wrapper)], "transformers": ["tag.yaml"]}
        (wrapper / "kustomization.yaml").write_text(json.dumps(wrapped))
    (top / "kustomization.yaml").write_text(json.dumps({"resources": [f"w{i}" for i in range(len(paths))]}))


def split(paths: list[Path], combined: KustomizeBuild) -> list[KustomizeBuild] | None:
    """The objects of a batch build, handed back to their folders; None when the batch must be redone."""
    if combined.error is not None:
        return None
    grouped: list[list[dict[str, Any]]] = [[] for _ in paths]
    for obj in combined.objects:
        metadata = obj.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        if not isinstance(metadata, dict) or not isinstance(annotations, dict):
            return None
        index = annotations.pop(_BATCH_ANNOTATION, None)
        if not isinstance(index, str) or not index.isdigit() or int(index) >= len(paths):
            return None
        if not annotations:
            del metadata["annotations"]
        grouped[int(index)].append(obj)
    return [KustomizeBuild(path, objects=tuple(objects)) for path, objects in zip(paths, grouped, strict=True)]
