"""Login flood control (issue 8, item 8): per client address, per account, bounded hashing.

Over HTTP on SQLite and PostgreSQL (the accounts live in the database), plus unit tests of
``LoginThrottle`` for what HTTP cannot show deterministically: that no password is hashed once a
limit is reached, and that a second concurrent check finds no free slot.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from access.errors import AuthenticationError, TooManyRequests
from access.throttle import LoginThrottle
from access.vocabulary import Level, Role
from clearance.http.app import create_app
from clearance.limits import RequestLimits
from clearance.node import Node

PASSWORD = "correct horse battery"
WRONG = "not the password"
Clients = Callable[[str], TestClient]


@pytest.fixture
def clients(node: Node) -> Iterator[Callable[..., Clients]]:
    """``clients(account=..., address=...)`` → a function address → a TestClient from there."""
    node.directory.add_administration("NLD", "Netherlands")
    node.directory.add_user(
        "alice", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R1, password=PASSWORD
    )
    opened: list[TestClient] = []

    def configure(account: str, address: str) -> Clients:
        limits = RequestLimits(login_rate_account=account, login_rate_address=address)
        node.settings = dataclasses.replace(node.settings, limits=limits)
        app = create_app(node)

        def from_address(host: str) -> TestClient:
            client = TestClient(app, client=(host, 40000))
            opened.append(client)
            return client

        return from_address

    yield configure
    for client in opened:
        client.close()


def _login(client: TestClient, user: str, password: str = WRONG) -> httpx.Response:
    return client.post("/auth/login", json={"username": user, "password": password})


def _assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "login-rate-limited"
    assert int(response.headers["Retry-After"]) >= 1
    assert "retry after" in response.json()["description"]


def test_attempts_from_one_address_are_limited(clients: Callable[..., Clients]) -> None:
    at = clients(account="100/minute", address="5/minute")
    flooder = at("198.51.100.7")
    for i in range(5):  # a different (unknown) account each time: only the address counts
        assert _login(flooder, f"guess-{i}").status_code == 401
    _assert_limited(_login(flooder, "guess-5"))
    _assert_limited(_login(flooder, "alice", PASSWORD))  # even the right password, from there
    assert _login(at("203.0.113.9"), "alice", PASSWORD).status_code == 200  # others are not


@pytest.mark.parametrize("user", ["alice", "nobody"])
def test_failed_attempts_on_one_account_are_limited_alike_for_known_and_unknown(
    clients: Callable[..., Clients], user: str
) -> None:
    at = clients(account="3/minute", address="1000/minute")
    answers = []
    for i in range(4):  # from four addresses: only the account counts
        answers.append(_login(at(f"198.51.100.{i}"), user))
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert [a.json()["code"] for a in answers[:3]] == ["login-failed"] * 3
    _assert_limited(answers[3])
    # What an unknown account gets is what a known one gets (digits aside: the wait).
    described = re.sub(r"\d+", "N", answers[3].json()["description"])
    assert described == "too many login attempts for this account; retry after N s"
    _assert_limited(_login(at("203.0.113.9"), user, PASSWORD))  # locked, right password or not


def test_successful_logins_do_not_use_up_the_account_budget(
    clients: Callable[..., Clients],
) -> None:
    at = clients(account="3/minute", address="1000/minute")
    client = at("203.0.113.9")
    for _ in range(5):
        response = _login(client, "alice", PASSWORD)
        assert response.status_code == 200, response.text


def test_no_password_is_hashed_once_a_limit_is_reached() -> None:
    throttle = LoginThrottle("2/minute", "1000/minute", concurrency=2)
    hashed = []

    def wrong_password() -> str:
        hashed.append(1)
        raise AuthenticationError("user name or password is wrong", code="login-failed")

    for _ in range(2):
        with pytest.raises(AuthenticationError):
            throttle.attempt("alice", "192.0.2.1", wrong_password)
    for _ in range(3):
        with pytest.raises(TooManyRequests) as refused:
            throttle.attempt("alice", "192.0.2.1", wrong_password)
        assert refused.value.code == "login-rate-limited"
    assert len(hashed) == 2


def test_an_attempt_that_finds_no_free_hashing_slot_is_refused_at_once() -> None:
    throttle = LoginThrottle("100/minute", "100/minute", concurrency=1)
    inner: list[TooManyRequests] = []

    def slow_check() -> str:  # while this one holds the only slot, another attempt comes in
        with pytest.raises(TooManyRequests) as refused:
            throttle.attempt("bob", "192.0.2.2", lambda: "never")
        inner.append(refused.value)
        return "token"

    assert throttle.attempt("alice", "192.0.2.1", slow_check) == "token"
    assert inner[0].code == "login-busy" and inner[0].retry_after == 1
    assert throttle.attempt("bob", "192.0.2.2", lambda: "token") == "token"  # slot released
