"""Know the caller, and bound the request body, before a byte of the body is read.

FastAPI reads and parses a route's ``Body()`` *before* it solves the route's dependencies, so a
policy dependency alone would let an anonymous caller make the node read and parse a body of any
size. ``GuardedRoute`` (every router's ``route_class``) therefore, for each request:

1. runs the route's policy dependency (``access.route_policy.policy_dependency``) on the headers
   alone; a refusal is the answer, the body is never read;
2. refuses a declared ``Content-Length`` over the route's cap (413 ``body-too-large``);
3. hands the route a ``receive`` that counts the bytes as they stream (chunked or a lying length:
   413 at the cap) and waits at most ``BodyLimits.timeout_s`` for each chunk (408
   ``body-timeout``), so a declared length that never arrives is not waited for forever;
4. for a route with a ``Body()`` parameter, reads the (now bounded) body itself, so that these
   errors reach the error table instead of FastAPI's generic "error parsing the body"; such a
   body (small, JSON) must arrive whole within the timeout, so a byte every few seconds does
   not hold the request either. A streamed body (an upload part) has the per-chunk timeout only.

A route's cap is ``BodyLimits.json`` unless its endpoint is marked with ``body_limit``.
Hand-written rather than Starlette's ``RequestBodyLimitMiddleware``: that one answers in plain
text without our error ``code``, has no read timeout, and takes its caps at import time while ours
come from the node's settings (the upload part size among them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from access.errors import BodyTimeout, BodyTooLarge
from access.route_policy import is_guard

__all__ = ["BodyLimits", "GuardedRoute", "HeadAsGet", "body_limit", "limits_of"]

_BODY_LIMIT_ATTR = "__clearance_body_limit__"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class BodyLimits:
    """Request body caps in bytes, and how long one chunk of a body may take to arrive."""

    json: int = 64 << 10
    search: int = 1 << 20
    timeout_s: float = 30.0


def limits_of(request: Request) -> BodyLimits:
    limits: BodyLimits = getattr(request.app.state, "body_limits", None) or BodyLimits()
    return limits


def body_limit(limit: Callable[[Request], int]) -> Callable[[F], F]:
    """Give an endpoint its own body cap (a function of the request: caps come from settings)."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, _BODY_LIMIT_ATTR, limit)
        return endpoint

    return mark


def _guards(dependant: Dependant) -> Iterator[Callable[[Request], Any]]:
    for dependency in dependant.dependencies:
        call = dependency.call
        if call is not None and is_guard(call):
            yield call
        yield from _guards(dependency)


class _BoundedReceive:
    """``receive`` that counts body bytes against ``limit`` and times out a stalled body."""

    def __init__(self, receive: Receive, limit: int, timeout_s: float) -> None:
        self._receive, self._limit, self._timeout_s = receive, limit, timeout_s
        self._received = 0
        self._complete = False

    async def __call__(self) -> Message:
        if self._complete:  # after the body: e.g. waiting for a disconnect while streaming out
            return await self._receive()
        try:
            with anyio.fail_after(self._timeout_s):
                message = await self._receive()
        except TimeoutError:
            raise BodyTimeout(
                f"the request body did not arrive: nothing for {self._timeout_s:g} s"
            ) from None
        if message["type"] != "http.request":
            self._complete = True
            return message
        self._received += len(message.get("body", b""))
        if self._received > self._limit:
            raise BodyTooLarge(f"the request body is over this route's {self._limit} bytes")
        self._complete = not message.get("more_body", False)
        return message


async def _buffered(receive: Receive, timeout_s: float) -> Receive:
    """Read the whole body now (within ``timeout_s``); replay it as one message, then pass
    ``receive`` through."""
    chunks: list[bytes] = []
    try:
        with anyio.fail_after(timeout_s):
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        raise BodyTimeout(f"the request body did not arrive whole within {timeout_s:g} s") from None
    pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks)}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


def _declared_length(request: Request) -> int | None:
    text = request.headers.get("content-length", "").strip()
    return int(text) if text.isdigit() else None  # the server refuses a malformed one itself


class GuardedRoute(APIRoute):
    """An ``APIRoute`` that authenticates and bounds the body first (see the module docstring)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in (self.methods or ()):
            await super().handle(scope, receive, send)  # 405 and the like: nothing to guard
            return
        request = Request(scope, receive)
        for guard in _guards(self.dependant):
            await run_in_threadpool(guard, request)  # raises: the error table answers
        limit = self._limit(request)
        declared = _declared_length(request)
        if declared is not None and declared > limit:
            raise BodyTooLarge(f"the request body has {declared} bytes; this route takes {limit}")
        timeout_s = limits_of(request).timeout_s
        bounded: Receive = _BoundedReceive(receive, limit, timeout_s)
        if self.body_field is not None:
            bounded = await _buffered(bounded, timeout_s)
        await super().handle(scope, bounded, send)

    def _limit(self, request: Request) -> int:
        limit: Callable[[Request], int] | None = getattr(self.endpoint, _BODY_LIMIT_ATTR, None)
        return limits_of(request).json if limit is None else limit(request)


class HeadAsGet:
    """ASGI middleware: HEAD is answered as GET, with the same status and headers, no body.

    The route sees a GET (so the same policy decides). Its first body message goes out as the
    empty end of the answer; the rest is dropped, and ``receive`` then reports a disconnect, so
    a streamed download stops producing instead of reading a whole object for nobody.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        answered = anyio.Event()

        async def headers_only(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not answered.is_set():
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                answered.set()

        async def receive_until_answered() -> Message:
            message: Message = {"type": "http.disconnect"}
            if answered.is_set():
                return message
            async with anyio.create_task_group() as group:

                async def from_client() -> None:
                    nonlocal message
                    message = await receive()
                    group.cancel_scope.cancel()

                async def on_answered() -> None:
                    await answered.wait()
                    group.cancel_scope.cancel()

                group.start_soon(from_client)
                group.start_soon(on_answered)
            return message

        await self.app({**scope, "method": "GET"}, receive_until_answered, headers_only)
