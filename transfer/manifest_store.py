"""Storing and reading the signed manifests of holding versions (``transfer_manifests``).

Writes happen inside the publisher's transaction (the manifest commits with the catalogue rows
and the audit entry, or not at all). Reads verify the stored JWS against the node's trusted keys
before anything is served from it — the database is not trusted more than a client would trust
it — and keep a small cache of verified manifests (a version's manifest never changes).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from access import SigningKey, TrustedKey
from transfer.manifest import Manifest, sign_manifest, verify_manifest
from transfer.tables import ManifestRow

__all__ = ["ManifestStore", "StoredManifest"]


@dataclass(frozen=True)
class StoredManifest:
    """A verified manifest with its JWS and hash, as served."""

    jws: str
    sha256: str
    manifest: Manifest


class ManifestStore:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        trusted_keys: Callable[[], Mapping[str, TrustedKey]],
        cache_size: int = 64,
    ) -> None:
        self._sessions = sessions
        self._trusted_keys = trusted_keys
        self._cache: OrderedDict[tuple[str, int], StoredManifest] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @staticmethod
    def add(session: Session, manifest: Manifest, key: SigningKey, now: datetime) -> StoredManifest:
        """Sign ``manifest`` with the owner's ``key`` and store it in the caller's transaction."""
        jws = sign_manifest(manifest, key)
        stored = StoredManifest(jws, manifest.sha256(), manifest)
        session.add(
            ManifestRow(
                holding_id=manifest.holding,
                version=manifest.version,
                owner=manifest.owner,
                sha256=stored.sha256,
                objects=len(manifest.objects),
                jws=jws,
                created_at=now,
            )
        )
        session.flush()
        return stored

    def sha256(self, holding_id: str, version: int) -> str | None:
        """The manifest hash of a holding version (None when it has no manifest)."""
        with self._sessions() as session:
            return session.scalar(
                select(ManifestRow.sha256).where(
                    ManifestRow.holding_id == holding_id, ManifestRow.version == version
                )
            )

    def get(self, holding_id: str, version: int) -> StoredManifest | None:
        """The verified manifest of a holding version, or None when there is none."""
        key = (holding_id, version)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        with self._sessions() as session:
            row = session.get(ManifestRow, (holding_id, version))
            if row is None:
                return None
            jws, owner, sha256 = row.jws, row.owner, row.sha256
        manifest = verify_manifest(
            jws,
            keys=self._trusted_keys(),
            expected_owner=owner,
            expected_holding=holding_id,
            expected_version=version,
            expected_sha256=sha256,
        )
        stored = StoredManifest(jws, sha256, manifest)
        with self._lock:
            self._cache[key] = stored
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return stored

    def latest(self, holding_id: str) -> StoredManifest | None:
        """The newest version's verified manifest, or None."""
        with self._sessions() as session:
            version = session.scalar(
                select(ManifestRow.version)
                .where(ManifestRow.holding_id == holding_id)
                .order_by(ManifestRow.version.desc())
                .limit(1)
            )
        return None if version is None else self.get(holding_id, int(version))
