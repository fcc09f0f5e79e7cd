"""One long-lived `comind-kustomize-worker` process and its line protocol (tools/kustomize-worker).

A folder per line goes in; `ok <bytes>` and the objects as JSON, or `error <bytes>` and kustomize's message,
come out. This changes with the worker's protocol, not with how builds are scheduled (see _kustomize.py).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from pathlib import Path

from comind_scaffold._kustomize_output import KustomizeBuild, error_line, from_docs

__all__ = ["TIMEOUT_SECONDS", "Worker"]

TIMEOUT_SECONDS = 120


class _Gone(Exception):
    """The worker process ended before answering."""


class Worker:
    """One worker process: `build` sends it a folder and reads its answer."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        env = {**os.environ, "GOGC": os.environ.get("GOGC", "400")}  # short-lived heaps: collect less often
        self.proc = subprocess.Popen(
            [binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        self._buffer = b""

    def build(self, path: Path) -> KustomizeBuild | None:
        """Build one folder; None when the process ended before answering (TimeoutError when it takes too long)."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(os.fsencode(path) + b"\n")
            self.proc.stdin.flush()
        except OSError:
            return None
        deadline = time.monotonic() + TIMEOUT_SECONDS
        try:
            status, _, size = self._read_line(deadline).partition(b" ")
            payload = self._read(int(size), deadline).decode()
        except _Gone:
            return None
        if status == b"error":
            return KustomizeBuild(path, error=error_line(payload))
        try:
            docs = json.loads(payload)
        except ValueError:
            return KustomizeBuild(path, error="output is not valid JSON")
        return from_docs(path, docs if isinstance(docs, list) else [docs])

    def _fill(self, deadline: float) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
            raise TimeoutError
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise _Gone
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
