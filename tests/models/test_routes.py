"""The model routes over HTTP: submit, list, show, share; errors as the table says."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from access import Level, Role
from clearance.http.app import create_app
from clearance.node import Node
from tests.models import onnx_builders as b


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    for code, name in (("NLD", "Netherlands"), ("GBR", "United Kingdom"), ("AUS", "Australia")):
        node.directory.add_administration(code, name)
    for user, admin, role in (
        ("nld-r", "NLD", Role.RESEARCHER),
        ("nld-s", "NLD", Role.STEWARD),
        ("gbr-r", "GBR", Role.RESEARCHER),
        ("aus-r", "AUS", Role.RESEARCHER),
    ):
        node.directory.add_user(user, admin=admin, roles=[role], clearance=Level.R1)
    with TestClient(create_app(node), raise_server_exceptions=False) as test_client:
        yield test_client


def _as(node: Node, user: str) -> dict[str, str]:
    token = node.directory.issue_token(user, audience=node.settings.node_id)
    return {"Authorization": f"Bearer {token}"}


def _body(data: bytes, task: str = "object-detection") -> dict[str, Any]:
    return {"card": b.card_for(task), "onnx": base64.b64encode(data).decode()}


def test_submit_show_list_share(client: TestClient, node: Node) -> None:
    response = client.post("/models", json=_body(b.detector()), headers=_as(node, "nld-r"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["version"] == 1 and created["owner"] == "NLD"
    model_id = created["id"]
    item = client.get(f"/models/{model_id}", headers=_as(node, "nld-s")).json()
    assert item["id"] == model_id and item["type"] == "Feature"
    assert "https://stac-extensions.github.io/mlm/v1.5.2/schema.json" in item["stac_extensions"]
    listed = client.get("/models", headers=_as(node, "nld-r")).json()["models"]
    assert [m["id"] for m in listed] == [model_id] and "item" not in listed[0]
    hidden = client.get(f"/models/{model_id}", headers=_as(node, "gbr-r"))
    missing = client.get("/models/mdl-0000000000000000", headers=_as(node, "gbr-r"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    refused = client.post(
        f"/models/{model_id}/shares", json={"admins": ["AUS"]}, headers=_as(node, "gbr-r")
    )
    assert refused.status_code == 404 and refused.json() == missing.json()
    shared = client.post(
        f"/models/{model_id}/shares", json={"admins": ["GBR"]}, headers=_as(node, "nld-r")
    )
    assert shared.status_code == 200 and shared.json()["shared_with"] == ["GBR"]
    assert client.get(f"/models/{model_id}", headers=_as(node, "gbr-r")).status_code == 200
    again = client.post(
        f"/models/{model_id}/shares", json={"admins": ["AUS"]}, headers=_as(node, "gbr-r")
    )
    assert again.status_code == 403 and again.json()["code"] == "not-owner"
    assert client.get("/models", headers=_as(node, "aus-r")).json() == {"models": []}


def test_hostile_model_is_422_with_its_rule(client: TestClient, node: Node) -> None:
    for data, rule in (
        (b.external_initializer("../x"), "external-data"),
        (b.custom_domain(), "domain"),
        (b.constant_of_shape_40gb(), "constant-too-large"),
    ):
        response = client.post("/models", json=_body(data), headers=_as(node, "nld-r"))
        assert response.status_code == 422
        assert response.json()["code"] == "model-refused"
        assert response.json()["description"].startswith(f"{rule}: ")
    assert client.get("/models", headers=_as(node, "nld-r")).json() == {"models": []}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"card": {}, "onnx": "AAAA"}, 422, "invalid-model-card"),
        ({"card": b.card_for("classification"), "onnx": "not base64!"}, 400, "invalid-input"),
        ({"card": b.card_for("classification")}, 400, "invalid-input"),
        ([1, 2], 400, "invalid-input"),
        ({"card": b.card_for("classification"), "onnx": 5}, 400, "invalid-input"),
    ],
)
def test_bad_bodies(client: TestClient, node: Node, body: Any, status: int, code: str) -> None:
    response = client.post("/models", json=body, headers=_as(node, "nld-r"))
    assert (response.status_code, response.json()["code"]) == (status, code), response.text


def test_body_cap_and_roles(client: TestClient, node: Node) -> None:
    node.models.limits = type(node.models.limits)(max_bytes=1024)
    big = _body(b"\x00" * (100 << 10))  # over the body cap: refused before it is read
    response = client.post("/models", json=big, headers=_as(node, "nld-r"))
    assert response.status_code == 413 and response.json()["code"] == "body-too-large"
    over = _body(b"\x00" * 4096)  # within the body cap, over the model cap: before decoding
    response = client.post("/models", json=over, headers=_as(node, "nld-r"))
    assert response.status_code == 422
    assert response.json()["description"].startswith("model-too-large: ")
    small = _body(b.detector())
    response = client.post("/models", json=small, headers=_as(node, "nld-s"))
    assert response.status_code == 403 and response.json()["code"] == "role-lacks-action"
    assert client.post("/models", json=small).status_code == 401
