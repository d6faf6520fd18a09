"""Item search: one SQL query built from a validated request, visibility inside it.

Paging is by keyset (``catalog.paging``): the ``token`` of a next link carries the sort-key values
of the page's last item and the next page is the rows after it in the total order, so the index is
entered where the last page stopped. One row more than the page is fetched to know whether a next
page exists. ``numberMatched`` is a count capped at ``COUNT_CAP`` on the first page only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList
from sqlalchemy.sql.visitors import InternalTraversal

from access import Principal
from catalog.cql2sql import to_sql
from catalog.paging import PagingKey, search_digest
from catalog.queryables import ITEM_QUERYABLES, SORTABLES
from catalog.spatial import bbox_condition, intersects_condition
from catalog.tables import CollectionRow, ItemRow
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
COUNT_CAP = 1_000  # numberMatched is given up to here (cheap: ~1 ms of rows); above, left out


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
    token: str | None = None  # a next link's paging token, checked by run_search
    fields_include: tuple[str, ...] | None = None  # None: not given; (): the default set
    fields_exclude: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
        unknown = [k.field for k in self.sortby if k.field not in SORTABLES]
        if unknown:
            raise ValueError(f"cannot sort by {unknown[0]!r}; sortable: {', '.join(SORTABLES)}")

    def digest(self) -> str:
        """What a paging token is bound to: the search, without its token and page size."""
        geometry = None if self.intersects is None else self.intersects.wkb_hex
        return search_digest({
            "collections": self.collections, "ids": self.ids, "start": self.start,
            "end": self.end, "bbox": self.bbox, "intersects": geometry, "cql2": self.cql2,
            "sortby": [(k.field, k.descending) for k in self.sortby], "q": self.q,
        })  # fmt: skip


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_token: str | None
    matched: int | None = None  # numberMatched, when cheap (first page, at most COUNT_CAP)

    @property
    def has_next(self) -> bool:
        return self.next_token is not None


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


class PlannerLikely(ColumnElement[bool]):
    """``likely(x)`` on SQLite (a planner hint, no cost at run time), plain ``(x)`` elsewhere."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a condition already: no "= 1" on SQLite
    # The condition is part of the statement's cache key (else two searches would share one).
    _traverse_internals = [("condition", InternalTraversal.dp_clauseelement)]

    def __init__(self, condition: ColumnElement[bool]) -> None:
        self.condition = condition

    @property
    def _from_objects(self) -> list[Any]:
        return list(self.condition._from_objects)


@compiles(PlannerLikely)
def _compile_plain(element: PlannerLikely, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.condition, **kw)})"


@compiles(PlannerLikely, "sqlite")
def _compile_likely(element: PlannerLikely, compiler: Any, **kw: Any) -> str:
    return f"likely({compiler.process(element.condition, **kw)})"


def _and_terms(condition: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """The terms of a top-level AND (likely() must wrap each: around an AND it is ignored)."""
    if isinstance(condition, BooleanClauseList) and condition.operator is operators.and_:
        return [t for c in condition.clauses for t in _and_terms(c)]
    return [condition]


Order = list[tuple[ColumnElement[Any], bool]]  # (column, descending), a total order
_DATETIME = ItemRow.datetime.expression


def _order(request: SearchRequest) -> Order:
    keys: Order = [(SORTABLES[k.field], k.descending) for k in request.sortby]
    keys = keys or [(_DATETIME, True)]
    # A total order: the tie-breakers run in the first key's direction so that one index
    # (datetime, collection_id, id) is walked in order, forwards or backwards.
    tie = keys[0][1]
    return [*keys, (ItemRow.collection_id.expression, tie), (ItemRow.id.expression, tie)]


def _after(order: Order, values: tuple[Any, ...]) -> ColumnElement[bool]:
    """The rows after ``values`` in ``order`` (every sortable column is NOT NULL)."""
    if len({descending for _, descending in order}) == 1:  # a row-value range: an index range
        row = tuple_(*(c for c, _ in order))
        last = tuple_(*(literal(v, c.type) for (c, _), v in zip(order, values, strict=True)))
        return row < last if order[0][1] else row > last
    parts = []
    for i, (column, descending) in enumerate(order):
        equal = [c == v for (c, _), v in zip(order[:i], values, strict=False)]
        parts.append(and_(*equal, column < values[i] if descending else column > values[i]))
    return or_(*parts)


def build_query(
    request: SearchRequest,
    principal: Principal,
    after: tuple[Any, ...] | None = None,
    *,
    walk: bool = False,
) -> Select[Any]:
    """Documents and their sort-key values, in the request's order, after ``after``.

    ``walk``: the caller's visible scans are most of the catalogue, so walking the datetime
    index in order finds a page soon (see ``_worth_walking``)."""
    order = _order(request)
    query = select(ItemRow.document, *(c for c, _ in order))
    found = conditions(request, principal)
    if walk and request.collections is None and request.ids is None and order[0][0] is _DATETIME:
        # SQLite's planner takes a filter's single-column index (conveyance: a quarter of a
        # million rows at 1M items) and sorts every match, 300 ms, where walking the datetime
        # index in order stops after a few dozen rows, 0.1 ms: it does not weigh the LIMIT.
        # Marking each filter term likely tells it so; PostgreSQL weighs the LIMIT itself.
        found = [found[0], *(PlannerLikely(t) for c in found[1:] for t in _and_terms(c))]
    query = query.where(and_(*found))
    if after is not None:
        query = query.where(_after(order, after))
    ordering = [c.desc() if descending else c.asc() for c, descending in order]
    return query.order_by(*ordering).limit(request.limit + 1)


def _visible_share(session: Session, principal: Principal) -> tuple[int, int]:
    """Scans the caller may see, and scans in all (``collections.item_count``: one small row per
    holding, so this costs nothing next to the search)."""
    visible = CollectionRow.id.in_(visible_item_collection_ids(principal))
    row = session.execute(
        select(
            func.coalesce(func.sum(case((visible, CollectionRow.item_count), else_=0)), 0),
            func.coalesce(func.sum(CollectionRow.item_count), 0),
        )
    ).one()
    return int(row[0]), int(row[1])


def _matched(session: Session, request: SearchRequest, principal: Principal) -> int | None:
    capped = select(literal(1)).where(and_(*conditions(request, principal))).limit(COUNT_CAP + 1)
    count = session.scalar(select(func.count()).select_from(capped.subquery()))
    return count if count is not None and count <= COUNT_CAP else None


def run_search(
    session: Session, principal: Principal, request: SearchRequest, paging: PagingKey
) -> Page:
    caller, digest = f"{principal.admin}/{principal.user}", request.digest()
    width = len(_order(request))
    after = None if request.token is None else paging.check(request.token, digest, caller, width)
    visible, everything = _visible_share(session, principal)
    if visible == 0:  # nothing to find: no scan at all (a walk would read the whole index)
        return Page([], None, None if request.token else 0)
    walk = visible * 4 >= everything  # a quarter or more of all scans: a walk finds a page soon
    rows = session.execute(build_query(request, principal, after, walk=walk)).all()
    page, more = rows[: request.limit], len(rows) > request.limit
    next_token = paging.issue(digest, caller, tuple(page[-1][1:])) if more else None
    matched = _matched(session, request, principal) if request.token is None else None
    return Page([dict(r[0]) for r in page], next_token, matched)
