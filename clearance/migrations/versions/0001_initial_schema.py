"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from access import UtcDateTime

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
        "audit_checkpoints",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", UtcDateTime(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_checkpoints")),
    )
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("admin", sa.String(length=3), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.String(length=300), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entries")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_entries_hash")),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
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
        "access_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("requester", sa.String(length=64), nullable=False),
        sa.Column("requester_admin", sa.String(length=3), nullable=False),
        sa.Column("holding_id", sa.String(length=128), nullable=False),
        sa.Column("owner", sa.String(length=3), nullable=False),
        sa.Column(
            "item_filter",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("purpose_code", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("duration_days", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "item_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "mode IN ('download', 'evaluation')", name=op.f("ck_access_requests_mode")
        ),
        sa.ForeignKeyConstraint(
            ["requester"], ["users.name"], name=op.f("fk_access_requests_requester_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
    )
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_requests_holding_id"), ["holding_id"], unique=False
        )
        batch_op.create_index("ix_access_requests_owner_state", ["owner", "state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_access_requests_requester"), ["requester"], unique=False
        )

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
        batch_op.create_index(
            "ix_items_datetime", ["datetime", "collection_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_items_inspection_outcome"), ["inspection_outcome"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_items_modality"), ["modality"], unique=False)

    op.create_table(
        "recipient_keys",
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user"], ["users.name"], name=op.f("fk_recipient_keys_user_users")
        ),
        sa.PrimaryKeyConstraint("user", name=op.f("pk_recipient_keys")),
    )
    op.create_table(
        "grants",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("holding_id", sa.String(length=128), nullable=False),
        sa.Column("owner", sa.String(length=3), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("operations", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name=op.f("fk_grants_request_id_access_requests"),
        ),
        sa.ForeignKeyConstraint(["subject"], ["users.name"], name=op.f("fk_grants_subject_users")),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_grants")),
        sa.UniqueConstraint("request_id", name=op.f("uq_grants_request_id")),
    )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grants_holding_id"), ["holding_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grants_subject"), ["subject"], unique=False)

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

    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("steward", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("decided_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name=op.f("fk_review_decisions_request_id_access_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["steward"], ["users.name"], name=op.f("fk_review_decisions_steward_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decisions")),
        sa.UniqueConstraint("request_id", "steward", name="one_per_steward"),
    )
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_decisions_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_decisions_request_id"))

    op.drop_table("review_decisions")
    with op.batch_alter_table("item_classes", schema=None) as batch_op:
        batch_op.drop_index("ix_item_classes_hs_code")

    op.drop_table("item_classes")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grants_subject"))
        batch_op.drop_index(batch_op.f("ix_grants_holding_id"))

    op.drop_table("grants")
    op.drop_table("recipient_keys")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_modality"))
        batch_op.drop_index(batch_op.f("ix_items_inspection_outcome"))
        batch_op.drop_index("ix_items_datetime")
        batch_op.drop_index(batch_op.f("ix_items_conveyance"))
        batch_op.drop_index("ix_items_collection_datetime")

    op.drop_table("items")
    with op.batch_alter_table("collection_rel_to", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_rel_to_admin"))

    op.drop_table("collection_rel_to")
    op.drop_table("collection_class_stats")
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_requests_requester"))
        batch_op.drop_index("ix_access_requests_owner_state")
        batch_op.drop_index(batch_op.f("ix_access_requests_holding_id"))

    op.drop_table("access_requests")
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
    op.drop_table("audit_head")
    op.drop_table("audit_entries")
    op.drop_table("audit_checkpoints")
    op.drop_table("administrations")
