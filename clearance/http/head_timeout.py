"""Uvicorn's h11 protocol with a deadline for each request head (line and headers).

Uvicorn bounds the size of a request head but not the time it may take to arrive: a client
that sends a header byte now and then keeps its connection (and a slot of
``CLEARANCE_MAX_CONCURRENCY``) for ever, and the embedded node may run without a reverse proxy.
This protocol arms a timer whenever the connection waits for a request head (when it opens, and
after each answer on a kept-alive connection) and closes the connection if the head is still
incomplete when it fires. A request being answered is never cut: only a connection whose
client is still in h11's ``IDLE`` state (no complete head yet) is closed.

A subclass of uvicorn's ``H11Protocol`` that overrides three of its methods; the tests run the
real server with it, so a uvicorn change that breaks it shows there.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["head_timeout_protocol"]


class _HeadTimeoutH11(H11Protocol):
    head_timeout_s: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the head is complete
            self._disarm_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_head_timer()  # kept alive: the next head has the same deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def head_timeout_protocol(head_timeout_s: float) -> type[asyncio.Protocol]:
    """The protocol class for ``uvicorn.Config(http=...)`` with this head deadline."""
    return type("HeadTimeoutH11", (_HeadTimeoutH11,), {"head_timeout_s": head_timeout_s})
