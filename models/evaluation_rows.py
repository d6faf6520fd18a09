"""Evaluation rows as the store (submitters, stewards) and the queue (workers) both keep them.

One place for: moving a row between states with its audit entry in the same transaction,
spending a release budget (one conditional UPDATE, so two releases never both take the last
unit), releasing (values, receipt, leaderboard under the Ladder) and a holding's enclave policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from access import AuditLog, Clock
from access import Decision as AuditDecision
from models.evaluation import (
    EnclavePolicy,
    Evaluation,
    EvaluationState,
    check_transition,
)
from models.evaluation_tables import (
    EnclavePolicyRow,
    EvaluationRow,
    LeaderboardRow,
    ReleaseBudgetRow,
)
from models.outcomes import Outcome
from models.release import ladder_accepts, to_grid

__all__ = ["EvaluationRows", "ReceiptSigner"]


class ReceiptSigner(Protocol):
    """Signs the receipt of a release at the moment it happens (the budget it spent and the
    time are only known then), with the owning administration's key."""

    def sign(
        self, owner: str, draft: Mapping[str, Any], budget: tuple[int, int], at: datetime
    ) -> dict[str, Any]: ...


class EvaluationRows:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        audit: AuditLog,
        clock: Clock,
        signer: ReceiptSigner | None = None,
    ) -> None:
        self.sessions, self.clock = sessions, clock
        self._audit = audit
        self.signer = signer

    # audit ---------------------------------------------------------------------------------------
    def log(
        self,
        session: Session,
        actor: str,
        admin: str,
        action: str,
        resource: str,
        reason: str = "",
        decision: AuditDecision = "allow",
        **details: Any,
    ) -> None:
        self._audit.append(
            session, actor=actor, admin=admin, action=action, resource=resource,
            decision=decision, reason=reason, details=details,
        )  # fmt: skip

    def denied(self, actor: str, admin: str, action: str, resource: str, reason: str) -> None:
        """A refusal, audited in its own transaction (the caller's answers 404 and writes none)."""
        with self.sessions.begin() as session:
            self.log(session, actor, admin, action, resource, reason, decision="deny")

    def move(
        self,
        session: Session,
        row: EvaluationRow,
        target: EvaluationState,
        actor: str,
        reason: str = "",
        **details: Any,
    ) -> None:
        """``row`` to ``target`` (checked), audited in ``session``."""
        before = EvaluationState(row.state)
        check_transition(before, target)
        row.state, row.updated = target.value, self.clock.now()
        if reason:
            row.reason = reason
        self.log(
            session, actor, row.owner, f"evaluation.{target.value}", f"evaluation:{row.id}",
            reason, previous=before.value, holding=row.holding_id, **details,
        )  # fmt: skip

    # policy and budget ---------------------------------------------------------------------------
    def policy_now(self, holding_id: str) -> EnclavePolicy:
        """The holding's enclave policy as stored now (its own short read)."""
        with self.sessions() as session:
            return self.policy(session, holding_id)

    def policy(self, session: Session, holding_id: str) -> EnclavePolicy:
        row = session.get(EnclavePolicyRow, holding_id)
        if row is None:
            return EnclavePolicy()
        return EnclavePolicy(row.manual_review, row.budget, row.grid, row.min_count)

    def ensure_budget(self, session: Session, admin: str, holding_id: str, total: int) -> None:
        """The (administration, holding) budget row, created with ``total`` if it is missing."""
        dialect = session.get_bind().dialect.name
        insert = (postgresql if dialect == "postgresql" else sqlite).insert
        session.execute(
            insert(ReleaseBudgetRow)
            .values(admin=admin, holding_id=holding_id, total=total, spent=0)
            .on_conflict_do_nothing()
        )

    def budget_left(self, session: Session, admin: str, holding_id: str) -> int:
        row = session.get(ReleaseBudgetRow, (admin, holding_id))
        return 0 if row is None else max(row.total - row.spent, 0)

    def spend(self, session: Session, row: EvaluationRow) -> bool:
        """Take one unit of the submitter's budget on the holding; False when none is left."""
        taken = session.execute(
            update(ReleaseBudgetRow)
            .where(
                ReleaseBudgetRow.admin == row.submitter_admin,
                ReleaseBudgetRow.holding_id == row.holding_id,
                ReleaseBudgetRow.spent < ReleaseBudgetRow.total,
            )
            .values(spent=ReleaseBudgetRow.spent + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(taken, "rowcount", 0) == 1)

    # ending a job --------------------------------------------------------------------------------
    def fail(self, session: Session, row: EvaluationRow, outcome: Outcome, actor: str) -> None:
        """A failure spends the budget too (when any is left): each failure is a bit out."""
        spent = self.spend(session, row)
        row.outcome = outcome.value
        self.move(session, row, EvaluationState.FAILED, actor, outcome.value, budget_spent=spent)

    def release(self, session: Session, row: EvaluationRow, actor: str) -> None:
        """Release what ``row.pending`` holds if the budget allows; refuse it otherwise."""
        if not self.spend(session, row):
            self.move(session, row, EvaluationState.REFUSED, actor, "budget-exhausted")
            return
        held = row.pending or {}
        row.released, row.receipt = held.get("values") or {}, self._receipt(session, row, held)
        row.pending = None  # released now: kept once, in ``released``
        self.move(session, row, EvaluationState.RELEASED, actor, budget_spent=True)
        self._rank(session, row, held.get("metric"), held.get("score"))

    def _receipt(
        self, session: Session, row: EvaluationRow, held: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The signed receipt of this release: signed now, over the budget as just spent."""
        draft = held.get("draft")
        if self.signer is None or not isinstance(draft, Mapping):
            receipt = held.get("receipt")
            return None if receipt is None else dict(receipt)
        budget = session.get(ReleaseBudgetRow, (row.submitter_admin, row.holding_id))
        assert budget is not None  # spend() just took one unit of it
        return self.signer.sign(row.owner, draft, (budget.spent, budget.total), self.clock.now())

    def _rank(self, session: Session, row: EvaluationRow, metric: Any, score: Any) -> None:
        """Put the released score on the holding's leaderboard if the Ladder shows it."""
        if not isinstance(metric, str) or not isinstance(score, int | float):
            return
        grid = self.policy(session, row.holding_id).grid
        shown = to_grid(float(score), grid)
        best = session.scalar(
            select(func.max(LeaderboardRow.best)).where(
                LeaderboardRow.holding_id == row.holding_id, LeaderboardRow.metric == metric
            )
        )
        if not ladder_accepts(best, shown, grid):
            return
        entry = session.get(LeaderboardRow, (row.holding_id, metric, row.model_id))
        if entry is None:
            entry = LeaderboardRow(holding_id=row.holding_id, metric=metric, model_id=row.model_id)
            session.add(entry)
        entry.best, entry.evaluation_id = shown, row.id
        entry.submitter_admin, entry.shown_at = row.submitter_admin, self.clock.now()

    # views ---------------------------------------------------------------------------------------
    def view(self, row: EvaluationRow) -> Evaluation:
        return Evaluation(
            id=row.id,
            model_id=row.model_id,
            holding_id=row.holding_id,
            holding_version=row.holding_version,
            split=row.split,
            metrics=row.spec,
            submitter=row.submitter,
            submitter_admin=row.submitter_admin,
            owner=row.owner,
            state=EvaluationState(row.state),
            outcome=None if row.outcome is None else Outcome(row.outcome),
            reason=row.reason,
            attempts=row.attempts,
            released=row.released,
            receipt=row.receipt,
            pending=row.pending,
            created=row.created,
            updated=row.updated,
        )

    def now(self) -> datetime:
        return self.clock.now()
