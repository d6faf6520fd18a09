"""Tables of the access package: administrations, their signing keys, users."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from access.db import Base, JsonDoc, UtcDateTime

__all__ = ["AdministrationRow", "SigningKeyRow", "UserRow"]


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
