"""Run the ``clearance`` command line in a subprocess, logging the body bytes it receives.

    python -m tests.helpers.pull_probe LOG [CLEARANCE-ARGS...]

runs ``clearance CLEARANCE-ARGS...`` (``clearance.cli.node.main``, unchanged) with one observer:
every chunk the pull's transport (``Urllib3Transport``) reads from the answer to a request with
a ``Range`` header (object bodies, from the node or from a presigned URL) is logged to LOG as a
line ``<url path> <range> <bytes>``, written with one ``os.write`` on an ``O_APPEND`` descriptor
*before* the client sees the chunk.
So the log survives ``kill -9`` and never under-counts what was received.

The imports come first (they take seconds); the command starts when a line arrives on standard
input, so a test can start the next run while the current one is still going.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator

import httpx

from clearance.cli.node import main
from clearance.client import pull as _pull  # noqa: F401 - imported up front, like the command's own
from clearance.client.urllib3_transport import Urllib3Transport


class _Counted(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, fd: int, label: str) -> None:
        self._inner = inner
        self._fd = fd
        self._label = label

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            os.write(self._fd, f"{self._label} {len(chunk)}\n".encode())
            yield chunk

    def close(self) -> None:
        self._inner.close()


def _observe(log: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    original = Urllib3Transport.handle_request

    def handle_request(self: Urllib3Transport, request: httpx.Request) -> httpx.Response:
        response = original(self, request)
        wanted = request.headers.get("range")
        if wanted is not None:
            assert isinstance(response.stream, httpx.SyncByteStream)
            label = f"{request.url.path} {wanted.replace(' ', '')}"
            response.stream = _Counted(response.stream, fd, label)
        return response

    Urllib3Transport.handle_request = handle_request  # type: ignore[method-assign]


if __name__ == "__main__":
    # Ctrl-C as at a terminal, even when the test run itself was started in the background (a
    # non-interactive shell starts background jobs with SIGINT ignored, and Python then keeps
    # ignoring it: the pull would never see the test's SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    log, *args = sys.argv[1:]
    _observe(log)
    sys.stdin.readline()  # go
    sys.argv = ["clearance", *args]
    main()
