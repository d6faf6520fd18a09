"""Grants: issued at a request's last approval, revoked by a steward or by policy, read.

A grant is signed by the owner's key and addressed to the requester's registered Crypt4GH key
(:class:`~access.recipient_key_store.RecipientKeyStore`); issue and revocation move the request
row (:class:`~access.request_store.RequestStore`) in the same transaction and audit it. The
transfer and enclave services, holding a verified grant, ask :meth:`GrantService.is_revoked`
(fails closed) and :meth:`GrantService.granted_items`; ``transfer.service.GrantRecords`` is that
narrow view.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.directory import Directory
from access.encoding import utc_text
from access.errors import Conflict, NotFound, PermissionDenied
from access.grants import Grant, enclave_audience, item_set_hash, sign_grant, transfer_audience
from access.policy import Action, GrantResource, HeldGrant, Principal, decide
from access.recipient_key_store import RecipientKeyStore
from access.request_states import Conditions, Mode, State
from access.request_store import RequestStore, RequestView
from access.tables import AccessRequestRow, GrantRow

__all__ = ["GRANT_TTL_CAP", "GrantService", "new_grant_id"]


def new_grant_id() -> str:
    """A grant's jti: 192 random bits, base64url, never starting with ``-`` or ``_`` — a leading
    ``-`` made ``clearance grant show -Q…`` read the id as an option (1 grant in 64)."""
    while True:
        jti = secrets.token_urlsafe(24)
        if jti[0].isalnum():
            return jti


#: The longest a grant may run, whatever the request asked.
GRANT_TTL_CAP = timedelta(days=365)


class GrantService:
    def __init__(self, store: RequestStore, directory: Directory, keys: RecipientKeyStore) -> None:
        self._store, self._directory, self._keys = store, directory, keys
        self._sessions, self._catalog, self._clock = store.sessions, store.catalog, store.clock

    # issue --------------------------------------------------------------------------------------
    def issue(
        self,
        session: Session,
        who: Principal,
        row: AccessRequestRow,
        conditions: Conditions,
        items: list[str],
    ) -> None:
        """Sign and store the grant of the approved request ``row`` (locked, in ``session``)."""
        evaluate = conditions.evaluation_only or row.mode == Mode.EVALUATION.value
        # An evaluate-only grant sends no data to the researcher: bound to their key if they
        # registered one, to none otherwise.
        recipient_key = self._keys.public_key(session, row.requester)
        if recipient_key is None and not evaluate:
            raise Conflict("the requester has no registered Crypt4GH key", code="no-recipient-key")
        days = min(row.duration_days, conditions.max_days or row.duration_days)
        now = self._clock.now()
        version = self._catalog.version(row.holding_id)
        grant = Grant(
            issuer_admin=row.owner,
            subject=row.requester,
            audience=enclave_audience(row.owner) if evaluate else transfer_audience(row.owner),
            jti=new_grant_id(),
            issued_at=now,
            not_before=now,
            expires_at=min(now + timedelta(days=days), now + GRANT_TTL_CAP),
            holding=row.holding_id,
            holding_version=version,
            items_sha256=item_set_hash(items),
            operations=("evaluate",) if evaluate else ("download",),
            request=row.id,
            conditions=conditions.as_json() if conditions.any else {},
            recipient_key=recipient_key,
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
        self._store.transition(session, who, row, State.GRANTED, f"grant {grant.jti}")
        self._store.log(
            session,
            who,
            "grant.issue",
            f"grant:{grant.jti}",
            holding=row.holding_id,
            subject=row.requester,
            operations=list(grant.operations),
            expires=grant.expires_at.isoformat(),
        )

    # revocation ---------------------------------------------------------------------------------
    def revoke(self, who: Principal, jti: str, reason: str) -> RequestView:
        store = self._store
        with store.audit_denials(), self._sessions.begin() as session:
            grant = session.get(GrantRow, jti)
            row = None if grant is None else store.locked(session, grant.request_id)
            if grant is None or row is None:
                raise NotFound(f"no grant {jti!r}")
            store.require(who, row, Action.GRANT_REVOKE, "grant.revoke")
            if grant.revoked_at is None:
                grant.revoked_at, grant.revoked_by = self._clock.now(), who.user
                grant.revoke_reason = reason.strip() or "revoked"
                store.transition(session, who, row, State.REVOKED, grant.revoke_reason)
            return store.view(session, row)

    def revoke_by_policy(
        self, session: Session, who: Principal, row: AccessRequestRow, grant: GrantRow, reason: str
    ) -> None:
        grant.revoked_at, grant.revoked_by = self._clock.now(), who.user
        grant.revoke_reason = reason
        self._store.transition(session, who, row, State.REVOKED, reason)
        self._store.log(session, who, "grant.revoke", f"grant:{grant.jti}", reason, request=row.id)

    def live(self, grant: GrantRow | None) -> bool:
        return (
            grant is not None and grant.revoked_at is None and grant.expires_at > self._clock.now()
        )

    # reading ------------------------------------------------------------------------------------
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

    def held(self, jti: str) -> HeldGrant | None:
        """The grant ``jti`` as the policy weighs it (None if this node never issued it)."""
        with self._sessions() as session:
            grant = session.get(GrantRow, jti)
            return None if grant is None else _held(grant)

    def held_by(self, user: str, holding_id: str) -> list[HeldGrant]:
        """Every grant ``user`` was issued on ``holding_id`` (live or not: the policy decides)."""
        with self._sessions() as session:
            rows = session.scalars(
                select(GrantRow).where(GrantRow.subject == user, GrantRow.holding_id == holding_id)
            )
            return [_held(g) for g in rows]

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
            "expires_at": utc_text(grant.expires_at),
            "status": status,
        }


def _grant(row: GrantRow) -> GrantResource:
    return GrantResource(row.owner, row.subject)


def _held(row: GrantRow) -> HeldGrant:
    return HeldGrant(
        subject=row.subject,
        holding_id=row.holding_id,
        operations=frozenset(row.operations.split(",")),
        expires_at=row.expires_at,
        revoked=row.revoked_at is not None,
    )
