"""The access routes over HTTP (login, JWKS, whoami) and the 4xx/5xx error contract."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import jwt
import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from access.keys import generate_signing_key
from access.route_policy import public
from access.tokens import issue_token
from access.vocabulary import Level, Role
from clearance.http.app import create_app
from clearance.node import Node

PASSWORD = "correct horse battery"


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    node.directory.add_administration("NLD", "Netherlands")
    node.directory.add_administration("GBR", "United Kingdom")
    node.directory.add_user(
        "alice",
        admin="NLD",
        roles=[Role.RESEARCHER, Role.STEWARD],
        clearance=Level.R2,
        password=PASSWORD,
    )
    app = create_app(node)

    @app.get("/test-only/boom", dependencies=[Depends(public)])
    def boom() -> None:
        raise RuntimeError("secret-detail: /etc/clearance password=hunter2")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _login(client: TestClient) -> str:
    response = client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- login --------------------------------------------------------------------------------------


def test_login_and_whoami(client: TestClient) -> None:
    response = client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert set(body) == {"access_token", "token_type"}
    me = client.get("/auth/whoami", headers=_bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {
        "user": "alice",
        "administration": "NLD",
        "roles": ["researcher", "steward"],
        "clearance": "R2",
    }


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password, long enough"), ("mallory", PASSWORD), ("ALICE", PASSWORD)],
)
def test_login_with_bad_credentials_is_401_and_says_nothing_more(
    client: TestClient, username: str, password: str
) -> None:
    response = client.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {
        "code": "login-failed",
        "description": "user name or password is wrong",
    }


@pytest.mark.parametrize(
    ("body", "names"),
    [
        (b"{", "JSON"),
        (b"", "username"),
        (b"null", "username"),
        (b"[1, 2]", "username"),
        (b'"alice"', "username"),
        (b'{"username": "alice"}', "password"),
        (b'{"password": "x"}', "username"),
        (b'{"username": "alice", "password": "x", "admin": true}', "username"),
        (b'{"username": 1, "password": "x"}', "strings"),
        (b'{"username": "alice", "password": null}', "strings"),
        (b'{"username": "alice", "password": "' + b"x" * 1025 + b'"}', "password"),
    ],
)
def test_malformed_login_bodies_are_400_and_name_the_problem(
    client: TestClient, body: bytes, names: str
) -> None:
    response = client.post(
        "/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["code"] == "invalid-input"
    assert names in payload["description"]
    assert "WWW-Authenticate" not in response.headers


# --- JWKS ---------------------------------------------------------------------------------------


def test_jwks_lists_public_keys_only(client: TestClient, node: Node) -> None:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert len(keys) == 2
    assert {k["kid"] for k in keys} == set(node.directory.trusted_keys())
    for key in keys:
        assert "d" not in key
        assert set(key) == {"kty", "crv", "x", "y", "kid", "alg", "use"}
        assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")


def test_administration_jwks(client: TestClient, node: Node) -> None:
    nld = client.get("/administrations/NLD/jwks.json")
    assert nld.status_code == 200
    assert [k["kid"] for k in nld.json()["keys"]] == [node.directory.signing_key("NLD").kid]
    assert "d" not in nld.json()["keys"][0]
    unknown = client.get("/administrations/ZZZ/jwks.json")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not-found"
    bad = client.get("/administrations/nld/jwks.json")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid-input"


def test_jwks_follows_rotation_and_retirement(client: TestClient, node: Node) -> None:
    old = node.directory.signing_key("NLD").kid
    new = node.directory.rotate_key("NLD")
    kids = {k["kid"] for k in client.get("/administrations/NLD/jwks.json").json()["keys"]}
    assert kids == {old, new}
    node.directory.retire_key(old)
    kids = {k["kid"] for k in client.get("/administrations/NLD/jwks.json").json()["keys"]}
    assert kids == {new}


# --- bearer tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": ""}, {"Authorization": "Bearer "}, {"Authorization": "Basic YTpi"}],
    ids=["absent", "empty", "no-token", "basic"],
)
def test_whoami_without_a_token(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/auth/whoami", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "token-missing"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_whoami_with_a_token_signed_by_an_unknown_key(client: TestClient, node: Node) -> None:
    stranger = generate_signing_key()
    token = issue_token(
        stranger,
        user="alice",
        admin="NLD",
        audience=node.settings.node_id,
        now=node.clock.now(),
        ttl=timedelta(minutes=5),
    )
    response = client.get("/auth/whoami", headers=_bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == "token-unknown-key"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert token not in response.text


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("garbage", "token-malformed"),
        ("eyJhbGciOiJub25lIn0.e30.", "token-algorithm-not-allowed"),  # {"alg":"none"}
        ("eyJhbGciOlsiRVMyNTYiXX0.e30.", "token-algorithm-not-allowed"),  # alg is a list
    ],
)
def test_whoami_with_bad_tokens_is_401_never_500(client: TestClient, token: str, code: str) -> None:
    response = client.get("/auth/whoami", headers=_bearer(token))
    assert response.status_code == 401, response.text
    assert response.json()["code"] == code


def test_token_for_another_node_is_refused(client: TestClient, node: Node) -> None:
    token = issue_token(
        node.directory.signing_key("NLD"),
        user="alice",
        admin="NLD",
        audience="urn:clearance:node:elsewhere",
        now=node.clock.now(),
        ttl=timedelta(minutes=5),
    )
    response = client.get("/auth/whoami", headers=_bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == "token-wrong-audience"


def test_token_of_a_retired_key_is_refused(client: TestClient, node: Node) -> None:
    token = _login(client)
    assert client.get("/auth/whoami", headers=_bearer(token)).status_code == 200
    node.directory.rotate_key("NLD")
    node.directory.retire_key(_kid(token))
    response = client.get("/auth/whoami", headers=_bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == "token-unknown-key"


def _kid(token: str) -> str:
    kid = jwt.get_unverified_header(token)["kid"]
    assert isinstance(kid, str)
    return kid


# --- 500 ----------------------------------------------------------------------------------------


def test_internal_errors_carry_only_an_incident_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="clearance.errors"):
        response = client.get("/test-only/boom")
    assert response.status_code == 500
    assert "secret-detail" not in response.text
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text
    body = response.json()
    assert body["code"] == "internal-error"
    match = re.fullmatch(r"internal error \(incident ([0-9a-f]{16})\)", body["description"])
    assert match is not None, body
    # the detail is kept for the operator, under the same incident id
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None
    assert "secret-detail" in str(logged[0].exc_info[1])


# --- logout -------------------------------------------------------------------------------------


def test_logout_ends_the_token_for_every_later_request(client: TestClient) -> None:
    token, other = _login(client), _login(client)
    assert client.get("/auth/whoami", headers=_bearer(token)).status_code == 200
    ended = client.post("/auth/logout", headers=_bearer(token))
    assert ended.status_code == 204 and ended.content == b""
    for method, path in [("GET", "/auth/whoami"), ("POST", "/auth/logout"),
                         ("GET", "/collections")]:  # fmt: skip
        refused = client.request(method, path, headers=_bearer(token))
        assert refused.status_code == 401, path
        assert refused.json()["code"] == "token-revoked"
        assert token not in refused.text
    assert client.get("/auth/whoami", headers=_bearer(other)).status_code == 200


def test_logout_needs_a_token_that_verifies(client: TestClient) -> None:
    assert client.post("/auth/logout").json()["code"] == "token-missing"
    for header, code in [
        ({"Authorization": "Basic YWxpY2U6cHc="}, "token-missing"),
        (_bearer("not.a.token"), "token-malformed"),
        (_bearer("e" * 20_000), "token-malformed"),
    ]:
        refused = client.post("/auth/logout", headers=header, content=b"x" * 100_000)
        assert refused.status_code == 401 and refused.json()["code"] == code
    token = _login(client)
    assert client.get("/auth/logout", headers=_bearer(token)).status_code == 405
    assert client.get("/auth/whoami", headers=_bearer(token)).status_code == 200
