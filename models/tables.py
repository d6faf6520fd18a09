"""Tables of the model registry: models, their bytes (once per digest), and their shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from access import Base, JsonDoc, UtcDateTime

__all__ = ["ModelBlobRow", "ModelRow", "ModelShareRow"]


class ModelBlobRow(Base):
    """The bytes of an admitted ONNX model, stored once per SHA-256 (at most the size cap)."""

    __tablename__ = "model_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ModelRow(Base):
    """One version of a model: ``version`` counts from 1 per (owner, name), set by the node."""

    __tablename__ = "models"
    __table_args__ = (
        UniqueConstraint("owner", "name", "version", name="uq_models_version"),
        UniqueConstraint("owner", "name", "sha256", name="uq_models_digest"),
        Index("ix_models_owner_name", "owner", "name"),
    )

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # "mdl-" + 16 hex
    owner: Mapped[str] = mapped_column(String(3))
    submitter: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(ForeignKey("model_blobs.sha256"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    task: Mapped[str] = mapped_column(String(32))
    card: Mapped[dict[str, Any]] = mapped_column(JsonDoc)  # the STAC item (MLM extension)
    created: Mapped[datetime] = mapped_column(UtcDateTime)


class ModelShareRow(Base):
    """A model shared with another administration: its users may see it and evaluate it."""

    __tablename__ = "model_shares"

    model_id: Mapped[str] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), primary_key=True
    )
    admin: Mapped[str] = mapped_column(ForeignKey("administrations.id"), primary_key=True)
    shared_at: Mapped[datetime] = mapped_column(UtcDateTime)
