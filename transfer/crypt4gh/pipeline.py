"""Ordered background writing, so disk or socket writes overlap with the cipher.

The AEAD holds the GIL but ``write`` system calls release it, so writing chunk
*n* in a helper thread while chunk *n + 1* is encrypted uses the second core.
At most one write is in flight; writes keep their order; the final (or only)
chunk of a small body is written inline, so small bodies start no thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

__all__ = ["OrderedWriter"]


class OrderedWriter:
    """Runs ``write(view)`` calls one at a time, in order, in one helper thread."""

    def __init__(self, write: Callable[[memoryview], object], *, background: bool) -> None:
        self._write = write
        self._background = background
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[object] | None = None

    def submit(self, view: memoryview, *, last: bool = False) -> None:
        """Queue ``view``; it must stay untouched until the next ``submit``/``close``."""
        self.wait()
        if not self._background or (last and self._pool is None):
            self._write(view)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="crypt4gh-write")
        self._pending = self._pool.submit(self._write, view)

    def wait(self) -> None:
        """Block until the write in flight is done (re-raising its error)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self, *, failing: bool = False) -> None:
        """Finish the write in flight and stop the thread.

        With ``failing=True`` (another error is propagating) its error is dropped.
        """
        try:
            if failing and self._pending is not None:
                wait([self._pending])
                self._pending = None
            self.wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def __enter__(self) -> OrderedWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self.close(failing=exc_type is not None)
