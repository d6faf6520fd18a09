"""SQL form of the DISCOVER rule of ``access.policy.may_discover``.

Visibility is enforced inside every catalogue query, never by filtering results afterwards: counts,
pages, aggregations and facets are all computed over this subquery. ``tests/catalog`` checks this
translation against ``access.policy.decide`` for every combination of owner, discovery and REL TO.
"""

from __future__ import annotations

from sqlalchemy import Select, exists, or_, select

from access.levels import ALL_PARTNERS, Discovery
from catalog.tables import CollectionRow, RelToRow

__all__ = ["visible_collection_ids"]


def visible_collection_ids(admin: str) -> Select[str]:
    """Ids of the holdings that users of ``admin`` may discover."""
    releasable = exists().where(
        RelToRow.collection_id == CollectionRow.id, RelToRow.admin.in_([admin, ALL_PARTNERS])
    )
    return select(CollectionRow.id).where(
        or_(
            CollectionRow.owner == admin,
            CollectionRow.discovery == Discovery.PARTNERS.value,
            releasable,
        )
    )
