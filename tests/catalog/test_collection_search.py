"""Collection search (GET /collections with q, filter, bbox, datetime, limit) on both databases,
under the discovery rule: the hidden holding is never found, never counted."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from catalog.sites import SITES
from clearance.http.app import create_app
from tests.catalog.seeded import HIDDEN, Seeded
from tests.helpers.server import serve

ALL = {"NLD-cargo", "GBR-parcel", HIDDEN}
PILLS = "3004"  # HS heading: medicaments (the synthetic generator's "pills")


@pytest.fixture(scope="module")
def base_url(seeded: Seeded) -> Iterator[str]:
    with serve(create_app(seeded.node)) as url:
        yield url


def _get(seeded: Seeded, base_url: str, user: str, **query: str) -> httpx.Response:
    return httpx.get(f"{base_url}/collections", params=query,
                     headers={"Authorization": f"Bearer {seeded.tokens[user]}"})  # fmt: skip


def _ids(seeded: Seeded, base_url: str, user: str, **query: str) -> set[str]:
    answer = _get(seeded, base_url, user, **query)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    found = {c["id"] for c in body["collections"]}
    assert body["numberMatched"] == len(found) == body["numberReturned"]
    return found


def _scans(seeded: Seeded, holding: str) -> list[dict[str, Any]]:
    return seeded.scans(holding)


def _has_pills_in_parcels(seeded: Seeded, holding: str) -> bool:
    """From the generator's own files: a parcel scan with an annotated pills object."""
    coco = json.loads((seeded.sources / holding / "annotations.json").read_text())
    pills = {c["id"] for c in coco["categories"] if c["hs_code"] == PILLS}
    image_scan = {i["id"]: i["file_name"].split("/")[1] for i in coco["images"]}
    with_pills = {image_scan[a["image_id"]] for a in coco["annotations"]
                  if a["category_id"] in pills}  # fmt: skip
    return any(s["conveyance"] == "parcel" and s["id"] in with_pills
               for s in _scans(seeded, holding))  # fmt: skip


def test_without_parameters_every_discoverable_holding(seeded: Seeded, base_url: str) -> None:
    assert _ids(seeded, base_url, "gbr") == ALL
    assert _ids(seeded, base_url, "nld") == ALL - {HIDDEN}


def test_pills_in_parcels_is_one_query(seeded: Seeded, base_url: str) -> None:
    expected = {h for h in ALL if _has_pills_in_parcels(seeded, h)}
    found = _ids(
        seeded,
        base_url,
        "gbr",
        filter=f"\"label:classes\" = '{PILLS}' AND \"xray:conveyance\" = 'parcel'",
    )
    assert found == expected
    assert expected, "the fixture must have a parcel scan with pills"


def test_holding_properties_and_free_text(seeded: Seeded, base_url: str) -> None:
    assert _ids(seeded, base_url, "gbr", filter="\"sec:owner\" = 'USA'") == {HIDDEN}
    assert _ids(seeded, base_url, "nld", filter="\"sec:owner\" = 'USA'") == set()
    assert _ids(seeded, base_url, "gbr", filter="\"sec:level\" >= 'R2'") == {"NLD-cargo", HIDDEN}
    assert _ids(seeded, base_url, "nld", q="reefer") == set()  # its title is not found either
    assert _ids(seeded, base_url, "gbr", q="reefer") == {HIDDEN}
    assert _ids(seeded, base_url, "gbr", filter="\"sec:handling\" = 'enclave-only'") == {HIDDEN}


def test_bbox_and_datetime(seeded: Seeded, base_url: str) -> None:
    usa = {SITES[s["site"]] for s in _scans(seeded, HIDDEN)}
    box = (min(p.lon for p in usa) - 0.1, min(p.lat for p in usa) - 0.1,
           max(p.lon for p in usa) + 0.1, max(p.lat for p in usa) + 0.1)  # fmt: skip
    bbox = ",".join(str(v) for v in box)
    assert _ids(seeded, base_url, "gbr", bbox=bbox) == {HIDDEN}
    assert _ids(seeded, base_url, "nld", bbox=bbox) == set()
    assert _ids(seeded, base_url, "gbr", datetime="2030-01-01T00:00:00Z/..") == set()
    everything = _ids(seeded, base_url, "gbr", datetime="2024-01-01T00:00:00Z/2025-12-31T23:59:59Z")
    assert everything == ALL  # the generator draws scan times in 2024 and 2025


