"""The catalogue as the access workflow and the transfer service see it: a holding's security
attributes, its version and manifest hash, the exact item set a CQL2 filter selects (fixed when a
request is approved), and the STAC documents of granted items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, sessionmaker

from access import (
    Discovery,
    Handling,
    HoldingResource,
    InvalidInput,
    Level,
    NewHoldingResource,
    holding_id_owner,
    may_discover,
)
from catalog.cql2sql import FilterError, FilterUnparseable, parse_filter, to_sql
from catalog.errors import FilterNotParsed
from catalog.queryables import ITEM_QUERYABLES
from catalog.tables import CollectionRow, ItemRow, RelToRow
from transfer import ManifestRow

__all__ = ["CatalogHoldings"]


class CatalogHoldings:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def security(self, holding_id: str, viewer_admin: str) -> HoldingResource | None:
        """The holding's attributes, or None if it is missing or ``viewer_admin`` may not
        discover it (the two are indistinguishable to the caller)."""
        holding = self._stored(holding_id)
        return holding if holding is not None and may_discover(viewer_admin, holding) else None

    def publish_target(self, holding_id: str) -> HoldingResource | NewHoldingResource:
        """What PUBLISH on ``holding_id`` is decided on: the stored holding, else a new one owned
        by the administration the id names. Not filtered by discovery: ``decide()`` answers a
        non-owner alike for both, and the same statement runs either way."""
        stored = self._stored(holding_id)
        return stored if stored is not None else NewHoldingResource(holding_id_owner(holding_id))

    def _stored(self, holding_id: str) -> HoldingResource | None:
        """One statement whether the holding exists or not (collection and REL TO list joined),
        so that a hidden holding costs the database the same as a missing one: no extra query
        for a client to time."""
        query = (
            select(
                CollectionRow.owner,
                CollectionRow.level,
                CollectionRow.handling,
                CollectionRow.discovery,
                RelToRow.admin,
            )
            .outerjoin(RelToRow, RelToRow.collection_id == CollectionRow.id)
            .where(CollectionRow.id == holding_id)
        )
        with self._sessions() as session:
            rows = session.execute(query).all()
        if not rows:
            return None
        owner, level, handling, discovery, _ = rows[0]
        return HoldingResource(
            owner=owner,
            level=Level(level),
            releasable_to=frozenset(r.admin for r in rows if r.admin is not None),
            handling=Handling(handling),
            discovery=Discovery(discovery),
        )

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
