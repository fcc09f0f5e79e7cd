"""Adapter for kustomize: builds kustomization folders with the real tool, many at a time.

The tool is, in order: `$COMIND_KUSTOMIZE` (kustomize, a kubectl, or the worker below), the kustomize worker
(`comind-kustomize-worker`, built from tools/kustomize-worker: kustomize's own build code serving many
folders per process, about half the CPU of separate builds and JSON instead of YAML to parse), a `kustomize`
on PATH (it starts about five times faster than kubectl), then `kubectl kustomize` (kubectl has shipped
kustomize since 1.14). The worker is looked up as `$COMIND_KUSTOMIZE_WORKER`, on PATH, then in comind's tool
cache (`$COMIND_CACHE/bin`, default ~/.cache/comind-ops/bin).

This module finds the tool and schedules builds (threads, batches, the render cache); the worker's protocol
is _kustomize_worker.py, the batch wrappers _kustomize_batch.py, reading the output _kustomize_output.py.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from comind_scaffold import _kustomize_batch as batch
from comind_scaffold._kustomize_output import KustomizeBuild, error_line, from_yaml
from comind_scaffold._kustomize_worker import TIMEOUT_SECONDS, Worker
from comind_scaffold._render_cache import KUSTOMIZATION_FILES, RenderCache
from comind_scaffold.errors import TemplateError, ToolNotFoundError

__all__ = ["KUSTOMIZATION_FILES", "WORKER_NAME", "Kustomizer", "build", "kustomize_command", "worker_binary"]

WORKER_NAME = "comind-kustomize-worker"


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
        self._idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()

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
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return KustomizeBuild(path, error=f"timed out after {TIMEOUT_SECONDS} s")
        except OSError as err:
            return KustomizeBuild(path, error=f"{self.command[0]}: {err.strerror}")
        if done.returncode != 0:
            return KustomizeBuild(path, error=error_line(done.stderr))
        return from_yaml(path, done.stdout)

    def _serve(self, path: Path) -> KustomizeBuild:
        """Build through an idle worker, else a new one; an idle one may have ended meanwhile."""
        if "\n" in str(path):
            return KustomizeBuild(path, error="a folder name with a line break cannot be sent to the worker")
        while True:
            try:
                worker, fresh = self._idle.get_nowait(), False
            except queue.Empty:
                try:
                    worker, fresh = Worker(self.command[0]), True
                except OSError as err:
                    return KustomizeBuild(path, error=f"{self.command[0]}: {err.strerror}")
            try:
                result = worker.build(path)
            except TimeoutError:
                worker.proc.kill()
                worker.close()
                return KustomizeBuild(path, error=f"timed out after {TIMEOUT_SECONDS} s")
            if result is None:  # the process had ended
                worker.close()
                if fresh:
                    return KustomizeBuild(path, error=f"{WORKER_NAME} exited with code {worker.proc.returncode}")
                continue
            self._idle.put(worker)
            return result

    def _run_batch(self, paths: list[Path], futures: list[Future[KustomizeBuild]], keys: list[str | None]) -> None:
        try:
            batched = len(paths) > 1 and not _is_worker(self.command)
            builds = batch.split(paths, self._run_wrapped(paths)) if batched else None
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
            batch.write(Path(tmp), paths)
            return self._run(Path(tmp))

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
