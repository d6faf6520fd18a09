"""Spatial search on both databases: bbox (incl. across the antimeridian), intersects, sites,
withheld geometry, and the discovery rule, through pystac-client against a live node."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pystac_client import Client

from access import Level, Role
from catalog.errors import InvalidQuery
from catalog.sites import SITES, site
from catalog.spatial import MAX_VERTICES, parse_geometry
from catalog.synth import generate_holding
from clearance.http.app import create_app
from clearance.node import Node
from clearance.publishing.folder import publish_folder
from tests.catalog.seeded import HIDDEN, Seeded
from tests.conftest import BACKENDS, make_node
from tests.helpers.server import serve


def _box(west: float, south: float, east: float, north: float) -> list[list[list[float]]]:
    return [[[west, south], [east, south], [east, north], [west, north], [west, south]]]


@pytest.fixture(scope="module")
def seeded_url(seeded: Seeded) -> Iterator[str]:
    with serve(create_app(seeded.node)) as url:
        yield url


def _client(seeded: Seeded, url: str, user: str) -> Client:
    return Client.open(url, headers={"Authorization": f"Bearer {seeded.tokens[user]}"})


def _sites(seeded: Seeded, holding: str) -> dict[str, str]:
    """Scan id -> site, from the generator's own files (the independent expectation)."""
    return {s["id"]: s["site"] for s in seeded.scans(holding)}


def test_items_carry_their_site_point(seeded: Seeded, seeded_url: str) -> None:
    items = list(_client(seeded, seeded_url, "gbr").search(collections=["NLD-cargo"]).items())
    expected = _sites(seeded, "NLD-cargo")
    assert {i.id: i.properties["xray:site"] for i in items} == expected
    for item in items:
        place = SITES[expected[item.id]]
        assert item.geometry == {"type": "Point", "coordinates": [place.lon, place.lat]}
        assert item.bbox == [place.lon, place.lat, place.lon, place.lat]


def test_what_does_rotterdam_hold(seeded: Seeded, seeded_url: str) -> None:
    client = _client(seeded, seeded_url, "gbr")
    expected = sorted(i for i, s in _sites(seeded, "NLD-cargo").items() if s == "NLRTM")
    rtm = site("NLRTM")
    box = [rtm.lon - 0.1, rtm.lat - 0.1, rtm.lon + 0.1, rtm.lat + 0.1]
    by_bbox = sorted(i.id for i in client.search(bbox=box).items())
    by_filter = sorted(i.id for i in client.search(filter="\"xray:site\" = 'NLRTM'").items())
    polygon = {"type": "Polygon", "coordinates": _box(*box)}
    by_polygon = sorted(i.id for i in client.search(intersects=polygon).items())
    assert expected, "the fixture must place some scans at Rotterdam"
    assert by_bbox == by_filter == by_polygon == expected


def test_intersects_is_exact_a_hole_excludes(seeded: Seeded, seeded_url: str) -> None:
    client = _client(seeded, seeded_url, "gbr")
    rtm = site("NLRTM")
    outer = _box(rtm.lon - 1, rtm.lat - 1, rtm.lon + 1, rtm.lat + 1)[0]
    hole = _box(rtm.lon - 0.05, rtm.lat - 0.05, rtm.lon + 0.05, rtm.lat + 0.05)[0]
    found = {
        i.properties["xray:site"]
        for i in client.search(intersects={"type": "Polygon", "coordinates": [outer, hole]}).items()
    }
    assert "NLRTM" not in found
    point = {"type": "Point", "coordinates": [rtm.lon, rtm.lat]}
    assert {i.properties["xray:site"] for i in client.search(intersects=point).items()} == {"NLRTM"}


def test_a_partner_never_finds_the_hidden_holding_by_place(seeded: Seeded, seeded_url: str) -> None:
    usa = {s for s in _sites(seeded, HIDDEN).values()}
    assert usa, "the hidden holding has sites"
    world = [-180, -90, 180, 90]
    nld = _client(seeded, seeded_url, "nld")
    assert HIDDEN not in {i.collection_id for i in nld.search(bbox=world).items()}
    gbr = _client(seeded, seeded_url, "gbr")  # in its REL TO: it does see the scans
    assert HIDDEN in {i.collection_id for i in gbr.search(bbox=world).items()}


def test_collection_extents_cover_their_sites(seeded: Seeded, seeded_url: str) -> None:
    client = _client(seeded, seeded_url, "gbr")
    collection = client.get_collection("GBR-parcel")
    west, south, east, north = collection.extent.spatial.bboxes[0]
    points = [SITES[s] for s in _sites(seeded, "GBR-parcel").values()]
    assert west == min(p.lon for p in points) and east == max(p.lon for p in points)
    assert south == min(p.lat for p in points) and north == max(p.lat for p in points)


