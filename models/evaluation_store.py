"""Evaluations as submitters and stewards meet them: submit under a grant, read, review, the
holding's enclave policy and leaderboard. Workers take jobs through :mod:`models.evaluation_queue`.

Every holding-level refusal (no such holding, one the caller may not discover, no live evaluate
grant on it, outside REL TO, below its level, handling that forbids evaluation) is one answer,
the same 404 body as for a holding that does not exist, and an audit entry with the real reason:
a researcher learns nothing of a holding through the enclave they could not learn otherwise.
An evaluation the caller may not read is a 404 like a missing one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from access import (
    Action,
    EnclaveResource,
    EvaluationResource,
    HeldGrant,
    HoldingCatalog,
    HoldingResource,
    PermissionDenied,
    Principal,
    decide,
)
from models.errors import BudgetExhausted, EvaluationConflict, EvaluationNotFound
from models.evaluation import (
    EnclavePolicy,
    Evaluation,
    EvaluationState,
    NewEvaluation,
    checked_spec,
    is_evaluation_id,
)
from models.evaluation_rows import EvaluationRows
from models.evaluation_tables import (
    EnclavePolicyRow,
    EvaluationRow,
    LeaderboardRow,
    ReleaseBudgetRow,
)

__all__ = [
    "EnclaveGrants",
    "EvaluationStore",
    "ModelInfo",
    "ModelLookup",
]


@dataclass(frozen=True)
class ModelInfo:
    """What the enclave needs of a registered model."""

    id: str
    sha256: str
    owner: str
    shared_with: frozenset[str]
    task: str

    def visible_to(self, admin: str) -> bool:
        return admin == self.owner or admin in self.shared_with


class ModelLookup(Protocol):
    """The model registry as the enclave sees it (bound to ``models.registry`` at the root)."""

    def get(self, model_id: str) -> ModelInfo | None: ...


class EnclaveGrants(Protocol):
    """The grants this node issued, as the policy weighs them (``access.GrantService``)."""

    def held(self, jti: str) -> HeldGrant | None: ...
    def held_by(self, user: str, holding_id: str) -> list[HeldGrant]: ...


def _no_holding(holding_id: str) -> EvaluationNotFound:
    return EvaluationNotFound(f"no holding {holding_id[:128]!r}")


def _no_evaluation(evaluation_id: str) -> EvaluationNotFound:
    return EvaluationNotFound(f"no evaluation {evaluation_id[:40]!r}")


class EvaluationStore:
    def __init__(
        self,
        rows: EvaluationRows,
        holdings: HoldingCatalog,
        grants: EnclaveGrants,
        models: ModelLookup,
    ) -> None:
        self.rows, self._holdings, self._grants, self._models = rows, holdings, grants, models
        self._sessions, self._clock = rows.sessions, rows.clock

    # the holding-level gate ----------------------------------------------------------------------
    def _holding(
        self, who: Principal, holding_id: str, action: Action, grant: HeldGrant | None
    ) -> HoldingResource:
        """The holding, if ``who`` may do ``action`` on it; the one 404 otherwise (audited)."""
        holding = self._holdings.security(holding_id, who.admin)
        reason = "no-such-holding"
        if holding is not None:
            resource = EnclaveResource(holding_id, holding, grant)
            decision = decide(who, resource, action, self._clock.now())
            if decision.allowed:
                return holding
            reason = decision.reason.value
        self.rows.denied(who.user, who.admin, action.value, f"holding:{holding_id[:128]}", reason)
        raise _no_holding(holding_id)

    def _live_grant(self, who: Principal, holding_id: str) -> HeldGrant | None:
        now = self._clock.now()
        live = [g for g in self._grants.held_by(who.user, holding_id)
                if g.lets(who, holding_id, "evaluate", now)]  # fmt: skip
        return live[0] if live else None

    # submitting ----------------------------------------------------------------------------------
    def submit(self, who: Principal, new: NewEvaluation) -> Evaluation:
        """Queue ``new`` under the grant it names: decided before anything is stored or spent;
        its metric spec checked against the model's task (``InvalidEvaluation``)."""
        holding = self._holding(who, new.holding_id, Action.EVALUATE, self._grants.held(new.grant))
        model = self._models.get(new.model_id)
        if model is None or not model.visible_to(who.admin):
            raise EvaluationNotFound(f"no model {new.model_id!r}")
        spec = checked_spec(new.metrics, model.task)
        version = self._holdings.version(new.holding_id)
        now = self._clock.now()
        with self._sessions.begin() as session:
            policy = self.rows.policy(session, new.holding_id)
            self.rows.ensure_budget(session, who.admin, new.holding_id, policy.budget)
            if self.rows.budget_left(session, who.admin, new.holding_id) <= 0:
                raise BudgetExhausted(policy.budget, policy.budget)
            row = EvaluationRow(
                id="evl-" + secrets.token_hex(8), model_id=model.id, model_sha256=model.sha256,
                holding_id=new.holding_id, holding_version=version,
                manifest_sha256=self._holdings.manifest_sha256(new.holding_id, version),
                split=new.split.value, spec=spec, grant_jti=new.grant,
                submitter=who.user, submitter_admin=who.admin, owner=holding.owner,
                state=EvaluationState.QUEUED.value, attempts=0, created=now, updated=now,
            )  # fmt: skip
            session.add(row)
            session.flush()
            self.rows.log(
                session, who.user, who.admin, "evaluation.queued", f"evaluation:{row.id}",
                holding=new.holding_id, model=model.id, split=new.split.value, grant=new.grant,
            )  # fmt: skip
            return self.rows.view(row)

    # reading -------------------------------------------------------------------------------------
    def _readable(self, session: Session, who: Principal, evaluation_id: str) -> EvaluationRow:
        row = session.get(EvaluationRow, evaluation_id) if is_evaluation_id(evaluation_id) else None
        resource = None if row is None else EvaluationResource(row.owner, row.submitter)
        now = self._clock.now()
        if resource is None or not decide(who, resource, Action.EVALUATION_READ, now):
            raise _no_evaluation(evaluation_id)
        assert row is not None
        return row

    def get(self, who: Principal, evaluation_id: str) -> dict[str, Any]:
        with self._sessions() as session:
            row = self._readable(session, who, evaluation_id)
            return self.rows.view(row).as_json(steward=row.submitter != who.user)

    def receipt(self, who: Principal, evaluation_id: str) -> dict[str, Any]:
        with self._sessions() as session:
            row = self._readable(session, who, evaluation_id)
            if row.state != EvaluationState.RELEASED.value or row.receipt is None:
                raise EvaluationConflict(f"evaluation {row.id} has no receipt (it is {row.state})")
            return dict(row.receipt)

    def mine(self, who: Principal) -> list[dict[str, Any]]:
        with self._sessions() as session:
            rows = session.scalars(
                select(EvaluationRow)
                .where(EvaluationRow.submitter == who.user)
                .order_by(EvaluationRow.created.desc())
                .limit(1000)
            )
            return [self.rows.view(r).as_json() for r in rows]

    def queue(self, who: Principal) -> list[dict[str, Any]]:
        """What awaits the steward's review: their administration's holdings, never their own
        submissions; each with exactly what would be released."""
        with self._sessions() as session:
            rows = session.scalars(
                select(EvaluationRow)
                .where(
                    EvaluationRow.owner == who.admin,
                    EvaluationRow.state == EvaluationState.AWAITING_REVIEW.value,
                    EvaluationRow.submitter != who.user,
                )
                .order_by(EvaluationRow.created)
                .limit(1000)
            )
            return [self.rows.view(r).as_json(steward=True) for r in rows]

    # reviewing -----------------------------------------------------------------------------------
    def review(
        self, who: Principal, evaluation_id: str, approve: bool, reason: str
    ) -> dict[str, Any]:
        """Release (budget allowing) or refuse what awaits review; audited either way."""
        with self._sessions.begin() as session:
            row = self._readable(session, who, evaluation_id)
            decision = decide(
                who, EvaluationResource(row.owner, row.submitter), Action.EVALUATION_REVIEW,
                self._clock.now(),
            )  # fmt: skip
            if not decision.allowed:
                raise PermissionDenied(f"not allowed: {decision.reason.value}",
                                       code=decision.reason.value)  # fmt: skip
            # Taken with a conditional UPDATE first: of two concurrent reviews exactly one finds
            # the job still awaiting review (and on SQLite it takes the write lock up front).
            taken = session.execute(
                update(EvaluationRow)
                .where(EvaluationRow.id == row.id, EvaluationRow.state == "awaiting-review")
                .values(reviewed_by=who.user, review_reason=reason.strip() or None)
                .execution_options(synchronize_session=False)
            )
            if getattr(taken, "rowcount", 0) != 1:
                raise EvaluationConflict(f"evaluation {row.id} is not awaiting review")
            session.refresh(row)
            if approve:
                self.rows.release(session, row, who.user)
            else:
                self.rows.move(
                    session, row, EvaluationState.REFUSED, who.user, "refused-by-steward"
                )
            return self.rows.view(row).as_json(steward=True)

    # the holding's enclave policy and leaderboard -------------------------------------------------
    def policy(self, who: Principal, holding_id: str) -> EnclavePolicy:
        self._holding(who, holding_id, Action.ENCLAVE_POLICY, None)
        with self._sessions() as session:
            return self.rows.policy(session, holding_id)

    def set_policy(self, who: Principal, holding_id: str, body: Any) -> EnclavePolicy:
        """Change the holding's policy; a new budget applies to every administration's total."""
        self._holding(who, holding_id, Action.ENCLAVE_POLICY, None)
        with self._sessions.begin() as session:
            policy = self.rows.policy(session, holding_id).changed(body)
            row = session.get(EnclavePolicyRow, holding_id)
            if row is None:
                row = EnclavePolicyRow(holding_id=holding_id)
                session.add(row)
            row.manual_review, row.budget = policy.manual_review, policy.budget
            row.grid, row.min_count = policy.grid, policy.min_count
            row.updated, row.updated_by = self._clock.now(), who.user
            session.execute(
                update(ReleaseBudgetRow)
                .where(ReleaseBudgetRow.holding_id == holding_id)
                .values(total=policy.budget)
                .execution_options(synchronize_session=False)
            )
            # the audit log takes no floats: the grid goes in as its decimal text
            details = {**policy.as_json(), "grid": repr(policy.grid)}
            self.rows.log(session, who.user, who.admin, "enclave.policy",
                          f"holding:{holding_id}", **details)  # fmt: skip
            return policy

    def leaderboard(self, who: Principal, holding_id: str) -> dict[str, Any]:
        self._holding(who, holding_id, Action.LEADERBOARD_READ, self._live_grant(who, holding_id))
        with self._sessions() as session:
            rows = session.scalars(
                select(LeaderboardRow)
                .where(LeaderboardRow.holding_id == holding_id)
                .order_by(LeaderboardRow.metric, LeaderboardRow.best.desc())
            )
            entries = [
                {"metric": r.metric, "model_id": r.model_id, "score": r.best,
                 "administration": r.submitter_admin, "shown_at": r.shown_at.isoformat()}
                for r in rows
            ]  # fmt: skip
        return {"holding": holding_id, "entries": entries}
