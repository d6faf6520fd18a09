"""Properties of the whole route table (issue 8, items 2 and 10), walked like the authorization
matrix walks it, so that a new route cannot slip past them:

- every API route is a ``GuardedRoute`` (its policy runs before its body is read) and its policy
  dependency is one that ``GuardedRoute`` runs;
- every GET route answers HEAD with the GET's status and headers and no body, over a real server;
- the policy dependency runs once per request, though both the guard and FastAPI ask for it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi import Depends
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute

from access.guard import GuardedRoute
from access.route_policy import is_guard, public
from clearance.http.app import create_app
from tests.catalog.seeded import Seeded
from tests.clearance.http.test_authz_matrix import _fill, _flat, api_routes
from tests.helpers.server import serve

#: Headers that legitimately differ between two answers.
VOLATILE = {"date"}


@pytest.fixture(scope="module")
def base_url(seeded: Seeded) -> Iterator[str]:
    with serve(create_app(seeded.node)) as url:
        yield url


def _calls(dependant: Any) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def test_every_route_is_guarded_before_its_body(seeded: Seeded) -> None:
    app = create_app(seeded.node)
    routes = [r for _, r in _flat(app.routes) if isinstance(r, APIRoute)]
    assert len(routes) > 20
    assert [r.path for r in routes if not isinstance(r, GuardedRoute)] == []
    for method, path, (policy,) in api_routes(app):
        del policy
        route = next(r for p, r in _flat(app.routes) if p == path and method in r.methods)
        calls = list(_calls(route.dependant))  # a guard may sit under requires_on
        assert any(is_guard(c) or c is public for c in calls), (method, path)


def test_head_answers_like_get_on_every_get_route(seeded: Seeded, base_url: str) -> None:
    app = create_app(seeded.node)
    gets = [(p, policies) for m, p, policies in api_routes(app) if m == "GET"]
    assert len(gets) > 15
    headers = {"Authorization": f"Bearer {seeded.tokens['nld']}"}
    with httpx.Client(base_url=base_url, headers=headers) as client:
        for path, _ in gets:
            url = _fill(path, "GBR-parcel")
            got = client.get(url)
            head = client.head(url)
            assert head.status_code == got.status_code, (url, head.status_code)
            assert head.status_code != 405, url
            assert head.content == b"", url
            for name in set(got.headers) - VOLATILE:
                assert head.headers.get(name) == got.headers[name], (url, name)


def test_head_needs_the_same_credentials_as_get(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        head = client.head("/collections")
        assert head.status_code == 401 and head.content == b""
        assert client.head("/").status_code == 200  # a public route stays public
        assert client.head("/no-such-route").status_code == 404


def test_head_on_a_streamed_answer_stops_the_stream(seeded: Seeded) -> None:
    # An endless download: HEAD must answer with the headers and stop producing, not read on.
    app = create_app(seeded.node)
    stopped = threading.Event()

    async def endless() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"x" * 65536
                await anyio.sleep(0)
        finally:
            stopped.set()

    @app.get("/test-only/endless", dependencies=[Depends(public)])
    def endless_download() -> StreamingResponse:
        return StreamingResponse(endless(), media_type="application/octet-stream")

    with serve(app) as url:
        host, port = url.removeprefix("http://").split(":")
        # A raw socket kept open after the answer: a client that does not hang up must not keep
        # the node reading either.
        with socket.create_connection((host, int(port)), timeout=20.0) as sock:
            sock.sendall(b"HEAD /test-only/endless HTTP/1.1\r\nHost: node.test\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(65536)
                assert chunk, head
                head += chunk
            assert head.startswith(b"HTTP/1.1 200 ")
            assert b"content-type: application/octet-stream" in head.lower()
            assert head.endswith(b"\r\n\r\n")  # headers only
            assert stopped.wait(timeout=20.0), "the stream kept producing after the HEAD answer"


def test_the_policy_runs_once_per_request(
    seeded: Seeded, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = seeded.node.directory
    calls: list[str] = []
    original = directory.authenticate

    def counting(token: str, *, audience: str) -> object:
        calls.append(token)
        return original(token, audience=audience)

    monkeypatch.setattr(directory, "authenticate", counting)
    headers = {"Authorization": f"Bearer {seeded.tokens['nld']}"}
    response = httpx.post(f"{base_url}/search", json={"limit": 1}, headers=headers)
    assert response.status_code == 200, response.text
    assert len(calls) == 1
