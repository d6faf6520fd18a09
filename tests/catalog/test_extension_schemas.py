"""Our extension schemas served by the node under the deployment's URL, documents naming them,
and assets a client understands (what the href serves, that it needs a grant), on both databases."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi.testclient import TestClient

from catalog.extension_schemas import known_extensions
from catalog.links import CRYPT4GH_TYPE, GRANT_ROLE
from clearance.http.app import create_app
from tests.catalog.seeded import HIDDEN, Seeded
from tests.helpers.server import serve


@pytest.fixture(scope="module")
def base_url(seeded: Seeded) -> Iterator[str]:
    with serve(create_app(seeded.node)) as url:
        yield url


def _get(url: str, token: str | None = None, **headers: str) -> httpx.Response:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(url, headers={**auth, **headers})


def test_every_shipped_extension_schema_is_served_publicly(base_url: str) -> None:
    assert {("xray", "v1.0.0"), ("xray", "v1.1.0"), ("sec", "v1.0.0")} <= set(known_extensions())
    for name, version in known_extensions():
        url = f"{base_url}/stac/extensions/{name}/{version}/schema.json"
        answer = _get(url)  # no token
        assert answer.status_code == 200, url
        assert answer.headers["content-type"] == "application/schema+json"
        schema = answer.json()
        assert schema["$id"] == url
        assert "clearance.example" not in answer.text
        again = _get(url, **{"If-None-Match": answer.headers["etag"]})
        assert again.status_code == 304


@pytest.mark.parametrize("path", ["xray/v9.9.9", "nope/v1.0.0", "..%2F..%2Fetc/v1.0.0",
                                  "xray/..%2Fv1.0.0", "xray/v1.1.0%00"])  # fmt: skip
def test_anything_else_is_a_404(base_url: str, path: str) -> None:
    assert _get(f"{base_url}/stac/extensions/{path}/schema.json").status_code == 404


def _item(seeded: Seeded, base_url: str, user: str = "gbr") -> dict[str, Any]:
    answer = _get(f"{base_url}/collections/GBR-parcel/items?limit=1", seeded.tokens[user])
    item: dict[str, Any] = answer.json()["features"][0]
    return item


def test_documents_name_the_node_and_validate_against_what_it_serves(
    seeded: Seeded, base_url: str
) -> None:
    token = seeded.tokens["gbr"]
    item = _item(seeded, base_url)
    documents = [
        item,
        _get(f"{base_url}/collections/GBR-parcel/items/{item['id']}", token).json(),
        _get(f"{base_url}/search?limit=1", token).json()["features"][0],
        _get(f"{base_url}/collections/GBR-parcel", token).json(),
        *_get(f"{base_url}/collections", token).json()["collections"],
    ]
    for document in documents:
        ours = [u for u in document["stac_extensions"] if "/stac/extensions/" in u]
        assert ours and all(u.startswith(f"{base_url}/stac/extensions/") for u in ours)
        assert not any("clearance.example" in u for u in document["stac_extensions"])
        for url in ours:
            jsonschema.validate(document, _get(url).json())  # the schema the node serves


def test_the_schema_base_is_configurable(seeded: Seeded) -> None:
    settings = dataclasses.replace(
        seeded.node.settings, schema_base_url="https://schemas.customs.example/clearance"
    )
    node = dataclasses.replace(seeded.node, settings=settings)  # fmt: skip
    with TestClient(create_app(node)) as client:
        client.headers["Authorization"] = f"Bearer {seeded.tokens['gbr']}"
        item = client.get("/collections/GBR-parcel/items?limit=1").json()["features"][0]
        expected = (
            "https://schemas.customs.example/clearance/stac/extensions/xray/v1.1.0/schema.json"
        )
        assert expected in item["stac_extensions"]
        served = client.get("/stac/extensions/xray/v1.1.0/schema.json").json()
        assert served["$id"] == expected


def test_assets_say_what_they_serve_and_that_they_need_a_grant(
    seeded: Seeded, base_url: str
) -> None:
    for key, asset in _item(seeded, base_url)["assets"].items():
        assert asset["href"].startswith(f"{base_url}/transfer/holdings/GBR-parcel/objects/"), key
        assert asset["type"] == CRYPT4GH_TYPE
        assert asset["xray:plaintext_type"] in ("image/tiff", "application/json",
                                                "application/dicom"), key  # fmt: skip
        assert GRANT_ROLE in asset["roles"]


def test_a_login_token_on_an_asset_is_told_how_to_get_a_grant(
    seeded: Seeded, base_url: str
) -> None:
    href = _item(seeded, base_url)["assets"]["high"]["href"]
    answer = _get(href, seeded.tokens["gbr"])
    assert answer.status_code == 403
    assert answer.json()["code"] == "grant-required"
    assert "clearance request create" in answer.json()["description"]
    hidden = href.replace("GBR-parcel", HIDDEN)
    missing = href.replace("GBR-parcel", "NLD-no-such-holding")
    for other in (hidden, missing):  # the same words whether the holding exists or may be seen
        refused = _get(other, seeded.tokens["nld"])
        assert (refused.status_code, refused.json()) == (answer.status_code, answer.json())
    assert _get(href).status_code == 401  # and no token at all is a 401
