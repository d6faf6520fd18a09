"""Tables of the transfer package: the signed manifest of every published holding version, and
resumable upload sessions with their accepted parts.

Manifests are kept for every version (a grant pins one, and the audit log names it), keyed by
holding and version; the JWS is stored exactly as signed, with its manifest hash beside it.

An upload's ``received`` is the authority on its offset: a part counts once its row commits
together with the offset's advance (the part's bytes are in the blob store before that).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from access import Base, JsonDoc, UtcDateTime

__all__ = ["ManifestRow", "UploadPartRow", "UploadRow"]


class ManifestRow(Base):
    __tablename__ = "transfer_manifests"

    holding_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    owner: Mapped[str] = mapped_column(String(3))
    sha256: Mapped[str] = mapped_column(String(64))
    objects: Mapped[int] = mapped_column(Integer)
    jws: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UploadRow(Base):
    __tablename__ = "uploads"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'completing', 'completed')", name="state"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(3))
    creator: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    received: Mapped[int] = mapped_column(BigInteger)
    parts: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    completed_with: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)


class UploadPartRow(Base):
    __tablename__ = "upload_parts"

    upload_id: Mapped[str] = mapped_column(
        ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True
    )
    start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    blob: Mapped[str] = mapped_column(String(200))
