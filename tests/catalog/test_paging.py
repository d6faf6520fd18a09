"""Keyset paging tokens and numberMatched: unit checks of the token, and full walks against a
live node on both databases (several sort orders, pystac-client, the discovery rule)."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pystac_client import Client

from catalog.errors import InvalidQuery
from catalog.paging import PagingKey
from catalog.paging_store import load_paging_key
from clearance.http.app import create_app
from tests.catalog.seeded import HIDDEN, Seeded
from tests.helpers.server import serve

KEY = PagingKey(b"k" * 32)
REFUSED = "token: this paging token does not belong to this search"
VALUES = (datetime(2025, 1, 2, 3, 4, tzinfo=UTC), "GBR-parcel", "GBR-P-000001")


def test_a_token_round_trips_its_values() -> None:
    token = KEY.issue("digest", "GBR/gbr", VALUES)
    assert KEY.check(token, "digest", "GBR/gbr", 3) == VALUES


def _tampered(token: str) -> str:
    body, mac = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    payload["after"][2] = "GBR-P-000009"
    edited = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{edited}.{mac}"


@pytest.mark.parametrize(
    ("token", "digest", "caller", "key"),
    [
        (_tampered(KEY.issue("digest", "GBR/gbr", VALUES)), "digest", "GBR/gbr", KEY),
        (KEY.issue("digest", "GBR/gbr", VALUES), "another search", "GBR/gbr", KEY),
        (KEY.issue("digest", "GBR/gbr", VALUES), "digest", "NLD/nld", KEY),
        (KEY.issue("digest", "GBR/gbr", VALUES), "digest", "GBR/gbr", PagingKey(b"o" * 32)),
        ("not-a-token", "digest", "GBR/gbr", KEY),
        ("a.b.c", "digest", "GBR/gbr", KEY),
        ("!!!.???", "digest", "GBR/gbr", KEY),
        ("x" * 3000, "digest", "GBR/gbr", KEY),
    ],
    ids=["altered", "other search", "other caller", "other node", "no dot", "two dots",
         "not base64", "too long"],
)  # fmt: skip
def test_a_foreign_token_is_refused_alike(
    token: str, digest: str, caller: str, key: PagingKey
) -> None:
    with pytest.raises(InvalidQuery) as info:
        key.check(token, digest, caller, 3)
    assert str(info.value) == REFUSED


def test_a_token_of_another_width_is_refused() -> None:
    with pytest.raises(InvalidQuery, match="does not belong"):
        KEY.check(KEY.issue("d", "c", VALUES), "d", "c", 4)


def test_the_paging_key_is_a_private_file_kept_across_opens(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    first = load_paging_key(keys)
    token = first.issue("d", "c", VALUES)
    assert stat.S_IMODE((keys / "paging.key").stat().st_mode) == 0o600
    assert load_paging_key(keys).check(token, "d", "c", 3) == VALUES
    assert [p.name for p in keys.iterdir()] == ["paging.key"]  # no temporary file left


@pytest.fixture(scope="module")
def base_url(seeded: Seeded) -> Iterator[str]:
    with serve(create_app(seeded.node)) as url:
        yield url


def _post(base_url: str, token: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{base_url}/search", json=body, headers={"Authorization": f"Bearer {token}"})


def _walk(base_url: str, token: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    """Follow POST next links to the end; (collection, id) of every item in order."""
    seen: list[tuple[str, str]] = []
    answer = _post(base_url, token, body).json()
    while True:
        seen += [(f["collection"], f["id"]) for f in answer["features"]]
        nexts = [link for link in answer["links"] if link["rel"] == "next"]
        if not nexts:
            return seen
        answer = _post(base_url, token, nexts[0]["body"]).json()


def _all_visible(seeded: Seeded, user: str) -> set[tuple[str, str]]:
    holdings = ["NLD-cargo", "GBR-parcel"] + ([HIDDEN] if user != "nld" else [])
    return {(h, s["id"]) for h in holdings for s in seeded.scans(h)}


SORTS: list[list[dict[str, str]]] = [
    [],
    [{"field": "id", "direction": "asc"}],
    [{"field": "xray:object_count", "direction": "desc"}, {"field": "id", "direction": "asc"}],
    [{"field": "sec:level", "direction": "asc"}, {"field": "datetime", "direction": "desc"}],
]


@pytest.mark.parametrize("sortby", SORTS, ids=["default", "id", "mixed", "level-datetime"])
def test_a_walk_reaches_every_item_once_in_order(
    seeded: Seeded, base_url: str, sortby: list[dict[str, str]]
) -> None:
    body: dict[str, Any] = {"limit": 2, **({"sortby": sortby} if sortby else {})}
    walked = _walk(base_url, seeded.tokens["gbr"], body)
    assert len(walked) == len(set(walked))  # no repeat
    assert set(walked) == _all_visible(seeded, "gbr")  # no skip
    everything = _post(base_url, seeded.tokens["gbr"], {**body, "limit": 1000}).json()
    assert walked == [(f["collection"], f["id"]) for f in everything["features"]]  # same order


def test_get_next_links_walk_too_and_pystac_client_matches(seeded: Seeded, base_url: str) -> None:
    client = Client.open(base_url, headers={"Authorization": f"Bearer {seeded.tokens['nld']}"})
    search = client.search(limit=3, method="GET")
    ids = [(i.collection_id, i.id) for i in search.items()]
    assert set(ids) == _all_visible(seeded, "nld") and len(ids) == len(set(ids))
    assert search.matched() == len(ids)  # numberMatched, as pystac-client reads it


def test_number_matched_counts_only_what_the_caller_may_see(seeded: Seeded, base_url: str) -> None:
    nld = _post(base_url, seeded.tokens["nld"], {"limit": 1}).json()
    gbr = _post(base_url, seeded.tokens["gbr"], {"limit": 1}).json()
    assert nld["numberMatched"] == len(_all_visible(seeded, "nld"))
    assert gbr["numberMatched"] == len(_all_visible(seeded, "gbr"))
    assert gbr["numberMatched"] - nld["numberMatched"] == len(seeded.scans(HIDDEN))
    second = _post(base_url, seeded.tokens["nld"], _next_body(nld)).json()
    assert "numberMatched" not in second  # only the first page counts


def _next_body(answer: dict[str, Any]) -> dict[str, Any]:
    return next(link["body"] for link in answer["links"] if link["rel"] == "next")


def test_a_token_from_another_caller_or_search_is_a_400(seeded: Seeded, base_url: str) -> None:
    first = _post(base_url, seeded.tokens["gbr"], {"limit": 1}).json()
    borrowed = _post(base_url, seeded.tokens["nld"], _next_body(first))
    assert borrowed.status_code == 400
    assert borrowed.json()["description"] == REFUSED
    other = {**_next_body(first), "collections": ["GBR-parcel"]}
    changed = _post(base_url, seeded.tokens["gbr"], other)
    assert changed.status_code == 400 and changed.json()["description"] == REFUSED
    bigger_pages = {**_next_body(first), "limit": 5}  # the page size may change: same search
    assert _post(base_url, seeded.tokens["gbr"], bigger_pages).status_code == 200


def test_sqlite_is_told_the_filters_are_likely_only_for_the_datetime_walk() -> None:
    """A planner hint (catalog.search.PlannerLikely): SQLite's planner otherwise sorts a quarter
    of a million rows where the datetime index stops after a few dozen (docs/benchmarks.md)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from access import Level, Principal, Role
    from catalog import params
    from catalog.search import build_query

    who = Principal("p", "NLD", frozenset({Role.RESEARCHER}), Level.R3)
    search = params.from_get({"filter": "\"xray:conveyance\" = 'post' AND "
                              "\"xray:object_count\" >= 2", "bbox": "0,0,1,1"})  # fmt: skip
    walk = build_query(search, who, walk=True)
    text = str(walk.compile(dialect=sqlite.dialect()))
    assert text.count("likely(") == 3  # the bbox (sites), and each term of the filter's AND
    assert "likely(" not in str(walk.compile(dialect=postgresql.dialect()))
    sorted_by_count = build_query(
        params.from_get({"filter": "\"xray:conveyance\" = 'post'", "sortby": "-xray:object_count"}),
        who,
        walk=True,
    )
    assert "likely(" not in str(sorted_by_count.compile(dialect=sqlite.dialect()))
    # a caller who sees few scans: the planner's own choice (e.g. the holding index)
    assert "likely(" not in str(build_query(search, who).compile(dialect=sqlite.dialect()))
