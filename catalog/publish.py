"""Publishing a holding folder: read and validate everything, store assets, then commit at once.

Order matters for atomicity. Nothing becomes visible until the single database transaction at the
end commits; assets are written to the blob store first under content-addressed keys, so a failed
or interrupted publish leaves at most unreferenced blobs (invisible, and reused by the re-run).
R4 holdings are never stored: only the collection record and its label statistics are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from access.audit import AuditLog
from access.levels import Level
from catalog.errors import PublishError
from catalog.ingest import Scan, read_holding
from catalog.stac import HoldingOptions, blob_key, build_holding, build_item
from catalog.store import refresh_statistics, replace_holding
from catalog.validation import (
    COLLECTION_EXTENSIONS,
    ITEM_EXTENSIONS,
    StacValidationError,
    validate_collection,
    validate_item,
)
from transfer.blobstore import BlobStore, ChecksumMismatch

__all__ = ["HOLDING_ID", "PublishResult", "publish_holding"]

HOLDING_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class PublishResult:
    holding_id: str
    version: int
    items: int
    assets: int
    bytes: int


def _store_assets(scans: Sequence[Scan], blobs: BlobStore) -> tuple[int, int]:
    count = size = 0
    for scan in scans:
        for asset in scan.assets:
            key = blob_key(asset.sha256_hex)
            if not (blobs.exists(key) and blobs.size(key) == asset.size):
                if asset.data is not None:
                    blobs.put_bytes(key, asset.data)
                elif asset.path is not None:
                    blobs.put_file(key, asset.path, sha256=asset.sha256_hex)
            count += 1
            size += asset.size
    return count, size


def publish_holding(
    folder: Path,
    options: HoldingOptions,
    *,
    sessions: sessionmaker[Session],
    blobs: BlobStore,
    now: datetime,
    audit: AuditLog,
    actor: str,
) -> PublishResult:
    if not HOLDING_ID.fullmatch(options.holding_id):
        raise PublishError(f"holding id {options.holding_id!r} must be 1–128 of A-Z a-z 0-9 . _ -")
    holding = read_holding(folder)  # IngestError is a PublishError
    items = [build_item(scan, holding, options) for scan in holding.scans]
    record = build_holding(holding, options, items)
    try:
        validate_collection(record.document, require=COLLECTION_EXTENSIONS)
        for item in items:
            validate_item(item.document, require=ITEM_EXTENSIONS)
    except StacValidationError as exc:
        raise PublishError(str(exc)) from None
    stored = [] if options.level is Level.R4 else items
    try:
        assets, size = (0, 0) if options.level is Level.R4 else _store_assets(holding.scans, blobs)
    except ChecksumMismatch as exc:
        raise PublishError(f"{exc}; the holding folder must not change during a publish") from None
    with sessions.begin() as session:
        version = replace_holding(session, record, stored, now)
        audit.append(
            session,
            actor=actor,
            admin=options.admin,
            action="holding.publish",
            resource=f"holding:{options.holding_id}",
            decision="allow",
            reason="",
            details={
                "version": version,
                "items": len(stored),
                "level": options.level.name,
                "rel_to": sorted(options.releasable_to),
                "handling": options.handling.value,
                "discovery": options.discovery.value,
            },
        )
    with sessions.begin() as session:
        refresh_statistics(session)
    return PublishResult(options.holding_id, version, len(stored), assets, size)
