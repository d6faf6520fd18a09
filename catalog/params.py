"""Turn STAC API search parameters (GET query strings or POST bodies) into a ``SearchRequest``.

Every parameter is checked and every problem becomes an ``InvalidQuery`` naming the parameter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from catalog.collection_search import COLLECTION_QUERYABLES, CollectionSearch
from catalog.cql2sql import FilterError, FilterUnparseable, parse_filter
from catalog.errors import FilterNotParsed, InvalidQuery
from catalog.paging import MAX_TOKEN_LENGTH
from catalog.queryables import ITEM_QUERYABLES, Queryable
from catalog.search import MAX_LIMIT, SearchRequest, SortKey
from catalog.spatial import parse_geometry

__all__ = [
    "MAX_Q_TERMS",
    "MAX_Q_TERM_LENGTH",
    "MAX_VALUE_LENGTH",
    "collection_search_from_get",
    "from_get",
    "from_post",
    "parse_datetime_interval",
    "to_post_body",
]

_KNOWN_POST = {
    "collections", "ids", "bbox", "datetime", "intersects", "limit", "token", "filter",
    "filter-lang", "filter-crs", "sortby", "fields", "q", "aggregations",
}  # fmt: skip
_CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
MAX_VALUES = 500  # of a list parameter (collections, ids, fields)
MAX_VALUE_LENGTH = 1_000  # characters of one value of a list parameter
# Free-text terms: each becomes a LIKE pattern; SQLite refuses patterns over 50,000 bytes.
MAX_Q_TERMS = 50
MAX_Q_TERM_LENGTH = 256
_MAX_NESTING = 64  # containers in a search body (a cql2-json filter needs far less)
_DIGITS = re.compile(r"[+-]?[0-9]{1,9}")
# RFC 3339 section 5.6 date-time, checked before fromisoformat (which also takes "+0100",
# "50.Z", "50,52Z", a space for T and dates without a time).
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _instant(text: str, name: str) -> datetime | None:
    if text in ("", ".."):
        return None
    if not _RFC3339.fullmatch(text):
        raise InvalidQuery(f"{name}: {text[:64]!r} is not an RFC 3339 date-time")
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidQuery(f"{name}: {text!r} is not an RFC 3339 date-time") from None
    if value.tzinfo is None:
        raise InvalidQuery(f"{name}: {text!r} has no time zone (use Z or an offset)")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00:00-02:00 is after the year 9999 in UTC
        raise InvalidQuery(f"{name}: {text!r} is outside the years 1 to 9999 in UTC") from None


def parse_datetime_interval(text: str) -> tuple[datetime | None, datetime | None]:
    parts = text.split("/")
    if len(parts) == 1:
        instant = _instant(parts[0], "datetime")
        if instant is None:
            raise InvalidQuery("datetime: an open instant '..' needs an interval")
        return instant, instant
    if len(parts) != 2:
        raise InvalidQuery(f"datetime: {text[:64]!r} is not an instant or an interval 'start/end'")
    start, end = _instant(parts[0], "datetime"), _instant(parts[1], "datetime")
    if start is None and end is None:
        raise InvalidQuery("datetime: an interval needs at least one end")
    if start and end and start > end:
        raise InvalidQuery("datetime: interval start is after its end")
    return start, end


def _str_list(
    value: Any, name: str, most: int = MAX_VALUES, longest: int = MAX_VALUE_LENGTH
) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in value.split(",") if v]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidQuery(f"{name}: expected a list of strings")
    if len(value) > most:
        raise InvalidQuery(f"{name}: at most {most} values")
    if any(len(v) > longest for v in value):
        raise InvalidQuery(f"{name}: a value is longer than {longest} characters")
    return tuple(value)


def _bbox(value: Any, text_allowed: bool) -> tuple[float, ...]:
    if isinstance(value, str) and not text_allowed:
        raise InvalidQuery("bbox: expected a JSON array of 4 or 6 numbers, not a string")
    if isinstance(value, str):
        try:
            value = [float(v) for v in value.split(",")]
        except ValueError:
            raise InvalidQuery("bbox: expected 4 or 6 comma-separated numbers") from None
    if not isinstance(value, list) or len(value) not in (4, 6):
        raise InvalidQuery("bbox: expected 4 or 6 numbers")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise InvalidQuery("bbox: expected numbers")
    if not all(math.isfinite(v) for v in value):
        raise InvalidQuery("bbox: expected finite numbers")
    half = len(value) // 2
    if any(value[i] > value[i + half] for i in range(1, half)):
        raise InvalidQuery("bbox: minimum latitude/elevation is above its maximum")
    return tuple(float(v) for v in value)


def _int(value: Any, name: str) -> int:
    """A finite integer: a JSON integer (or integral number) or ASCII decimal digits.

    Never ``int()`` on arbitrary input: it truncates 1.5, overflows on 1e400 and infinity, and
    reads "1_0", " 7 " and non-ASCII digits.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
    raise InvalidQuery(f"{name}: expected an integer, got {shown}")


