"""Tables of the access package: administrations, keys, users, requests, grants, audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from access.db import Base, JsonDoc, UtcDateTime

__all__ = [
    "AccessRequestRow",
    "AdministrationRow",
    "AuditCheckpointRow",
    "AuditEntryRow",
    "AuditHeadRow",
    "GrantRow",
    "RecipientKeyRow",
    "ReviewDecisionRow",
    "RevokedTokenRow",
    "SigningKeyRow",
    "UserRow",
]


class AdministrationRow(Base):
    __tablename__ = "administrations"

    id: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SigningKeyRow(Base):
    """Public half of an administration's signing key; the private half is a 0600 file."""

    __tablename__ = "signing_keys"
    __table_args__ = (CheckConstraint("status IN ('active', 'retired')", name="status"),)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    admin_id: Mapped[str] = mapped_column(ForeignKey("administrations.id"), index=True)
    alg: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UserRow(Base):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    admin_id: Mapped[str] = mapped_column(ForeignKey("administrations.id"), index=True)
    roles: Mapped[str] = mapped_column(String(200))  # comma-separated Role values, sorted
    clearance: Mapped[int] = mapped_column()
    password_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RevokedTokenRow(Base):
    """A bearer token ended before its expiry (its user signed out): refused until then.

    Rows of tokens past their expiry are purged on the next sign-out; the signature check
    refuses those tokens anyway."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RecipientKeyRow(Base):
    """A researcher's Crypt4GH (X25519) public key: grants bind data to it and only to it."""

    __tablename__ = "recipient_keys"

    user: Mapped[str] = mapped_column(ForeignKey("users.name"), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))  # base64 of the 32-byte X25519 key
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AccessRequestRow(Base):
    __tablename__ = "access_requests"
    __table_args__ = (
        CheckConstraint("mode IN ('download', 'evaluation')", name="mode"),
        Index("ix_access_requests_owner_state", "owner", "state"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    requester: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    requester_admin: Mapped[str] = mapped_column(String(3))
    holding_id: Mapped[str] = mapped_column(String(128), index=True)
    owner: Mapped[str] = mapped_column(String(3))
    item_filter: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    purpose: Mapped[str] = mapped_column(Text)
    purpose_code: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(16))
    duration_days: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    conditions: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    item_ids: Mapped[list[str] | None] = mapped_column(JsonDoc, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReviewDecisionRow(Base):
    """One steward's decision on a request; R3 needs two distinct approving stewards."""

    __tablename__ = "review_decisions"
    __table_args__ = (UniqueConstraint("request_id", "steward", name="one_per_steward"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("access_requests.id"), index=True)
    steward: Mapped[str] = mapped_column(ForeignKey("users.name"))
    decision: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    conditions: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)


class GrantRow(Base):
    __tablename__ = "grants"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("access_requests.id"), unique=True)
    subject: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    holding_id: Mapped[str] = mapped_column(String(128), index=True)
    owner: Mapped[str] = mapped_column(String(3))
    token: Mapped[str] = mapped_column(Text)
    operations: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditEntryRow(Base):
    """Append-only, hash-chained audit log; ``hash`` = SHA-256(prev_hash ‖ canonical entry)."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    admin: Mapped[str] = mapped_column(String(3))
    action: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(300))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHeadRow(Base):
    """The single row naming the newest entry; appends lock it, which serialises the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)  # JWS over {seq, hash}: truncation shows


class AuditCheckpointRow(Base):
    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    signature: Mapped[str] = mapped_column(Text)  # compact JWS by the node's audit key
