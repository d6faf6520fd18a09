"""The STAC API against a real server: pystac-client searches, paging, errors, conformance."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pystac_client import Client

from clearance.http.app import create_app
from tests.catalog.seeded import Seeded
from tests.helpers.server import serve


@pytest.fixture(scope="module")
def base_url(seeded: Seeded) -> Iterator[str]:
    with serve(create_app(seeded.node)) as url:
        yield url


def _auth(seeded: Seeded, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {seeded.tokens[user]}"}


def _expected_parcels_with_objects(seeded: Seeded) -> list[str]:
    """Independent expectation from the generator's files: parcels scans with >= 1 object,
    newest first, ties by id."""
    counts = seeded.object_counts("GBR-parcel")
    scans = [s for s in seeded.scans("GBR-parcel") if counts[s["id"]] >= 1]
    scans.sort(key=lambda s: s["id"])
    scans.sort(key=lambda s: s["datetime"], reverse=True)
    return [s["id"] for s in scans]


def test_pystac_client_filter_sort_and_paging(seeded: Seeded, base_url: str) -> None:
    client = Client.open(base_url, headers=_auth(seeded, "nld"))
    search = client.search(
        filter="\"xray:conveyance\" IN ('parcel', 'post') AND \"xray:object_count\" >= 1",
        filter_lang="cql2-text",
        sortby="-datetime",
        limit=2,  # page size: forces several next links
    )
    ids = [item.id for item in search.items()]
    expected = _expected_parcels_with_objects(seeded)
    assert len(expected) >= 3, "the fixture must produce several pages"
    assert ids == expected


def test_pystac_client_get_paging_matches_post(seeded: Seeded, base_url: str) -> None:
    client = Client.open(base_url, headers=_auth(seeded, "gbr"))
    via_post = [i.id for i in client.search(collections=["GBR-parcel"], limit=4).items()]
    via_get = [
        i.id for i in client.search(collections=["GBR-parcel"], limit=4, method="GET").items()
    ]
    assert via_post == via_get
    assert sorted(via_post) == sorted(s["id"] for s in seeded.scans("GBR-parcel"))


def test_cql2_json_filter_and_fields(seeded: Seeded, base_url: str) -> None:
    body = {
        "filter-lang": "cql2-json",
        "filter": {"op": "=", "args": [{"property": "collection"}, "NLD-cargo"]},
        "fields": {"include": ["properties.xray:scanner"], "exclude": ["assets"]},
        "limit": 100,
    }
    response = httpx.post(f"{base_url}/search", json=body, headers=_auth(seeded, "nld"))
    assert response.status_code == 200, response.text
    features = response.json()["features"]
    assert sorted(f["id"] for f in features) == sorted(s["id"] for s in seeded.scans("NLD-cargo"))
    for feature in features:
        assert set(feature["properties"]) == {"xray:scanner"}
        assert "assets" not in feature


def _error(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == "invalid-query"
    return str(body["description"])


def test_malformed_cql2_is_a_400_naming_the_problem(seeded: Seeded, base_url: str) -> None:
    headers = _auth(seeded, "nld")
    message = _error(httpx.get(f"{base_url}/search", params={"filter": "a = = 1"}, headers=headers))
    assert message.startswith("filter:")
    message = _error(
        httpx.get(f"{base_url}/search", params={"filter": "colour = 'red'"}, headers=headers)
    )
    assert "colour" in message and "queryable" in message
    bad_json = {"filter-lang": "cql2-json", "filter": {"op": "frobnicate", "args": []}}
    assert "filter" in _error(httpx.post(f"{base_url}/search", json=bad_json, headers=headers))


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"sortby": "-colour"}, "colour"),
        ({"token": "-5"}, "token"),
        ({"filter-lang": "sql", "filter": "id = 'x'"}, "filter-lang"),
    ],
)
def test_bad_search_parameters(
    seeded: Seeded, base_url: str, params: dict[str, str], names: str
) -> None:
    message = _error(httpx.get(f"{base_url}/search", params=params, headers=_auth(seeded, "nld")))
    assert names in message


def test_post_search_rejects_unknown_parameters(seeded: Seeded, base_url: str) -> None:
    message = _error(
        httpx.post(f"{base_url}/search", json={"colections": ["x"]}, headers=_auth(seeded, "nld"))
    )
    assert "colections" in message


def test_landing_and_conformance_are_what_pystac_client_needs(base_url: str) -> None:
    landing = httpx.get(f"{base_url}/").json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "root", "conformance", "data", "search"} <= rels
    conformance = httpx.get(f"{base_url}/conformance").json()["conformsTo"]
    assert "https://api.stacspec.org/v1.0.0/item-search#filter" in conformance
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in conformance


def test_catalogue_routes_need_a_token(base_url: str) -> None:
    response = httpx.get(f"{base_url}/collections")
    assert response.status_code == 401
    assert response.json()["code"] == "token-missing"
    response = httpx.get(f"{base_url}/search", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401


def test_free_text_and_datetime(seeded: Seeded, base_url: str) -> None:
    scans = seeded.scans("NLD-cargo")
    first = scans[0]
    headers = _auth(seeded, "nld")
    found = httpx.get(f"{base_url}/search", params={"q": first["id"]}, headers=headers).json()
    assert [f["id"] for f in found["features"]] == [first["id"]]
    instant = first["datetime"]
    found = httpx.get(
        f"{base_url}/search",
        params={"datetime": f"{instant}/{instant}", "collections": "NLD-cargo"},
        headers=headers,
    ).json()
    assert first["id"] in [f["id"] for f in found["features"]]


def test_aggregation_counts_match_search(seeded: Seeded, base_url: str) -> None:
    headers = _auth(seeded, "gbr")
    response = httpx.get(
        f"{base_url}/aggregate",
        params={"aggregations": "total_count,collection_frequency"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    results = {a["name"]: a for a in response.json()["aggregations"]}
    buckets = {b["key"]: b["frequency"] for b in results["collection_frequency"]["buckets"]}
    expected = {h: len(seeded.scans(h)) for h in ("NLD-cargo", "GBR-parcel", "USA-reefer")}
    assert buckets == expected
    assert results["total_count"]["value"] == sum(expected.values())
