"""Item-level metadata of an R2+ holding goes only to REL TO administrations cleared to its level
(and its owner); a partner that may only discover it sees the collection and controlled counts.

Seeded: NLD-cargo is R2, REL TO GBR,USA, discovery partners. Added here: CAN (discovers it, not
REL TO) and a GBR user cleared only to R1 (REL TO, not cleared): both may only discover it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from access import Level, Role
from clearance.http.app import create_app
from tests.catalog.seeded import Seeded

SMALL = "NLD-cargo"  # 4 scans: every who-has cell of it is below 10
DISCOVER_ONLY = ("can", "gbr-low")
AGGREGATIONS = (
    "total_count,datetime_min,datetime_max,collection_frequency,hs_code_frequency,"
    "level_frequency,modality_frequency,conveyance_frequency,inspection_outcome_frequency"
)


@pytest.fixture(scope="module")
def client(seeded: Seeded) -> Iterator[TestClient]:
    directory = seeded.node.directory
    directory.add_administration("CAN", "CAN customs")
    directory.add_user("can", admin="CAN", roles=[Role.RESEARCHER], clearance=Level.R3)
    directory.add_user("gbr-low", admin="GBR", roles=[Role.RESEARCHER], clearance=Level.R1)
    for name in DISCOVER_ONLY:
        seeded.tokens[name] = directory.issue_token(name, audience=seeded.node.settings.node_id)
    with TestClient(create_app(seeded.node)) as test_client:
        yield test_client


def _get(client: TestClient, seeded: Seeded, user: str, url: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {seeded.tokens[user]}"}
    response = client.get(url, headers=headers, params=kw)
    return response.status_code, response.text


def _json(client: TestClient, seeded: Seeded, user: str, url: str, **kw: Any) -> Any:
    status, text = _get(client, seeded, user, url, **kw)
    assert status == 200, (url, text)
    return json.loads(text)


def _truth(seeded: Seeded, holding: str) -> dict[str, tuple[int, int]]:
    """Per HS code: (images containing it, objects of it), from the generator's COCO file."""
    coco = json.loads((seeded.sources / holding / "annotations.json").read_text())
    codes = {c["id"]: c["hs_code"] for c in coco["categories"]}
    objects: Counter[str] = Counter()
    images: dict[str, set[int]] = {}
    for ann in coco["annotations"]:
        code = codes[ann["category_id"]]
        objects[code] += 1
        images.setdefault(code, set()).add(ann["image_id"])
    return {code: (len(images[code]), objects[code]) for code in objects}


def _nld_rows(client: TestClient, seeded: Seeded, user: str) -> list[dict[str, Any]]:
    rows = _json(client, seeded, user, "/whohas")["rows"]
    return [r for r in rows if r["administration"] == "NLD"]


@pytest.mark.parametrize("user", DISCOVER_ONLY)
def test_suppressed_cells_cannot_be_recovered_from_aggregate_or_items(
    client: TestClient, seeded: Seeded, user: str
) -> None:
    rows = _nld_rows(client, seeded, user)
    assert rows and all(r["images"] == r["objects"] == "<10" for r in rows)
    assert {r["counts"] for r in rows} == {"controlled"}
    # /aggregate (GET and POST) counts nothing of the holding, filtered to it or not:
    # everything it answers equals what it answers about the other holdings alone.
    only_it = _json(
        client, seeded, user, "/aggregate", aggregations=AGGREGATIONS, collections=SMALL
    )
    values = {a["name"]: a.get("value", a.get("buckets")) for a in only_it["aggregations"]}
    assert values["total_count"] == 0
    assert all(values[n] in ([], None) for n in values if n != "total_count")
    body = {"aggregations": AGGREGATIONS.split(","), "collections": [SMALL], "limit": 10}
    posted = client.post(
        "/aggregate", json=body, headers={"Authorization": f"Bearer {seeded.tokens[user]}"}
    ).json()
    assert {a["name"]: a.get("value", a.get("buckets")) for a in posted["aggregations"]} == values
    everything = _json(client, seeded, user, "/aggregate", aggregations=AGGREGATIONS)
    others = _json(
        client, seeded, user, "/aggregate", aggregations=AGGREGATIONS, collections="GBR-parcel"
    )
    assert everything["aggregations"] == others["aggregations"]
    # ... and no item route shows one of its items, hence no label:overviews of them.
    item_ids = [s["id"] for s in seeded.scans(SMALL)]
    for url, params in [
        ("/search", {"collections": SMALL}),
        ("/search", {"limit": "1000"}),
        ("/search", {"ids": ",".join(item_ids)}),
        ("/search", {"q": item_ids[0]}),
        ("/search", {"filter": f"collection = '{SMALL}'"}),
        (f"/collections/{SMALL}/items", {}),
    ]:
        page = _json(client, seeded, user, url, **params)
        assert [f for f in page["features"] if f["collection"] == SMALL] == [], (url, params)


@pytest.mark.parametrize("user", DISCOVER_ONLY)
def test_an_unreleased_item_is_the_same_404_as_a_missing_one(
    client: TestClient, seeded: Seeded, user: str
) -> None:
    real = str(seeded.scans(SMALL)[0]["id"])
    ghost = "x" * len(real)
    status, body = _get(client, seeded, user, f"/collections/{SMALL}/items/{real}")
    ghost_status, ghost_body = _get(client, seeded, user, f"/collections/{SMALL}/items/{ghost}")
    assert status == ghost_status == 404
    assert body.replace(real, ghost) == ghost_body
    # the holding itself stays discoverable, without per-scan dates in its extent
    collection = _json(client, seeded, user, f"/collections/{SMALL}")
    start, end = collection["extent"]["temporal"]["interval"][0]
    assert start.endswith("-01-01T00:00:00Z") and end.endswith("-12-31T23:59:59Z")
    listed = {c["id"]: c for c in _json(client, seeded, user, "/collections")["collections"]}
    assert listed[SMALL]["extent"] == collection["extent"]


def test_rel_to_administration_with_clearance_sees_items_and_exact_counts(
    client: TestClient, seeded: Seeded
) -> None:
    scans = seeded.scans(SMALL)
    page = _json(client, seeded, "gbr", f"/collections/{SMALL}/items", limit="100")
    assert sorted(f["id"] for f in page["features"]) == sorted(s["id"] for s in scans)
    assert all("label:overviews" in f["properties"] for f in page["features"])
    item = _json(client, seeded, "gbr", f"/collections/{SMALL}/items/{scans[0]['id']}")
    assert item["id"] == scans[0]["id"]
    collection = _json(client, seeded, "gbr", f"/collections/{SMALL}")
    times = sorted(s["datetime"] for s in scans)
    start, end = collection["extent"]["temporal"]["interval"][0]
    assert (start[:19], end[:19]) == (times[0][:19], times[-1][:19])
    _assert_exact_who_has(client, seeded, "gbr")


def test_owner_sees_exact_counts(client: TestClient, seeded: Seeded) -> None:
    _assert_exact_who_has(client, seeded, "nld")


def _assert_exact_who_has(client: TestClient, seeded: Seeded, user: str) -> None:
    rows = _nld_rows(client, seeded, user)
    assert {r["counts"] for r in rows} == {"exact"}
    shown: Counter[str] = Counter()
    objects: Counter[str] = Counter()
    for r in rows:
        shown[r["hs_code"]] += r["images"]
        objects[r["hs_code"]] += r["objects"]
    truth = _truth(seeded, SMALL)
    assert {c: (shown[c], objects[c]) for c in shown} == truth
    assert any(images < 10 for images, _ in truth.values())  # small cells, shown exactly
