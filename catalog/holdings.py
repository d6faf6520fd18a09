"""The catalogue as the access workflow and the transfer service see it: a holding's security
attributes, its version and manifest hash, the exact item set a CQL2 filter selects (fixed when a
request is approved), and the STAC documents of granted items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, sessionmaker

from access.errors import InvalidInput
from access.levels import Discovery, Handling, Level
from access.policy import HoldingResource, may_discover
from catalog.cql2sql import FilterError, FilterUnparseable, parse_filter, to_sql
from catalog.errors import FilterNotParsed
from catalog.queryables import ITEM_QUERYABLES
from catalog.tables import CollectionRow, ItemRow, RelToRow
from transfer.tables import ManifestRow

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

    def manifest_sha256(self, holding_id: str, version: int) -> str | None:
        """The hash of the version's signed manifest (None: no manifest, e.g. an R4 record)."""
        with self._sessions() as session:
            return session.scalar(
                select(ManifestRow.sha256).where(
                    ManifestRow.holding_id == holding_id, ManifestRow.version == version
                )
            )

    def documents(
        self, holding_id: str, item_ids: Sequence[str]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The stored collection document and those of ``item_ids`` (in id order), or None."""
        with self._sessions() as session:
            collection = session.scalar(
                select(CollectionRow.document).where(CollectionRow.id == holding_id)
            )
            if collection is None:
                return None
            wanted = sorted(set(item_ids))
            items: list[dict[str, Any]] = []
            for start in range(0, len(wanted), 500):
                items += session.scalars(
                    select(ItemRow.document)
                    .where(
                        ItemRow.collection_id == holding_id,
                        ItemRow.id.in_(wanted[start : start + 500]),
                    )
                    .order_by(ItemRow.id)
                )
            return dict(collection), [dict(item) for item in items]

    def check_filter(self, spec: dict[str, Any]) -> None:
        self._parse(spec)

    def _parse(self, spec: dict[str, Any]) -> dict[str, Any]:
        try:
            return parse_filter(spec["filter"], spec["lang"])
        except FilterUnparseable as exc:
            raise FilterNotParsed(f"item_filter: {exc}") from None
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
