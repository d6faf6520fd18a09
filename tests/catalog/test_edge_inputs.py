"""Edge inputs against the real app, on SQLite and PostgreSQL: a 400 naming the problem, no 5xx.

The examples come from issue 8 (each was a 500 before); the property-based tests then send
arbitrary query strings and JSON bodies to every search route.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import catalog.cql2sql
from clearance.http.app import create_app
from tests.catalog.seeded import Seeded


@pytest.fixture(scope="module")
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.node), raise_server_exceptions=False) as created:
        created.headers["Authorization"] = f"Bearer {seeded.tokens['gbr']}"
        yield created


def _raw_post(client: TestClient, path: str, body: str) -> Any:
    """POST a JSON text as is: it may hold what json.dumps would never write (1e400, \\ud800)."""
    return client.post(path, content=body.encode(), headers={"Content-Type": "application/json"})


def _raw_get(client: TestClient, path: str, query: dict[str, str]) -> Any:
    return client.get(path + "?" + "&".join(f"{k}={quote(v)}" for k, v in query.items()))


def _refused(response: Any, *fragments: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalid-query"
    for fragment in fragments:
        assert fragment in body["description"]


@pytest.mark.parametrize("path", ["/search", "/aggregate"])
def test_issue_examples_are_400s_naming_the_problem(client: TestClient, path: str) -> None:
    extra = ', "aggregations": ["total_count"]' if path == "/aggregate" else ""
    _refused(_raw_post(client, path, '{"limit": 1e400' + extra + "}"), "limit", "integer")
    _refused(_raw_post(client, path, '{"token": Infinity' + extra + "}"), "token", "paging token")
    _refused(_raw_post(client, path, '{"q": ["\\ud800"]' + extra + "}"), "q", "surrogate")
    _refused(_raw_post(client, path, '{"ids": ["\\udfff"]' + extra + "}"), "ids", "surrogate")
    _refused(_raw_post(client, path, '{"filter": "id = \'\\ud800\'"' + extra + "}"), "surrogate")
    pattern = "%a" * 30_000
    like = json.dumps({"filter": f"\"xray:scanner\" LIKE '{pattern}'"})
    _refused(_raw_post(client, path, like[:-1] + extra + "}"), "filter", "longer than")
    like = json.dumps({"filter": f"\"xray:scanner\" LIKE '{pattern[:2_000]}'"})
    _refused(_raw_post(client, path, like[:-1] + extra + "}"), "LIKE pattern is longer")
    q_term = json.dumps({"q": ["%_" * 30_000]})
    _refused(_raw_post(client, path, q_term[:-1] + extra + "}"), "q", "longer than")


@pytest.mark.parametrize("path", ["/search", "/aggregate", "/collections/GBR-parcel/items"])
def test_issue_query_string_examples_are_400s(client: TestClient, path: str) -> None:
    agg = {"aggregations": "total_count"} if path == "/aggregate" else {}
    _refused(_raw_get(client, path, {"limit": "Infinity", **agg}), "limit")
    if path != "/aggregate":  # aggregations have no pages: a token there changes nothing
        _refused(_raw_get(client, path, {"token": "1e400"}), "token", "paging token")
    _refused(_raw_get(client, path, {"datetime": "9999-12-31T23:59:59-10:00", **agg}), "9999")
    _refused(_raw_get(client, path, {"datetime": "0001-01-01T00:00:00+01:00/..", **agg}), "year")
    _refused(_raw_get(client, path, {"q": "a" * 60_000, **agg}), "q", "longer than")
    deep = '{"op": "not", "args": [' * 900 + "true" + "]}" * 900
    query = {"filter": deep, "filter-lang": "cql2-json", **agg}
    _refused(_raw_get(client, path, query), "nests deeper")


def test_with_the_guards_bypassed_a_crashing_filter_is_a_400_and_this_process_lives(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The isolation alone: cql2 crashes in its worker, each route answers filter-unparseable."""
    monkeypatch.setattr(catalog.cql2sql, "_prescan_text", lambda text: None)
    crasher = "=".join(["1"] * 4_900)
    for response in (
        client.post("/search", json={"filter": crasher}),
        client.post("/aggregate", json={"filter": crasher, "aggregations": ["total_count"]}),
        client.get("/search", params={"filter": crasher}),
        client.post("/access/requests", json={
            "holding": "NLD-cargo", "purpose": "training", "purpose_code": "research",
            "mode": "download", "duration_days": 30, "item_filter": crasher,
        }),
    ):  # fmt: skip
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "filter-unparseable"
        assert "could not be parsed" in response.json()["description"]
    assert client.get("/search", params={"filter": "id = 'x'"}).status_code == 200


