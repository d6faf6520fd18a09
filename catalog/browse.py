"""Reading holdings and single items, always through the visibility filter.

A holding the caller may not discover raises the same ``NotFound`` (same message) as one that
does not exist: both are answered by the same query returning no row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.policy import Principal
from catalog.errors import NotFound
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


def get_collection(session: Session, principal: Principal, collection_id: str) -> dict[str, Any]:
    document = session.scalars(
        select(CollectionRow.document).where(
            CollectionRow.id == collection_id,
            CollectionRow.id.in_(visible_collection_ids(principal.admin)),
        )
    ).first()
    if document is None:
        raise NotFound(f"collection {collection_id!r} not found")
    return dict(document)


def get_item(
    session: Session, principal: Principal, collection_id: str, item_id: str
) -> dict[str, Any]:
    document = session.scalars(
        select(ItemRow.document).where(
            ItemRow.collection_id == collection_id,
            ItemRow.id == item_id,
            ItemRow.collection_id.in_(visible_collection_ids(principal.admin)),
        )
    ).first()
    if document is None:
        raise NotFound(f"item {item_id!r} not found in collection {collection_id!r}")
    return dict(document)
