"""The access workflow through the HTTP API, on SQLite and PostgreSQL: requests, policy
pre-checks, steward reviews (R3 needs two), grants, revocation, idempotency, the audit trail."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from access.grants import transfer_audience, verify_grant
from access.vocabulary import Level, Role
from clearance.http.app import create_app
from tests.catalog.seeded import HIDDEN, Seeded
from transfer.crypt4gh import generate_private_key, public_key_bytes

STEWARDS = {
    "gbr-s1": ("GBR", [Role.STEWARD]),
    "usa-s1": ("USA", [Role.STEWARD]),
    "usa-s2": ("USA", [Role.STEWARD]),
    "gbr-both": ("GBR", [Role.STEWARD, Role.RESEARCHER]),
}


@pytest.fixture(scope="module")
def world(seeded: Seeded) -> Iterator[tuple[Seeded, TestClient, dict[str, dict[str, str]]]]:
    node = seeded.node
    for name, (admin, roles) in STEWARDS.items():
        node.directory.add_user(name, admin=admin, roles=roles, clearance=Level.R3)
    tokens = {**seeded.tokens}
    for name in STEWARDS:
        tokens[name] = node.directory.issue_token(name, audience=node.settings.node_id)
    headers = {n: {"Authorization": f"Bearer {t}"} for n, t in tokens.items()}
    with TestClient(create_app(node)) as client:
        for user in ("nld", "gbr", "usa", "gbr-both"):
            public = public_key_bytes(generate_private_key())
            key = base64.b64encode(bytes(public)).decode()
            response = client.put(
                "/access/keys/c4gh", json={"public_key": key}, headers=headers[user]
            )
            assert response.status_code == 204, response.text
        yield seeded, client, headers


def _request(
    client: TestClient,
    headers: dict[str, str],
    holding: str,
    mode: str = "download",
    **extra: object,
) -> dict:  # type: ignore[type-arg]
    body = {
        "holding": holding,
        "purpose": "train a firearm detector",
        "purpose_code": "model-training",
        "mode": mode,
        "duration_days": 30,
        **extra,
    }
    response = client.post("/access/requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_download_request_approved_becomes_a_verifiable_grant(world: tuple) -> None:  # type: ignore[type-arg]
    seeded, client, h = world
    created = _request(client, h["nld"], "GBR-parcel")
    assert created["state"] == "submitted" and created["owner"] == "GBR"
    queue = client.get("/access/review", headers=h["gbr-s1"]).json()
    assert created["id"] in [r["id"] for r in queue["requests"]] and queue["pending"] >= 1
    approved = client.post(
        f"/access/requests/{created['id']}/approve", json={}, headers=h["gbr-s1"]
    )
    assert approved.status_code == 200, approved.text
    view = approved.json()
    assert view["state"] == "granted" and view["items"] == len(seeded.scans("GBR-parcel"))
    token = client.get(f"/access/grants/{view['grant']}", headers=h["nld"]).json()["token"]
    node = seeded.node
    grant = verify_grant(
        token,
        keys=node.directory.trusted_keys(),
        audience=transfer_audience("GBR"),
        now=node.clock.now(),
        is_revoked=node.grants.is_revoked,
        holding="GBR-parcel",
        operation="download",
    )
    assert grant.subject == "nld" and grant.operations == ("download",)
    assert grant.expires_at - grant.issued_at == timedelta(days=30)


def test_policy_pre_check_refuses_at_once_with_the_reason(world: tuple) -> None:  # type: ignore[type-arg]
    _, client, h = world
    refused = _request(client, h["usa"], "NLD-cargo", mode="download")  # USA is in REL TO...
    assert refused["state"] == "submitted"
    refused = _request(client, h["nld"], "GBR-parcel", mode="evaluation")
    assert refused["state"] == "submitted"
    refused = _request(client, h["gbr"], HIDDEN, mode="download")  # enclave-only holding
    assert refused["state"] == "refused"
    assert refused["reason"] == "policy:handling-forbids-mode"


def test_undiscoverable_holding_is_a_404_like_a_missing_one(world: tuple) -> None:  # type: ignore[type-arg]
    _, client, h = world
    body = {"purpose": "x", "purpose_code": "research", "mode": "evaluation", "duration_days": 5}
    hidden = client.post("/access/requests", json={**body, "holding": HIDDEN}, headers=h["nld"])
    ghost = client.post(
        "/access/requests", json={**body, "holding": "XYZ-reefer"}, headers=h["nld"]
    )
    assert hidden.status_code == ghost.status_code == 404
    assert hidden.text.replace(HIDDEN, "XYZ-reefer") == ghost.text


def test_r3_needs_two_distinct_stewards_and_repeats_are_idempotent(world: tuple) -> None:  # type: ignore[type-arg]
    _, client, h = world
    created = _request(client, h["gbr"], HIDDEN, mode="evaluation")
    path = f"/access/requests/{created['id']}/approve"
    first = client.post(path, json={}, headers=h["usa-s1"]).json()
    assert first["state"] == "under-review" and first["approvals"] == ["usa-s1"]
    again = client.post(path, json={}, headers=h["usa-s1"]).json()
    assert again["state"] == "under-review" and again["approvals"] == ["usa-s1"]
    second = client.post(path, json={}, headers=h["usa-s2"]).json()
    assert second["state"] == "granted" and second["approvals"] == ["usa-s1", "usa-s2"]
    third = client.post(path, json={}, headers=h["usa-s2"]).json()
    assert third == second


def test_stewards_only_see_their_own_administration_and_never_their_own(world: tuple) -> None:  # type: ignore[type-arg]
    _, client, h = world
    created = _request(client, h["gbr"], HIDDEN, mode="evaluation")
    other = client.post(f"/access/requests/{created['id']}/approve", json={}, headers=h["gbr-s1"])
    assert other.status_code == 404  # GBR's steward may not even see a USA holding's request
    own = _request(client, h["gbr-both"], "GBR-parcel")
    response = client.post(f"/access/requests/{own['id']}/approve", json={}, headers=h["gbr-both"])
    assert response.status_code == 403 and response.json()["code"] == "own-request"
    queue = client.get("/access/review", headers=h["gbr-both"]).json()
    assert own["id"] not in [r["id"] for r in queue["requests"]]


def test_conditions_refusal_withdrawal_and_revocation(world: tuple) -> None:  # type: ignore[type-arg]
    seeded, client, h = world
    created = _request(client, h["nld"], "GBR-parcel")
    body = {
        "conditions": {
            "max_days": 7,
            "evaluation_only": True,
            "item_filter": '"xray:object_count" >= 1',
        }
    }
    view = client.post(
        f"/access/requests/{created['id']}/approve", json=body, headers=h["gbr-s1"]
    ).json()
    assert view["state"] == "granted" and view["conditions"]["evaluation_only"] is True
    with_objects = [c for c in seeded.object_counts("GBR-parcel").values() if c >= 1]
    assert view["items"] == len(with_objects)
    grants = {g["jti"]: g for g in client.get("/access/grants", headers=h["nld"]).json()["grants"]}
    assert grants[view["grant"]]["operations"] == "evaluate"
    revoked = client.post(
        f"/access/grants/{view['grant']}/revoke", json={"reason": "audit"}, headers=h["gbr-s1"]
    ).json()
    assert revoked["state"] == "revoked"
    assert seeded.node.grants.is_revoked(view["grant"])
    refused = _request(client, h["nld"], "GBR-parcel")
    no_reason = client.post(
        f"/access/requests/{refused['id']}/refuse", json={}, headers=h["gbr-s1"]
    )
    assert no_reason.status_code == 400
    done = client.post(
        f"/access/requests/{refused['id']}/refuse",
        json={"reason": "purpose unclear"},
        headers=h["gbr-s1"],
    ).json()
    assert done["state"] == "refused" and done["reason"] == "purpose unclear"
    withdrawn = _request(client, h["nld"], "GBR-parcel")
    other = client.post(f"/access/requests/{withdrawn['id']}/withdraw", headers=h["gbr"])
    assert other.status_code == 404
    mine = client.post(f"/access/requests/{withdrawn['id']}/withdraw", headers=h["nld"]).json()
    assert mine["state"] == "withdrawn"


def test_request_without_a_registered_key_is_refused_clearly(world: tuple) -> None:  # type: ignore[type-arg]
    seeded, client, _ = world
    seeded.node.directory.add_user(
        "nokey", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2
    )
    token = seeded.node.directory.issue_token("nokey", audience=seeded.node.settings.node_id)
    body = {
        "holding": "GBR-parcel",
        "purpose": "x",
        "purpose_code": "research",
        "mode": "download",
        "duration_days": 3,
    }
    response = client.post(
        "/access/requests", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 409 and response.json()["code"] == "no-recipient-key"


def test_concurrent_approvals_give_one_grant(world: tuple) -> None:  # type: ignore[type-arg]
    _, client, h = world
    created = _request(client, h["gbr"], HIDDEN, mode="evaluation")
    path = f"/access/requests/{created['id']}/approve"
    results: list[dict] = []  # type: ignore[type-arg]
    barrier = threading.Barrier(4)

    def approve(user: str) -> None:
        barrier.wait()
        results.append(client.post(path, json={}, headers=h[user]).json())

    threads = [threading.Thread(target=approve, args=(u,)) for u in ("usa-s1", "usa-s2") * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = client.get(f"/access/requests/{created['id']}", headers=h["gbr"]).json()
    assert final["state"] == "granted"
    assert sorted(final["approvals"]) == ["usa-s1", "usa-s2"]
    grants = [
        g
        for g in client.get("/access/grants", headers=h["gbr"]).json()["grants"]
        if g["request"] == created["id"]
    ]
    assert len(grants) == 1


def test_every_step_is_in_a_verifiable_audit_log(world: tuple) -> None:  # type: ignore[type-arg]
    seeded, _, _ = world
    report = seeded.node.audit.verify()
    assert report.ok, report.problems
    assert report.entries > 10


def test_nul_characters_are_refused_as_input_not_a_server_error(world: tuple) -> None:  # type: ignore[type-arg]
    """PostgreSQL cannot store a NUL; a request id or purpose carrying one was a 500 there."""
    _, client, h = world
    for method, path in (
        ("GET", "/access/requests/%00"),
        ("POST", "/access/requests/a%00b/withdraw"),
        ("GET", "/access/grants/%00"),
    ):
        response = client.request(method, path, headers=h["nld"])
        assert response.status_code in (400, 404), (path, response.status_code, response.text)
    for purpose in ("a\x00b", "a\\u0000b"):
        response = client.post(
            "/access/requests",
            json={
                "holding": "GBR-parcel",
                "purpose": purpose,
                "purpose_code": "model-training",
                "mode": "download",
                "duration_days": 30,
            },
            headers=h["nld"],
        )
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid-text"
    mine = client.get("/access/requests", headers=h["nld"])
    assert mine.status_code == 200
    purposes = [r["purpose"] for r in mine.json()["requests"]]
    assert not [p for p in purposes if "\x00" in p or "\\u0000" in p]
