"""The enclave's evaluation tables: jobs, release budgets, per-holding enclave policies and the
leaderboard. (``models/tables.py`` holds the model registry's.)

``evaluations.model_id`` names a row of the registry's ``models`` table (a foreign key; migration
``0005_evaluations`` comes after ``0004_model_registry``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from access import Base, JsonDoc, UtcDateTime
from models import tables as _registry_tables  # noqa: F401  (the target of model_id's key)

__all__ = ["EnclavePolicyRow", "EvaluationRow", "LeaderboardRow", "ReleaseBudgetRow"]

_STATES = "'queued', 'running', 'awaiting-review', 'released', 'refused', 'failed'"


class EvaluationRow(Base):
    __tablename__ = "evaluations"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="state"),
        CheckConstraint("split IN ('all', 'test')", name="split"),
        # the claim: oldest queued job first, or a running one whose lease ran out
        Index("ix_evaluations_state_created", "state", "created"),
        Index("ix_evaluations_owner_state", "owner", "state"),
    )

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # evl- + 16 hex
    model_id: Mapped[str] = mapped_column(String(20), ForeignKey("models.id"))
    model_sha256: Mapped[str] = mapped_column(String(64))
    holding_id: Mapped[str] = mapped_column(String(128), index=True)
    holding_version: Mapped[int] = mapped_column(Integer)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    split: Mapped[str] = mapped_column(String(8))
    spec: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    grant_jti: Mapped[str] = mapped_column(String(64))
    submitter: Mapped[str] = mapped_column(String(64), index=True)
    submitter_admin: Mapped[str] = mapped_column(String(3))
    owner: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)  # models.outcomes
    reason: Mapped[str | None] = mapped_column(String(80), nullable=True)  # a machine code
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the fence
    claimed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    lease_expires: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime)
    updated: Mapped[datetime] = mapped_column(UtcDateTime)
    # what the run produced, held back while a steward reviews it; ``released`` once released
    pending: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    released: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    review_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class ReleaseBudgetRow(Base):
    """How many releases and failures (administration, holding) may still have."""

    __tablename__ = "release_budgets"
    __table_args__ = (CheckConstraint("spent >= 0 AND total >= 0", name="amounts"),)

    admin: Mapped[str] = mapped_column(String(3), primary_key=True)
    holding_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    total: Mapped[int] = mapped_column(Integer)
    spent: Mapped[int] = mapped_column(Integer, default=0)


class EnclavePolicyRow(Base):
    """A holding's enclave rules (``models.evaluation.EnclavePolicy``); none = the defaults."""

    __tablename__ = "enclave_policies"

    holding_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    manual_review: Mapped[bool] = mapped_column(Boolean)
    budget: Mapped[int] = mapped_column(Integer)
    grid: Mapped[float] = mapped_column(Float)
    min_count: Mapped[int] = mapped_column(Integer)
    updated: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class LeaderboardRow(Base):
    """One model's shown score on a holding, for one metric (the Ladder decides what shows)."""

    __tablename__ = "leaderboard"

    holding_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    best: Mapped[float] = mapped_column(Float)  # the shown (rounded) score
    evaluation_id: Mapped[str] = mapped_column(String(20))
    submitter_admin: Mapped[str] = mapped_column(String(3))
    shown_at: Mapped[datetime] = mapped_column(UtcDateTime)
