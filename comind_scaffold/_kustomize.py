"""Adapter for kustomize: builds kustomization folders with the real tool, many at a time.

The tool is, in order: `$COMIND_KUSTOMIZE` (kustomize, a kubectl, or the worker below), the kustomize worker
(`comind-kustomize-worker`, built from tools/kustomize-worker: kustomize's own build code serving many
folders per process, about half the CPU of separate builds and JSON instead of YAML to parse), a `kustomize`
on PATH (it starts about five times faster than kubectl), then `kubectl kustomize` (kubectl has shipped
kustomize since 1.14). The worker is looked up as `$COMIND_KUSTOMIZE_WORKER`, on PATH, then in comind's tool
cache (`$COMIND_CACHE/bin`, default ~/.cache/comind-ops/bin).
"""

from __future__ import annotations

import json
import os
import queue
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from comind_scaffold._render_cache import KUSTOMIZATION_FILES, RenderCache
from comind_scaffold._yaml import SafeLoader as _Loader
from comind_scaffold.errors import TemplateError, ToolNotFoundError

__all__ = ["KUSTOMIZATION_FILES", "WORKER_NAME", "KustomizeBuild", "Kustomizer", "build", "kustomize_command"]

WORKER_NAME = "comind-kustomize-worker"
_TIMEOUT_SECONDS = 120
_BATCH_ANNOTATION = "comind.ops/kustomize-batch-index"
_KLOG_ERROR = re.compile(r'^[EF]\d{4} [\d:.]+\s+\d+ \S+:\d+\] "command failed" err=(?:"(?P<quoted>.*)"|<)\s*$')
_FILE_NAME = re.compile(r"[\w./-]+\.(?:ya?ml|json)\b")


def _is_worker(command: Sequence[str]) -> bool:
    return Path(command[0]).name == WORKER_NAME


def worker_binary() -> str | None:
    """The kustomize worker, if one is installed."""
    explicit = os.environ.get("COMIND_KUSTOMIZE_WORKER")
    cache = Path(os.environ.get("COMIND_CACHE") or Path.home() / ".cache" / "comind-ops") / "bin" / WORKER_NAME
    for candidate in (explicit, shutil.which(WORKER_NAME), str(cache)):
        if candidate and shutil.which(candidate):
            return candidate
    return None


def kustomize_command() -> list[str]:
    """The command that builds a folder, without the folder (the worker's is its binary alone).

    Raises:
        ToolNotFoundError: Neither kustomize nor kubectl can be found.

    """
    explicit = os.environ.get("COMIND_KUSTOMIZE")
    if explicit:
        if not shutil.which(explicit):
            raise ToolNotFoundError(explicit, hint="COMIND_KUSTOMIZE names a binary that does not exist")
        if _is_worker([explicit]):
            return [explicit]
        return [explicit, "kustomize" if Path(explicit).name.startswith("kubectl") else "build"]
    worker = worker_binary()
    if worker:
        return [worker]
    standalone = shutil.which("kustomize")
    if standalone:
        return [standalone, "build"]
    kubectl = shutil.which("kubectl")
    if kubectl:
        return [kubectl, "kustomize"]
    raise ToolNotFoundError("kustomize", hint="install kustomize or kubectl (which embeds it)")


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


def _error_line(stderr: str) -> str:
    """The line of the error that names a file (a missing patch is named only on a later line), else its first."""
    lines = [line.strip().lstrip("`: ") for line in _error_message(stderr)]
    lines = [line for line in lines if line]
    naming = [line for line in lines if _FILE_NAME.search(line)]
    return (naming or lines or ["failed without a message"])[-1 if naming else 0]


