"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from access.db import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "administrations",
        sa.Column("id", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_administrations")),
    )
    op.create_table(
        "collections",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("owner", sa.String(length=3), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("national_marking", sa.String(length=200), nullable=False),
        sa.Column("handling", sa.String(length=16), nullable=False),
        sa.Column("discovery", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner"], ["administrations.id"], name=op.f("fk_collections_owner_administrations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
    )
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collections_discovery"), ["discovery"], unique=False)
        batch_op.create_index(batch_op.f("ix_collections_owner"), ["owner"], unique=False)

    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("admin_id", sa.String(length=3), nullable=False),
        sa.Column("alg", sa.String(length=16), nullable=False),
        sa.Column(
            "public_jwk",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'retired')", name=op.f("ck_signing_keys_status")),
        sa.ForeignKeyConstraint(
            ["admin_id"],
            ["administrations.id"],
            name=op.f("fk_signing_keys_admin_id_administrations"),
        ),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signing_keys_admin_id"), ["admin_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("admin_id", sa.String(length=3), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("clearance", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["administrations.id"], name=op.f("fk_users_admin_id_administrations")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_admin_id"), ["admin_id"], unique=False)

    op.create_table(
        "collection_class_stats",
        sa.Column("collection_id", sa.String(length=128), nullable=False),
        sa.Column("hs_code", sa.String(length=6), nullable=False),
        sa.Column("modality", sa.String(length=40), nullable=False),
        sa.Column("class_name", sa.String(length=200), nullable=False),
        sa.Column("images", sa.Integer(), nullable=False),
        sa.Column("objects", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_collection_class_stats_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "collection_id", "hs_code", "modality", name=op.f("pk_collection_class_stats")
        ),
    )
    op.create_table(
        "collection_rel_to",
        sa.Column("collection_id", sa.String(length=128), nullable=False),
        sa.Column("admin", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_collection_rel_to_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_id", "admin", name=op.f("pk_collection_rel_to")),
    )
    with op.batch_alter_table("collection_rel_to", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_rel_to_admin"), ["admin"], unique=False)

    op.create_table(
        "items",
        sa.Column("collection_id", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("datetime", UtcDateTime(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("modality", sa.String(length=40), nullable=False),
        sa.Column("conveyance", sa.String(length=40), nullable=False),
        sa.Column("container_type", sa.String(length=4), nullable=True),
        sa.Column("energy_profile", sa.String(length=16), nullable=False),
        sa.Column("scanner", sa.String(length=200), nullable=False),
        sa.Column("source_format", sa.String(length=16), nullable=False),
        sa.Column("inspection_outcome", sa.String(length=24), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("object_count", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_items_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_id", "id", name=op.f("pk_items")),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_items_collection_datetime", ["collection_id", "datetime"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_items_conveyance"), ["conveyance"], unique=False)
        batch_op.create_index("ix_items_datetime_id", ["datetime", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_items_inspection_outcome"), ["inspection_outcome"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_items_modality"), ["modality"], unique=False)

    op.create_table(
        "item_classes",
        sa.Column("collection_id", sa.String(length=128), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("hs_code", sa.String(length=6), nullable=False),
        sa.Column("objects", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id", "item_id"],
            ["items.collection_id", "items.id"],
            name=op.f("fk_item_classes_collection_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "collection_id", "item_id", "hs_code", name=op.f("pk_item_classes")
        ),
    )
    with op.batch_alter_table("item_classes", schema=None) as batch_op:
        batch_op.create_index("ix_item_classes_hs_code", ["hs_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_classes", schema=None) as batch_op:
        batch_op.drop_index("ix_item_classes_hs_code")

    op.drop_table("item_classes")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_modality"))
        batch_op.drop_index(batch_op.f("ix_items_inspection_outcome"))
        batch_op.drop_index("ix_items_datetime_id")
        batch_op.drop_index(batch_op.f("ix_items_conveyance"))
        batch_op.drop_index("ix_items_collection_datetime")

    op.drop_table("items")
    with op.batch_alter_table("collection_rel_to", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_rel_to_admin"))

    op.drop_table("collection_rel_to")
    op.drop_table("collection_class_stats")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_admin_id"))

    op.drop_table("users")
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_keys_admin_id"))

    op.drop_table("signing_keys")
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collections_owner"))
        batch_op.drop_index(batch_op.f("ix_collections_discovery"))

    op.drop_table("collections")
    op.drop_table("administrations")