def test_ids_that_cannot_exist_are_the_same_404_as_missing_ones(client: TestClient) -> None:
    """A NUL in a path id was a 500 on PostgreSQL; a hostile id is not echoed back whole."""
    for path in ("/collections/{}", "/collections/{}/items", "/collections/{}/queryables"):
        missing = client.get(path.format("no-such"))
        assert missing.status_code == 404
        for hostile in ("%00", "a%00b", "x" * 5_000):
            response = client.get(path.format(hostile))
            assert response.status_code == 404, response.text
            assert response.json()["code"] == missing.json()["code"] == "not-found"
            assert len(response.json()["description"]) < 200
    item = client.get("/collections/GBR-parcel/items/%00")
    assert item.status_code == 404
    assert item.json() == {
        "code": "not-found",
        "description": "item '\\x00' not found in collection 'GBR-parcel'",
    }
    assert client.get("/search", params={"ids": "\x00"}).json() == {
        "code": "invalid-query",
        "description": "ids: contains a NUL character",
    }


# --------------------------------------------------------------------------------------------
# Property: no query string and no JSON body gives a 5xx

_PARAMS = [
    "collections", "ids", "bbox", "datetime", "intersects", "limit", "token", "filter",
    "filter-lang", "filter-crs", "sortby", "fields", "q", "aggregations",
]  # fmt: skip
_FRAGMENTS = [
    "id", '"xray:modality"', "datetime", "label:classes", "xray:object_count", "sec:level", "=",
    "<>", "<", ">=", "LIKE", "IN", "AND", "OR", "NOT", "IS", "NULL", "BETWEEN", "(", ")", ",", "-",
    "+", "'ct'", "'%a_\\'", "'R2'", "1", "-1", "1e400", "9" * 30, "TIMESTAMP", "DATE", "INTERVAL",
    "('9999-12-31T23:59:59-10:00')", "('0001-01-01')", "('..')", "a_contains", "t_intersects",
    "CASEI", "true", "'\ud800'", "Infinity", "NaN",
]  # fmt: skip
_SCALAR_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["Infinity", "-Infinity", "NaN", "1e400", "1.5", "0", "-1", "1000", "100001",
                     "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00Z/..", "..", "cql2-json",
                     "cql2-text", "-datetime", "total_count", "GBR-parcel", "\ud800", "a\x00"]),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=25).map(" ".join),
)  # fmt: skip
_JSON = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
        _SCALAR_TEXT,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.one_of(st.sampled_from(["op", "args", "property"]), st.text(max_size=8)),
                        inner, max_size=5),
    ),
    max_leaves=30,
)  # fmt: skip
_DATETIMES = st.one_of(
    st.builds(
        lambda d, zone: d.isoformat() + zone,
        st.one_of(st.datetimes(), st.sampled_from([datetime.min, datetime.max])),
        st.sampled_from(["Z", "+23:59", "-23:59", "+00:00", ""]),
    ),
    _SCALAR_TEXT,
).flatmap(lambda a: st.sampled_from([a, f"{a}/..", f"../{a}", f"{a}/{a}"]))
_LONG_TERMS = st.integers(0, 70_000).map(lambda n: "%_a"[n % 3] * n)
_NUMBERS = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True))
_TEXT_LISTS = st.one_of(_SCALAR_TEXT, st.lists(_SCALAR_TEXT, max_size=4))
_CQL2_JSON = st.recursive(
    st.one_of(_NUMBERS, _SCALAR_TEXT, st.builds(lambda p: {"property": p}, _SCALAR_TEXT)),
    lambda inner: st.builds(
        lambda op, args: {"op": op, "args": args},
        st.sampled_from(["=", "<", "like", "in", "and", "not", "t_intersects", "a_contains"]),
        st.lists(inner, max_size=3),
    ),
    max_leaves=12,
)
# Values shaped like each parameter, so that most examples get past the first check.
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "limit": st.one_of(_NUMBERS, _SCALAR_TEXT),
    "token": st.one_of(_NUMBERS, _SCALAR_TEXT),
    "q": st.one_of(_TEXT_LISTS, _LONG_TERMS, st.lists(_LONG_TERMS, max_size=2)),
    "datetime": _DATETIMES,
    "ids": _TEXT_LISTS,
    "collections": _TEXT_LISTS,
    "fields": st.one_of(_TEXT_LISTS, st.fixed_dictionaries({}, optional={"include": _TEXT_LISTS,
                                                                         "exclude": _TEXT_LISTS})),
    "sortby": st.one_of(_SCALAR_TEXT, st.lists(st.fixed_dictionaries(
        {"field": _SCALAR_TEXT}, optional={"direction": _SCALAR_TEXT}), max_size=3)),
    "bbox": st.one_of(_SCALAR_TEXT, st.lists(_NUMBERS, min_size=4, max_size=6)),
    "filter": st.one_of(_SCALAR_TEXT, _CQL2_JSON),
}  # fmt: skip


