"""Migrations that add columns to tables with data: 0006 (sites) and 0007 (temporal extents);
0008 (revoked tokens) matches its table and goes down and up again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from access import Base
from catalog import CollectionRow, ItemRow
from catalog.synth import generate_holding
from clearance.database import _alembic_config
from clearance.node import Node
from clearance.publishing.folder import publish_folder


def test_0007_fills_the_temporal_extent_of_holdings_published_before(
    node: Node, tmp_path: Path
) -> None:
    node.directory.add_administration("NLD", "Douane")
    generate_holding(tmp_path / "h", kind="parcel", count=3, seed=2, admin="NLD")
    publish_folder(node, tmp_path / "h", admin="NLD", holding_id="NLD-h", title="h",
                   description="", level="R1", marking="OFFICIAL", rel_to="ALL",
                   handling="download", discovery="partners")  # fmt: skip
    columns = (CollectionRow.start_datetime, CollectionRow.end_datetime,
               CollectionRow.start_year, CollectionRow.end_year)  # fmt: skip
    with node.sessions() as session:
        published = session.execute(select(*columns)).one()
    with node.sessions() as session:
        items = session.scalar(select(func.count()).select_from(ItemRow))
    config = _alembic_config(node.engine)
    # Down past 0006 and up again: on SQLite a table rebuild would cascade-delete the items.
    command.downgrade(config, "0005_evaluations")
    command.upgrade(config, "head")
    with node.sessions() as session:
        migrated = session.execute(select(*columns)).one()
        assert session.scalar(select(func.count()).select_from(ItemRow)) == items == 3
    assert migrated == published
    first, last, year_start, year_end = migrated
    assert first <= last and year_start.month == 1 and year_start.day == 1
    assert year_end == datetime(last.year, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_0008_makes_the_revoked_tokens_table_as_the_model_says(node: Node) -> None:
    with node.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "revoked_tokens" in str(d)] == []
    config = _alembic_config(node.engine)
    command.downgrade(config, "0007_collection_search")
    assert "revoked_tokens" not in inspect(node.engine).get_table_names()
    command.upgrade(config, "head")
    assert "revoked_tokens" in inspect(node.engine).get_table_names()
