"""A holding NLD may not discover (discovery: releasable, REL TO GBR) never shows to NLD, through
any route, and a request for it looks exactly like a request for a holding that does not exist."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from clearance.http.app import create_app
from tests.catalog.seeded import HIDDEN, Seeded

GHOST = "XYZ-reefer"  # same length and shape as HIDDEN, never published


@pytest.fixture(scope="module")
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.node)) as test_client:
        yield test_client


def _get(client: TestClient, seeded: Seeded, user: str, url: str) -> tuple[int, str]:
    response = client.get(url, headers={"Authorization": f"Bearer {seeded.tokens[user]}"})
    return response.status_code, response.text


def _hidden_item(seeded: Seeded) -> str:
    return str(seeded.scans(HIDDEN)[0]["id"])


@pytest.mark.parametrize(
    "template",
    [
        "/collections/{c}",
        "/collections/{c}/items",
        "/collections/{c}/items/{i}",
        "/collections/{c}/queryables",
    ],
)
def test_hidden_holding_is_indistinguishable_from_a_missing_one(
    client: TestClient, seeded: Seeded, template: str
) -> None:
    item = _hidden_item(seeded)
    hidden_status, hidden_body = _get(client, seeded, "nld", template.format(c=HIDDEN, i=item))
    ghost_status, ghost_body = _get(client, seeded, "nld", template.format(c=GHOST, i=item))
    assert hidden_status == ghost_status == 404
    assert hidden_body.replace(HIDDEN, GHOST) == ghost_body
    # ...while a user it is releasable to does see it.
    status, _ = _get(client, seeded, "gbr", template.format(c=HIDDEN, i=item))
    assert status == 200


def _search_urls(seeded: Seeded) -> list[str]:
    item = _hidden_item(seeded)
    filter_text = f"collection = '{HIDDEN}'"
    return [
        "/collections",
        "/search?limit=1000",
        f"/search?collections={HIDDEN}",
        f"/search?ids={item}",
        f"/search?q={item}",
        f"/search?q={HIDDEN}",
        f"/search?filter={filter_text}",
        "/aggregate?aggregations=total_count,collection_frequency,hs_code_frequency,"
        "level_frequency,modality_frequency,conveyance_frequency,inspection_outcome_frequency",
        f"/aggregate?aggregations=total_count&collections={HIDDEN}",
        "/whohas",
        "/queryables",
        "/aggregations",
        "/",
        "/conformance",
    ]


def test_hidden_holding_leaks_through_no_route(client: TestClient, seeded: Seeded) -> None:
    hidden_ids = [HIDDEN, *(s["id"] for s in seeded.scans(HIDDEN))]
    for url in _search_urls(seeded):
        status, body = _get(client, seeded, "nld", url)
        assert status == 200, (url, body)
        shown = body.replace(HIDDEN, "") if HIDDEN in url else body  # the caller's own words
        for hidden in hidden_ids:
            if hidden not in url:
                assert hidden not in shown, (url, hidden)


def test_hidden_holding_is_absent_from_counts(client: TestClient, seeded: Seeded) -> None:
    url = "/aggregate?aggregations=total_count"
    _, as_nld = _get(client, seeded, "nld", url)
    _, as_gbr = _get(client, seeded, "gbr", url)
    nld_total = json.loads(as_nld)["aggregations"][0]["value"]
    gbr_total = json.loads(as_gbr)["aggregations"][0]["value"]
    assert gbr_total - nld_total == len(seeded.scans(HIDDEN))
    _, whohas = _get(client, seeded, "nld", "/whohas")
    assert all(row["administration"] != "USA" for row in json.loads(whohas)["rows"])
    _, whohas = _get(client, seeded, "gbr", "/whohas")
    assert any(row["administration"] == "USA" for row in json.loads(whohas)["rows"])


def test_search_for_hidden_by_filter_returns_nothing(client: TestClient, seeded: Seeded) -> None:
    status, body = _get(client, seeded, "nld", f"/search?filter=collection='{HIDDEN}'")
    assert status == 200
    assert json.loads(body)["features"] == []
    status, body = _get(client, seeded, "gbr", f"/search?filter=collection='{HIDDEN}'")
    assert len(json.loads(body)["features"]) == len(seeded.scans(HIDDEN))