def _shaped(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({k: _VALUES.get(k, _JSON) for k in keys})


_SHAPED_BODIES = st.lists(st.sampled_from(_PARAMS), unique=True, max_size=4).flatmap(_shaped)
_BODIES = st.one_of(_SHAPED_BODIES, _SHAPED_BODIES, st.dictionaries(st.text(max_size=10), _JSON))
_GET_VALUES: dict[str, st.SearchStrategy[str]] = {
    "datetime": _DATETIMES,
    "q": st.one_of(_SCALAR_TEXT, st.integers(0, 60_000).map(lambda n: "a" * n)),
    "filter": st.one_of(_SCALAR_TEXT, _CQL2_JSON.map(json.dumps)),
}
_SHAPED_QUERIES = st.lists(st.sampled_from(_PARAMS), unique=True, max_size=4).flatmap(
    lambda keys: st.fixed_dictionaries({k: _GET_VALUES.get(k, _SCALAR_TEXT) for k in keys})
)
_QUERIES = st.one_of(
    _SHAPED_QUERIES, _SHAPED_QUERIES, st.dictionaries(st.text(max_size=10), _SCALAR_TEXT)
)
_GET_PATHS = st.sampled_from(
    ["/search", "/aggregate", "/collections/GBR-parcel/items", "/collections/USA-reefer/items",
     "/collections/no-such/items", "/collections/%00/items"]
)  # fmt: skip
_PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _encode(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@_PROPERTY
@given(path=_GET_PATHS, query=_QUERIES)
def test_no_query_string_gives_a_5xx(client: TestClient, path: str, query: dict[str, str]) -> None:
    if path == "/aggregate":
        query.setdefault("aggregations", "total_count,hs_code_frequency")
    url = path + "?" + "&".join(f"{_encode(k)}={_encode(v)}" for k, v in query.items())
    response = client.get(url)
    assert response.status_code < 500, (url[:300], response.text)


@_PROPERTY
@given(path=st.sampled_from(["/search", "/aggregate"]), body=_BODIES)
def test_no_json_body_gives_a_5xx(client: TestClient, path: str, body: Any) -> None:
    if path == "/aggregate" and isinstance(body, dict):
        body.setdefault("aggregations", ["total_count", "modality_frequency"])
    # ensure_ascii: a lone surrogate goes as the JSON escape \udxxx, as a hostile client would.
    text = json.dumps(body, allow_nan=True)
    response = client.post(
        path, content=text.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code < 500, (text[:300], response.text)