def test_a_scan_filter_does_not_reach_holdings_whose_scans_one_may_not_see(
    seeded: Seeded, base_url: str
) -> None:
    """A GBR user cleared to R1 discovers NLD-cargo (R2, REL TO GBR) but may not see its scans."""
    from access import Level, Role

    with contextlib.suppress(Exception):  # the module's node is shared: add the user once
        seeded.node.directory.add_user("gbr-r1", admin="GBR", roles=[Role.RESEARCHER],
                                       clearance=Level.R1)  # fmt: skip
    token = seeded.node.directory.issue_token("gbr-r1", audience=seeded.node.settings.node_id)
    seeded.tokens["gbr-r1"] = token
    assert "NLD-cargo" in _ids(seeded, base_url, "gbr-r1")
    assert "NLD-cargo" in _ids(seeded, base_url, "gbr-r1", filter="\"sec:owner\" = 'NLD'")
    scan_filter = '"xray:object_count" >= 0'  # true of every scan
    assert "NLD-cargo" not in _ids(seeded, base_url, "gbr-r1", filter=scan_filter)
    assert "NLD-cargo" in _ids(seeded, base_url, "gbr", filter=scan_filter)
    # Its temporal extent is matched as it is shown to gbr-r1: widened to calendar years.
    years = {s["datetime"][:4] for s in _scans(seeded, "NLD-cargo")}
    first_year = min(years)
    jan_first = f"{first_year}-01-01T00:00:00Z/{first_year}-01-01T00:00:01Z"
    first_scan = min(s["datetime"] for s in _scans(seeded, "NLD-cargo"))
    assert not first_scan.startswith(f"{first_year}-01-01T00:00")  # so the two views differ
    assert "NLD-cargo" in _ids(seeded, base_url, "gbr-r1", datetime=jan_first)
    assert "NLD-cargo" not in _ids(seeded, base_url, "gbr", datetime=jan_first)


def test_paging_walks_every_match(seeded: Seeded, base_url: str) -> None:
    seen: list[str] = []
    answer = _get(seeded, base_url, "gbr", limit="1").json()
    while True:
        seen += [c["id"] for c in answer["collections"]]
        nexts = [link["href"] for link in answer["links"] if link["rel"] == "next"]
        if not nexts:
            break
        answer = httpx.get(nexts[0], headers={"Authorization": f"Bearer {seeded.tokens['gbr']}"}
                           ).json()  # fmt: skip
    assert seen == sorted(ALL)


def test_bad_parameters_are_400s(seeded: Seeded, base_url: str) -> None:
    for query in ({"filter": "nope = 1"}, {"bbox": "1,2,3"}, {"datetime": "yesterday"},
                  {"limit": "0"}, {"token": "forged.token"}):  # fmt: skip
        answer = _get(seeded, base_url, "gbr", **query)
        assert answer.status_code == 400, query
        assert answer.json()["code"] == "invalid-query"


def test_collection_queryables_are_advertised(seeded: Seeded, base_url: str) -> None:
    body = _get(seeded, base_url, "gbr").json()
    link = next(x for x in body["links"] if x["rel"].endswith("/queryables"))
    document = httpx.get(link["href"], headers={"Authorization": f"Bearer {seeded.tokens['gbr']}"})
    assert document.headers["content-type"] == "application/schema+json"
    properties = document.json()["properties"]
    assert {"sec:owner", "sec:level", "xray:conveyance", "label:classes"} <= set(properties)


def test_pystac_client_collection_search(seeded: Seeded, base_url: str) -> None:
    from pystac_client import Client

    client = Client.open(base_url, headers={"Authorization": f"Bearer {seeded.tokens['nld']}"})
    search = client.collection_search(
        filter="\"xray:conveyance\" = 'parcel'", filter_lang="cql2-text", limit=1
    )
    assert [c.id for c in search.collections()] == ["GBR-parcel"]
    assert search.matched() == 1
    everything = client.collection_search(q="cargo,parcel,reefer")
    assert {c.id for c in everything.collections()} == ALL - {HIDDEN}
