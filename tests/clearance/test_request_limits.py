"""Request bodies against a real uvicorn server, on SQLite and PostgreSQL (issue 8, item 2).

The caller is known before a byte of the body is read; a body over the route's cap is refused
from its declared length and while it streams (chunked); a body that stops arriving is answered
408 after the configured (here: short) timeout. The requests go over raw sockets, so the tests
see what the server does with the bytes that were, or were not, sent. The socket timeout is a
safety net against a hanging server (the old behaviour), not a timing assertion.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from fastapi import Depends

from access import Level, Role
from access.route_policy import public
from clearance.http.app import create_app
from clearance.limits import RequestLimits
from clearance.node import Node
from tests.helpers.server import serve

SAFETY_NET_S = 20.0  # far above the 1 s body timeout below; only a hanging server reaches it
PASSWORD = "correct horse battery"

#: Routes with a JSON body, one per router, and the ones FastAPI parses itself (Body()).
BODY_ROUTES = [
    ("POST", "/search"),
    ("POST", "/aggregate"),
    ("POST", "/access/requests"),
    ("PUT", "/access/keys/c4gh"),
    ("POST", "/access/requests/req-none/approve"),
    ("POST", "/uploads"),
    ("POST", "/uploads/no-such-upload/complete"),
    ("POST", "/transfer/holdings/NLD-cargo/headers"),
]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, str]:
        answer: dict[str, str] = json.loads(self.body)
        return answer


@dataclass
class Running:
    host: str
    port: int
    token: str


@pytest.fixture
def running(node: Node) -> Iterator[Running]:
    node.directory.add_administration("NLD", "Netherlands")
    node.directory.add_user(
        "alice", admin="NLD", roles=[Role.RESEARCHER, Role.STEWARD], clearance=Level.R2,
        password=PASSWORD,
    )  # fmt: skip
    node.settings = dataclasses.replace(
        node.settings, limits=RequestLimits(body_timeout_s=1, header_timeout_s=1)
    )
    token = node.directory.issue_token("alice", audience=node.settings.node_id)
    with serve(create_app(node)) as url:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        yield Running(parts.hostname, parts.port, token)


def _head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: node.test",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def _read_reply(sock: socket.socket) -> Reply:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection without an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection in the middle of its answer"
        body += chunk
    return Reply(int(status_line.split()[1]), headers, body[:length])


def _exchange(running: Running, head: bytes, *body_parts: bytes) -> Reply:
    """Send ``head`` and the body parts (stopping quietly if the server closes), read the reply."""
    with socket.create_connection((running.host, running.port), timeout=SAFETY_NET_S) as sock:
        sock.sendall(head)
        try:
            for part in body_parts:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking it all: the answer is waiting
        return _read_reply(sock)


def _json_headers(length: int | None, token: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if length is not None:
        headers["Content-Length"] = str(length)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_a_caller_without_a_token_is_refused_before_the_body(
    running: Running, method: str, path: str
) -> None:
    # 100 MB declared, not one byte sent: the old node waited for (and would have parsed) them.
    reply = _exchange(running, _head(method, path, _json_headers(100_000_000)))
    assert reply.status == 401
    assert reply.json()["code"] == "token-missing"
    forged = _head(method, path, _json_headers(100_000_000, token="not-a-token"))
    reply = _exchange(running, forged)
    assert reply.status == 401
    assert reply.json()["code"] != "token-missing"  # the token was looked at, and refused


@pytest.mark.parametrize(
    ("method", "path", "over"),
    [
        ("POST", "/access/requests", 64 * 1024 + 1),  # the JSON cap
        ("POST", "/search", 1024 * 1024 + 1),  # the larger search cap
        ("PUT", "/access/keys/c4gh", 100_000_000),
    ],
)
def test_a_declared_length_over_the_cap_is_refused_before_reading(
    running: Running, method: str, path: str, over: int
) -> None:
    reply = _exchange(running, _head(method, path, _json_headers(over, running.token)))
    assert reply.status == 413
    assert reply.json()["code"] == "body-too-large"
    assert reply.headers.get("connection") == "close"


def test_the_public_login_route_has_a_small_cap(running: Running) -> None:
    reply = _exchange(running, _head("POST", "/auth/login", _json_headers(100_000_000)))
    assert reply.status == 413
    assert reply.json()["code"] == "body-too-large"


def _chunked(payload: bytes, size: int = 16 * 1024) -> list[bytes]:
    parts = [
        b"%x\r\n%s\r\n" % (len(payload[i : i + size]), payload[i : i + size])
        for i in range(0, len(payload), size)
    ]
    return [*parts, b"0\r\n\r\n"]


@pytest.mark.parametrize(("path", "token"), [("/access/requests", True), ("/auth/login", False)])
def test_a_chunked_body_over_the_cap_is_refused_while_streaming(
    running: Running, path: str, token: bool
) -> None:
    payload = json.dumps({"purpose": "x" * 300_000, "username": "alice"}).encode()
    headers = _json_headers(None, running.token if token else None)
    headers["Transfer-Encoding"] = "chunked"
    reply = _exchange(running, _head("POST", path, headers), *_chunked(payload))
    assert reply.status == 413
    assert reply.json()["code"] == "body-too-large"


@pytest.mark.parametrize(
    ("path", "token"), [("/access/requests", True), ("/search", True), ("/auth/login", False)]
)
def test_a_body_that_never_arrives_is_not_waited_for(
    running: Running, path: str, token: bool
) -> None:
    headers = _json_headers(1000, running.token if token else None)
    reply = _exchange(running, _head("POST", path, headers), b'{"holding": ')  # then silence
    assert reply.status == 408
    assert reply.json()["code"] == "body-timeout"
    assert reply.headers.get("connection") == "close"


def test_a_json_body_sent_a_byte_at_a_time_is_not_waited_for(running: Running) -> None:
    # Each byte comes well within the 1 s per-chunk timeout, but the body would take minutes.
    head = _head("POST", "/access/requests", _json_headers(1000, running.token))
    with socket.create_connection((running.host, running.port), timeout=SAFETY_NET_S) as sock:
        sock.sendall(head)
        stop = threading.Event()

        def trickle() -> None:
            with contextlib.suppress(OSError):
                while not stop.wait(0.25):
                    sock.sendall(b" ")

        sender = threading.Thread(target=trickle, daemon=True)
        sender.start()
        try:
            reply = _read_reply(sock)
        finally:
            stop.set()
            sender.join()
    assert reply.status == 408
    assert reply.json()["code"] == "body-timeout"


def test_a_body_within_the_cap_still_works(running: Running) -> None:
    body = json.dumps({"username": "alice", "password": PASSWORD}).encode()
    headers = _json_headers(None)
    headers["Transfer-Encoding"] = "chunked"
    reply = _exchange(running, _head("POST", "/auth/login", headers), *_chunked(body, 7))
    assert reply.status == 200, reply.body
    token = reply.json()["access_token"]
    search = json.dumps({"limit": 1}).encode()
    reply = _exchange(running, _head("POST", "/search", _json_headers(len(search), token)), search)
    assert reply.status == 200, reply.body
    assert json.loads(reply.body)["type"] == "FeatureCollection"


def _closed_by_server(sock: socket.socket) -> bool:
    """Read until the server closes; raises on the safety net (a server that never does)."""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return True


@pytest.mark.parametrize("partial", [b"", b"POST /search HTTP/1.1\r\nHost: node.test\r\nX-Slow: "])
def test_a_request_head_that_never_completes_is_cut(running: Running, partial: bytes) -> None:
    with socket.create_connection((running.host, running.port), timeout=SAFETY_NET_S) as sock:
        sock.sendall(partial)
        assert _closed_by_server(sock)


def test_the_next_head_on_a_kept_alive_connection_has_the_same_deadline(running: Running) -> None:
    with socket.create_connection((running.host, running.port), timeout=SAFETY_NET_S) as sock:
        sock.sendall(_head("GET", "/conformance", {}))
        assert _read_reply(sock).status == 200
        sock.sendall(b"GET /conformance HTTP/1.1\r\nHo")  # and then nothing
        assert _closed_by_server(sock)


def test_a_slow_answer_is_not_cut_by_the_head_deadline(node: Node) -> None:
    limits = RequestLimits(header_timeout_s=1)
    node.settings = dataclasses.replace(node.settings, limits=limits)
    app = create_app(node)

    @app.get("/test-only/slow", dependencies=[Depends(public)])
    def slow() -> dict[str, str]:
        threading.Event().wait(2.5)  # longer than the head deadline
        return {"done": "yes"}

    with serve(app) as url:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        address = (parts.hostname, parts.port)
        with socket.create_connection(address, timeout=SAFETY_NET_S) as sock:
            for _ in range(2):  # the second on the same kept-alive connection
                sock.sendall(_head("GET", "/test-only/slow", {}))
                reply = _read_reply(sock)
                assert reply.status == 200 and reply.json() == {"done": "yes"}
