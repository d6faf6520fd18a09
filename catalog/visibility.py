"""SQL forms of the DISCOVER and READ_ITEMS rules of ``access.policy`` (``may_discover``,
``may_see_items``).

Visibility is enforced inside every catalogue query, never by filtering results afterwards: counts,
pages, aggregations and facets are all computed over these subqueries. ``tests/catalog`` checks
each translation against ``access.policy.decide`` for every combination of owner, discovery,
REL TO, level and clearance.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select

from access import ALL_PARTNERS, Discovery, Level, Principal
from catalog.tables import CollectionRow, RelToRow

__all__ = ["items_visible", "visible_collection_ids", "visible_item_collection_ids"]


def _releasable(admin: str) -> ColumnElement[bool]:
    return exists().where(
        RelToRow.collection_id == CollectionRow.id, RelToRow.admin.in_([admin, ALL_PARTNERS])
    )


def visible_collection_ids(admin: str) -> Select[str]:
    """Ids of the holdings that users of ``admin`` may discover."""
    return select(CollectionRow.id).where(
        or_(
            CollectionRow.owner == admin,
            CollectionRow.discovery == Discovery.PARTNERS.value,
            _releasable(admin),
        )
    )


def items_visible(principal: Principal) -> ColumnElement[bool]:
    """True on a ``collections`` row whose items ``principal`` may see (given it may discover it):
    the owner; R0/R1 for everyone; R2/R3 for REL TO administrations cleared to the level."""
    return or_(
        CollectionRow.owner == principal.admin,
        CollectionRow.level <= int(Level.R1),
        and_(
            CollectionRow.level < int(Level.R4),
            CollectionRow.level <= int(principal.clearance),
            _releasable(principal.admin),
        ),
    )


def visible_item_collection_ids(principal: Principal) -> Select[str]:
    """Ids of the holdings whose items ``principal`` may see: the only ones any item query
    (search, item pages, aggregations) ever reads."""
    return select(CollectionRow.id).where(
        CollectionRow.id.in_(visible_collection_ids(principal.admin)), items_visible(principal)
    )
