"""What a kustomization reads, and renders kept on disk addressed by a digest of exactly that.

kustomize costs about 30 ms of CPU per overlay, so a platform with 600 app overlays spends ~18 CPU-seconds
rendering them. `comind validate`, the verifier's static layer and its apps layer all need the same renders:
whichever runs first stores them, the others load them. A render is reused only when the build command, the
kustomize binary and every file the build reads (followed through bases, components, patches, generator
inputs) are byte for byte those it was made from, so a reused render is what kustomize would print now.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from comind_scaffold._yaml import SafeLoader as _Loader

__all__ = ["KUSTOMIZATION_FILES", "RenderCache", "kustomization_file", "references"]

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_REMOTE = re.compile(r"^(?:[a-z]+://|git@|github\.com/|gitlab\.com/)")
_KEEP_UNUSED_SECONDS = 14 * 24 * 3600
# Kustomizations by content: a validate run reads each one when scanning and again for every render key.
_PARSED: dict[bytes, dict[str, Any] | None] = {}  # thread-safe enough: a lost entry is parsed again
_PARSED_MAX = 8192


def kustomization_file(folder: Path) -> Path | None:
    """The kustomization file of `folder`, if it has one."""
    for name in KUSTOMIZATION_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def _entries(data: dict[str, Any]) -> Iterator[str]:
    """Every local path a kustomization names: resources, patches, generator inputs, transformers."""
    for key in (
        "resources",
        "bases",
        "components",
        "crds",
        "configurations",
        "transformers",
        "generators",
        "validators",
        "patchesStrategicMerge",
    ):
        value = data.get(key)
        yield from (v for v in value if isinstance(v, str)) if isinstance(value, list) else ()
    for key in ("patches", "patchesJson6902", "replacements"):
        value = data.get(key)
        for item in value if isinstance(value, list) else ():
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                yield item["path"]
    for key in ("configMapGenerator", "secretGenerator"):
        value = data.get(key)
        for item in value if isinstance(value, list) else ():
            for key_of_names in ("files", "envs"):
                names = item.get(key_of_names) if isinstance(item, dict) else None
                yield from (n.split("=", 1)[-1] for n in names if isinstance(n, str)) if isinstance(names, list) else ()
            if isinstance(item, dict) and isinstance(item.get("env"), str):
                yield item["env"]
    openapi = data.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        yield openapi["path"]


def _load(kustomization: Path) -> dict[str, Any] | None:
    try:
        return _parse(kustomization.read_bytes())
    except OSError:
        return None


def _parse(text: bytes) -> dict[str, Any] | None:
    """The kustomization in `text` (read-only: shared by every caller that reads the same bytes)."""
    try:
        return _PARSED[text]
    except KeyError:
        pass
    try:
        data = yaml.load(text.decode(), Loader=_Loader)
    except (UnicodeDecodeError, yaml.YAMLError):
        data = None
    parsed = data if isinstance(data, dict) else None
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[text] = parsed
    return parsed


def references(folder: Path, kustomization: Path) -> set[Path]:
    """The local files and folders a kustomization reads (remote and unreadable entries left out)."""
    data = _load(kustomization)
    if data is None:
        return set()
    return {(folder / entry).resolve() for entry in _entries(data) if not _REMOTE.match(entry)}


class _Reads:
    """The files read while digesting a few folders, each read (and parsed, and resolved) once.

    Builds of one app share its base; digesting them together reads the base once. A `_Reads` lives only as
    long as one `keys` call: a long-running verifier must see edits made between calls.
    """

    def __init__(self) -> None:
        self._digests: dict[Path, bytes] = {}
        self._kustomizations: dict[Path, tuple[Path, dict[str, Any]] | None] = {}
        self._targets: dict[tuple[Path, str], tuple[Path, bool]] = {}

    def digest(self, file: Path) -> bytes:
        if file not in self._digests:
            try:
                self._digests[file] = hashlib.sha256(file.read_bytes()).digest()
            except OSError:
                self._digests[file] = b"missing or unreadable"
        return self._digests[file]

    def kustomization(self, folder: Path) -> tuple[Path, dict[str, Any]] | None:
        """The kustomization file of `folder` and its content (None when absent or unparseable)."""
        if folder not in self._kustomizations:
            file = kustomization_file(folder)
            found = None
            if file is not None:
                try:
                    text = file.read_bytes()
                except OSError:
                    text = None
                data = _parse(text) if text is not None else None
                if data is not None:
                    self._digests[file] = hashlib.sha256(text or b"").digest()
                    found = (file, data)
            self._kustomizations[folder] = found
        return self._kustomizations[folder]

    def target(self, folder: Path, entry: str) -> tuple[Path, bool]:
        """What `entry` of `folder`'s kustomization names (symlinks resolved), and whether it is a folder."""
        if (folder, entry) not in self._targets:
            target = (folder / entry).resolve()
            self._targets[folder, entry] = (target, target.is_dir())
        return self._targets[folder, entry]


