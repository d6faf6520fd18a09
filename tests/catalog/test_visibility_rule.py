"""The SQL visibility filter agrees with ``access.policy.decide`` for every combination."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy import select

from access import (
    ALL_PARTNERS,
    Action,
    AdministrationRow,
    Discovery,
    Handling,
    HoldingResource,
    Level,
    Principal,
    Role,
    decide,
)
from catalog.tables import CollectionRow, RelToRow
from catalog.visibility import items_visible, visible_collection_ids, visible_item_collection_ids
from clearance.node import Node

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ADMINS = ("AUS", "GBR", "NLD", "USA")
REL_TOS = (frozenset({ALL_PARTNERS}), frozenset({"GBR"}), frozenset({"GBR", "USA"}))


def test_sql_visibility_equals_decide(node: Node) -> None:
    combos = list(itertools.product(ADMINS, Discovery, REL_TOS))
    with node.sessions.begin() as session:
        for code in ADMINS:
            session.add(AdministrationRow(id=code, name=code, created_at=NOW))
        session.flush()
        for n, (owner, discovery, rel_to) in enumerate(combos):
            session.add(
                CollectionRow(
                    id=f"h{n}", owner=owner, title="t", level=2, national_marking="m",
                    handling="download", discovery=discovery.value, version=1, item_count=0,
                    search_text="", document={}, published_at=NOW,
                )
            )  # fmt: skip
            session.flush()
            session.add_all(RelToRow(collection_id=f"h{n}", admin=a) for a in rel_to)
    sizes = []
    for viewer in ADMINS:
        principal = Principal("u", viewer, frozenset({Role.RESEARCHER}), Level.R3)
        with node.sessions() as session:
            visible = set(session.scalars(select(visible_collection_ids(viewer).subquery().c.id)))
        expected = {
            f"h{n}"
            for n, (owner, discovery, rel_to) in enumerate(combos)
            if decide(
                principal,
                HoldingResource(owner, Level.R2, rel_to, Handling.DOWNLOAD, discovery),
                Action.DISCOVER,
                NOW,
            ).allowed
        }
        assert visible == expected, viewer
        sizes.append(len(visible))
    assert 0 < min(sizes) < max(sizes) == len(combos)  # the table has something to tell apart


ITEM_COMBOS = list(itertools.product(ADMINS, Discovery, REL_TOS, Level))


def test_sql_item_visibility_equals_decide(node: Node) -> None:
    """``visible_item_collection_ids`` (and who-has's ``items_visible`` flag) is READ_ITEMS, for
    every owner × discovery × REL TO × level, seen by every administration at every clearance."""
    with node.sessions.begin() as session:
        for code in ADMINS:
            session.add(AdministrationRow(id=code, name=code, created_at=NOW))
        session.flush()
        for n, (owner, discovery, rel_to, level) in enumerate(ITEM_COMBOS):
            session.add(
                CollectionRow(
                    id=f"h{n}", owner=owner, title="t", level=int(level), national_marking="m",
                    handling="download", discovery=discovery.value, version=1, item_count=0,
                    search_text="", document={}, published_at=NOW,
                )
            )  # fmt: skip
            session.flush()
            session.add_all(RelToRow(collection_id=f"h{n}", admin=a) for a in rel_to)
    sizes = []
    for viewer, clearance in itertools.product(ADMINS, (Level.R0, Level.R1, Level.R2, Level.R3)):
        principal = Principal("u", viewer, frozenset({Role.RESEARCHER}), clearance)
        with node.sessions() as session:
            got = set(
                session.scalars(select(visible_item_collection_ids(principal).subquery().c.id))
            )
            flagged = {
                hid
                for hid, flag in session.execute(
                    select(CollectionRow.id, items_visible(principal)).where(
                        CollectionRow.id.in_(visible_collection_ids(viewer))
                    )
                )
                if flag
            }
        expected = {
            f"h{n}"
            for n, (owner, discovery, rel_to, level) in enumerate(ITEM_COMBOS)
            if decide(
                principal,
                HoldingResource(owner, level, rel_to, Handling.DOWNLOAD, discovery),
                Action.READ_ITEMS,
                NOW,
            ).allowed
        }
        assert got == expected, (viewer, clearance)
        assert flagged == expected, (viewer, clearance)
        sizes.append(len(got))
    assert 0 < min(sizes) < max(sizes) < len(ITEM_COMBOS)  # the table tells cases apart
