"""Search parameters at the edges: every one a 400 (``InvalidQuery``) that names the problem."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.errors import InvalidQuery
from catalog.params import (
    MAX_Q_TERM_LENGTH,
    MAX_Q_TERMS,
    MAX_VALUE_LENGTH,
    from_get,
    from_post,
)


def _get_error(query: dict[str, str]) -> str:
    with pytest.raises(InvalidQuery) as caught:
        from_get(query)
    return str(caught.value)


def _post_error(body: dict[str, Any]) -> str:
    with pytest.raises(InvalidQuery) as caught:
        from_post(body)
    return str(caught.value)


@pytest.mark.parametrize("name", ["limit"])
@pytest.mark.parametrize(
    "value", ["Infinity", "-Infinity", "NaN", "1e400", "1e3", "1.5", "1_0", " 7", "٣", "9" * 40]
)
def test_get_numbers_must_be_plain_decimal_integers(name: str, value: str) -> None:
    assert _get_error({name: value}).startswith(f"{name}: expected an integer, got ")


@pytest.mark.parametrize("name", ["limit"])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 1.5, True])
def test_post_numbers_must_be_finite_integers(name: str, value: Any) -> None:
    message = _post_error({name: value})
    assert message.startswith(f"{name}: expected an integer, got ") or "between" in message
    assert len(message) < 120  # a 400-digit number is not echoed back


@pytest.mark.parametrize("limit", [1001, 10_000, 1_000_000, 10**400])
def test_a_limit_above_the_largest_page_is_the_largest_page(limit: int) -> None:
    """STAC API item search: a server may lower a limit; the community validator asks for it."""
    assert from_post({"limit": limit}).limit == 1000
    text = str(limit) if limit < 10**9 else "999999999"  # GET takes at most 9 digits
    assert from_get({"limit": text}).limit == 1000


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_below_one_is_refused(limit: int) -> None:
    assert _post_error({"limit": limit}) == "limit: must be at least 1"


@pytest.mark.parametrize(
    "text",
    ["/..", "../", "1937-01-01T12:00:27.87+0100", "1985-04-12T23:20:50.Z",
     "1985-04-12T23:20:50,Z", "1985-04-12T23:20:50,52Z", "1985-04-12", "1985-04-12 23:20:50Z",
     "1985-04-12T23:20Z", "1985-04-12T23:20:50.1234567890Z"],
)  # fmt: skip
def test_datetimes_that_are_not_rfc3339_are_refused(text: str) -> None:
    assert _get_error({"datetime": text}).startswith("datetime: ")


@pytest.mark.parametrize(
    "text",
    ["1985-04-12t23:20:50.000z", "1996-12-19T16:39:57-08:00", "1985-04-12T23:20:50.52Z/..",
     "../1985-04-12T23:20:50.52Z", "/1985-04-12T23:20:50.52Z", "1985-04-12T23:20:50.52Z/"],
)  # fmt: skip
def test_rfc3339_instants_and_half_open_intervals_are_accepted(text: str) -> None:
    request = from_get({"datetime": text})
    assert request.start is not None or request.end is not None


def test_a_post_bbox_must_be_an_array() -> None:
    assert _post_error({"bbox": "100.0, 0.0, 105.0, 1.0"}) == (
        "bbox: expected a JSON array of 4 or 6 numbers, not a string"
    )
    assert from_get({"bbox": "100.0,0.0,105.0,1.0"}).bbox == (100.0, 0.0, 105.0, 1.0)


def test_fields_modes() -> None:
    assert from_post({}).fields_include is None  # not given: the whole item
    assert from_post({"fields": {}}).fields_include == ()  # the default set
    assert from_post({"fields": {"include": None, "exclude": None}}).fields_include == ()
    assert from_post({"fields": {"exclude": ["geometry"]}}).fields_include is None
    assert from_get({"fields": ""}).fields_include == ()
    assert from_get({"fields": "-geometry"}).fields_include is None
    assert from_get({"fields": "+geometry,-geometry"}).fields_include == ("geometry",)
    assert _post_error({"fields": None}).startswith("fields: ")


def test_integral_numbers_are_accepted() -> None:
    assert from_post({"limit": 20.0}).limit == 20
    assert from_get({"limit": "+5"}).limit == 5


@pytest.mark.parametrize("value", [7, 1.5, True, ["a"], {"a": 1}, "x" * 2049])
def test_a_token_that_is_not_a_short_string_is_refused(value: Any) -> None:
    assert _post_error({"token": value}) == (
        "token: this paging token does not belong to this search"
    )


def test_an_empty_token_is_the_first_page() -> None:
    assert from_get({"token": ""}).token is None
    assert from_post({"token": "abc.def"}).token == "abc.def"  # checked later, by run_search


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:59:59-23:59",  # after year 9999 in UTC
        "0001-01-01T00:00:00+23:59",  # before year 1 in UTC
        "0001-01-01T00:00:00Z/9999-12-31T23:59:59.999999-10:00",
    ],
)
def test_datetimes_beyond_the_representable_range_are_refused(text: str) -> None:
    assert "is outside the years 1 to 9999 in UTC" in _get_error({"datetime": text})


def test_datetimes_at_the_edges_of_the_range_are_accepted() -> None:
    request = from_get({"datetime": "0001-01-01T00:00:00Z/9999-12-31T23:59:59.999999Z"})
    assert request.start is not None and request.start.year == 1
    assert request.end is not None and request.end.year == 9999


@pytest.mark.parametrize(
    "body",
    [
        {"q": ["\ud800"]},
        {"ids": ["a\udfff"]},
        {"collections": ["\ud800"]},
        {"sortby": [{"field": "\ud800"}]},
        {"fields": {"include": ["\ud800"]}},
        {"filter": "id = '\ud800'"},
        {"filter": {"op": "=", "args": [{"property": "id"}, "\ud800"]}},
    ],
)
def test_lone_surrogates_are_refused_in_every_parameter(body: dict[str, Any]) -> None:
    message = _post_error(body)
    assert message.endswith("contains a lone UTF-16 surrogate")
    message.encode("utf-8")  # and the message itself can be sent


@pytest.mark.parametrize(
    "body", [{"q": ["a\x00"]}, {"ids": ["\x00"]}, {"collections": ["a\x00b"]}, {"datetime": "\x00"}]
)
def test_nul_characters_are_refused_in_every_parameter(body: dict[str, Any]) -> None:
    # PostgreSQL refuses text with NUL: it was a 500 there.
    (name,) = body
    assert _post_error(body) == f"{name}: contains a NUL character"
    query = {name: v if isinstance(v, str) else ",".join(v) for name, v in body.items()}
    assert _get_error(query) == f"{name}: contains a NUL character"


def test_a_lone_surrogate_in_a_parameter_name_is_refused_with_a_sendable_message() -> None:
    _post_error({"\ud800": 1}).encode("utf-8")


def test_bodies_nested_deeper_than_the_limit_are_refused_without_recursion() -> None:
    deep: Any = "x"
    for _ in range(100_000):  # far past Python's recursion limit
        deep = [deep]
    assert _post_error({"fields": deep}) == "fields: nests deeper than 64 levels"


def test_a_deep_cql2_json_string_in_a_query_string_is_refused_before_json_loads() -> None:
    # 1,000 levels: json.loads would raise RecursionError, which became a 500.
    text = '{"op": "not", "args": [' * 1_000 + "true" + "]}" * 1_000
    assert _get_error({"filter": text, "filter-lang": "cql2-json"}) == (
        "filter: filter nests deeper than 20 levels"
    )


def test_free_text_terms_are_bounded_in_length_and_count() -> None:
    assert _get_error({"q": "a" * (MAX_Q_TERM_LENGTH + 1)}) == (
        f"q: a value is longer than {MAX_Q_TERM_LENGTH} characters"
    )
    assert _post_error({"q": ["%_" * 30_000]}) == (
        f"q: a value is longer than {MAX_Q_TERM_LENGTH} characters"
    )
    assert _get_error({"q": ",".join(["ab"] * (MAX_Q_TERMS + 1))}) == (
        f"q: at most {MAX_Q_TERMS} values"
    )
    assert from_get({"q": ",".join(["a" * MAX_Q_TERM_LENGTH] * MAX_Q_TERMS)}).q


def test_list_values_are_bounded_in_length() -> None:
    assert _post_error({"ids": ["a" * (MAX_VALUE_LENGTH + 1)]}) == (
        f"ids: a value is longer than {MAX_VALUE_LENGTH} characters"
    )


@pytest.mark.parametrize(
    "query", [{"bbox": "nan,0,1,1"}, {"bbox": "0,0,inf,1"}, {"bbox": "-1e400,0,1,1"}]
)
def test_bbox_numbers_must_be_finite(query: dict[str, str]) -> None:
    assert _get_error(query) == "bbox: expected finite numbers"
    numbers = [float(v) for v in query["bbox"].split(",")]
    assert _post_error({"bbox": numbers}) == "bbox: expected finite numbers"
