"""The authorization matrix, generated from the app's route table: every route × role ×
administration × clearance (and, for holding routes, every holding level).

A route that declares no policy (``Depends(requires(...))``, ``Depends(public)`` or, for the
transfer routes, ``Depends(requires_download_grant)``) fails the first test, so a new route cannot
slip in unguarded. Transfer routes take the grant itself as bearer credential: without one, and
with any user's login token, they answer 401 (tests/transfer/test_routes.py covers real grants).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from access import NODE, Action, Level, Principal, Role, decide
from access.route_policy import policy_of
from catalog import CatalogHoldings
from clearance.http.app import create_app
from tests.catalog.seeded import Seeded
from transfer.route_policy import GRANT_DOWNLOAD

ADMINS = ("NLD", "GBR", "USA")
CLEARANCES = (Level.R0, Level.R1, Level.R2, Level.R3)
HOLDINGS = ("NLD-cargo", "GBR-parcel", "USA-reefer")  # R2, R1, R3
DOC_ROUTES = {"/api.html.d", "/ui"}  # Swagger UI's static files; the web pages (own policy test)


def _policies(dependant: Dependant) -> Iterator[Any]:
    """The policies a route declares: a policy's own sub-dependencies (``requires_on`` holds
    ``requires`` as its pre-body gate) are part of it, not a second declaration."""
    for dependency in dependant.dependencies:
        found = policy_of(dependency.call)
        if found is not None:
            yield found
        else:
            yield from _policies(dependency)


def _flat(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Routes with their full paths (FastAPI keeps included routers as wrappers)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _flat(included.routes, prefix + route.include_context.prefix)
        else:
            yield prefix + getattr(route, "path", "?"), route


def api_routes(app: FastAPI) -> list[tuple[str, str, Any]]:
    table = []
    for path, route in _flat(app.routes):
        if isinstance(route, APIRoute):
            policies = list(_policies(route.dependant))
            for method in sorted(route.methods):
                table.append((method, path, policies))
        else:
            assert path in DOC_ROUTES, f"unexpected route {path}"
    return table


@pytest.fixture(scope="module")
def client(seeded: Seeded) -> Iterator[TestClient]:
    node = seeded.node
    for admin, role, clearance in itertools.product(ADMINS, Role, CLEARANCES):
        node.directory.add_user(
            _name(admin, role, clearance), admin=admin, roles=[role], clearance=clearance
        )
    with TestClient(create_app(node)) as test_client:
        yield test_client


def _name(admin: str, role: Role, clearance: Level) -> str:
    return f"m-{admin}-{role.value}-{clearance.name}".lower()


def test_every_route_declares_exactly_one_policy(seeded: Seeded) -> None:
    table = api_routes(create_app(seeded.node))
    assert len(table) > 20
    undeclared = [(m, p) for m, p, policies in table if len(policies) != 1]
    assert undeclared == [], "routes without exactly one declared policy"


def _fill(path: str, holding: str) -> str:
    values = {
        "collection_id": holding,
        "item_id": "no-such-item",
        "request_id": "req-none",
        "jti": "no-such-grant",
        "admin": "NLD",
        "holding": holding,
        "object_id": "no-such-object",
        "upload_id": "no-such-upload",
        # enclave routes: a holding without a live evaluate grant is a 404 even where the
        # catalogue shows it (not a "{holding}" route of the visibility rule above)
        "holding_id": holding,
        "evaluation_id": "evl-0000000000000000",
        "model_id": "mdl-0000000000000000",
        "name": "xray",  # the public extension schemas
        "version": "v1.1.0",
    }
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)


#: Routes after which the token used is refused (signing out).
ENDS_THE_TOKEN = {("POST", "/auth/logout")}


def _call(client: TestClient, method: str, url: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body: Any = {} if method in ("POST", "PUT") else None
    return client.request(method, url, headers=headers, json=body)


def test_matrix(client: TestClient, seeded: Seeded) -> None:
    node = seeded.node
    holdings = CatalogHoldings(node.sessions)
    tokens = {
        _name(a, r, c): node.directory.issue_token(_name(a, r, c), audience=node.settings.node_id)
        for a, r, c in itertools.product(ADMINS, Role, CLEARANCES)
    }
    checked = 0
    for method, path, (policy,) in api_routes(create_app(node)):
        holding_route = "{collection_id}" in path or "{holding}" in path
        for holding in HOLDINGS if holding_route else HOLDINGS[:1]:
            url = _fill(path, holding)
            anonymous = _call(client, method, url, None)
            if policy == "public":
                assert anonymous.status_code not in (401, 403, 500), (method, url)
                continue
            if policy == GRANT_DOWNLOAD:
                assert anonymous.status_code == 401, (method, url)
                assert anonymous.json()["code"] == "token-missing", (method, url)
                for name, token in tokens.items():  # a login token is never a grant: the
                    response = _call(client, method, url, token)  # answer says how to get one
                    assert response.status_code == 403, (method, url, name)
                    assert response.json()["code"] == "grant-required", (method, url, name)
                    checked += 1
                continue
            assert isinstance(policy, Action)
            assert anonymous.status_code == 401, (method, url)
            for admin, role, clearance in itertools.product(ADMINS, Role, CLEARANCES):
                name = _name(admin, role, clearance)
                token = tokens[name]
                if (method, path) in ENDS_THE_TOKEN:  # a token of its own: the others live on
                    token = node.directory.issue_token(name, audience=node.settings.node_id)
                response = _call(client, method, url, token)
                principal = Principal(name, admin, frozenset({role}), clearance)
                gate = decide(principal, NODE, policy, node.clock.now())
                where = (method, url, admin, role.value, clearance.name)
                assert response.status_code != 500, where
                if not gate.allowed:
                    assert response.status_code == 403, where
                    assert response.json()["code"] == gate.reason.value, where
                elif holding_route and method == "GET" and "/items/" not in path:
                    visible = holdings.security(holding, admin) is not None
                    assert response.status_code == (200 if visible else 404), where
                else:
                    assert response.status_code not in (401, 403), where
                checked += 1
    assert checked > 1000
