"""Adapter for kustomize: builds kustomization folders with the real tool, many at a time.

The binary is, in order: `$COMIND_KUSTOMIZE` (kustomize, or a kubectl), a `kustomize` on PATH (starts about five times faster than
kubectl), then `kubectl kustomize` (kubectl has shipped kustomize since 1.14).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from comind_scaffold.errors import TemplateError, ToolNotFoundError

__all__ = ["KUSTOMIZATION_FILES", "KustomizeBuild", "Kustomizer", "build", "kustomize_command"]

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_TIMEOUT_SECONDS = 120
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def kustomize_command() -> list[str]:
    """The command that builds a folder, without the folder.

    Raises:
        ToolNotFoundError: Neither kustomize nor kubectl can be found.

    """
    explicit = os.environ.get("COMIND_KUSTOMIZE")
    if explicit:
        if not shutil.which(explicit):
            raise ToolNotFoundError(explicit, hint="COMIND_KUSTOMIZE names a binary that does not exist")
        return [explicit, "kustomize" if Path(explicit).name.startswith("kubectl") else "build"]
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


def _error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("Error:") or line.startswith("error:"):
            return line.split(":", 1)[1].strip()
    return lines[-1] if lines else "failed without a message"


def _parse(path: Path, text: str) -> KustomizeBuild:
    try:
        docs = [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except yaml.YAMLError as err:
        return KustomizeBuild(path, error=f"output is not valid YAML ({err.__class__.__name__})")
    objects = tuple(doc for doc in docs if isinstance(doc, dict))
    if len(objects) != len(docs):
        return KustomizeBuild(path, error="output holds a document that is not a mapping")
    return KustomizeBuild(path, objects=objects)


class Kustomizer:
    """Builds kustomization folders concurrently, each folder at most once.

    Args:
        command: The build command without the folder; found with `kustomize_command()` when omitted.
        workers: Builds running at once; defaults to the number of CPUs (at least 2, at most 8).

    """

    def __init__(self, command: Sequence[str] | None = None, workers: int | None = None) -> None:
        self._command = list(command) if command else None
        self.workers = workers or max(2, min(8, os.cpu_count() or 2))
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kustomize")
        self._futures: dict[Path, Future[KustomizeBuild]] = {}
        self._lock = threading.Lock()

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
        """Stop the worker threads (running builds finish first)."""
        self._pool.shutdown(wait=True)

    @property
    def builds_run(self) -> int:
        """How many distinct folders were submitted."""
        return len(self._futures)

    def _run(self, path: Path) -> KustomizeBuild:
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

    def submit(self, path: Path | str) -> Future[KustomizeBuild]:
        """Start building `path` unless it was already started; return its future."""
        key = Path(path).resolve()
        self.command  # noqa: B018 - a missing tool is reported here, to the caller, not inside a worker
        with self._lock:
            future = self._futures.get(key)
            if future is None:
                future = self._pool.submit(self._run, key)
                self._futures[key] = future
            return future

    def build(self, path: Path | str) -> KustomizeBuild:
        """Build one folder (or return the earlier build of it)."""
        return self.submit(path).result()

    def build_many(self, paths: Iterable[Path | str]) -> dict[Path, KustomizeBuild]:
        """Build every folder concurrently; the result is keyed by absolute path."""
        futures = {Path(p).resolve(): self.submit(p) for p in paths}
        return {path: future.result() for path, future in futures.items()}


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
