"""Item search: one SQL query built from a validated request, visibility inside it.

Paging is by offset (the ``token`` of next links); one row more than the page is fetched to know
whether a next page exists, so no COUNT over the whole result is ever needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from access import Principal
from catalog.cql2sql import to_sql
from catalog.queryables import ITEM_QUERYABLES, SORTABLES
from catalog.spatial import bbox_condition, intersects_condition
from catalog.tables import ItemRow
from catalog.visibility import visible_item_collection_ids

__all__ = [
    "MAX_LIMIT",
    "Page",
    "SearchRequest",
    "SortKey",
    "build_query",
    "conditions",
    "run_search",
]

MAX_LIMIT = 1000
MAX_OFFSET = 100_000


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class SearchRequest:
    collections: tuple[str, ...] | None = None
    ids: tuple[str, ...] | None = None
    start: datetime | None = None
    end: datetime | None = None
    bbox: tuple[float, ...] | None = None
    intersects: Any = None  # a valid shapely geometry (catalog.spatial.parse_geometry)
    cql2: dict[str, Any] | None = None
    sortby: tuple[SortKey, ...] = ()
    q: tuple[str, ...] = ()
    limit: int = 10
    offset: int = 0
    fields_include: tuple[str, ...] | None = None  # None: not given; (): the default set
    fields_exclude: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise ValueError(f"paging token must be an offset between 0 and {MAX_OFFSET}")
        unknown = [k.field for k in self.sortby if k.field not in SORTABLES]
        if unknown:
            raise ValueError(f"cannot sort by {unknown[0]!r}; sortable: {', '.join(SORTABLES)}")


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    has_next: bool


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _free_text(terms: Sequence[str]) -> ColumnElement[bool]:
    return or_(
        *(ItemRow.search_text.like(f"%{_escape_like(t.lower())}%", escape="\\") for t in terms)
    )


def conditions(request: SearchRequest, principal: Principal) -> list[ColumnElement[bool]]:
    # Only items of holdings whose items the caller may see: a holding it may only discover
    # shows no item, and is counted by no item query (see catalog.disclosure).
    found: list[ColumnElement[bool]] = [
        ItemRow.collection_id.in_(visible_item_collection_ids(principal))
    ]
    if request.collections is not None:
        found.append(ItemRow.collection_id.in_(request.collections))
    if request.ids is not None:
        found.append(ItemRow.id.in_(request.ids))
    if request.start is not None:
        found.append(ItemRow.datetime >= request.start)
    if request.end is not None:
        found.append(ItemRow.datetime <= request.end)
    if request.bbox is not None:
        found.append(bbox_condition(request.bbox))
    if request.intersects is not None:
        found.append(intersects_condition(request.intersects))
    if request.cql2 is not None:
        found.append(to_sql(request.cql2, ITEM_QUERYABLES))
    if request.q:
        found.append(_free_text(request.q))
    return found


def build_query(request: SearchRequest, principal: Principal) -> Select[tuple[dict[str, Any]]]:
    query = select(ItemRow.document).where(and_(*conditions(request, principal)))
    order = [
        SORTABLES[k.field].desc() if k.descending else SORTABLES[k.field].asc()
        for k in request.sortby
    ]
    descending = request.sortby[0].descending if request.sortby else True
    if not order:
        order = [ItemRow.datetime.desc()]
    # A total order, so that offset paging neither repeats nor skips items. The tie-breakers
    # run in the first key's direction so that one index (datetime, collection_id, id) can be
    # walked in order, forwards or backwards, instead of sorting every match.
    tie = [ItemRow.collection_id, ItemRow.id]
    order += [c.desc() if descending else c.asc() for c in tie]
    return query.order_by(*order).offset(request.offset).limit(request.limit + 1)


def run_search(session: Session, principal: Principal, request: SearchRequest) -> Page:
    rows = list(session.scalars(build_query(request, principal)))
    return Page(items=[dict(r) for r in rows[: request.limit]], has_next=len(rows) > request.limit)
