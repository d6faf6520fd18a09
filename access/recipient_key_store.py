"""Researchers' Crypt4GH (X25519) public keys: the key a grant addresses its data to.

A researcher registers one key (registering again replaces it, audited as ``keys.register``); a
request needs one to be submitted, and the grant issued at the last approval carries it.
"""

from __future__ import annotations

import base64

from sqlalchemy.orm import Session, sessionmaker

from access.audit_log import AuditLog
from access.clock import Clock
from access.errors import InvalidInput
from access.policy import Principal
from access.tables import RecipientKeyRow

__all__ = ["RecipientKeyStore"]


class RecipientKeyStore:
    def __init__(self, sessions: sessionmaker[Session], audit: AuditLog, clock: Clock) -> None:
        self._sessions = sessions
        self._audit = audit
        self._clock = clock

    def register(self, who: Principal, public_key_b64: str) -> None:
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
            self._audit.append(
                session,
                actor=who.user,
                admin=who.admin,
                action="keys.register",
                resource=f"user:{who.user}",
                decision="allow",
                reason="",
                details={"key": public_key_b64},
            )

    def public_key(self, session: Session, user: str) -> bytes | None:
        """``user``'s registered key (raw 32 bytes), in the caller's transaction; None if none."""
        row = session.get(RecipientKeyRow, user)
        return None if row is None else base64.b64decode(row.public_key)
