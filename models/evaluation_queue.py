"""The evaluation queue as workers see it: claim a job under a lease, keep the lease alive, finish.

Claiming is one transaction per job. PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` picks the
oldest claimable row no other worker holds, then a conditional UPDATE takes it. SQLite (one
writer at a time): one ``UPDATE … WHERE id = (SELECT …) AND <claimable> RETURNING id``, atomic by
itself. Claimable = queued, or running with a lease that ran out (its worker died: the job is
retried, never lost). Each claim writes a new random ``claim_token``; heartbeats and the finish
are conditional on it (fencing), so a worker whose lease was taken over can neither extend it
nor record a result, and a job is finished exactly once. A job claimed ``max_attempts`` times
without finishing ends as ``failed`` (internal) instead of killing workers forever.

At each claim the job is decided again: the submitter as the directory knows them now, the
holding as it is now, the grant as it is now (revoked or expired: refused, nothing runs).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from access import Action, Directory, EnclaveResource, HoldingCatalog, NotFound, decide
from models.errors import LeaseLost
from models.evaluation import EvaluationState, Failed, JobResult, Released
from models.evaluation_rows import EvaluationRows
from models.evaluation_store import EnclaveGrants
from models.evaluation_tables import EvaluationRow
from models.outcomes import Outcome

__all__ = ["Claim", "Job", "JobQueue"]

_WORKER_ID_MAX = 40
_BUSY_RETRIES = 20


@dataclass(frozen=True)
class Job:
    """What a runner needs to carry out one evaluation (and nothing of who asked)."""

    id: str
    model_id: str
    model_sha256: str
    holding_id: str
    holding_version: int
    manifest_sha256: str | None
    split: str
    spec: dict[str, Any]
    owner: str
    attempt: int
    grant_jti: str = ""  # the grant it runs under: its approved items bound what is scored


@dataclass(frozen=True)
class Claim:
    job: Job
    token: str
    worker: str
    lease_expires: datetime


def _job(row: EvaluationRow) -> Job:
    return Job(
        id=row.id, model_id=row.model_id, model_sha256=row.model_sha256,
        holding_id=row.holding_id, holding_version=row.holding_version,
        manifest_sha256=row.manifest_sha256, split=row.split, spec=dict(row.spec),
        owner=row.owner, attempt=row.attempts, grant_jti=row.grant_jti,
    )  # fmt: skip


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        EvaluationRow.state == EvaluationState.QUEUED.value,
        and_(EvaluationRow.state == EvaluationState.RUNNING.value,
             EvaluationRow.lease_expires < now),
    )  # fmt: skip


class JobQueue:
    def __init__(
        self,
        rows: EvaluationRows,
        holdings: HoldingCatalog,
        grants: EnclaveGrants,
        directory: Directory,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 3,
    ) -> None:
        self.rows, self._holdings, self._grants, self._directory = rows, holdings, grants, directory
        self.lease, self.max_attempts = lease, max_attempts
        self._sessions, self._clock = rows.sessions, rows.clock

    # claiming ------------------------------------------------------------------------------------
    def claim(self, worker: str) -> Claim | None:
        """The oldest claimable job, now this worker's under a fresh lease; None if none."""
        if not worker or len(worker) > _WORKER_ID_MAX or not worker.isprintable():
            raise ValueError(f"a worker id is 1-{_WORKER_ID_MAX} printable characters")
        busy = 0
        while True:  # each pass takes a job, finds none, or ends one job for good
            try:
                claimed, again = self._claim_one(worker)
            except OperationalError:
                # SQLite: a concurrent writer held the lock past the busy timeout; look again
                busy += 1
                if busy >= _BUSY_RETRIES:
                    raise
                time.sleep(0.01 * busy)
                continue
            if not again:
                return claimed

    def _claim_one(self, worker: str) -> tuple[Claim | None, bool]:
        """(claim, False) when this worker took a job or none was left; (None, True) when the
        job it took ended at the claim (refused, attempts used up) and it should look again."""
        actor = f"worker:{worker}"
        with self._sessions.begin() as session:
            row = self._take(session, worker)
            if row is None:
                return None, False
            if row.attempts > self.max_attempts:
                self.rows.fail(session, row, Outcome.INTERNAL, actor)
                return None, True
            refusal = self._decide_again(row)
            if refusal:
                self.rows.move(session, row, EvaluationState.REFUSED, actor, refusal)
                row.claim_token = None
                return None, True
            self.rows.log(
                session, actor, row.owner, "evaluation.claim", f"evaluation:{row.id}",
                attempt=row.attempts, lease_expires=row.lease_expires.isoformat()
                if row.lease_expires else None,
            )  # fmt: skip
            assert row.claim_token is not None and row.lease_expires is not None
            return Claim(_job(row), row.claim_token, worker, row.lease_expires), False

    def _take(self, session: Session, worker: str) -> EvaluationRow | None:
        now = self._clock.now()
        pick = (
            select(EvaluationRow.id)
            .where(_claimable(now))
            .order_by(EvaluationRow.created, EvaluationRow.id)
            .limit(1)
        )
        if session.get_bind().dialect.name == "postgresql":
            found = session.scalar(pick.with_for_update(skip_locked=True))
            if found is None:
                return None
            target: ColumnElement[bool] = EvaluationRow.id == found
        else:
            target = EvaluationRow.id == pick.scalar_subquery()
        taken = session.scalars(
            update(EvaluationRow)
            .where(target, _claimable(now))
            .values(
                state=EvaluationState.RUNNING.value, claim_token=secrets.token_hex(16),
                claimed_by=worker, claimed_at=now, lease_expires=now + self.lease,
                attempts=EvaluationRow.attempts + 1, updated=now,
            )
            .returning(EvaluationRow.id)
            .execution_options(synchronize_session=False)
        ).first()  # fmt: skip
        if taken is None:
            return None
        return session.get(EvaluationRow, taken, populate_existing=True)

    def _decide_again(self, row: EvaluationRow) -> str:
        """ "" if the submitter may still evaluate on the holding under the grant; else why not."""
        try:
            submitter = self._directory.user(row.submitter).principal()
        except NotFound:
            return "policy:submitter-gone"
        holding = self._holdings.security(row.holding_id, row.submitter_admin)
        if holding is None:
            return "policy:no-such-holding"
        resource = EnclaveResource(row.holding_id, holding, self._grants.held(row.grant_jti))
        decision = decide(submitter, resource, Action.EVALUATE, self._clock.now())
        return "" if decision.allowed else f"policy:{decision.reason.value}"

    # while running -------------------------------------------------------------------------------
    def heartbeat(self, claim: Claim) -> bool:
        """Extend the lease; False when the claim is no longer this worker's (taken over)."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            extended = session.execute(
                update(EvaluationRow)
                .where(*self._fence(claim))
                .values(lease_expires=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(extended, "rowcount", 0) == 1)

    def _fence(self, claim: Claim) -> tuple[ColumnElement[bool], ...]:
        return (
            EvaluationRow.id == claim.job.id,
            EvaluationRow.claim_token == claim.token,
            EvaluationRow.state == EvaluationState.RUNNING.value,
        )

    # finishing -----------------------------------------------------------------------------------
    def finish(self, claim: Claim, result: JobResult) -> EvaluationState:
        """Record ``result`` if ``claim`` still holds (``LeaseLost`` otherwise); the budget is
        spent in the same transaction. Returns the state the job ended in."""
        actor = f"worker:{claim.worker}"
        with self._sessions.begin() as session:
            # The fence first: a conditional UPDATE that takes the row (and SQLite's write lock).
            fenced = session.execute(
                update(EvaluationRow)
                .where(*self._fence(claim))
                .values(claim_token=None, lease_expires=None)
                .execution_options(synchronize_session=False)
            )
            if getattr(fenced, "rowcount", 0) != 1:
                raise LeaseLost(f"evaluation {claim.job.id} is no longer this worker's")
            row = session.get(EvaluationRow, claim.job.id, populate_existing=True)
            assert row is not None
            if isinstance(result, Failed):
                self.rows.fail(session, row, result.outcome, actor)
            else:
                self._finish_released(session, row, result, actor)
            return EvaluationState(row.state)

    def _finish_released(
        self, session: Session, row: EvaluationRow, result: Released, actor: str
    ) -> None:
        row.pending = result.pending()
        policy = self.rows.policy(session, row.holding_id)
        if self.rows.budget_left(session, row.submitter_admin, row.holding_id) <= 0:
            self.rows.move(session, row, EvaluationState.REFUSED, actor, "budget-exhausted")
            row.pending = None
        elif policy.manual_review:
            self.rows.move(session, row, EvaluationState.AWAITING_REVIEW, actor)
        else:
            self.rows.release(session, row, actor)
