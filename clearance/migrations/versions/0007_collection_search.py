"""collection search: each collection's temporal extent, exact and widened to calendar years

Revision ID: 0007_collection_search
Revises: 0006_scan_sites

Existing holdings get theirs from their items.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from access import UtcDateTime

revision = "0007_collection_search"
down_revision = "0006_scan_sites"
branch_labels = None
depends_on = None

_COLUMNS = ("start_datetime", "end_datetime", "start_year", "end_year")


def upgrade() -> None:
    with op.batch_alter_table("collections", recreate="never") as batch:
        for name in _COLUMNS:
            batch.add_column(sa.Column(name, UtcDateTime(), nullable=True))
    items = sa.table("items", sa.column("collection_id", sa.String),
                     sa.column("datetime", UtcDateTime()))  # fmt: skip
    collections = sa.table("collections", sa.column("id", sa.String),
                           *(sa.column(n, UtcDateTime()) for n in _COLUMNS))  # fmt: skip
    connection = op.get_bind()
    when = items.c.datetime
    spans = connection.execute(
        sa.select(items.c.collection_id, sa.func.min(when, type_=UtcDateTime()),
                  sa.func.max(when, type_=UtcDateTime())).group_by(items.c.collection_id)
    ).all()  # fmt: skip
    for holding, first, last in spans:
        year_start = first.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        year_end = last.replace(month=12, day=31, hour=23, minute=59, second=59, microsecond=0)
        connection.execute(
            collections.update()
            .where(collections.c.id == holding)
            .values(
                start_datetime=first, end_datetime=last, start_year=year_start, end_year=year_end
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("collections", recreate="never") as batch:
        for name in _COLUMNS:
            batch.drop_column(name)
