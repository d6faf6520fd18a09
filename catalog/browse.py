"""Reading holdings and single items, always through the visibility filter.

A holding the caller may not discover raises the same ``NotFound`` (same message) as one that
does not exist: both are answered by the same query returning no row. An id that no holding or
scan can have (publishing enforces their patterns) is that same ``NotFound`` without a query:
PostgreSQL refuses text with a NUL character, which would otherwise be a 500.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.policy import Principal
from catalog.errors import NotFound
from catalog.ingest.sidecar import SCAN_ID
from catalog.publish import HOLDING_ID
from catalog.tables import CollectionRow, ItemRow
from catalog.visibility import visible_collection_ids

__all__ = ["get_collection", "get_item", "list_collections"]


def list_collections(session: Session, principal: Principal) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(CollectionRow.document)
        .where(CollectionRow.id.in_(visible_collection_ids(principal.admin)))
        .order_by(CollectionRow.id)
    )
    return [dict(r) for r in rows]


def _shown(identifier: str) -> str:
    """The id as it goes into a 404 message: quoted, and not the whole of a hostile one."""
    return repr(identifier if len(identifier) <= 128 else identifier[:128] + "…")


def get_collection(session: Session, principal: Principal, collection_id: str) -> dict[str, Any]:
    if not HOLDING_ID.fullmatch(collection_id):
        raise NotFound(f"collection {_shown(collection_id)} not found")
    document = session.scalars(
        select(CollectionRow.document).where(
            CollectionRow.id == collection_id,
            CollectionRow.id.in_(visible_collection_ids(principal.admin)),
        )
    ).first()
    if document is None:
        raise NotFound(f"collection {_shown(collection_id)} not found")
    return dict(document)


def get_item(
    session: Session, principal: Principal, collection_id: str, item_id: str
) -> dict[str, Any]:
    if not (HOLDING_ID.fullmatch(collection_id) and SCAN_ID.fullmatch(item_id)):
        raise NotFound(f"item {_shown(item_id)} not found in collection {_shown(collection_id)}")
    document = session.scalars(
        select(ItemRow.document).where(
            ItemRow.collection_id == collection_id,
            ItemRow.id == item_id,
            ItemRow.collection_id.in_(visible_collection_ids(principal.admin)),
        )
    ).first()
    if document is None:
        raise NotFound(f"item {_shown(item_id)} not found in collection {_shown(collection_id)}")
    return dict(document)
