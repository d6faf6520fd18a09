"""An httpx transport over urllib3: the wire under ``clearance pull`` (issue 14).

httpx's own transport (httpcore + h11) costs about three CPU-seconds per 2 GiB of body read in
64 KiB pieces on these machines, urllib3 (over the standard library's ``http.client``) about
one and a half (``benchmarks/transfer_pull.py``; docs/benchmarks.md). The pull is CPU-bound on
a machine it shares with other work, so its requests go through this transport while keeping
httpx's API: requests, responses, errors and test seams stay httpx's.

* **Keep-alive.** One :class:`urllib3.PoolManager`: a pool per origin (the node, a blob store's
  presigned host) keeping up to ``max_connections`` HTTP/1.1 connections open across objects, so
  each worker reuses its connection instead of a new TCP (and TLS) handshake per object.
* **Reads.** Bodies are read in pieces of :data:`READ_SIZE` (64 KiB, what httpcore reads too), so
  a process killed mid-object has received at most one piece it did not get to verify.
* **TLS.** The context is httpx's own default (:func:`httpx.create_ssl_context`: certificate
  verification, ``SSL_CERT_FILE``/``SSL_CERT_DIR`` honoured), so trust is what the other client
  commands have.
* **What it does not do.** No redirects (httpx's client decides), no retries (the pull retries
  and resumes itself), no proxies (the pull never used the environment's proxies for the node).
* **Errors.** urllib3's exceptions become httpx's (:data:`_ERRORS`), during the request and while
  the body streams, so callers catch :class:`httpx.TransportError` as with any httpx transport.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.response import BaseHTTPResponse

__all__ = ["READ_SIZE", "Urllib3Transport"]

READ_SIZE = 64 * 1024
"""Bytes per read of a response body (the largest piece a caller is handed)."""

# urllib3's exception → httpx's, most specific first (ConnectTimeoutError is a TimeoutError;
# NewConnectionError is a ConnectTimeoutError in urllib3 2).
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (NewConnectionError, httpx.ConnectError),
    (ConnectTimeoutError, httpx.ConnectTimeout),
    (ReadTimeoutError, httpx.ReadTimeout),
    (SSLError, httpx.ConnectError),
    (ProtocolError, httpx.RemoteProtocolError),
    (HTTPError, httpx.TransportError),
    (OSError, httpx.ReadError),
)


def _httpx_error(exc: Exception, request: httpx.Request) -> httpx.TransportError:
    for theirs, ours in _ERRORS:
        if isinstance(exc, theirs):
            return ours(str(exc) or type(exc).__name__, request=request)
    raise exc  # pragma: no cover - _ERRORS ends with the catch-alls


class _Body(httpx.SyncByteStream):
    """A response body in pieces of at most :data:`READ_SIZE`; the connection goes back to the
    pool when the body was read to its end, and is closed when it was not."""

    def __init__(self, response: BaseHTTPResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request
        self._finished = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._response.stream(READ_SIZE, decode_content=False)
        except Exception as exc:
            raise _httpx_error(exc, self._request) from exc
        self._finished = True

    def close(self) -> None:
        if not self._finished:  # part of the body is still on the wire: not reusable
            self._response.close()
        self._response.release_conn()


def _timeout(request: httpx.Request) -> urllib3.Timeout:
    timeouts: dict[str, Any] = request.extensions.get("timeout", {})
    return urllib3.Timeout(connect=timeouts.get("connect"), read=timeouts.get("read"))


class Urllib3Transport(httpx.BaseTransport):
    """HTTP/1.1 with keep-alive for up to ``max_connections`` connections per origin."""

    def __init__(self, *, max_connections: int) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._pool = urllib3.PoolManager(
            num_pools=8,
            maxsize=max_connections,
            ssl_context=httpx.create_ssl_context(),
            retries=False,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            answer = self._pool.urlopen(
                request.method,
                str(request.url),
                body=request.read() or None,
                headers=dict(request.headers.multi_items()),
                redirect=False,
                retries=False,
                preload_content=False,
                decode_content=False,
                timeout=_timeout(request),
            )
        except Exception as exc:
            raise _httpx_error(exc, request) from exc
        return httpx.Response(
            answer.status,
            headers=list(answer.headers.iteritems()),
            stream=_Body(answer, request),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (answer.reason or "").encode("latin-1", "replace"),
            },
            request=request,
        )

    def close(self) -> None:
        self._pool.clear()
