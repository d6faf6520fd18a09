"""`clearance search` and remote `clearance who-has` against a real server, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from clearance.cli.node import cli
from clearance.client.http import ClientError, NodeClient
from clearance.client.search import ItemQuery, search_items
from clearance.http.app import create_app
from tests.catalog.seeded import HIDDEN, Seeded
from tests.helpers.server import serve


@pytest.fixture(scope="module")
def live(seeded: Seeded) -> Iterator[tuple[Seeded, str]]:
    with serve(create_app(seeded.node)) as url:
        yield seeded, url


def _run(live: tuple[Seeded, str], user: str, *args: str) -> str:
    seeded, url = live
    env = {"CLEARANCE_URL": url, "CLEARANCE_TOKEN": seeded.tokens[user]}
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_search_walks_every_page(live: tuple[Seeded, str]) -> None:
    seeded = live[0]
    out = _run(live, "gbr", "search", "--collection", "GBR-parcel", "--limit", "1000",
               "--page-size", "2", "--json")  # fmt: skip
    found = json.loads(out)
    expected = {s["id"] for s in seeded.scans("GBR-parcel")}
    assert sorted(f["id"] for f in found) == sorted(expected)  # 9 items over 5 pages
    assert len(found) == len(expected)


def test_search_limit_table_and_geojson(live: tuple[Seeded, str]) -> None:
    table = _run(live, "gbr", "search", "--collection", "GBR-parcel", "--limit", "3",
                 "--page-size", "2", "--sort", "id")  # fmt: skip
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["collection", "id", "datetime"]
    ids = [line.split()[1] for line in lines[2:]]
    assert ids == sorted(ids) and len(ids) == 3
    collection = json.loads(_run(live, "gbr", "search", "--limit", "2", "--geojson"))
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 2


def test_search_filter_and_the_hidden_holding(live: tuple[Seeded, str]) -> None:
    out = _run(live, "nld", "search", "--limit", "1000", "--json")
    assert HIDDEN not in {f["collection"] for f in json.loads(out)}
    parcels = json.loads(_run(live, "gbr", "search", "--filter", "xray:conveyance = 'parcel'",
                              "--limit", "1000", "--json"))  # fmt: skip
    assert parcels and {f["properties"]["xray:conveyance"] for f in parcels} == {"parcel"}


def test_a_bad_filter_is_a_clear_error(live: tuple[Seeded, str]) -> None:
    seeded, url = live
    env = {"CLEARANCE_URL": url, "CLEARANCE_TOKEN": seeded.tokens["gbr"]}
    result = CliRunner().invoke(cli, ["search", "--filter", "xray:nope = 1"], env=env)
    assert result.exit_code == 1
    assert "HTTP 400" in result.output


def test_who_has_over_http_matches_the_node_view(live: tuple[Seeded, str]) -> None:
    remote = json.loads(_run(live, "nld", "who-has", "--json"))
    assert remote["as"] == "NLD"
    assert remote["rows"] and all(r["administration"] != "USA" for r in remote["rows"])
    table = _run(live, "nld", "who-has")
    assert table.startswith("What has who got — as seen by NLD")


def test_who_has_needs_a_node_or_a_user() -> None:
    result = CliRunner().invoke(cli, ["who-has"], env={"CLEARANCE_URL": ""})
    assert result.exit_code == 2
    assert "give --url" in result.output


def test_a_next_link_to_another_host_is_not_followed() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        page: dict[str, Any] = {
            "features": [{"id": "a"}],
            "links": [{"rel": "next", "href": "https://elsewhere.example/search?token=x"}],
        }
        return httpx.Response(200, json=page)

    client = NodeClient("https://node.example", "t", transport=httpx.MockTransport(answer))
    with pytest.raises(ClientError) as info:
        list(search_items(client, "https://node.example", ItemQuery(limit=5)))
    assert info.value.code == "bad-next-link"
    assert seen == ["https://node.example/search?limit=5"]  # the token never left for elsewhere


def test_holdings_of_pills_in_parcels(live: tuple[Seeded, str]) -> None:
    pills = "\"label:classes\" = '3004' AND \"xray:conveyance\" = 'parcel'"
    found = json.loads(_run(live, "gbr", "holdings", "--filter", pills, "--json"))
    assert [c["id"] for c in found] == ["GBR-parcel"]  # the only parcel holding (it has pills)
    table = _run(live, "nld", "holdings").splitlines()
    assert table[0].split()[:3] == ["id", "owner", "level"]
    assert {line.split()[0] for line in table[2:]} == {"GBR-parcel", "NLD-cargo"}  # not HIDDEN
    paged = json.loads(_run(live, "gbr", "holdings", "--limit", "2", "--json"))
    assert [c["id"] for c in paged] == ["GBR-parcel", "NLD-cargo"]
