"""An httpx transport over urllib3: the wire under ``clearance pull`` (issue 14).

httpx's own transport (httpcore + h11) costs about three CPU-seconds per 2 GiB of body read in
64 KiB pieces on these machines, urllib3 (over the standard library's ``http.client``) about
one and a half (``benchmarks/transfer_pull.py``; docs/benchmarks.md). The pull is CPU-bound on
a machine it shares with other work, so its requests go through this transport while keeping
httpx's API: requests, responses, errors and test seams stay httpx's.

* **Keep-alive.** One :class:`urllib3.PoolManager`: a pool per origin (the node, a blob store's
  presigned host) keeping up to ``max_connections`` HTTP/1.1 connections open across objects, so
  each worker reuses its connection instead of a new TCP (and TLS) handshake per object.
* **Reads.** Bodies are read in pieces of ``read_size`` bytes (:data:`READ_SIZE`, 64 KiB, by
  default; the pull asks for one Crypt4GH segment, so a process killed mid-object has received
  at most one segment it did not get to verify). Each piece is one call into the standard
  library's buffered socket reader (``http.client.HTTPResponse.read(n)``, which fills ``n``
  bytes in C) on the response urllib3 opened, not urllib3's own ``read(amt)``: that path
  (content decoding, a byte queue, bookkeeping per call) costs about a third more CPU per byte
  (0.95 against 1.3 CPU-s per 2 GiB in four threads, docs/benchmarks.md). The body length is
  checked here instead (a body cut short is an error, as urllib3 would make it). This reaches
  urllib3's ``HTTPResponse._fp`` (a private attribute, stable through urllib3 2.x; the
  dependency is pinned below 3 and the transport's tests fail if it moves).
* **TLS.** The context is httpx's own default (:func:`httpx.create_ssl_context`: certificate
  verification, ``SSL_CERT_FILE``/``SSL_CERT_DIR`` honoured), so trust is what the other client
  commands have.
* **What it does not do.** No redirects (httpx's client decides), no retries (the pull retries
  and resumes itself), no proxies (the pull never used the environment's proxies for the node).
* **Errors.** urllib3's exceptions become httpx's (:data:`_ERRORS`), during the request and while
  the body streams, so callers catch :class:`httpx.TransportError` as with any httpx transport.
"""

from __future__ import annotations

import http.client
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
"""Bytes per read of a response body by default (the largest piece a caller is handed)."""

# urllib3's exception → httpx's, most specific first (ConnectTimeoutError is a TimeoutError;
# NewConnectionError is a ConnectTimeoutError in urllib3 2).
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (NewConnectionError, httpx.ConnectError),
    (ConnectTimeoutError, httpx.ConnectTimeout),
    (ReadTimeoutError, httpx.ReadTimeout),
    (SSLError, httpx.ConnectError),
    (ProtocolError, httpx.RemoteProtocolError),
    (HTTPError, httpx.TransportError),
    # Read past urllib3 (the body; see the module): http.client's errors and the socket's.
    (http.client.IncompleteRead, httpx.RemoteProtocolError),  # chunked: cut short or malformed
    (http.client.LineTooLong, httpx.RemoteProtocolError),  # a chunk-size line without end
    (TimeoutError, httpx.ReadTimeout),
    (OSError, httpx.ReadError),
)


def _httpx_error(exc: Exception, request: httpx.Request) -> httpx.TransportError:
    for theirs, ours in _ERRORS:
        if isinstance(exc, theirs):
            return ours(str(exc) or type(exc).__name__, request=request)
    raise exc  # pragma: no cover - _ERRORS ends with the catch-alls


class _Body(httpx.SyncByteStream):
    """A response body in pieces of ``read_size`` bytes (the last may be shorter); the
    connection goes back to the pool when the body was read to its end, and is closed when it
    was not."""

    def __init__(self, response: BaseHTTPResponse, request: httpx.Request, read_size: int) -> None:
        self._response = response
        self._request = request
        self._read_size = read_size
        self._finished = False

    def __iter__(self) -> Iterator[bytes]:
        raw: http.client.HTTPResponse = self._response._fp  # type: ignore[attr-defined]
        try:
            while piece := raw.read(self._read_size):
                yield piece
        except Exception as exc:
            raise _httpx_error(exc, self._request) from exc
        if raw.length:  # the connection closed before Content-Length bytes came
            raise httpx.RemoteProtocolError(
                f"the body ended {raw.length} bytes short of its Content-Length",
                request=self._request,
            )
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

    def __init__(self, *, max_connections: int, read_size: int = READ_SIZE) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if read_size < 1:
            raise ValueError("read_size must be at least 1")
        self._read_size = read_size
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
            stream=_Body(answer, request, self._read_size),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (answer.reason or "").encode("latin-1", "replace"),
            },
            request=request,
        )

    def close(self) -> None:
        self._pool.clear()