def _sortby(value: Any) -> tuple[SortKey, ...]:
    keys: list[SortKey] = []
    if isinstance(value, str):
        for part in (p.strip() for p in value.split(",") if p.strip()):
            descending = part.startswith("-")
            keys.append(SortKey(_sort_field(part.lstrip("+-")), descending))
        return tuple(keys)
    if not isinstance(value, list):
        raise InvalidQuery("sortby: expected a list of {field, direction}")
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("field"), str):
            raise InvalidQuery("sortby: each entry needs a 'field'")
        direction = entry.get("direction", "asc")
        if direction not in ("asc", "desc"):
            raise InvalidQuery("sortby: direction must be 'asc' or 'desc'")
        keys.append(SortKey(_sort_field(entry["field"]), direction == "desc"))
    return tuple(keys)


def _sort_field(name: str) -> str:
    return name.removeprefix("properties.")


def _fields(value: Any) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    """(include, exclude); include None when not given, () for "the default set"."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        plus = tuple(p.lstrip("+") for p in parts if not p.startswith("-"))
        minus = tuple(p[1:] for p in parts if p.startswith("-"))
        return ((plus or None), minus) if parts else ((), ())
    if not isinstance(value, dict) or set(value) - {"include", "exclude"}:
        raise InvalidQuery("fields: expected {include: [...], exclude: [...]}")
    include: tuple[str, ...] | None = None
    if "include" in value or not value:
        given = value.get("include")
        include = _str_list(given, "fields.include") if given else ()
    excluded = value.get("exclude")
    return include, (_str_list(excluded, "fields.exclude") if excluded else ())


def _filter(
    value: Any, lang: Any, crs: Any, queryables: Mapping[str, Queryable] = ITEM_QUERYABLES
) -> dict[str, Any] | None:
    if value is None:
        return None
    if crs not in (None, _CRS84):
        raise InvalidQuery(f"filter-crs: only {_CRS84} is supported")
    if lang is None:
        lang = "cql2-text" if isinstance(value, str) else "cql2-json"
    if lang not in ("cql2-text", "cql2-json"):
        raise InvalidQuery("filter-lang: expected 'cql2-text' or 'cql2-json'")
    try:
        return parse_filter(value, lang, queryables=queryables)
    except FilterUnparseable as exc:
        raise FilterNotParsed(f"filter: {exc}") from None
    except FilterError as exc:
        raise InvalidQuery(f"filter: {exc}") from None


def _check_values(params: Mapping[str, Any]) -> None:
    """Every string storable text, nesting bounded: iteratively, before anything recurses.

    A JSON body can carry a lone UTF-16 surrogate (``"\\ud800"``) that no database driver can
    encode, and any parameter a NUL character, which PostgreSQL refuses; both are refused here,
    once, for every parameter.
    """
    stack: list[tuple[str, Any, int]] = [(str(k), v, 1) for k, v in params.items()]
    stack += [(str(k), k, 1) for k in params]
    while stack:
        name, value, depth = stack.pop()
        if depth > _MAX_NESTING:
            raise InvalidQuery(f"{name}: nests deeper than {_MAX_NESTING} levels")
        if isinstance(value, str):
            _check_text(name, value)
        elif isinstance(value, Mapping):
            stack += [(name, k, depth + 1) for k in value]
            stack += [(name, v, depth + 1) for v in value.values()]
        elif isinstance(value, list):
            stack += [(name, v, depth + 1) for v in value]


def _check_text(name: str, value: str) -> None:
    shown = name[:40].encode("utf-8", "backslashreplace").decode()
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidQuery(f"{shown}: contains a lone UTF-16 surrogate") from None
    if "\x00" in value:
        raise InvalidQuery(f"{shown}: contains a NUL character")


def _token(value: Any) -> str | None:
    """A paging token as a next link gave it; what it says is checked by ``run_search``."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_TOKEN_LENGTH:
        raise InvalidQuery("token: this paging token does not belong to this search")
    return value


