"""The catalogue as the access workflow sees it: a holding's security attributes, its version,
and the exact item set a CQL2 filter selects (fixed when a request is approved)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, sessionmaker

from access.errors import InvalidInput
from access.levels import Discovery, Handling, Level
from access.policy import HoldingResource, may_discover
from catalog.cql2sql import FilterError, parse_filter, to_sql
from catalog.queryables import ITEM_QUERYABLES
from catalog.tables import CollectionRow, ItemRow, RelToRow

__all__ = ["CatalogHoldings"]


class CatalogHoldings:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def security(self, holding_id: str, viewer_admin: str) -> HoldingResource | None:
        """The holding's attributes, or None if it is missing or ``viewer_admin`` may not
        discover it (the two are indistinguishable to the caller)."""
        with self._sessions() as session:
            row = session.get(CollectionRow, holding_id)
            if row is None:
                return None
            rel_to = frozenset(
                session.scalars(select(RelToRow.admin).where(RelToRow.collection_id == holding_id))
            )
            holding = HoldingResource(
                owner=row.owner,
                level=Level(row.level),
                releasable_to=rel_to,
                handling=Handling(row.handling),
                discovery=Discovery(row.discovery),
            )
        return holding if may_discover(viewer_admin, holding) else None

    def version(self, holding_id: str) -> int:
        with self._sessions() as session:
            return int(
                session.scalar(select(CollectionRow.version).where(CollectionRow.id == holding_id))
                or 0
            )

    def check_filter(self, spec: dict[str, Any]) -> None:
        self._parse(spec)

    def _parse(self, spec: dict[str, Any]) -> dict[str, Any]:
        try:
            return parse_filter(spec["filter"], spec["lang"])
        except (FilterError, KeyError, TypeError) as exc:
            raise InvalidInput(f"item_filter: {exc}") from None

    def resolve_items(self, holding_id: str, specs: Sequence[dict[str, Any]]) -> list[str]:
        conditions = [to_sql(self._parse(s), ITEM_QUERYABLES) for s in specs]
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(ItemRow.id)
                    .where(and_(ItemRow.collection_id == holding_id, *conditions))
                    .order_by(ItemRow.id)
                )
            )