@pytest.fixture(scope="module", params=BACKENDS)
def places(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_url_factory: object
) -> Iterator[tuple[Node, str, str]]:
    """NZL parcels (sites near the antimeridian) and an NLD holding with geometry withheld."""
    root = tmp_path_factory.mktemp(f"places-{request.param}")
    node = make_node(request.param, root / "data", pg_url_factory)
    for code in ("NZL", "NLD"):
        node.directory.add_administration(code, code)
    node.directory.add_user("kim", admin="NZL", roles=[Role.RESEARCHER], clearance=Level.R3)
    holdings = (("NZL", "NZL-p", "site"), ("NLD", "NLD-hidden-places", "withheld"))
    for admin, hid, geometry in holdings:
        generate_holding(root / hid, kind="parcel", count=4, seed=3, admin=admin)
        publish_folder(node, root / hid, admin=admin, holding_id=hid, title=hid, description="",
                       level="R1", marking="OFFICIAL", rel_to="ALL", handling="download",
                       discovery="partners", geometry=geometry)  # fmt: skip
    token = node.directory.issue_token("kim", audience=node.settings.node_id)
    with serve(create_app(node)) as url:
        yield node, url, token
    node.engine.dispose()


def _search(url: str, token: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{url}/search", json={"limit": 100, **body},
                      headers={"Authorization": f"Bearer {token}"})  # fmt: skip


def test_a_bbox_across_the_antimeridian(places: tuple[Node, str, str]) -> None:
    _, url, token = places
    across = _search(url, token, {"bbox": [170, -50, -170, -30]}).json()["features"]
    assert {f["collection"] for f in across} == {"NZL-p"} and len(across) == 4
    west_only = _search(url, token, {"bbox": [-170, -50, 170, -30]}).json()["features"]
    assert west_only == []  # the same numbers the other way round: the box avoiding NZ


def test_withheld_geometry_matches_no_spatial_filter(places: tuple[Node, str, str]) -> None:
    _, url, token = places
    everything = _search(url, token, {"collections": ["NLD-hidden-places"]}).json()["features"]
    assert len(everything) == 4
    for feature in everything:
        assert feature["geometry"] is None and "bbox" not in feature
        assert "xray:site" not in feature["properties"]
    world = {"type": "Polygon", "coordinates": _box(-180, -90, 180, 90)}
    for body in ({"bbox": [-180, -90, 180, 90]}, {"intersects": world}):
        found = _search(url, token, {**body, "collections": ["NLD-hidden-places"]}).json()
        assert found["features"] == []
    collection = httpx.get(f"{url}/collections/NLD-hidden-places",
                           headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
    assert collection["extent"]["spatial"]["bbox"] == [[-180.0, -90.0, 180.0, 90.0]]
    assert "xray:site" not in collection["summaries"]


BAD_GEOMETRIES: dict[str, tuple[Any, str]] = {
    "not an object": ([1, 2], "expected a GeoJSON geometry"),
    "unknown type": ({"type": "Circle", "coordinates": [0, 0]}, "expected a GeoJSON geometry"),
    "latitude out of range": ({"type": "Point", "coordinates": [0, 91]}, "out of range"),
    "not finite": ({"type": "Point", "coordinates": [0, float("nan")]}, "finite numbers"),
    "boolean": ({"type": "Point", "coordinates": [True, 1]}, "finite numbers"),
    "open ring": ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
                  "a ring is closed"),
    "self-intersecting": ({"type": "Polygon",
                           "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
                          "Self-intersection"),
    "flat nesting": ({"type": "Polygon", "coordinates": [0, 0]}, "nested arrays"),
    "empty collection": ({"type": "GeometryCollection"}, "needs a 'geometries' array"),
    "too many vertices": ({"type": "MultiPoint", "coordinates": [[0, 0]] * (MAX_VERTICES + 1)},
                          f"more than {MAX_VERTICES} positions"),
    "not JSON": ("{not json", "not valid JSON"),
}  # fmt: skip


@pytest.mark.parametrize(("value", "message"), BAD_GEOMETRIES.values(), ids=BAD_GEOMETRIES)
def test_bad_geometries_are_refused_by_name(value: Any, message: str) -> None:
    with pytest.raises(InvalidQuery) as info:
        parse_geometry(value)
    assert message in str(info.value)


def test_bad_geometry_over_http_is_a_400(places: tuple[Node, str, str]) -> None:
    _, url, token = places
    answer = _search(url, token, {"intersects": {"type": "Point", "coordinates": [500, 0]}})
    assert answer.status_code == 400
    assert "out of range" in answer.json()["description"]
    point = {"type": "Point", "coordinates": [0, 0]}
    both = _search(url, token, {"bbox": [0, 0, 1, 1], "intersects": point})
    assert both.status_code == 400


def test_every_site_is_a_valid_point_of_its_country() -> None:
    countries = {"AU", "BE", "CA", "GB", "NL", "NZ", "US"}
    assert {s.country for s in SITES.values()} == countries
    with pytest.raises(ValueError, match="not a known scan site"):
        site("XXAAA")
    with pytest.raises(ValueError, match="not a UN/LOCODE"):
        site("nlrtm")
