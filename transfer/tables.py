"""Tables of the transfer package: the signed manifest of every published holding version.

Manifests are kept for every version (a grant pins one, and the audit log names it), keyed by
holding and version; the JWS is stored exactly as signed, with its manifest hash beside it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from access.db import Base, UtcDateTime

__all__ = ["ManifestRow"]


class ManifestRow(Base):
    __tablename__ = "transfer_manifests"

    holding_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    owner: Mapped[str] = mapped_column(String(3))
    sha256: Mapped[str] = mapped_column(String(64))
    objects: Mapped[int] = mapped_column(Integer)
    jws: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