def _limit(value: Any) -> int:
    """Above the largest page is the largest page (STAC API: a server may lower the limit)."""
    limit = _int(value, "limit")
    if limit < 1:
        raise InvalidQuery("limit: must be at least 1")
    return min(limit, MAX_LIMIT)


def _build(params: Mapping[str, Any], text: bool) -> SearchRequest:
    _check_values(params)
    start = end = None
    if params.get("datetime"):
        start, end = parse_datetime_interval(str(params["datetime"]))
    if params.get("intersects") is not None and params.get("bbox") is not None:
        raise InvalidQuery("bbox and intersects: give one of them, not both")
    filter_value = params.get("filter")  # cql2-json as a string (GET) is parsed by parse_filter
    if "fields" in params and params["fields"] is None:
        raise InvalidQuery("fields: expected {include: [...], exclude: [...]}, not null")
    include, exclude = _fields(params["fields"]) if "fields" in params else (None, ())
    try:
        return SearchRequest(
            collections=_str_list(params["collections"], "collections")
            if params.get("collections")
            else None,
            ids=_str_list(params["ids"], "ids") if params.get("ids") else None,
            start=start,
            end=end,
            bbox=_bbox(params["bbox"], text) if params.get("bbox") is not None else None,
            intersects=parse_geometry(params["intersects"])
            if params.get("intersects") is not None
            else None,
            cql2=_filter(filter_value, params.get("filter-lang"), params.get("filter-crs")),
            sortby=_sortby(params["sortby"]) if params.get("sortby") else (),
            q=_str_list(params["q"], "q", MAX_Q_TERMS, MAX_Q_TERM_LENGTH)
            if params.get("q")
            else (),
            limit=_limit(params.get("limit", 10)),
            token=_token(params.get("token")),
            fields_include=include,
            fields_exclude=exclude,
        )
    except ValueError as exc:
        raise InvalidQuery(str(exc)) from None


def collection_search_from_get(query: Mapping[str, str]) -> CollectionSearch:
    """``GET /collections`` parameters (collection search): q, bbox, datetime, filter, limit."""
    _check_values(query)
    start = end = None
    if query.get("datetime"):
        start, end = parse_datetime_interval(query["datetime"])
    q = _str_list(query["q"], "q", MAX_Q_TERMS, MAX_Q_TERM_LENGTH) if query.get("q") else ()
    return CollectionSearch(
        q=q,
        bbox=_bbox(query["bbox"], text_allowed=True) if query.get("bbox") else None,
        start=start,
        end=end,
        cql2=_filter(
            query.get("filter"),
            query.get("filter-lang"),
            query.get("filter-crs"),
            COLLECTION_QUERYABLES,
        ),
        limit=_limit(query["limit"]) if query.get("limit") else None,
        token=_token(query.get("token")),
    )


def from_get(query: Mapping[str, str]) -> SearchRequest:
    return _build(query, text=True)


def from_post(body: Any) -> SearchRequest:
    if not isinstance(body, dict):
        raise InvalidQuery("request body must be a JSON object")
    unknown = sorted(set(body) - _KNOWN_POST)
    if unknown:
        raise InvalidQuery(f"unknown search parameter {unknown[0]!r}")
    return _build(body, text=False)


def to_post_body(body: Mapping[str, Any], token: str) -> dict[str, Any]:
    """The body of the next page's POST request: the same search with the next token."""
    return {**body, "token": token}
