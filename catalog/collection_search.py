"""Collection search (STAC API collection-search): which holdings match ``q``, ``bbox``,
``datetime`` and a CQL2 ``filter``, under the same discovery rule as everything else.

Only holdings the caller may discover are ever considered (``visible_collection_ids`` inside
the query). What each parameter reads:

* ``q``: the holding's text (id, title, description, owner, HS codes and class names).
* ``bbox``: the holding's spatial extent (the box around its scan sites) overlaps the box.
* ``datetime``: the holding's temporal extent overlaps the interval; for a holding whose scans
  the caller may not see, the extent widened to calendar years, as its collection document shows.
* ``filter``: properties of the holding itself (``id``, ``title``, ``sec:owner``, ``sec:level``,
  ``sec:handling``, ``sec:discovery``) are compared on the holding. A filter that also names scan
  properties (``xray:conveyance``, ``label:classes``, …) matches a holding that has a scan
  matching the whole filter ("pills in parcels": one scan with both), and only among holdings
  whose scans the caller may see: the scans of the others are not the caller's to query.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from access import Principal
from catalog.cql2sql import to_sql
from catalog.paging import PagingKey, search_digest
from catalog.queryables import ITEM_QUERYABLES, JSON_SCHEMA_DIALECT, Queryable
from catalog.tables import CollectionRow, ItemRow
from catalog.visibility import items_visible, visible_collection_ids, visible_item_collection_ids

__all__ = [
    "COLLECTION_QUERYABLES",
    "CollectionPage",
    "CollectionSearch",
    "collection_queryables",
    "run_collection_search",
]


def _own(name: str, column: Any, type_: Any, text: str, enum: tuple[str, ...] | None = None
         ) -> Queryable:  # fmt: skip
    return Queryable(name, column.expression, type_, text, enum)


#: Properties of the holding itself.
HOLDING_QUERYABLES: Mapping[str, Queryable] = MappingProxyType({q.name: q for q in (
    _own("id", CollectionRow.id, "string", "Holding (collection) id"),
    _own("title", CollectionRow.title, "string", "Holding title"),
    _own("sec:owner", CollectionRow.owner, "string", "Owning administration (ISO alpha-3)"),
    _own("sec:level", CollectionRow.level, "level", "Restrictedness level, R0 < … < R4",
         ("R0", "R1", "R2", "R3", "R4")),
    _own("sec:handling", CollectionRow.handling, "string", "Handling",
         ("download", "enclave-only", "metadata-only")),
    _own("sec:discovery", CollectionRow.discovery, "string", "Discovery",
         ("partners", "releasable")),
)})  # fmt: skip
_SCAN_ONLY = {k: v for k, v in ITEM_QUERYABLES.items() if k not in ("id", "collection")}
_SCAN_ONLY.pop("sec:level")  # the holding's level is the holding queryable
#: Everything a collection-search filter may name.
COLLECTION_QUERYABLES: Mapping[str, Queryable] = MappingProxyType(
    {**HOLDING_QUERYABLES, **_SCAN_ONLY}
)


def collection_queryables(base_url: str) -> dict[str, Any]:
    """The JSON Schema served at ``/collection-queryables``."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{base_url.rstrip('/')}/collection-queryables",
        "type": "object",
        "title": "Queryables for collection search (holdings)",
        "properties": {q.name: q.json_schema() for q in COLLECTION_QUERYABLES.values()},
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class CollectionSearch:
    q: tuple[str, ...] = ()
    bbox: tuple[float, ...] | None = None
    start: datetime | None = None
    end: datetime | None = None
    cql2: dict[str, Any] | None = None
    limit: int | None = None  # None: every match in one answer
    token: str | None = None

    def digest(self) -> str:
        return search_digest({"collections": True, "q": self.q, "bbox": self.bbox,
                              "start": self.start, "end": self.end, "cql2": self.cql2})  # fmt: skip


@dataclass(frozen=True)
class CollectionPage:
    rows: list[tuple[dict[str, Any], bool]]  # (document, whether the caller sees its items)
    matched: int
    next_token: str | None


def _names(node: Any) -> set[str]:
    """The property names a CQL2 JSON expression uses (iteratively: it is bounded already)."""
    found, stack = set(), [node]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            if isinstance(value.get("property"), str):
                found.add(value["property"])
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


def _filter(search: CollectionSearch, principal: Principal) -> ColumnElement[bool]:
    assert search.cql2 is not None
    if _names(search.cql2) <= set(HOLDING_QUERYABLES):
        return to_sql(search.cql2, HOLDING_QUERYABLES)
    return exists().where(
        ItemRow.collection_id == CollectionRow.id,
        ItemRow.collection_id.in_(visible_item_collection_ids(principal)),
        to_sql(search.cql2, COLLECTION_QUERYABLES),
    )


def _overlaps(bbox: tuple[float, ...]) -> ColumnElement[bool]:
    half = len(bbox) // 2
    west, south, east, north = bbox[0], bbox[1], bbox[half], bbox[half + 1]
    lat = and_(CollectionRow.south <= north, CollectionRow.north >= south)
    if west <= east:
        return and_(lat, CollectionRow.west <= east, CollectionRow.east >= west)
    return and_(lat, or_(CollectionRow.east >= west, CollectionRow.west <= east))


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(search: CollectionSearch, principal: Principal) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [
        CollectionRow.id.in_(visible_collection_ids(principal.admin))
    ]
    if search.q:  # free-text terms: any of them (STAC API free-text, as item search)
        text = CollectionRow.search_text
        terms = (text.like(f"%{_escape_like(t.lower())}%", escape="\\") for t in search.q)
        found.append(or_(*terms))
    if search.bbox is not None:
        found.append(_overlaps(search.bbox))
    sees = items_visible(principal)
    first = case((sees, CollectionRow.start_datetime), else_=CollectionRow.start_year)
    last = case((sees, CollectionRow.end_datetime), else_=CollectionRow.end_year)
    if search.start is not None:
        found.append(last >= search.start)
    if search.end is not None:
        found.append(first <= search.end)
    if search.cql2 is not None:
        found.append(_filter(search, principal))
    return found


def run_collection_search(
    session: Session, principal: Principal, search: CollectionSearch, paging: PagingKey
) -> CollectionPage:
    where = and_(*conditions(search, principal))
    caller, digest = f"{principal.admin}/{principal.user}", search.digest()
    query = select(CollectionRow.document, items_visible(principal), CollectionRow.id).where(where)
    if search.token is not None:
        (after,) = paging.check(search.token, digest, caller, 1)
        query = query.where(CollectionRow.id > after)
    query = query.order_by(CollectionRow.id)
    if search.limit is not None:
        query = query.limit(search.limit + 1)
    rows = session.execute(query).all()
    more = search.limit is not None and len(rows) > search.limit
    page = rows[: search.limit] if search.limit is not None else rows
    matched = session.scalar(select(func.count()).select_from(CollectionRow).where(where)) or 0
    next_token = paging.issue(digest, caller, (page[-1][2],)) if more else None
    return CollectionPage([(dict(d), bool(s)) for d, s, _ in page], matched, next_token)