class RenderCache:
    """Renders of kustomization folders, one JSON file each under `folder`, named by the digest of their inputs.

    Args:
        folder: Where renders are kept (a platform's git-ignored `.comind/cache/rendered`).

    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self._tools: dict[tuple[str, ...], bytes | None] = {}

    def key(self, path: Path, command: Sequence[str]) -> str | None:
        """The digest of the command, the binary and everything the build of `path` reads; None if not cacheable.

        A build that reads a remote base, or a kustomization that cannot be parsed, is never cached.
        """
        return self.keys([path], command)[0]

    def keys(self, paths: Sequence[Path], command: Sequence[str]) -> list[str | None]:
        """`key` of each folder, reading every file they share once (read now, never remembered after)."""
        tool = self._tool_identity(tuple(command))
        reads = _Reads()
        return [self._key(path.resolve(), tool, reads) if tool is not None else None for path in paths]

    def _key(self, path: Path, tool: bytes, reads: _Reads) -> str | None:
        digest = hashlib.sha256(tool)
        inputs: dict[Path, str] = {}
        if not self._collect(path, inputs, set(), reads):
            return None
        for file in sorted(inputs):
            digest.update(inputs[file].encode() + b"\0" + reads.digest(file) + b"\0")
        return digest.hexdigest()

    def _tool_identity(self, command: tuple[str, ...]) -> bytes | None:
        """The command and its binary's size and mtime (a kustomize upgrade changes renders); looked up once."""
        if command not in self._tools:
            binary = shutil.which(command[0]) if command else None
            stat = os.stat(binary) if binary else None
            self._tools[command] = (
                "\0".join(command).encode() + f"\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode() if stat else None
            )
        return self._tools[command]

    def _collect(self, folder: Path, inputs: dict[Path, str], seen: set[Path], reads: _Reads) -> bool:
        """Add every file the build of `folder` reads to `inputs` (relative names kept); False when not cacheable."""
        if folder in seen:
            return True
        seen.add(folder)
        found = reads.kustomization(folder)
        if found is None:
            return False
        kustomization, data = found
        inputs[kustomization] = kustomization.name
        for entry in _entries(data):
            if _REMOTE.match(entry):
                return False
            target, is_dir = reads.target(folder, entry)
            if is_dir:
                if not self._collect(target, inputs, seen, reads):
                    return False
            else:
                inputs[target] = entry  # a missing file still counts: its absence is part of the input
        return True

    def load(self, key: str) -> tuple[dict[str, Any], ...] | None:
        """The stored render for `key`, or None."""
        entry = self.folder / f"{key}.json"
        try:
            objects = json.loads(entry.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
            return None
        try:
            os.utime(entry)  # in use: kept by prune()
        except OSError:
            pass
        self.hits += 1
        return tuple(objects)

    def store(self, key: str, objects: Sequence[dict[str, Any]]) -> None:
        """Keep a render; a folder that cannot be written only means no cache."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(list(objects)))
            tmp.replace(self.folder / f"{key}.json")
        except OSError:
            return

    def prune(self, max_age: float = _KEEP_UNUSED_SECONDS) -> int:
        """Delete renders unused for `max_age` seconds (only this cache's own `*.json` files); return how many."""
        cutoff = time.time() - max_age
        removed = 0
        try:
            entries = list(self.folder.glob("*.json"))
        except OSError:
            return 0
        for entry in entries:
            try:
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
            except OSError:
                continue
        return removed
