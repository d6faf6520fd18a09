"""Liveness and readiness probes, open to anyone (load balancers and orchestrators hold no token).

    GET /healthz   200 {"status": "ok"}: the process answers HTTP. No I/O at all, so a slow
                   database never makes an orchestrator kill a healthy API process.
    GET /readyz    200 {"status": "ready", "checks": {"database": "ok", "blob-store": "ok"}}
                   when the database answers ``SELECT 1`` and the blob store answers a listing
                   of an empty prefix; otherwise 503 with the same body, the failing part
                   ``"unavailable"`` and ``"status": "not-ready"``.

Neither route says more than those words: no URL, host, bucket, driver or exception text (the
log gets the exception's type name only). Both are cheap for the caller and for the node: one
probe of each part runs at a time, its answer is reused for ``_FRESH_S``, and a request waits at
most ``_TIMEOUT_S`` for an answer (a database that blackholes connections does not hold
requests, or pile up threads: a probe still running is awaited, never started again).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

from access.guard import GuardedRoute
from access.route_policy import public
from transfer import BlobStore, LocalBlobStore

__all__ = ["Readiness", "router"]

log = logging.getLogger("clearance.health")
router = APIRouter(route_class=GuardedRoute)

_TIMEOUT_S = 2.0  # longest a request waits for one part's answer
_FRESH_S = 1.0  # a finished probe's answer is reused this long
_PROBE_PREFIX = "_readyz/"  # listed in the blob store; nothing is ever stored under it
_NO_STORE = {"Cache-Control": "no-store"}


class _Probe:
    """One part's check: at most one running at a time, its answer reused while fresh."""

    def __init__(self, name: str, check: Callable[[], None]) -> None:
        self.name = name
        self._check = check
        self._lock = threading.Lock()
        self._future: Future[bool] | None = None
        self._finished_at = 0.0

    def _run(self, future: Future[bool]) -> None:
        try:
            self._check()
        except Exception as exc:  # any failure is "not ready"; only its type goes to the log
            log.warning("readiness: %s unavailable (%s)", self.name, type(exc).__name__)
            ok = False
        else:
            ok = True
        self._finished_at = time.monotonic()
        future.set_result(ok)

    def current(self) -> Future[bool]:
        with self._lock:
            future = self._future
            stale = future is None or (
                future.done() and time.monotonic() - self._finished_at > _FRESH_S
            )
            if stale:
                # A daemon thread: a probe stuck on a blackholed database never holds up the
                # process's exit (an executor's threads would be joined at exit).
                future = self._future = Future()
                threading.Thread(
                    target=self._run, args=(future,), name=f"readyz-{self.name}", daemon=True
                ).start()
            assert future is not None
            return future

    async def ok(self) -> bool:
        try:
            return await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(self.current())), _TIMEOUT_S
            )
        except TimeoutError:
            return False


def _database_check(engine: Engine) -> Callable[[], None]:
    def check() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()

    return check


def _blob_check(blobs: BlobStore) -> Callable[[], None]:
    def check() -> None:
        if isinstance(blobs, LocalBlobStore):
            root = blobs.root
            if not root.is_dir() or not os.access(root, os.R_OK | os.W_OK | os.X_OK):
                raise NotADirectoryError("the blob folder is missing or not writable")
        # S3: one LIST of an empty prefix (a missing bucket, refused credentials or an
        # unreachable endpoint raise); the local store: a walk of a folder that is not there.
        next(iter(blobs.keys(_PROBE_PREFIX)), None)

    return check


class Readiness:
    """The node's readiness: its database and its blob store, probed as the module says."""

    def __init__(self, engine: Engine, blobs: BlobStore) -> None:
        self._probes = (
            _Probe("database", _database_check(engine)),
            _Probe("blob-store", _blob_check(blobs)),
        )

    async def checks(self) -> dict[str, str]:
        answers = await asyncio.gather(*(probe.ok() for probe in self._probes))
        return {
            probe.name: "ok" if ok else "unavailable"
            for probe, ok in zip(self._probes, answers, strict=True)
        }


_READINESS_LOCK = threading.Lock()


def _readiness(request: Request) -> Readiness:
    state = request.app.state
    with _READINESS_LOCK:
        readiness: Readiness | None = getattr(state, "readiness", None)
        if readiness is None:
            readiness = Readiness(state.node.engine, state.blobs)
            state.readiness = readiness
        return readiness


@router.get("/healthz", dependencies=[Depends(public)])
async def healthz() -> JSONResponse:
    """Liveness: the process serves HTTP (no database or blob store access)."""
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


@router.get("/readyz", dependencies=[Depends(public)])
async def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 when the database and the blob store answer, else 503 naming the part."""
    checks = await _readiness(request).checks()
    ready = all(value == "ok" for value in checks.values())
    body: dict[str, Any] = {"status": "ready" if ready else "not-ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503, headers=_NO_STORE)