def _parse(path: Path, text: str) -> KustomizeBuild:
    try:
        docs = [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except yaml.YAMLError as err:
        return KustomizeBuild(path, error=f"output is not valid YAML ({err.__class__.__name__})")
    return _objects(path, docs)


def _objects(path: Path, docs: list[Any]) -> KustomizeBuild:
    objects = tuple(doc for doc in docs if isinstance(doc, dict))
    if len(objects) != len(docs):
        return KustomizeBuild(path, error="output holds a document that is not a mapping")
    return KustomizeBuild(path, objects=objects)


class _WorkerGone(Exception):
    """The worker process ended before answering."""


class _Worker:
    """One long-lived `comind-kustomize-worker`: a folder per line in, `ok|error <bytes>` and a payload out."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        env = {**os.environ, "GOGC": os.environ.get("GOGC", "400")}  # short-lived heaps: collect less often
        self.proc = subprocess.Popen(
            [binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        self._buffer = b""

    def build(self, path: Path) -> KustomizeBuild:
        """Build one folder; raises _WorkerGone when the process ended first (and TimeoutError)."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(os.fsencode(path) + b"\n")
            self.proc.stdin.flush()
        except OSError as err:
            raise _WorkerGone from err
        deadline = time.monotonic() + _TIMEOUT_SECONDS
        status, _, size = self._read_line(deadline).partition(b" ")
        payload = self._read(int(size), deadline).decode()
        if status == b"error":
            return KustomizeBuild(path, error=_error_line(payload))
        try:
            docs = json.loads(payload)
        except ValueError:
            return KustomizeBuild(path, error="output is not valid JSON")
        return _objects(path, docs if isinstance(docs, list) else [docs])

    def _fill(self, deadline: float) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
            raise TimeoutError
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise _WorkerGone
        self._buffer += chunk

    def _read_line(self, deadline: float) -> bytes:
        while b"\n" not in self._buffer:
            self._fill(deadline)
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _read(self, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size:
            self._fill(deadline)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def close(self) -> None:
        """End the process (it exits at the end of its input)."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


class Kustomizer:
    """Builds kustomization folders concurrently, each folder at most once.

    With the kustomize worker, each thread keeps one worker process and sends it folder after folder. With
    the kustomize or kubectl CLI, folders submitted together are built in batches: one tool run renders a few
    of them side by side (a generated kustomization lists each through a wrapper that tags its objects),
    which saves most of the tool's start-up per folder. A batch that fails for any reason is built again
    folder by folder, so errors and objects are exactly those of separate builds. With a render cache, a folder
    whose inputs are unchanged since some earlier build (of this or another process) is not built at all.

    Args:
        command: The build command without the folder; found with `kustomize_command()` when omitted.
        workers: Builds running at once; defaults to the number of CPUs (at least 2, at most 8).
        batch_size: Folders per tool run in `submit_many` (1 turns batching off).
        cache: Where successful builds are kept and looked up (none by default).

    """

    def __init__(
        self,
        command: Sequence[str] | None = None,
        workers: int | None = None,
        batch_size: int = 16,
        cache: RenderCache | None = None,
    ) -> None:
        self._command = list(command) if command else None
        self.cache = cache
        self.workers = workers or max(2, min(8, os.cpu_count() or 2))
        self.batch_size = max(1, batch_size)
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kustomize")
        self._futures: dict[Path, Future[KustomizeBuild]] = {}
        self._lock = threading.Lock()
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()

    def __enter__(self) -> Kustomizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def command(self) -> list[str]:
        """The build command, found on first use so a folder without kustomizations needs no tool."""
        if self._command is None:
            self._command = kustomize_command()
        return self._command

    def close(self) -> None:
        """Stop the worker threads (running builds finish first); drop renders unused for weeks."""
        self._pool.shutdown(wait=True)
        while not self._idle.empty():
            self._idle.get().close()
        if self.cache is not None and self._futures:
            self.cache.prune()

    @property
    def builds_run(self) -> int:
        """How many distinct folders were submitted."""
        return len(self._futures)

    def _run(self, path: Path) -> KustomizeBuild:
        if _is_worker(self.command):
            return self._serve(path)
        try:
            done = subprocess.run(
                [*self.command, str(path)],
                capture_output=True,
                text=True,
                timeout=_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return KustomizeBuild(path, error=f"timed out after {_TIMEOUT_SECONDS} s")
        except OSError as err:
            return KustomizeBuild(path, error=f"{self.command[0]}: {err.strerror}")
        if done.returncode != 0:
            return KustomizeBuild(path, error=_error_line(done.stderr))
        return _parse(path, done.stdout)

    def _serve(self, path: Path) -> KustomizeBuild:
        """Build through an idle worker, else a new one; an idle one may have ended meanwhile (see the worker)."""
        if "\n" in str(path):
            return KustomizeBuild(path, error="a folder name with a line break cannot be sent to the worker")
        while True:
            try:
                worker, fresh = self._idle.get_nowait(), False
            except queue.Empty:
                try:
                    worker, fresh = _Worker(self.command[0]), True
                except OSError as err:
                    return KustomizeBuild(path, error=f"{self.command[0]}: {err.strerror}")
            try:
                result = worker.build(path)
            except _WorkerGone:
                worker.close()
                if fresh:
                    return KustomizeBuild(path, error=f"{WORKER_NAME} exited with code {worker.proc.returncode}")
                continue
            except TimeoutError:
                worker.proc.kill()
                worker.close()
                return KustomizeBuild(path, error=f"timed out after {_TIMEOUT_SECONDS} s")
            self._idle.put(worker)
            return result

    def _run_batch(self, paths: list[Path], futures: list[Future[KustomizeBuild]], keys: list[str | None]) -> None:
        try:
            batched = len(paths) > 1 and not _is_worker(self.command)
            builds = _split(paths, self._run_wrapped(paths)) if batched else None
        except Exception:  # noqa: BLE001 - any surprise: fall back to separate builds below
            builds = None
        for index, (path, future) in enumerate(zip(paths, futures, strict=True)):
            try:
                result = builds[index] if builds is not None else self._run(path)
                digest = keys[index]
                if self.cache is not None and digest is not None and result.ok:
                    self.cache.store(digest, result.objects)
                future.set_result(result)
            except Exception as err:  # noqa: BLE001 - never leave a caller waiting on a future
                future.set_exception(err)

    def _from_cache(self, paths: list[Path]) -> tuple[list[Path], list[str | None]]:
        """Resolve the folders whose render is cached; return the others and their cache keys."""
        if self.cache is None:
            return paths, [None] * len(paths)
        misses: list[Path] = []
        digests: list[str | None] = []
        for path, digest in zip(paths, self.cache.keys(paths, self.command), strict=True):
            objects = self.cache.load(digest) if digest is not None else None
            if objects is not None:
                self._futures[path].set_result(KustomizeBuild(path, objects=objects))
            else:
                misses.append(path)
                digests.append(digest)
        return misses, digests

    def _run_wrapped(self, paths: list[Path]) -> KustomizeBuild:
        with tempfile.TemporaryDirectory(prefix="comind-kustomize-") as tmp:
            top = Path(tmp)
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
            return self._run(top)

    def submit(self, path: Path | str) -> Future[KustomizeBuild]:
        """Start building `path` unless it was already started; return its future."""
        return self.submit_many([path])[Path(path).resolve()]

    def submit_many(self, paths: Iterable[Path | str]) -> dict[Path, Future[KustomizeBuild]]:
        """Start building every folder not started yet, in batches; return every folder's future."""
        keys = list(dict.fromkeys(Path(p).resolve() for p in paths))
        self.command  # noqa: B018 - a missing tool is reported here, to the caller, not inside a worker
        with self._lock:
            new = [key for key in keys if key not in self._futures]
            for key in new:
                self._futures[key] = Future()
        size = self.batch_size if len(new) > 1 else 1
        for start in range(0, len(new), size):
            # Chunk by chunk, so kustomize starts on the first misses while the caller digests the next inputs
            # (digesting in the workers instead would contend for the GIL with whoever waits for the results).
            misses, digests = self._from_cache(new[start : start + size])
            if misses:
                self._pool.submit(self._run_batch, misses, [self._futures[key] for key in misses], digests)
        return {key: self._futures[key] for key in keys}

    def build(self, path: Path | str) -> KustomizeBuild:
        """Build one folder (or return the earlier build of it)."""
        return self.submit(path).result()

    def build_many(self, paths: Iterable[Path | str]) -> dict[Path, KustomizeBuild]:
        """Build every folder (concurrently, in batches); the result is keyed by absolute path."""
        return {path: future.result() for path, future in self.submit_many(paths).items()}


def _split(paths: list[Path], combined: KustomizeBuild) -> list[KustomizeBuild] | None:
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


def build(path: Path | str) -> list[dict[str, Any]]:
    """Build one kustomization folder and return its objects.

    Raises:
        ToolNotFoundError: No kustomize or kubectl.
        TemplateError: The build failed; the message is kustomize's own.

    """
    with Kustomizer(workers=1) as kustomizer:
        result = kustomizer.build(path)
    if result.error is not None:
        raise TemplateError(f"{path}: kustomize build failed: {result.error}")
    return list(result.objects)
