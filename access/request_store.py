"""Access request rows as the request and grant services keep them: one place for both.

Locking a request row, moving it between states (audited in the same transaction), viewing it,
deciding it again for its requester on the holding as it is now, and auditing denials in their own
transaction once the caller's has rolled back. :mod:`access.request_service` (requests and
reviews) and :mod:`access.grant_service` (grant issue, revocation, reading) share one
:class:`RequestStore`; neither imports the other's internals.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from access.audit_log import AuditLog
from access.audit_log import Decision as AuditDecision
from access.clock import Clock
from access.encoding import utc_text
from access.errors import NotFound, PermissionDenied
from access.policy import (
    Action,
    Decision,
    HoldingResource,
    Principal,
    Reason,
    RequestResource,
    decide,
)
from access.request_states import PENDING, Conditions, Mode, State, check_transition
from access.tables import AccessRequestRow, GrantRow, ReviewDecisionRow, UserRow
from access.vocabulary import Level, Role

__all__ = ["HoldingCatalog", "RequestStore", "RequestView", "request_not_found"]


class HoldingCatalog(Protocol):
    """What the workflow needs from the catalogue (a higher layer, injected at the root)."""

    def security(self, holding_id: str, viewer_admin: str) -> HoldingResource | None: ...
    def version(self, holding_id: str) -> int: ...
    def manifest_sha256(self, holding_id: str, version: int) -> str | None: ...
    def check_filter(self, spec: dict[str, Any]) -> None: ...
    def resolve_items(self, holding_id: str, specs: Sequence[dict[str, Any]]) -> list[str]: ...


@dataclass(frozen=True)
class RequestView:
    id: str
    requester: str
    requester_admin: str
    holding: str
    owner: str
    mode: str
    purpose: str
    purpose_code: str
    duration_days: int
    state: str
    reason: str | None
    conditions: dict[str, Any] | None
    items: int | None
    approvals: list[str]
    grant: str | None
    created_at: datetime
    updated_at: datetime
    #: The requester's own CQL2 item filter (``{"lang", "filter"}``), if any.
    item_filter: dict[str, Any] | None = None
    #: Every steward's decision so far: steward, decision, reason, conditions, at.
    decisions: tuple[dict[str, Any], ...] = ()
    #: Pending requests only: the policy decided again now ("allowed" or the refusal reason),
    #: and how many items the request's filter and the conditions so far select now.
    precheck: str | None = None
    selects: int | None = None

    def as_json(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["created_at"] = utc_text(self.created_at)
        out["updated_at"] = utc_text(self.updated_at)
        out["decisions"] = list(self.decisions)
        return out


def request_not_found(request_id: str) -> NotFound:
    return NotFound(f"no access request {request_id!r}")


def _resource(row: AccessRequestRow) -> RequestResource:
    return RequestResource(row.owner, row.requester, row.requester_admin)


class RequestStore:
    """The request rows, and the context both services share (``sessions``, ``catalog``,
    ``clock``: read them, never replace them)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        catalog: HoldingCatalog,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self.sessions, self.catalog, self.clock = sessions, catalog, clock
        self._audit = audit

    # audit --------------------------------------------------------------------------------------
    def log(
        self,
        session: Session,
        who: Principal,
        action: str,
        resource: str,
        reason: str = "",
        decision: AuditDecision = "allow",
        **details: Any,
    ) -> None:
        self._audit.append(
            session,
            actor=who.user,
            admin=who.admin,
            action=action,
            resource=resource,
            decision=decision,
            reason=reason,
            details=details,
        )

    def _denied(self, who: Principal, action: str, resource: str, decision: Decision) -> None:
        """Record a denial in its own transaction (the caller's is about to roll back)."""
        with self.sessions.begin() as session:
            self.log(session, who, action, resource, decision.reason.value, decision="deny")

    def require(
        self, who: Principal, row: AccessRequestRow, action: Action, audit_action: str
    ) -> None:
        now = self.clock.now()
        if not decide(who, _resource(row), Action.REQUEST_READ, now).allowed:
            raise request_not_found(row.id)  # not theirs to know about: same as a missing request
        decision = decide(who, _resource(row), action, now)
        if decision.allowed:
            return
        raise _Denial(who, audit_action, f"request:{row.id}", decision)

    @contextmanager
    def audit_denials(self) -> Iterator[None]:
        """Denials are audited after the caller's transaction has rolled back, in their own
        (appending inside it could wait on the audit head that transaction might hold)."""
        try:
            yield
        except _Denial as denial:
            self._denied(denial.who, denial.audit_action, denial.resource, denial.decision)
            raise

    # rows ---------------------------------------------------------------------------------------
    def locked(self, session: Session, request_id: str) -> AccessRequestRow:
        row = session.scalars(
            select(AccessRequestRow).where(AccessRequestRow.id == request_id).with_for_update()
        ).first()
        if row is None:
            raise request_not_found(request_id)
        return row

    def transition(
        self, session: Session, who: Principal, row: AccessRequestRow, target: State, reason: str
    ) -> None:
        check_transition(State(row.state), target)
        before = row.state
        row.state, row.updated_at, row.version = target.value, self.clock.now(), row.version + 1
        self.log(
            session,
            who,
            f"request.{target.value}",
            f"request:{row.id}",
            reason,
            previous=before,
            holding=row.holding_id,
        )

    def approvals(self, session: Session, row: AccessRequestRow) -> list[ReviewDecisionRow]:
        return list(
            session.scalars(
                select(ReviewDecisionRow)
                .where(
                    ReviewDecisionRow.request_id == row.id, ReviewDecisionRow.decision == "approve"
                )
                .order_by(ReviewDecisionRow.id)
            )
        )

    def view(self, session: Session, row: AccessRequestRow) -> RequestView:
        approvals = [d.steward for d in self.approvals(session, row)]
        grant = session.scalars(select(GrantRow.jti).where(GrantRow.request_id == row.id)).first()
        precheck, selects = self._pending_outlook(session, row)
        return RequestView(
            id=row.id,
            requester=row.requester,
            requester_admin=row.requester_admin,
            holding=row.holding_id,
            owner=row.owner,
            mode=row.mode,
            purpose=row.purpose,
            purpose_code=row.purpose_code,
            duration_days=row.duration_days,
            state=row.state,
            reason=row.reason,
            conditions=row.conditions,
            items=len(row.item_ids) if row.item_ids is not None else None,
            approvals=approvals,
            grant=grant,
            created_at=row.created_at,
            updated_at=row.updated_at,
            item_filter=row.item_filter,
            decisions=tuple(self._decisions(session, row)),
            precheck=precheck,
            selects=selects,
        )

    def _decisions(self, session: Session, row: AccessRequestRow) -> Iterator[dict[str, Any]]:
        query = (
            select(ReviewDecisionRow)
            .where(ReviewDecisionRow.request_id == row.id)
            .order_by(ReviewDecisionRow.id)
        )
        for d in session.scalars(query):
            yield {
                "steward": d.steward,
                "decision": d.decision,
                "reason": d.reason or "",
                "conditions": d.conditions,
                "at": utc_text(d.decided_at),
            }

    def _pending_outlook(
        self, session: Session, row: AccessRequestRow
    ) -> tuple[str | None, int | None]:
        """What a steward needs to decide a pending request: the policy decided again for the
        requester now, and the number of items the filters so far select (None otherwise)."""
        if State(row.state) not in PENDING:
            return None, None
        conditions = Conditions.from_stored(row.conditions)
        decision = self.decide_now(session, row, conditions)
        specs = [*([row.item_filter] if row.item_filter else []), *conditions.item_filters]
        selects = len(self.catalog.resolve_items(row.holding_id, specs)) if decision.allowed else 0
        return decision.reason.value, selects

    # deciding again -----------------------------------------------------------------------------
    def _requester(self, session: Session, row: AccessRequestRow) -> Principal | None:
        """The requester as the directory knows them now (clearance and roles may change)."""
        user = session.get(UserRow, row.requester)
        if user is None:
            return None
        roles = frozenset(Role(r) for r in user.roles.split(","))
        return Principal(user.name, user.admin_id, roles, Level(user.clearance))

    def decide_now(
        self,
        session: Session,
        row: AccessRequestRow,
        conditions: Conditions,
        holding: HoldingResource | None = None,
    ) -> Decision:
        """The request's access decided again for its requester, on ``holding`` (default: the
        holding's current attributes). Fails closed when the holding or requester is gone."""
        if holding is None:
            holding = self.catalog.security(row.holding_id, row.requester_admin)
        requester = self._requester(session, row)
        if holding is None or requester is None:
            return Decision(False, Reason.NOT_DISCOVERABLE)
        evaluate = conditions.evaluation_only or row.mode == Mode.EVALUATION.value
        action = Action.REQUEST_EVALUATION if evaluate else Action.REQUEST_DOWNLOAD
        return decide(requester, holding, action, self.clock.now())

    def end_by_policy(
        self, session: Session, who: Principal, row: AccessRequestRow, reason: str
    ) -> None:
        """A pending request the policy no longer allows is refused (audited with why)."""
        row.reason = reason
        self.transition(session, who, row, State.REFUSED, reason)


class _Denial(PermissionDenied):
    def __init__(self, who: Principal, audit_action: str, resource: str, decision: Decision):
        super().__init__(f"not allowed: {decision.reason}", code=decision.reason.value)
        self.who, self.audit_action, self.resource, self.decision = (
            who,
            audit_action,
            resource,
            decision,
        )
