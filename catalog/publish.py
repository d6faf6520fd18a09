"""Publishing a holding folder: read and validate everything, encrypt assets, then commit at once.

Order matters for atomicity. Nothing becomes visible until the single database transaction at the
end commits; assets are encrypted on their way into the blob store first (``transfer.objects``:
header and body stored apart, addressed to the node's storage key), so a failed or interrupted
publish leaves at most unreferenced objects, invisible to everyone. The transaction replaces the
catalogue rows, stores the holding version's manifest — signed with the owning administration's
key, listing every object's sizes and digests as computed while encrypting — and appends the
audit entry, all or nothing.

A republish re-uses the encrypted objects of the previous version whose plaintext is unchanged
(same SHA-256, same storage key, both parts still stored); everything else is encrypted afresh
under new object ids, so the objects a published manifest names are never overwritten.
R4 holdings are never stored: only the collection record and its label statistics are kept.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from access import AuditLog, HoldingResource, Level, SigningKey, holding_id_owner
from catalog.errors import HoldingIdNotOwned, PublishError
from catalog.ingest import AssetFile, Scan, read_holding
from catalog.stac import HoldingOptions, build_holding, build_item
from catalog.store import refresh_statistics, replace_holding
from catalog.tables import CollectionRow
from catalog.validation import (
    COLLECTION_EXTENSIONS,
    ITEM_EXTENSIONS,
    StacValidationError,
    validate_collection,
    validate_item,
)
from transfer import (
    ChecksumMismatch,
    EncryptedObjects,
    Manifest,
    ManifestError,
    ManifestObject,
    ManifestStore,
    new_object_id,
)

__all__ = ["HOLDING_ID", "AccessRestrictions", "PublishResult", "publish_holding"]

HOLDING_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

#: ``progress(done, total)``: objects stored so far, of the holding's total.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PublishResult:
    holding_id: str
    version: int
    items: int
    assets: int
    bytes: int
    encrypted: int = 0  # objects encrypted by this publish (the others were re-used)
    manifest_sha256: str | None = None


class AccessRestrictions(Protocol):
    """The access workflow's side of a republish (``access.request_service.RequestService.
    restrict_to``): in the publish transaction, end the requests and grants the new attributes no
    longer allow."""

    def restrict_to(
        self, session: Session, holding_id: str, holding: HoldingResource, actor: str
    ) -> list[str]: ...


@dataclass(frozen=True)
class _Planned:
    """One asset's object: a fresh id to encrypt to, or a re-used entry of the last version."""

    scan: Scan
    asset: AssetFile
    object_id: str
    reused: ManifestObject | None


def _reusable(
    holding_id: str, owner: str, objects: EncryptedObjects, manifests: ManifestStore
) -> dict[str, ManifestObject]:
    """Objects of the holding's newest manifest that can serve again, by plaintext SHA-256."""
    try:
        previous = manifests.latest(holding_id)
    except ManifestError:  # signed with a key no longer trusted: encrypt everything afresh
        return {}
    if previous is None or previous.manifest.owner != owner:
        return {}
    writer = objects.storage.public_key
    found: dict[str, ManifestObject] = {}
    for entry in previous.manifest.objects:
        if entry.writer_public_key == writer and entry.plaintext_sha256 not in found:
            found[entry.plaintext_sha256] = entry
    return found


def _plan(
    scans: Sequence[Scan], reusable: dict[str, ManifestObject], objects: EncryptedObjects
) -> list[_Planned]:
    planned, used = [], set()
    for scan in scans:
        for asset in scan.assets:
            old = reusable.get(asset.sha256_hex)
            if (
                old is not None
                and old.id not in used
                and old.plaintext_size == asset.size
                and objects.complete(old.id, old.body_size)
            ):
                used.add(old.id)
                planned.append(_Planned(scan, asset, old.id, old))
            else:
                planned.append(_Planned(scan, asset, new_object_id(asset.sha256_hex), None))
    return planned


def _source(asset: AssetFile) -> BinaryIO:
    if asset.data is not None:
        return io.BytesIO(asset.data)
    assert asset.path is not None
    return asset.path.open("rb")


