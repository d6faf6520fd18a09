"""The enclave over HTTP: a researcher without a live evaluate grant, or outside REL TO, gets
from every enclave route exactly what a nonexistent holding gets (status and body); the whole
path submit → worker → released → receipt → leaderboard, and manual review, through the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clearance.http.app import create_app
from clearance.node import Node
from models.evaluation import Released
from tests.models.enclave_world import HOLDING, EnclaveWorld, build

MISSING = "GBR-nothing"


@pytest.fixture
def world(node: Node, tmp_path: Path) -> EnclaveWorld:
    return build(node, tmp_path / "sources")


@pytest.fixture
def client(world: EnclaveWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.node)) as test_client:
        yield test_client


def _as(world: EnclaveWorld, user: str) -> dict[str, str]:
    token = world.node.directory.issue_token(user, audience=world.node.settings.node_id)
    return {"Authorization": f"Bearer {token}"}


def _enclave_calls(world: EnclaveWorld, holding: str) -> list[tuple[str, str, Any]]:
    submission = {"model_id": world.model, "holding": holding, "grant": world.grant,
                  "split": "test", "metrics": {"metrics": ["map50"]}}  # fmt: skip
    return [
        ("POST", "/evaluations", submission),
        ("GET", f"/holdings/{holding}/leaderboard", None),
        ("GET", f"/holdings/{holding}/enclave-policy", None),
        ("PUT", f"/holdings/{holding}/enclave-policy", {"budget": 1}),
    ]


def test_no_grant_or_outside_rel_to_learns_nothing_of_the_holding(
    world: EnclaveWorld, client: TestClient
) -> None:
    for user in ("nld-r2", "usa-r", "usa-s"):
        headers = _as(world, user)
        real = _enclave_calls(world, HOLDING)
        missing = _enclave_calls(world, MISSING)
        for (method, url, body), (_, missing_url, missing_body) in zip(real, missing, strict=True):
            got = client.request(method, url, headers=headers, json=body)
            want = client.request(method, missing_url, headers=headers, json=missing_body)
            assert got.status_code == want.status_code, (user, method, url)
            assert got.status_code in (403, 404), (user, method, url)
            assert got.text.replace(HOLDING, "H") == want.text.replace(MISSING, "H"), (user, url)
            assert set(got.headers) == set(want.headers)
    # and nothing was stored for any of it
    assert client.get("/evaluations", headers=_as(world, "nld-r2")).json() == {"evaluations": []}


def test_submit_run_release_receipt_and_leaderboard_over_http(
    world: EnclaveWorld, client: TestClient
) -> None:
    researcher, steward = _as(world, "nld-r"), _as(world, "gbr-s")
    body = {"model_id": world.model, "holding": HOLDING, "grant": world.grant}
    created = client.post("/evaluations", headers=researcher, json=body)
    assert created.status_code == 201, created.text
    evaluation = created.json()["id"]
    assert client.get(f"/evaluations/{evaluation}/receipt", headers=researcher).status_code == 409
    claim = world.node.jobs.claim("w")
    assert claim is not None
    world.node.jobs.finish(claim, Released({"map50": 0.5}, "map50", 0.5, {"dsse": "x"}))
    shown = client.get(f"/evaluations/{evaluation}", headers=researcher).json()
    assert (shown["state"], shown["released"]) == ("released", {"map50": 0.5})
    receipt = client.get(f"/evaluations/{evaluation}/receipt", headers=researcher)
    assert receipt.json() == {"dsse": "x"}
    assert [e["id"] for e in client.get("/evaluations", headers=researcher).json()["evaluations"]
            ] == [evaluation]  # fmt: skip
    board = client.get(f"/holdings/{HOLDING}/leaderboard", headers=researcher).json()
    assert [(e["model_id"], e["score"]) for e in board["entries"]] == [(world.model, 0.5)]
    assert client.get(f"/evaluations/{evaluation}", headers=_as(world, "nld-r2")).status_code == 404
    assert client.get(f"/evaluations/{evaluation}", headers=steward).status_code == 200


def test_manual_review_over_http(world: EnclaveWorld, client: TestClient) -> None:
    researcher, steward = _as(world, "nld-r"), _as(world, "gbr-s")
    policy = client.put(f"/holdings/{HOLDING}/enclave-policy", headers=steward,
                        json={"manual_review": True, "budget": 5})  # fmt: skip
    assert policy.json() == {"manual_review": True, "budget": 5, "grid": 0.01, "min_count": 10}
    assert client.put(f"/holdings/{HOLDING}/enclave-policy", headers=steward,
                      json={"budget": -1}).status_code == 400  # fmt: skip
    body = {"model_id": world.model, "holding": HOLDING, "grant": world.grant}
    evaluation = client.post("/evaluations", headers=researcher, json=body).json()["id"]
    claim = world.node.jobs.claim("w")
    assert claim is not None
    world.node.jobs.finish(claim, Released({"map50": 0.25}))
    queue = client.get("/reviews/evaluations", headers=steward).json()
    assert queue["pending"] == 1
    assert queue["evaluations"][0]["would_release"]["values"] == {"map50": 0.25}
    assert (
        "would_release" not in client.get(f"/evaluations/{evaluation}", headers=researcher).json()
    )
    bad = client.post(f"/evaluations/{evaluation}/review", headers=steward,
                      json={"decision": "refuse"})  # fmt: skip
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid-evaluation")
    done = client.post(f"/evaluations/{evaluation}/review", headers=steward,
                       json={"decision": "approve", "reason": "aggregate only"})  # fmt: skip
    assert done.json()["state"] == "released"
    again = client.post(f"/evaluations/{evaluation}/review", headers=steward,
                        json={"decision": "approve"})  # fmt: skip
    assert (again.status_code, again.json()["code"]) == (409, "evaluation-conflict")


def test_a_bad_metric_spec_is_a_400_naming_the_rule(
    world: EnclaveWorld, client: TestClient
) -> None:
    researcher = _as(world, "nld-r")
    body = {"model_id": world.model, "holding": HOLDING, "grant": world.grant,
            "metrics": {"metrics": ["map50"], "bootstrap_samples": 5000}}  # fmt: skip
    refused = client.post("/evaluations", headers=researcher, json=body)
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid-evaluation"
    assert "bootstrap_samples must be an integer from 0 to 1000" in refused.json()["description"]
    body["metrics"] = {"metrics": ["auroc"]}  # anomaly detection's, not a detector's
    refused = client.post("/evaluations", headers=researcher, json=body)
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid-evaluation")
    assert "'auroc' is not one of" in refused.json()["description"]
    assert client.get("/evaluations", headers=researcher).json() == {"evaluations": []}
