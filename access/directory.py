"""The node's directory: administrations, their signing keys, users, tokens and logins.

This is the service layer of ``access``: it does the I/O (database, key files) and leaves every
decision to ``access.policy`` and every token rule to ``access.tokens``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from access.audit_log import AuditLog
from access.clock import Clock
from access.errors import AuthenticationError, Conflict, InvalidInput, NotFound
from access.keys import (
    SigningKey,
    generate_signing_key,
    load_signing_key,
    public_key_from_jwk,
    save_signing_key,
)
from access.passwords import hash_password, needs_rehash, verify_password
from access.policy import Principal
from access.tables import AdministrationRow, RevokedTokenRow, SigningKeyRow, UserRow
from access.tokens import MAX_SKEW, TokenClaims, TrustedKey, issue_token, verify_token
from access.vocabulary import Level, Role, parse_admin_code

__all__ = ["Directory", "UserInfo"]

_USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
DEFAULT_TOKEN_TTL = timedelta(hours=8)
T = TypeVar("T")


@dataclass(frozen=True)
class UserInfo:
    name: str
    admin: str
    roles: tuple[Role, ...]
    clearance: Level

    def principal(self) -> Principal:
        return Principal(self.name, self.admin, frozenset(self.roles), self.clearance)


def _user_info(row: UserRow) -> UserInfo:
    roles = tuple(Role(r) for r in row.roles.split(","))
    return UserInfo(row.name, row.admin_id, roles, Level(row.clearance))


def _checked(parse: Callable[[str], T], value: str) -> T:
    try:
        return parse(value)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


class Directory:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        keys_dir: Path,
        clock: Clock,
        audit: AuditLog | None = None,
    ) -> None:
        self._sessions = sessions
        self._keys_dir = keys_dir
        self._clock = clock
        self._audit = audit  # logins and failed logins are recorded when given

    # administrations and keys -------------------------------------------------------------
    def add_administration(self, code: str, name: str) -> str:
        """Register an administration and give it a fresh signing key; returns the key id."""
        code = _checked(parse_admin_code, code)
        if not name.strip() or len(name) > 200:
            raise InvalidInput("administration name must be 1–200 characters")
        with self._sessions.begin() as session:
            if session.get(AdministrationRow, code) is not None:
                raise Conflict(f"administration {code} exists already")
            session.add(AdministrationRow(id=code, name=name.strip(), created_at=self._clock.now()))
            session.flush()
            return self._add_key(session, code)

    def rotate_key(self, admin: str) -> str:
        """Add a new active key; older keys keep verifying until retired."""
        with self._sessions.begin() as session:
            self._require_admin(session, admin)
            return self._add_key(session, admin)

    def retire_key(self, kid: str) -> None:
        with self._sessions.begin() as session:
            row = session.get(SigningKeyRow, kid)
            if row is None:
                raise NotFound(f"no signing key {kid}")
            row.status = "retired"

    def _add_key(self, session: Session, admin: str) -> str:
        key = generate_signing_key()
        # The newest key signs: make "newest" strict even if the clock stands still.
        newest = session.scalar(
            select(func.max(SigningKeyRow.created_at)).where(SigningKeyRow.admin_id == admin)
        )
        created = self._clock.now()
        if newest is not None and created <= newest:
            created = newest + timedelta(microseconds=1)
        path = save_signing_key(key, self._keys_dir / admin)
        try:
            session.add(
                SigningKeyRow(
                    kid=key.kid,
                    admin_id=admin,
                    alg=key.alg,
                    public_jwk=key.public_jwk(),
                    status="active",
                    created_at=created,
                )
            )
            session.flush()
        except Exception:
            path.unlink(missing_ok=True)  # no orphan key file when the row is not written
            raise
        return key.kid

    def _require_admin(self, session: Session, admin: str) -> AdministrationRow:
        row = session.get(AdministrationRow, admin)
        if row is None:
            raise NotFound(f"no administration {admin}")
        return row

    def administrations(self) -> list[tuple[str, str]]:
        with self._sessions() as session:
            rows = session.scalars(select(AdministrationRow).order_by(AdministrationRow.id))
            return [(r.id, r.name) for r in rows]

    def signing_key(self, admin: str) -> SigningKey:
        """The newest active key of ``admin`` (private half read from its 0600 file)."""
        with self._sessions() as session:
            row = session.scalars(
                select(SigningKeyRow)
                .where(SigningKeyRow.admin_id == admin, SigningKeyRow.status == "active")
                .order_by(SigningKeyRow.created_at.desc(), SigningKeyRow.kid)
                .limit(1)
            ).first()
        if row is None:
            raise NotFound(f"administration {admin} has no active signing key")
        return load_signing_key(self._keys_dir / admin / f"{row.kid}.pem")

    def trusted_keys(self) -> dict[str, TrustedKey]:
        with self._sessions() as session:
            rows = session.scalars(select(SigningKeyRow).where(SigningKeyRow.status == "active"))
            return {
                r.kid: TrustedKey(r.kid, r.admin_id, public_key_from_jwk(r.public_jwk), r.alg)
                for r in rows
            }

    def jwks(self, admin: str | None = None) -> dict[str, Any]:
        with self._sessions() as session:
            query = select(SigningKeyRow).where(SigningKeyRow.status == "active")
            if admin is not None:
                query = query.where(SigningKeyRow.admin_id == admin)
            rows = session.scalars(query.order_by(SigningKeyRow.admin_id, SigningKeyRow.kid))
            return {"keys": [dict(r.public_jwk) for r in rows]}

    # users -----------------------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        *,
        admin: str,
        roles: Iterable[Role],
        clearance: Level,
        password: str | None = None,
    ) -> UserInfo:
        if not _USER_NAME.fullmatch(name):
            raise InvalidInput(
                f"user name {name!r} must be 1–64 of a-z 0-9 . _ - starting with a letter or digit"
            )
        role_set = sorted({_checked(Role, r) for r in roles})
        if not role_set:
            raise InvalidInput("a user needs at least one role")
        if clearance is Level.R4:
            raise InvalidInput("no user may hold R4 clearance: R4 content is never served")
        hashed = _checked(hash_password, password) if password is not None else None
        with self._sessions.begin() as session:
            self._require_admin(session, admin)
            if session.get(UserRow, name) is not None:
                raise Conflict(f"user {name} exists already")
            row = UserRow(
                name=name,
                admin_id=admin,
                roles=",".join(role_set),
                clearance=int(clearance),
                password_hash=hashed,
                created_at=self._clock.now(),
            )
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                raise Conflict(f"user {name} exists already") from None
            return _user_info(row)

    def user(self, name: str) -> UserInfo:
        with self._sessions() as session:
            row = session.get(UserRow, name)
            if row is None:
                raise NotFound(f"no user {name}")
            return _user_info(row)

    def users(self) -> list[UserInfo]:
        with self._sessions() as session:
            return [_user_info(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]

    # tokens ------------------------------------------------------------------------------------
    def issue_token(self, name: str, *, audience: str, ttl: timedelta = DEFAULT_TOKEN_TTL) -> str:
        user = self.user(name)
        key = self.signing_key(user.admin)
        return issue_token(
            key, user=user.name, admin=user.admin, audience=audience, now=self._clock.now(), ttl=ttl
        )

    def login(self, name: str, password: str, *, audience: str) -> str:
        with self._sessions() as session:
            row = session.get(UserRow, name) if _USER_NAME.fullmatch(name) else None
            stored = row.password_hash if row is not None else None
        # Verify even for unknown users so that timing does not reveal which names exist.
        ok = verify_password(password, stored or _DUMMY_HASH)
        admin = row.admin_id if row is not None else ""
        if row is None or stored is None or not ok:
            self._audit_login(name, admin, allowed=False)
            raise AuthenticationError("user name or password is wrong", code="login-failed")
        if needs_rehash(stored):
            self._rehash(name, stored, password)
        token = self.issue_token(name, audience=audience)
        self._audit_login(name, admin, allowed=True)
        return token

    def _audit_login(self, name: str, admin: str, *, allowed: bool) -> None:
        if self._audit is None:
            return
        # A name that is not a user name (it could be a mistyped password) never enters the log.
        actor = name if _USER_NAME.fullmatch(name) else "(not a user name)"
        with self._sessions.begin() as session:
            self._audit.append(
                session,
                actor=actor,
                admin=admin,
                action="login",
                resource=f"user:{actor}",
                decision="allow" if allowed else "deny",
                reason="password accepted" if allowed else "user name or password is wrong",
            )

    def _rehash(self, name: str, stored: str, password: str) -> None:
        """Replace a hash made with older parameters, now that the password is known.

        Compare-and-set on the old hash: a password changed meanwhile is never overwritten."""
        fresh = hash_password(password)
        with self._sessions.begin() as session:
            session.execute(
                update(UserRow)
                .where(UserRow.name == name, UserRow.password_hash == stored)
                .values(password_hash=fresh)
            )

    def authenticate(self, token: str, *, audience: str) -> Principal:
        """The principal ``token`` speaks for: it verifies, was not signed out, and names a
        user of its issuer. Raises AuthenticationError (a distinct code per failure)."""
        return self._authenticated(token, audience)[1]

    def _authenticated(self, token: str, audience: str) -> tuple[TokenClaims, Principal]:
        claims = verify_token(
            token, keys=self.trusted_keys(), audience=audience, now=self._clock.now()
        )
        with self._sessions() as session:
            if session.get(RevokedTokenRow, claims.token_id) is not None:
                raise AuthenticationError(
                    "token was ended by signing out: log in again", code="token-revoked"
                )
            row = session.get(UserRow, claims.subject)
            if row is None or row.admin_id != claims.admin:
                raise AuthenticationError(
                    "token names no user of its issuer", code="token-unknown-user"
                )
            return claims, _user_info(row).principal()

    def revoke_token(self, token: str, *, audience: str) -> Principal:
        """Sign out: ``token`` is refused from now on (it must still authenticate: a token
        that does not is refused anyway). Audited; revoking it twice at once is harmless.
        Records of tokens that have expired meanwhile are purged here."""
        claims, principal = self._authenticated(token, audience)
        now = self._clock.now()
        with self._sessions.begin() as session:
            expired = RevokedTokenRow.expires_at < now - MAX_SKEW  # refused by signature anyway
            session.execute(delete(RevokedTokenRow).where(expired))
            try:
                with session.begin_nested():
                    session.add(
                        RevokedTokenRow(
                            jti=claims.token_id,
                            subject=claims.subject,
                            expires_at=claims.expires_at,
                            revoked_at=now,
                        )
                    )
            except IntegrityError:  # a concurrent sign-out with the same token won
                return principal
            if self._audit is not None:
                self._audit.append(
                    session,
                    actor=principal.user,
                    admin=principal.admin,
                    action="logout",
                    resource=f"user:{principal.user}",
                    decision="allow",
                    reason="signed out: the token is refused until it expires",
                )
        return principal


_DUMMY_HASH = hash_password("timing-equaliser-not-a-password")
