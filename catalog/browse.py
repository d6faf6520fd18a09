"""Reading holdings and single items, always through the visibility filters.

A holding the caller may not discover raises the same ``NotFound`` (same message) as one that
does not exist: both are answered by the same query returning no row. An item of a holding the
caller may discover but not see the items of (``access.policy.may_see_items``) is answered the
same way, and that holding's collection document carries no per-scan date either: its temporal
extent (the first and last scan times) is widened to whole calendar years.
An id that no holding or scan can have (publishing enforces their patterns) is that same
``NotFound`` without a query: PostgreSQL refuses text with a NUL character, which would
otherwise be a 500.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access import Principal
from catalog.errors import NotFound
from catalog.ingest import SCAN_ID
from catalog.publish import HOLDING_ID
from catalog.tables import CollectionRow, ItemRow
from catalog.visibility import items_visible, visible_collection_ids, visible_item_collection_ids

__all__ = ["as_seen", "coarsen_extent", "get_collection", "get_item", "list_collections"]


def _year_bounds(first: str | None, last: str | None) -> list[str | None]:
    start = f"{first[:4]}-01-01T00:00:00Z" if first else None
    end = f"{last[:4]}-12-31T23:59:59Z" if last else None
    return [start, end]


def coarsen_extent(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every temporal interval widened to the calendar years it touches."""
    shown = copy.deepcopy(document)
    temporal = shown.get("extent", {}).get("temporal", {})
    intervals = temporal.get("interval")
    if isinstance(intervals, list):
        temporal["interval"] = [
            _year_bounds(*interval) if isinstance(interval, list) and len(interval) == 2
            else [None, None]
            for interval in intervals
        ]  # fmt: skip
    return shown


def as_seen(document: dict[str, Any], sees_items: bool) -> dict[str, Any]:
    """A collection document as a caller sees it (its extent coarsened unless it sees items)."""
    return dict(document) if sees_items else coarsen_extent(dict(document))


def list_collections(session: Session, principal: Principal) -> list[dict[str, Any]]:
    rows = session.execute(
        select(CollectionRow.document, items_visible(principal))
        .where(CollectionRow.id.in_(visible_collection_ids(principal.admin)))
        .order_by(CollectionRow.id)
    )
    return [as_seen(document, bool(sees)) for document, sees in rows]


def _shown(identifier: str) -> str:
    """The id as it goes into a 404 message: quoted, and not the whole of a hostile one."""
    return repr(identifier if len(identifier) <= 128 else identifier[:128] + "…")


def get_collection(session: Session, principal: Principal, collection_id: str) -> dict[str, Any]:
    if not HOLDING_ID.fullmatch(collection_id):
        raise NotFound(f"collection {_shown(collection_id)} not found")
    row = session.execute(
        select(CollectionRow.document, items_visible(principal)).where(
            CollectionRow.id == collection_id,
            CollectionRow.id.in_(visible_collection_ids(principal.admin)),
        )
    ).first()
    if row is None:
        raise NotFound(f"collection {_shown(collection_id)} not found")
    return as_seen(row[0], bool(row[1]))


def get_item(
    session: Session, principal: Principal, collection_id: str, item_id: str
) -> dict[str, Any]:
    if not (HOLDING_ID.fullmatch(collection_id) and SCAN_ID.fullmatch(item_id)):
        raise NotFound(f"item {_shown(item_id)} not found in collection {_shown(collection_id)}")
    document = session.scalars(
        select(ItemRow.document).where(
            ItemRow.collection_id == collection_id,
            ItemRow.id == item_id,
            ItemRow.collection_id.in_(visible_item_collection_ids(principal)),
        )
    ).first()
    if document is None:  # missing, undiscoverable holding, or items not released: one answer
        raise NotFound(f"item {_shown(item_id)} not found in collection {_shown(collection_id)}")
    return dict(document)
