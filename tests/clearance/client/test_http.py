"""The client side's one HTTP client: one way to decode the node's errors."""

from __future__ import annotations

import httpx
import pytest

from clearance.client.http import ClientError, NodeClient, error_from


def _client(handler: httpx.MockTransport) -> NodeClient:
    return NodeClient("http://node.test/", "tok", transport=handler)


def test_the_node_error_body_becomes_one_client_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer tok"
        body = {"code": "grant-revoked", "description": "grant has been revoked"}
        return httpx.Response(403, json=body, headers={"x-extra": "1"})

    with pytest.raises(ClientError) as caught:
        _client(httpx.MockTransport(answer)).call("GET", "/access/grants")
    error = caught.value
    assert (error.status, error.code, error.description) == (
        403, "grant-revoked", "grant has been revoked",
    )  # fmt: skip
    assert error.headers["x-extra"] == "1"
    assert error.hint is not None and "not allow" in error.hint
    assert str(error) == "grant has been revoked (grant-revoked, HTTP 403)"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b""])
def test_an_error_without_our_body_still_decodes(body: bytes) -> None:
    error = error_from(httpx.Response(502, content=body))
    assert (error.status, error.code, error.description) == (502, "http-502", "Bad Gateway")
    assert error.hint is None


def test_success_answers() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/empty":
            return httpx.Response(204)
        return httpx.Response(200, json={"ok": True})

    client = _client(httpx.MockTransport(answer))
    assert client.call("GET", "/thing") == {"ok": True}
    assert client.call("POST", "/empty", {"a": 1}) is None


def test_unreachable_and_bad_url() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(ClientError) as caught:
        _client(httpx.MockTransport(fail)).call("GET", "/")
    assert (caught.value.status, caught.value.code) == (0, "unreachable")
    assert "cannot reach the node" in str(caught.value) and caught.value.hint
    with pytest.raises(ClientError) as caught:
        NodeClient("ftp://node.test", "tok")
    assert caught.value.code == "bad-url"
