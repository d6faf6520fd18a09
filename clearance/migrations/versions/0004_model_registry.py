"""model registry: models, their bytes (once per digest) and their shares

Revision ID: 0004_model_registry
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from access import UtcDateTime

revision = "0004_model_registry"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_model_blobs")),
    )
    op.create_table(
        "models",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=3), nullable=False),
        sa.Column("submitter", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("task", sa.String(length=32), nullable=False),
        sa.Column(
            "card",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sha256"], ["model_blobs.sha256"], name=op.f("fk_models_sha256_model_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["submitter"], ["users.name"], name=op.f("fk_models_submitter_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_models")),
        sa.UniqueConstraint("owner", "name", "sha256", name=op.f("uq_models_digest")),
        sa.UniqueConstraint("owner", "name", "version", name=op.f("uq_models_version")),
    )
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.create_index("ix_models_owner_name", ["owner", "name"], unique=False)
        batch_op.create_index(batch_op.f("ix_models_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_models_submitter"), ["submitter"], unique=False)
    op.create_table(
        "model_shares",
        sa.Column("model_id", sa.String(length=20), nullable=False),
        sa.Column("admin", sa.String(length=3), nullable=False),
        sa.Column("shared_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin"], ["administrations.id"], name=op.f("fk_model_shares_admin_administrations")
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["models.id"],
            name=op.f("fk_model_shares_model_id_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", "admin", name=op.f("pk_model_shares")),
    )


def downgrade() -> None:
    op.drop_table("model_shares")
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_models_submitter"))
        batch_op.drop_index(batch_op.f("ix_models_sha256"))
        batch_op.drop_index("ix_models_owner_name")
    op.drop_table("models")
    op.drop_table("model_blobs")