def _store(
    planned: Sequence[_Planned], objects: EncryptedObjects, progress: Progress | None
) -> tuple[list[ManifestObject], int]:
    entries, encrypted = [], 0
    for done, plan in enumerate(planned, start=1):
        asset = plan.asset
        if plan.reused is not None:
            entry = dataclasses.replace(
                plan.reused, item=plan.scan.id, asset=asset.key, media_type=asset.media_type
            )
        else:
            with _source(asset) as source:
                entry = objects.put(
                    plan.object_id,
                    source,
                    item=plan.scan.id,
                    asset=asset.key,
                    media_type=asset.media_type,
                    expected_sha256=asset.sha256_hex,
                    expected_size=asset.size,
                )
            encrypted += 1
        entries.append(entry)
        if progress is not None:
            progress(done, len(planned))
    return entries, encrypted


def _security(options: HoldingOptions) -> HoldingResource:
    return HoldingResource(
        owner=options.admin,
        level=options.level,
        releasable_to=options.releasable_to,
        handling=options.handling,
        discovery=options.discovery,
    )


def _check_holding_id(sessions: sessionmaker[Session], holding_id: str, admin: str) -> None:
    """A new holding id names its owner (``NLD-...``), so no administration can take or probe
    another's ids; a stored holding of ``admin`` keeps its id, whatever its form. Another's
    stored id gets the same answer as a free one (the owner check in ``replace_holding`` stays,
    for ids that named no owner before this rule)."""
    if not HOLDING_ID.fullmatch(holding_id):
        raise PublishError(f"holding id {holding_id!r} must be 1–128 of A-Z a-z 0-9 . _ -")
    if holding_id_owner(holding_id) == admin:
        return
    with sessions() as session:
        owner = session.scalar(select(CollectionRow.owner).where(CollectionRow.id == holding_id))
    if owner != admin:
        raise HoldingIdNotOwned(
            f"a new holding id of {admin} must start with '{admin}-' "
            f"(then 1–124 of A-Z a-z 0-9 . _ -, starting with a letter or digit)"
        )


def publish_holding(
    folder: Path,
    options: HoldingOptions,
    *,
    sessions: sessionmaker[Session],
    objects: EncryptedObjects,
    manifests: ManifestStore,
    signing_key: Callable[[], SigningKey],
    now: datetime,
    audit: AuditLog,
    actor: str,
    access: AccessRestrictions,
    progress: Progress | None = None,
) -> PublishResult:
    """Publish ``folder``; ``signing_key()`` gives the owner's key that signs the manifest;
    ``progress(done, total)`` is told after each object stored (encrypted or reused)."""
    _check_holding_id(sessions, options.holding_id, options.admin)
    holding = read_holding(folder)  # IngestError is a PublishError
    r4 = options.level is Level.R4
    reusable = {} if r4 else _reusable(options.holding_id, options.admin, objects, manifests)
    planned = [] if r4 else _plan(holding.scans, reusable, objects)
    ids = {(p.scan.id, p.asset.key): p.object_id for p in planned}
    items = [
        build_item(
            scan, holding, options, {a.key: ids.get((scan.id, a.key), "-") for a in scan.assets}
        )
        for scan in holding.scans
    ]
    record = build_holding(holding, options, items)
    try:
        validate_collection(record.document, require=COLLECTION_EXTENSIONS)
        for item in items:
            validate_item(item.document, require=ITEM_EXTENSIONS)
    except StacValidationError as exc:
        raise PublishError(str(exc)) from None
    stored = [] if r4 else items
    key = None if r4 else signing_key()  # before any encryption: no key, nothing written
    try:
        entries, encrypted = _store(planned, objects, progress)
    except ChecksumMismatch as exc:
        raise PublishError(f"{exc}; the holding folder must not change during a publish") from None
    manifest_sha256 = None
    with sessions.begin() as session:
        version = replace_holding(session, record, stored, now)
        if key is not None:
            manifest = Manifest(
                holding=options.holding_id,
                version=version,
                owner=options.admin,
                created=now,
                objects=tuple(entries),
            )
            manifest_sha256 = ManifestStore.add(session, manifest, key, now).sha256
        # Before the publish entry: this locks the holding's request rows, and taking them
        # before the audit head keeps the lock order of an approval (request, then head).
        ended = access.restrict_to(session, options.holding_id, _security(options), actor)
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
                "objects": len(entries),
                "encrypted": encrypted,
                "manifest_sha256": manifest_sha256,
                "requests_ended": ended,
            },
        )
    with sessions.begin() as session:
        refresh_statistics(session)
    return PublishResult(
        options.holding_id,
        version,
        len(stored),
        len(entries),
        sum(e.plaintext_size for e in entries),
        encrypted,
        manifest_sha256,
    )
