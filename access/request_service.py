"""The access workflow: requests and steward reviews — stored and audited.

Every step asks ``access.policy.decide`` and writes its audit entry in the same transaction as the
state change, so the log and the state never disagree. A request the caller may not read is
answered exactly like one that does not exist. Decisions lock the request row, which makes
repeated and concurrent decisions idempotent: the second sees the first's result. The last
approval issues the grant (:class:`~access.grant_service.GrantService`) in that same transaction;
the request rows' shared handling (locking, transitions, views, deciding again, auditing denials)
is :class:`~access.request_store.RequestStore`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from access.errors import Conflict, InvalidInput, NotFound
from access.grant_service import GrantService
from access.policy import Action, Decision, HoldingResource, Principal, decide
from access.recipient_key_store import RecipientKeyStore
from access.request_states import PENDING, Conditions, Mode, NewRequest, State, combine
from access.request_store import RequestStore, RequestView, request_not_found
from access.tables import AccessRequestRow, GrantRow, ReviewDecisionRow
from access.vocabulary import Level, Role

__all__ = ["RequestService"]


class RequestService:
    def __init__(self, store: RequestStore, grants: GrantService, keys: RecipientKeyStore) -> None:
        self._store, self._grants, self._keys = store, grants, keys
        self._sessions, self._catalog, self._clock = store.sessions, store.catalog, store.clock

    # researcher side ----------------------------------------------------------------------------
    def create(self, who: Principal, new: NewRequest) -> RequestView:
        holding = self._catalog.security(new.holding_id, who.admin)
        if holding is None:
            raise NotFound(f"no holding {new.holding_id!r}")
        if new.item_filter is not None:
            self._catalog.check_filter(new.item_filter)
        action = Action.REQUEST_DOWNLOAD if new.mode is Mode.DOWNLOAD else Action.REQUEST_EVALUATION
        decision = decide(who, holding, action, self._clock.now())
        with self._sessions.begin() as session:
            # Only data sent to the researcher needs their key: an evaluation sends none.
            needs_key = new.mode is Mode.DOWNLOAD
            if decision.allowed and needs_key and self._keys.public_key(session, who.user) is None:
                raise Conflict(
                    "register your Crypt4GH public key first (clearance keys register)",
                    code="no-recipient-key",
                )
            row = self._new_row(who, new, holding, decision)
            session.add(row)
            session.flush()
            self._store.log(
                session,
                who,
                "request.create",
                f"request:{row.id}",
                holding=new.holding_id,
                mode=new.mode.value,
                purpose_code=new.purpose_code,
            )
            if not decision.allowed:
                self._store.log(
                    session,
                    who,
                    "request.refuse",
                    f"request:{row.id}",
                    f"policy:{decision.reason.value}",
                    decision="deny",
                )
            return self._store.view(session, row)

    def _new_row(
        self, who: Principal, new: NewRequest, holding: HoldingResource, decision: Decision
    ) -> AccessRequestRow:
        now = self._clock.now()
        return AccessRequestRow(
            id="req-" + secrets.token_hex(8),
            requester=who.user,
            requester_admin=who.admin,
            holding_id=new.holding_id,
            owner=holding.owner,
            item_filter=new.item_filter,
            purpose=new.purpose,
            purpose_code=new.purpose_code.value,
            mode=new.mode.value,
            duration_days=new.duration_days,
            state=(State.SUBMITTED if decision.allowed else State.REFUSED).value,
            reason=None if decision.allowed else f"policy:{decision.reason.value}",
            version=1,
            created_at=now,
            updated_at=now,
        )

    def withdraw(self, who: Principal, request_id: str) -> RequestView:
        with self._store.audit_denials(), self._sessions.begin() as session:
            row = self._store.locked(session, request_id)
            self._store.require(who, row, Action.REQUEST_WITHDRAW, "request.withdraw")
            if row.state != State.WITHDRAWN:
                self._store.transition(session, who, row, State.WITHDRAWN, "withdrawn by requester")
            return self._store.view(session, row)

    # reading ------------------------------------------------------------------------------------
    def get(self, who: Principal, request_id: str) -> RequestView:
        with self._store.audit_denials(), self._sessions.begin() as session:
            row = session.get(AccessRequestRow, request_id)
            if row is None:
                raise request_not_found(request_id)
            self._store.require(who, row, Action.REQUEST_READ, "request.read")
            self._expire_if_due(session, row)
            return self._store.view(session, row)

    def mine(self, who: Principal) -> list[RequestView]:
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(AccessRequestRow)
                .where(AccessRequestRow.requester == who.user)
                .order_by(AccessRequestRow.created_at.desc())
            ).all()
            for row in rows:
                self._expire_if_due(session, row)
            return [self._store.view(session, r) for r in rows]

    def queue(self, who: Principal) -> list[RequestView]:
        """Pending requests for the steward's administration's holdings, never their own."""
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(AccessRequestRow)
                .where(
                    AccessRequestRow.owner == who.admin,
                    AccessRequestRow.state.in_([s.value for s in PENDING]),
                    AccessRequestRow.requester != who.user,
                )
                .order_by(AccessRequestRow.created_at)
            ).all()
            views = [self._store.view(session, r) for r in rows]
        return [v for v in views if who.user not in v.approvals]

    # steward side -------------------------------------------------------------------------------
    def approve(
        self, who: Principal, request_id: str, conditions: Conditions, reason: str = ""
    ) -> RequestView:
        return _retrying(lambda: self._approve(who, request_id, conditions, reason))

    def _approve(
        self, who: Principal, request_id: str, conditions: Conditions, reason: str
    ) -> RequestView:
        with self._store.audit_denials(), self._sessions.begin() as session:
            row = self._store.locked(session, request_id)
            self._store.require(who, row, Action.REVIEW, "request.approve")
            _closed_to(row, "approve")
            if row.state not in PENDING or self._decided_by(session, row, who.user):
                return self._store.view(session, row)  # repeated or concurrent: first one won
            for spec in conditions.item_filters:
                self._catalog.check_filter(spec)
            combined = combine([*self._approved_conditions(session, row), conditions])
            # Decided again, for the requester, on the holding as it is now (it may have been
            # republished narrower since the request): at every approval, so also at the last
            # one, which issues the grant in this transaction with the request row locked.
            decision = self._store.decide_now(session, row, combined)
            if not decision.allowed:
                self._store.end_by_policy(session, who, row, f"policy:{decision.reason.value}")
                return self._store.view(session, row)
            items = self._selected_items(row, combined)
            self._record(session, who, row, "approve", reason, conditions)
            # The combined effect so far, shown to the next steward before a grant exists.
            row.conditions = combined.as_json() if combined.any else None
            row.item_ids = items
            if len(self._store.approvals(session, row)) < self._approvals_needed(row):
                if row.state != State.UNDER_REVIEW:
                    self._store.transition(session, who, row, State.UNDER_REVIEW, "first approval")
                return self._store.view(session, row)
            target = State.APPROVED_WITH_CONDITIONS if combined.any else State.APPROVED
            self._store.transition(session, who, row, target, "approved")
            self._grants.issue(session, who, row, combined, items)
            return self._store.view(session, row)

    def refuse(self, who: Principal, request_id: str, reason: str) -> RequestView:
        if not reason.strip():
            raise InvalidInput("a refusal needs a reason")
        return _retrying(lambda: self._refuse(who, request_id, reason))

    def _refuse(self, who: Principal, request_id: str, reason: str) -> RequestView:
        with self._store.audit_denials(), self._sessions.begin() as session:
            row = self._store.locked(session, request_id)
            self._store.require(who, row, Action.REVIEW, "request.refuse")
            _closed_to(row, "refuse")
            if row.state not in PENDING or self._decided_by(session, row, who.user):
                return self._store.view(session, row)
            self._record(session, who, row, "refuse", reason, None)
            row.reason = reason.strip()
            self._store.transition(session, who, row, State.REFUSED, reason.strip())
            return self._store.view(session, row)

    # republish side -----------------------------------------------------------------------------
    def restrict_to(
        self, session: Session, holding_id: str, holding: HoldingResource, actor: str
    ) -> list[str]:
        """End what ``holding``'s new attributes no longer allow; returns the requests ended.

        Called by a publish in its own transaction, before it commits the new version: every
        pending request and every live grant on the holding is decided again, for its requester,
        against the new attributes. A request that fails is refused, a grant revoked, each
        audited with the reason. All rows are locked first, in id order, so that a concurrent
        approval either finishes before (and its grant is re-decided here) or runs after and
        sees the new attributes.
        """
        live = [*(s.value for s in PENDING), State.GRANTED.value]
        rows = session.scalars(
            select(AccessRequestRow)
            .where(AccessRequestRow.holding_id == holding_id, AccessRequestRow.state.in_(live))
            .order_by(AccessRequestRow.id)
            .with_for_update()
        ).all()
        system = Principal(actor, holding.owner, frozenset({Role.OPERATOR}), Level.R0)
        ended = []
        for row in rows:
            grant = session.scalars(select(GrantRow).where(GrantRow.request_id == row.id)).first()
            if row.state == State.GRANTED.value and not self._grants.live(grant):
                continue
            conditions = Conditions.from_stored(row.conditions)
            decision = self._store.decide_now(session, row, conditions, holding)
            if decision.allowed:
                continue
            reason = f"holding-restricted: policy:{decision.reason.value}"
            if grant is not None and row.state == State.GRANTED.value:
                self._grants.revoke_by_policy(session, system, row, grant, reason)
            else:
                self._store.end_by_policy(session, system, row, reason)
            ended.append(row.id)
        return ended

    # internals ------------------------------------------------------------------------------------
    def _record(
        self,
        session: Session,
        who: Principal,
        row: AccessRequestRow,
        decision: str,
        reason: str,
        conditions: Conditions | None,
    ) -> None:
        session.add(
            ReviewDecisionRow(
                request_id=row.id,
                steward=who.user,
                decision=decision,
                reason=reason or None,
                conditions=conditions.as_json() if conditions and conditions.any else None,
                decided_at=self._clock.now(),
            )
        )
        session.flush()
        self._store.log(
            session,
            who,
            f"review.{decision}",
            f"request:{row.id}",
            reason,
            conditions=conditions.as_json() if conditions else None,
        )

    def _decided_by(self, session: Session, row: AccessRequestRow, steward: str) -> bool:
        found = session.scalar(
            select(func.count()).where(
                ReviewDecisionRow.request_id == row.id, ReviewDecisionRow.steward == steward
            )
        )
        return bool(found)

    def _approvals_needed(self, row: AccessRequestRow) -> int:
        holding = self._catalog.security(row.holding_id, row.owner)
        return 2 if holding is not None and holding.level >= Level.R3 else 1

    def _approved_conditions(self, session: Session, row: AccessRequestRow) -> list[Conditions]:
        return [Conditions.from_stored(d.conditions) for d in self._store.approvals(session, row)]

    def _selected_items(self, row: AccessRequestRow, conditions: Conditions) -> list[str]:
        """The items the request's filter and every steward's filter all select."""
        specs = [*([row.item_filter] if row.item_filter else []), *conditions.item_filters]
        items = self._catalog.resolve_items(row.holding_id, specs)
        if not items:
            raise Conflict("the item filters select no item of the holding", code="no-items")
        return items

    def _expire_if_due(self, session: Session, row: AccessRequestRow) -> None:
        if row.state != State.GRANTED:
            return
        grant = session.scalars(select(GrantRow).where(GrantRow.request_id == row.id)).first()
        if grant is not None and grant.expires_at <= self._clock.now():
            system = Principal("system", row.owner, frozenset({Role.OPERATOR}), Level.R0)
            self._store.transition(session, system, row, State.EXPIRED, "grant expired")


def _retrying(step: Callable[[], RequestView], attempts: int = 5) -> RequestView:
    """Run a decision again when a concurrent one won the race.

    PostgreSQL serialises decisions with the row lock; SQLite ignores FOR UPDATE, so there the
    loser hits the one-decision-per-steward or one-grant-per-request constraint (or a busy
    snapshot) and simply re-reads: the second attempt sees the first's result.
    """
    for attempt in range(attempts):
        try:
            return step()
        except (IntegrityError, OperationalError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


_ENDED = frozenset({State.REFUSED, State.WITHDRAWN, State.EXPIRED, State.REVOKED})
#: States in which a decision can no longer be taken: a repeat of the decision that led there
#: answers with the request as it is (idempotent); the opposite decision is a conflict.
_CLOSED_TO = {
    "approve": _ENDED,
    "refuse": _ENDED - {State.REFUSED}
    | {State.APPROVED, State.APPROVED_WITH_CONDITIONS, State.GRANTED},
}


def _closed_to(row: AccessRequestRow, decision: str) -> None:
    state = State(row.state)
    if state in _CLOSED_TO[decision]:
        raise Conflict(
            f"request {row.id} is {state.value}: it can no longer be {decision}d",
            code="request-closed",
        )
