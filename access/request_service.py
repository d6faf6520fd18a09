"""The access workflow: requests, steward reviews, grants, revocations — stored and audited.

Every step asks ``access.policy.decide`` and writes its audit entry in the same transaction as the
state change, so the log and the state never disagree. A request the caller may not read is
answered exactly like one that does not exist. Decisions lock the request row, which makes
repeated and concurrent decisions idempotent: the second sees the first's result.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from access.audit_log import AuditLog
from access.audit_log import Decision as AuditDecision
from access.clock import Clock
from access.directory import Directory
from access.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from access.grants import Grant, enclave_audience, item_set_hash, sign_grant, transfer_audience
from access.policy import (
    Action,
    Decision,
    GrantResource,
    HoldingResource,
    Principal,
    Reason,
    RequestResource,
    decide,
)
from access.request_states import (
    PENDING,
    Conditions,
    Mode,
    NewRequest,
    State,
    check_transition,
    combine,
)
from access.tables import (
    AccessRequestRow,
    GrantRow,
    RecipientKeyRow,
    ReviewDecisionRow,
    UserRow,
)
from access.vocabulary import Level, Role

__all__ = ["HoldingCatalog", "RequestView", "Workflow"]


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

    def as_json(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["created_at"] = self.created_at.isoformat().replace("+00:00", "Z")
        out["updated_at"] = self.updated_at.isoformat().replace("+00:00", "Z")
        return out


def _resource(row: AccessRequestRow) -> RequestResource:
    return RequestResource(row.owner, row.requester, row.requester_admin)


def _not_found(request_id: str) -> NotFound:
    return NotFound(f"no access request {request_id!r}")


class Workflow:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        directory: Directory,
        catalog: HoldingCatalog,
        audit: AuditLog,
        clock: Clock,
        grant_ttl_cap: timedelta = timedelta(days=365),
    ) -> None:
        self._sessions = sessions
        self._directory = directory
        self._catalog = catalog
        self._audit = audit
        self._clock = clock
        self._cap = grant_ttl_cap

    # audit helpers ------------------------------------------------------------------------------
    def _log(
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
        with self._sessions.begin() as session:
            self._log(session, who, action, resource, decision.reason.value, decision="deny")

    def _require(
        self, who: Principal, row: AccessRequestRow, action: Action, audit_action: str
    ) -> None:
        now = self._clock.now()
        if not decide(who, _resource(row), Action.REQUEST_READ, now).allowed:
            raise _not_found(row.id)  # not theirs to know about: same as a missing request
        decision = decide(who, _resource(row), action, now)
        if decision.allowed:
            return
        raise _Denial(who, audit_action, f"request:{row.id}", decision)

    @contextmanager
    def _audit_denials(self) -> Iterator[None]:
        """Denials are audited after the caller's transaction has rolled back, in their own
        (appending inside it could wait on the audit head that transaction might hold)."""
        try:
            yield
        except _Denial as denial:
            self._denied(denial.who, denial.audit_action, denial.resource, denial.decision)
            raise

    # researcher side ----------------------------------------------------------------------------
    def register_key(self, who: Principal, public_key_b64: str) -> None:
        try:
            raw = base64.b64decode(public_key_b64, validate=True)
        except ValueError:
            raise InvalidInput("public_key must be base64 of a 32-byte X25519 key") from None
        if len(raw) != 32:
            raise InvalidInput("public_key must be base64 of a 32-byte X25519 key")
        with self._sessions.begin() as session:
            row = session.get(RecipientKeyRow, who.user)
            if row is None:
                session.add(
                    RecipientKeyRow(
                        user=who.user, public_key=public_key_b64, registered_at=self._clock.now()
                    )
                )
            else:
                row.public_key, row.registered_at = public_key_b64, self._clock.now()
            self._log(session, who, "keys.register", f"user:{who.user}", key=public_key_b64)

    def create(self, who: Principal, new: NewRequest) -> RequestView:
        holding = self._catalog.security(new.holding_id, who.admin)
        if holding is None:
            raise NotFound(f"no holding {new.holding_id!r}")
        if new.item_filter is not None:
            self._catalog.check_filter(new.item_filter)
        action = Action.REQUEST_DOWNLOAD if new.mode is Mode.DOWNLOAD else Action.REQUEST_EVALUATION
        decision = decide(who, holding, action, self._clock.now())
        with self._sessions.begin() as session:
            if decision.allowed and session.get(RecipientKeyRow, who.user) is None:
                raise Conflict(
                    "register your Crypt4GH public key first (clearance keys register)",
                    code="no-recipient-key",
                )
            row = self._new_row(who, new, holding, decision)
            session.add(row)
            session.flush()
            self._log(
                session,
                who,
                "request.create",
                f"request:{row.id}",
                holding=new.holding_id,
                mode=new.mode.value,
                purpose_code=new.purpose_code,
            )
            if not decision.allowed:
                self._log(
                    session,
                    who,
                    "request.refuse",
                    f"request:{row.id}",
                    f"policy:{decision.reason.value}",
                    decision="deny",
                )
            return self._view(session, row)

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
        with self._audit_denials(), self._sessions.begin() as session:
            row = self._locked(session, request_id)
            self._require(who, row, Action.REQUEST_WITHDRAW, "request.withdraw")
            if row.state != State.WITHDRAWN:
                self._transition(session, who, row, State.WITHDRAWN, "withdrawn by requester")
            return self._view(session, row)

    # reading ------------------------------------------------------------------------------------
    def get(self, who: Principal, request_id: str) -> RequestView:
        with self._audit_denials(), self._sessions.begin() as session:
            row = session.get(AccessRequestRow, request_id)
            if row is None:
                raise _not_found(request_id)
            self._require(who, row, Action.REQUEST_READ, "request.read")
            self._expire_if_due(session, row)
            return self._view(session, row)

    def mine(self, who: Principal) -> list[RequestView]:
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(AccessRequestRow)
                .where(AccessRequestRow.requester == who.user)
                .order_by(AccessRequestRow.created_at.desc())
            ).all()
            for row in rows:
                self._expire_if_due(session, row)
            return [self._view(session, r) for r in rows]

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
            views = [self._view(session, r) for r in rows]
        return [v for v in views if who.user not in v.approvals]

    # steward side -------------------------------------------------------------------------------
    def approve(
        self, who: Principal, request_id: str, conditions: Conditions, reason: str = ""
    ) -> RequestView:
        return _retrying(lambda: self._approve(who, request_id, conditions, reason))

    def _approve(
        self, who: Principal, request_id: str, conditions: Conditions, reason: str
    ) -> RequestView:
        with self._audit_denials(), self._sessions.begin() as session:
            row = self._locked(session, request_id)
            self._require(who, row, Action.REVIEW, "request.approve")
            if row.state not in PENDING or self._decided_by(session, row, who.user):
                return self._view(session, row)  # repeated or concurrent: first one won
            for spec in conditions.item_filters:
                self._catalog.check_filter(spec)
            combined = combine([*self._approved_conditions(session, row), conditions])
            # Decided again, for the requester, on the holding as it is now (it may have been
            # republished narrower since the request): at every approval, so also at the last
            # one, which issues the grant in this transaction with the request row locked.
            decision = self._decide_now(session, row, combined)
            if not decision.allowed:
                self._end_by_policy(session, who, row, f"policy:{decision.reason.value}")
                return self._view(session, row)
            items = self._selected_items(row, combined)
            self._record(session, who, row, "approve", reason, conditions)
            # The combined effect so far, shown to the next steward before a grant exists.
            row.conditions = combined.as_json() if combined.any else None
            row.item_ids = items
            if len(self._approvals(session, row)) < self._approvals_needed(row):
                if row.state != State.UNDER_REVIEW:
                    self._transition(session, who, row, State.UNDER_REVIEW, "first approval")
                return self._view(session, row)
            self._finish_approval(session, who, row, combined, items)
            return self._view(session, row)

    def refuse(self, who: Principal, request_id: str, reason: str) -> RequestView:
        if not reason.strip():
            raise InvalidInput("a refusal needs a reason")
        return _retrying(lambda: self._refuse(who, request_id, reason))

    def _refuse(self, who: Principal, request_id: str, reason: str) -> RequestView:
        with self._audit_denials(), self._sessions.begin() as session:
            row = self._locked(session, request_id)
            self._require(who, row, Action.REVIEW, "request.refuse")
            if row.state not in PENDING or self._decided_by(session, row, who.user):
                return self._view(session, row)
            self._record(session, who, row, "refuse", reason, None)
            row.reason = reason.strip()
            self._transition(session, who, row, State.REFUSED, reason.strip())
            return self._view(session, row)

    def revoke(self, who: Principal, jti: str, reason: str) -> RequestView:
        with self._audit_denials(), self._sessions.begin() as session:
            grant = session.get(GrantRow, jti)
            row = None if grant is None else self._locked(session, grant.request_id)
            if grant is None or row is None:
                raise NotFound(f"no grant {jti!r}")
            self._require(who, row, Action.GRANT_REVOKE, "grant.revoke")
            if grant.revoked_at is None:
                grant.revoked_at, grant.revoked_by = self._clock.now(), who.user
                grant.revoke_reason = reason.strip() or "revoked"
                self._transition(session, who, row, State.REVOKED, grant.revoke_reason)
            return self._view(session, row)

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
            if row.state == State.GRANTED.value and not self._live(grant):
                continue
            conditions = Conditions.from_stored(row.conditions)
            decision = self._decide_now(session, row, conditions, holding)
            if decision.allowed:
                continue
            reason = f"holding-restricted: policy:{decision.reason.value}"
            if grant is not None and row.state == State.GRANTED.value:
                self._revoke_by_policy(session, system, row, grant, reason)
            else:
                self._end_by_policy(session, system, row, reason)
            ended.append(row.id)
        return ended

    def _live(self, grant: GrantRow | None) -> bool:
        return (
            grant is not None and grant.revoked_at is None and grant.expires_at > self._clock.now()
        )

    def _revoke_by_policy(
        self, session: Session, who: Principal, row: AccessRequestRow, grant: GrantRow, reason: str
    ) -> None:
        grant.revoked_at, grant.revoked_by = self._clock.now(), who.user
        grant.revoke_reason = reason
        self._transition(session, who, row, State.REVOKED, reason)
        self._log(session, who, "grant.revoke", f"grant:{grant.jti}", reason, request=row.id)

    def is_revoked(self, jti: str) -> bool:
        """Fails closed: a grant this node did not issue counts as revoked."""
        with self._sessions() as session:
            grant = session.get(GrantRow, jti)
            return grant is None or grant.revoked_at is not None

    def grants(self, who: Principal) -> list[dict[str, Any]]:
        """The grants ``who`` may read (metadata only: tokens go to their subjects alone)."""
        now = self._clock.now()
        with self._sessions() as session:
            candidates = select(GrantRow).where(
                (GrantRow.subject == who.user) | (GrantRow.owner == who.admin)
            )
            rows = session.scalars(candidates.order_by(GrantRow.issued_at.desc())).all()
            readable = [g for g in rows if decide(who, _grant(g), Action.GRANT_READ, now)]
            return [self._grant_json(g) for g in readable]

    def granted_items(self, jti: str) -> list[str] | None:
        """The item ids fixed when the grant's request was approved (None for an unknown grant).

        For the transfer and enclave services, which hold a verified grant: its ``items_sha256``
        must be the hash of this list.
        """
        with self._sessions() as session:
            grant = session.get(GrantRow, jti)
            row = None if grant is None else session.get(AccessRequestRow, grant.request_id)
            if row is None or row.item_ids is None:
                return None
            return [str(item) for item in row.item_ids]

    def grant_token(self, who: Principal, jti: str) -> str:
        now = self._clock.now()
        with self._sessions() as session:
            grant = session.get(GrantRow, jti)
            if grant is None or not decide(who, _grant(grant), Action.GRANT_READ, now):
                raise NotFound(f"no grant {jti!r}")  # not theirs to know about: as if missing
            decision = decide(who, _grant(grant), Action.GRANT_TOKEN_READ, now)
            if not decision.allowed:
                raise PermissionDenied(
                    "a grant's token is for its subject only; its metadata is in the grant list",
                    code=decision.reason.value,
                )
            return grant.token

    # internals ----------------------------------------------------------------------------------
    def _locked(self, session: Session, request_id: str) -> AccessRequestRow:
        row = session.scalars(
            select(AccessRequestRow).where(AccessRequestRow.id == request_id).with_for_update()
        ).first()
        if row is None:
            raise _not_found(request_id)
        return row

    def _transition(
        self, session: Session, who: Principal, row: AccessRequestRow, target: State, reason: str
    ) -> None:
        check_transition(State(row.state), target)
        before = row.state
        row.state, row.updated_at, row.version = target.value, self._clock.now(), row.version + 1
        self._log(
            session,
            who,
            f"request.{target.value}",
            f"request:{row.id}",
            reason,
            previous=before,
            holding=row.holding_id,
        )

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
        self._log(
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

    def _approvals(self, session: Session, row: AccessRequestRow) -> list[ReviewDecisionRow]:
        return list(
            session.scalars(
                select(ReviewDecisionRow)
                .where(
                    ReviewDecisionRow.request_id == row.id, ReviewDecisionRow.decision == "approve"
                )
                .order_by(ReviewDecisionRow.id)
            )
        )

    def _approvals_needed(self, row: AccessRequestRow) -> int:
        holding = self._catalog.security(row.holding_id, row.owner)
        return 2 if holding is not None and holding.level >= Level.R3 else 1

    def _approved_conditions(self, session: Session, row: AccessRequestRow) -> list[Conditions]:
        return [Conditions.from_stored(d.conditions) for d in self._approvals(session, row)]

    def _selected_items(self, row: AccessRequestRow, conditions: Conditions) -> list[str]:
        """The items the request's filter and every steward's filter all select."""
        specs = [*([row.item_filter] if row.item_filter else []), *conditions.item_filters]
        items = self._catalog.resolve_items(row.holding_id, specs)
        if not items:
            raise Conflict("the item filters select no item of the holding", code="no-items")
        return items

    def _requester(self, session: Session, row: AccessRequestRow) -> Principal | None:
        """The requester as the directory knows them now (clearance and roles may change)."""
        user = session.get(UserRow, row.requester)
        if user is None:
            return None
        roles = frozenset(Role(r) for r in user.roles.split(","))
        return Principal(user.name, user.admin_id, roles, Level(user.clearance))

    def _decide_now(
        self,
        session: Session,
        row: AccessRequestRow,
        conditions: Conditions,
        holding: HoldingResource | None = None,
    ) -> Decision:
        """The request's access decided again for its requester, on ``holding`` (default: the
        holding's current attributes). Fails closed when the holding or requester is gone."""
        if holding is None:
            holding = self._catalog.security(row.holding_id, row.requester_admin)
        requester = self._requester(session, row)
        if holding is None or requester is None:
            return Decision(False, Reason.NOT_DISCOVERABLE)
        evaluate = conditions.evaluation_only or row.mode == Mode.EVALUATION.value
        action = Action.REQUEST_EVALUATION if evaluate else Action.REQUEST_DOWNLOAD
        return decide(requester, holding, action, self._clock.now())

    def _end_by_policy(
        self, session: Session, who: Principal, row: AccessRequestRow, reason: str
    ) -> None:
        """A pending request the policy no longer allows is refused (audited with why)."""
        row.reason = reason
        self._transition(session, who, row, State.REFUSED, reason)

    def _finish_approval(
        self,
        session: Session,
        who: Principal,
        row: AccessRequestRow,
        conditions: Conditions,
        items: list[str],
    ) -> None:
        row.item_ids = items
        row.conditions = conditions.as_json() if conditions.any else None
        target = State.APPROVED_WITH_CONDITIONS if conditions.any else State.APPROVED
        self._transition(session, who, row, target, "approved")
        self._issue_grant(session, who, row, conditions, items)

    def _issue_grant(
        self,
        session: Session,
        who: Principal,
        row: AccessRequestRow,
        conditions: Conditions,
        items: list[str],
    ) -> None:
        recipient = session.get(RecipientKeyRow, row.requester)
        if recipient is None:
            raise Conflict("the requester has no registered Crypt4GH key", code="no-recipient-key")
        evaluate = conditions.evaluation_only or row.mode == Mode.EVALUATION.value
        days = min(row.duration_days, conditions.max_days or row.duration_days)
        now = self._clock.now()
        version = self._catalog.version(row.holding_id)
        grant = Grant(
            issuer_admin=row.owner,
            subject=row.requester,
            audience=enclave_audience(row.owner) if evaluate else transfer_audience(row.owner),
            jti=secrets.token_urlsafe(24),
            issued_at=now,
            not_before=now,
            expires_at=min(now + timedelta(days=days), now + self._cap),
            holding=row.holding_id,
            holding_version=version,
            items_sha256=item_set_hash(items),
            operations=("evaluate",) if evaluate else ("download",),
            request=row.id,
            conditions=conditions.as_json() if conditions.any else {},
            recipient_key=base64.b64decode(recipient.public_key),
            manifest_sha256=self._catalog.manifest_sha256(row.holding_id, version),
        )
        token = sign_grant(grant, self._directory.signing_key(row.owner))
        session.add(
            GrantRow(
                jti=grant.jti,
                request_id=row.id,
                subject=row.requester,
                holding_id=row.holding_id,
                owner=row.owner,
                token=token,
                operations=",".join(grant.operations),
                expires_at=grant.expires_at,
                issued_at=now,
            )
        )
        self._transition(session, who, row, State.GRANTED, f"grant {grant.jti}")
        self._log(
            session,
            who,
            "grant.issue",
            f"grant:{grant.jti}",
            holding=row.holding_id,
            subject=row.requester,
            operations=list(grant.operations),
            expires=grant.expires_at.isoformat(),
        )

    def _expire_if_due(self, session: Session, row: AccessRequestRow) -> None:
        if row.state != State.GRANTED:
            return
        grant = session.scalars(select(GrantRow).where(GrantRow.request_id == row.id)).first()
        if grant is not None and grant.expires_at <= self._clock.now():
            system = Principal("system", row.owner, frozenset({Role.OPERATOR}), Level.R0)
            self._transition(session, system, row, State.EXPIRED, "grant expired")

    def _view(self, session: Session, row: AccessRequestRow) -> RequestView:
        approvals = [d.steward for d in self._approvals(session, row)]
        grant = session.scalars(select(GrantRow.jti).where(GrantRow.request_id == row.id)).first()
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
        )

    def _grant_json(self, grant: GrantRow) -> dict[str, Any]:
        now = self._clock.now()
        status = (
            "revoked" if grant.revoked_at else "expired" if grant.expires_at <= now else "valid"
        )
        return {
            "jti": grant.jti,
            "request": grant.request_id,
            "subject": grant.subject,
            "holding": grant.holding_id,
            "owner": grant.owner,
            "operations": grant.operations,
            "expires_at": grant.expires_at.isoformat().replace("+00:00", "Z"),
            "status": status,
        }


class _Denial(PermissionDenied):
    def __init__(self, who: Principal, audit_action: str, resource: str, decision: Decision):
        super().__init__(f"not allowed: {decision.reason}", code=decision.reason.value)
        self.who, self.audit_action, self.resource, self.decision = (
            who,
            audit_action,
            resource,
            decision,
        )


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


def _grant(row: GrantRow) -> GrantResource:
    return GrantResource(row.owner, row.subject)
