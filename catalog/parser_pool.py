"""Parse untrusted CQL2 in worker processes, so that a crash of the native parser costs one request.

The ``cql2`` package is a Rust extension. On some inputs its parser recurses without a bound and
overflows the stack: that is a SIGSEGV, not a Python exception, and it would take the whole server
down. ``catalog.cql2sql`` rejects every such input we know of before parsing (length, operator
count, nesting); this pool is the second line of defence for the ones we do not know of.

A few long-lived workers, started lazily with the ``spawn`` method (the server is multi-threaded,
so never a plain ``fork``), each serve one call at a time over a pipe: the caller sends the text,
the worker answers with the parsed CQL2 JSON or the parser's error message. A worker that dies or
overruns its time is killed and replaced, and only the call it was serving fails, with
``ParserCrashed``. A standard ``ProcessPoolExecutor`` was not used because one dead worker breaks
the whole executor and fails every call in flight, not only the hostile one.
"""

from __future__ import annotations

import atexit
import multiprocessing
import queue
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Literal

from catalog.errors import CatalogError

__all__ = ["Kind", "ParserCrashed", "ParserPool", "default_pool"]

Kind = Literal["text", "json"]


class ParserCrashed(CatalogError):
    """The worker died or overran its time on this input; it has been replaced."""

    code = "parser-crashed"


def _serve(conn: Connection) -> None:  # pragma: no cover - runs in the worker process
    """Worker loop: (kind, text) in; ("ok", CQL2 JSON) or ("error", message) out."""
    import cql2

    while True:
        try:
            kind, text = conn.recv()
        except (EOFError, OSError):  # the server closed the pipe or exited
            return
        try:
            expr = cql2.parse_text(text) if kind == "text" else cql2.parse_json(text)
            conn.send(("ok", expr.to_json()))
        except (cql2.ParseError, cql2.ValidationError, ValueError, TypeError) as exc:
            conn.send(("error", str(exc)))


class _Worker:
    def __init__(self, context: Any) -> None:
        parent, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child,), name="cql2-parser", daemon=True
        )
        self.process.start()
        child.close()
        self.conn: Connection = parent

    def call(self, kind: Kind, text: str, timeout_s: float) -> tuple[str, Any]:
        self.conn.send((kind, text))
        if not self.conn.poll(timeout_s):  # also true at EOF: recv then raises EOFError
            raise ParserCrashed("the filter parser did not answer in time")
        status, value = self.conn.recv()
        return str(status), value

    def idle_and_alive(self) -> bool:
        """An idle worker has sent nothing: anything readable is the EOF of its death."""
        return self.process.is_alive() and not self.conn.poll(0)

    def stop(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


class ParserPool:
    """At most ``size`` parser workers, started on first use; thread-safe."""

    def __init__(self, size: int = 2, timeout_s: float = 5.0, method: str = "spawn") -> None:
        self._context = multiprocessing.get_context(method)
        self._size = size
        self._timeout_s = timeout_s
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started = 0
        self._closed = False

    def parse(self, kind: Kind, text: str) -> tuple[str, Any]:
        """("ok", CQL2 JSON) or ("error", the parser's message); ``ParserCrashed`` if it died."""
        worker = self._checkout()
        try:
            answer = worker.call(kind, text, self._timeout_s)
        except (ParserCrashed, EOFError, OSError) as exc:
            self._retire(worker)
            raise ParserCrashed(str(exc) or "the filter parser crashed") from None
        except BaseException:  # e.g. KeyboardInterrupt mid-call: the pipe's state is unknown
            self._retire(worker)
            raise
        if self._closed:
            self._retire(worker)
        else:
            self._idle.put(worker)
        return answer

    def close(self) -> None:
        """Stop every idle worker; a worker busy now is stopped when its call returns."""
        with self._lock:
            self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            self._retire(worker)

    def _checkout(self) -> _Worker:
        while True:
            worker = self._take()
            if worker.idle_and_alive():
                return worker
            self._retire(worker)  # died while idle (e.g. killed by the operator): replace it

    def _take(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._closed:
                raise ParserCrashed("the filter parser is shut down")
            grow = self._started < self._size
            self._started += grow
        if not grow:
            # Every worker is busy; each call ends within the timeout, so this wait is bounded.
            try:
                return self._idle.get(timeout=self._timeout_s * (self._size + 1))
            except queue.Empty:
                raise ParserCrashed("the filter parser is busy") from None
        try:
            return _Worker(self._context)
        except BaseException:
            with self._lock:
                self._started -= 1
            raise

    def _retire(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._started -= 1


_default: ParserPool | None = None
_default_lock = threading.Lock()


def default_pool() -> ParserPool:
    """The process-wide pool (no worker runs until the first parse); closed at exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ParserPool()
            atexit.register(_default.close)
        return _default
