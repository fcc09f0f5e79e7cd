"""A daemon thread that lives as long as a ``with`` block, for stand-ins and watchers that poll in the background."""

from __future__ import annotations

import threading
from typing import Self


class BackgroundThread:
    """Runs ``_run`` in a daemon thread from ``__enter__``; ``__exit__`` sets ``_stop`` and waits up to
    ``join_timeout`` seconds for the thread to end (0: not at all, for a thread that may sit in a long read)."""

    join_timeout: float = 10

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.join_timeout:
            self._thread.join(self.join_timeout)

    def _run(self) -> None:
        """The thread's work; it ends soon after ``self._stop`` is set."""
        raise NotImplementedError
