"""Tables of the catalogue: holdings (STAC collections), scans (STAC items) and label statistics.

The STAC documents are stored whole (``document``); the fields that queries filter, sort or
aggregate on are also promoted to typed, indexed columns, which is what the CQL2 translator and the
visibility filter use. Releasability is a child table so that visibility is a plain SQL join.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from access import Base, JsonDoc, UtcDateTime

__all__ = ["ClassStatRow", "CollectionRow", "ItemClassRow", "ItemRow", "RelToRow"]


class CollectionRow(Base):
    __tablename__ = "collections"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str] = mapped_column(ForeignKey("administrations.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    level: Mapped[int] = mapped_column(Integer)
    national_marking: Mapped[str] = mapped_column(String(200))
    handling: Mapped[str] = mapped_column(String(16))
    discovery: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer)
    item_count: Mapped[int] = mapped_column(Integer)
    search_text: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The spatial extent over the holding's sites (null: no item has a place).
    west: Mapped[float | None] = mapped_column(Float, nullable=True)
    south: Mapped[float | None] = mapped_column(Float, nullable=True)
    east: Mapped[float | None] = mapped_column(Float, nullable=True)
    north: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The temporal extent (first and last scan), and the same widened to whole calendar years:
    # what a partner that may only discover the holding sees (catalog.browse.coarsen_extent).
    start_datetime: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    end_datetime: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    start_year: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    end_year: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class RelToRow(Base):
    """One row per administration a holding is releasable to (``ALL`` for every partner)."""

    __tablename__ = "collection_rel_to"

    collection_id: Mapped[str] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    admin: Mapped[str] = mapped_column(String(3), primary_key=True, index=True)


class ItemRow(Base):
    __tablename__ = "items"
    __table_args__ = (
        Index("ix_items_datetime", "datetime", "collection_id", "id"),
        Index("ix_items_collection_datetime", "collection_id", "datetime"),
        Index("ix_items_site_datetime", "site", "datetime", "collection_id", "id"),
    )

    collection_id: Mapped[str] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    datetime: Mapped[datetime] = mapped_column(UtcDateTime)
    level: Mapped[int] = mapped_column(Integer)
    modality: Mapped[str] = mapped_column(String(40), index=True)
    conveyance: Mapped[str] = mapped_column(String(40), index=True)
    container_type: Mapped[str | None] = mapped_column(String(4), nullable=True)
    energy_profile: Mapped[str] = mapped_column(String(16))
    scanner: Mapped[str] = mapped_column(String(200))
    source_format: Mapped[str] = mapped_column(String(16))
    inspection_outcome: Mapped[str] = mapped_column(String(24), index=True)
    synthetic: Mapped[bool] = mapped_column(Boolean)
    object_count: Mapped[int] = mapped_column(Integer)
    search_text: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    # The scan site (catalog.sites) and its point: never finer than the site; null when withheld.
    site: Mapped[str | None] = mapped_column(String(5), nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)


class ItemClassRow(Base):
    """Which HS-code classes a scan's annotations contain, and how many objects of each."""

    __tablename__ = "item_classes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["collection_id", "item_id"], ["items.collection_id", "items.id"], ondelete="CASCADE"
        ),
        Index("ix_item_classes_hs_code", "hs_code"),
    )

    collection_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    hs_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    objects: Mapped[int] = mapped_column(Integer)


class ClassStatRow(Base):
    """Per holding × HS code × modality: images and annotated objects (computed at publish)."""

    __tablename__ = "collection_class_stats"

    collection_id: Mapped[str] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    hs_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    modality: Mapped[str] = mapped_column(String(40), primary_key=True)
    class_name: Mapped[str] = mapped_column(String(200))
    images: Mapped[int] = mapped_column(Integer)
    objects: Mapped[int] = mapped_column(Integer)
