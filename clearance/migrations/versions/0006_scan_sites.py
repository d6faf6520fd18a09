"""scan sites: each item's UN/LOCODE site and point, each collection's spatial extent

Revision ID: 0006_scan_sites
Revises: 0005_evaluations

Items published before have no site: their columns stay NULL (no geometry, matched by no spatial
filter) until the holding is published again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_scan_sites"
down_revision = "0005_evaluations"
branch_labels = None
depends_on = None

_EXTENT = ("west", "south", "east", "north")


def upgrade() -> None:
    with op.batch_alter_table("items", recreate="never") as batch:
        batch.add_column(sa.Column("site", sa.String(length=5), nullable=True))
        batch.add_column(sa.Column("lon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("lat", sa.Float(), nullable=True))
    op.create_index("ix_items_site_datetime", "items", ["site", "datetime", "collection_id", "id"])
    with op.batch_alter_table("collections", recreate="never") as batch:
        for name in _EXTENT:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("collections", recreate="never") as batch:
        for name in _EXTENT:
            batch.drop_column(name)
    op.drop_index("ix_items_site_datetime", table_name="items")
    with op.batch_alter_table("items", recreate="never") as batch:
        for name in ("lat", "lon", "site"):
            batch.drop_column(name)
