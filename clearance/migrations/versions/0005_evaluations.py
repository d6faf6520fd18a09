"""evaluations: enclave jobs, release budgets, enclave policies, the leaderboard

Revision ID: 0005_evaluations
Revises: 0004_model_registry (evaluations.model_id -> models.id)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from access import UtcDateTime

revision = "0005_evaluations"
down_revision = "0004_model_registry"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_STATES = "'queued', 'running', 'awaiting-review', 'released', 'refused', 'failed'"


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("model_id", sa.String(length=20), nullable=False),
        sa.Column("model_sha256", sa.String(length=64), nullable=False),
        sa.Column("holding_id", sa.String(length=128), nullable=False),
        sa.Column("holding_version", sa.Integer(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=True),
        sa.Column("split", sa.String(length=8), nullable=False),
        sa.Column("spec", _JSON, nullable=False),
        sa.Column("grant_jti", sa.String(length=64), nullable=False),
        sa.Column("submitter", sa.String(length=64), nullable=False),
        sa.Column("submitter_admin", sa.String(length=3), nullable=False),
        sa.Column("owner", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=80), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.Column("lease_expires", UtcDateTime(), nullable=True),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.Column("pending", _JSON, nullable=True),
        sa.Column("released", _JSON, nullable=True),
        sa.Column("receipt", _JSON, nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(f"state IN ({_STATES})", name=op.f("ck_evaluations_state")),
        sa.CheckConstraint("split IN ('all', 'test')", name=op.f("ck_evaluations_split")),
        sa.ForeignKeyConstraint(
            ["model_id"], ["models.id"], name=op.f("fk_evaluations_model_id_models")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index("ix_evaluations_state_created", ["state", "created"], unique=False)
        batch_op.create_index("ix_evaluations_owner_state", ["owner", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluations_holding_id"), ["holding_id"])
        batch_op.create_index(batch_op.f("ix_evaluations_submitter"), ["submitter"])
    op.create_table(
        "release_budgets",
        sa.Column("admin", sa.String(length=3), nullable=False),
        sa.Column("holding_id", sa.String(length=128), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("spent", sa.Integer(), nullable=False),
        sa.CheckConstraint("spent >= 0 AND total >= 0", name=op.f("ck_release_budgets_amounts")),
        sa.PrimaryKeyConstraint("admin", "holding_id", name=op.f("pk_release_budgets")),
    )
    op.create_table(
        "enclave_policies",
        sa.Column("holding_id", sa.String(length=128), nullable=False),
        sa.Column("manual_review", sa.Boolean(), nullable=False),
        sa.Column("budget", sa.Integer(), nullable=False),
        sa.Column("grid", sa.Float(), nullable=False),
        sa.Column("min_count", sa.Integer(), nullable=False),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("holding_id", name=op.f("pk_enclave_policies")),
    )
    op.create_table(
        "leaderboard",
        sa.Column("holding_id", sa.String(length=128), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.String(length=128), nullable=False),
        sa.Column("best", sa.Float(), nullable=False),
        sa.Column("evaluation_id", sa.String(length=20), nullable=False),
        sa.Column("submitter_admin", sa.String(length=3), nullable=False),
        sa.Column("shown_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("holding_id", "metric", "model_id", name=op.f("pk_leaderboard")),
    )


def downgrade() -> None:
    op.drop_table("leaderboard")
    op.drop_table("enclave_policies")
    op.drop_table("release_budgets")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_submitter"))
        batch_op.drop_index(batch_op.f("ix_evaluations_holding_id"))
        batch_op.drop_index("ix_evaluations_owner_state")
        batch_op.drop_index("ix_evaluations_state_created")
    op.drop_table("evaluations")
