"""Crypt4GH containers, signed manifests, blob stores (local directory, S3), download and upload.

Public face. Other packages import from ``transfer`` only; its modules are private by
convention, its sub-packages ``transfer.crypt4gh``, ``transfer.uploads`` have their own faces. The
names load on first use (PEP 562), so importing one name does not load the rest (a client command
importing an error does not load SQLAlchemy or FastAPI). Route modules are not part of the face:
``transfer.route_policy``, ``transfer.routes`` are imported by module path by the composition root
(``clearance``) and by other packages' routes only, the one allowed exception.

Exceptions::

    BlobNotFound(BlobStoreError, KeyError)
    BlobRangeError(BlobStoreError, ValueError)
    ChecksumMismatch(BlobStoreError, ValueError)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# --- public face: a name another package needs goes here (and into __all__) ---
if TYPE_CHECKING:
    from transfer.blobstore import (
        BlobNotFound,
        BlobRangeError,
        BlobStore,
        BlobStoreError,
        ChecksumMismatch,
        LocalBlobStore,
    )
    from transfer.errors import (
        ArchiveDigestMismatch,
        ArchiveError,
        InvalidObjectList,
        InvalidRange,
        InvalidUpload,
        ObjectNotFound,
        OffsetMismatch,
        PartDigestMismatch,
        RangeNotSatisfiable,
        StaleGrant,
        TooManyRequests,
        TransferError,
        UploadBusy,
        UploadError,
        UploadNotFound,
        UploadTooLarge,
    )
    from transfer.manifest import Manifest, ManifestError, ManifestObject, verify_manifest
    from transfer.manifest_store import ManifestStore
    from transfer.objects import EncryptedObjects, body_key, header_key, new_object_id, object_href
    from transfer.s3store import S3BlobStore
    from transfer.service import TransferService
    from transfer.storage import StorageKey
    from transfer.tables import ManifestRow, UploadRow
    from transfer.throttle import DEFAULT_GRANT_RATE, GrantThrottle
    from transfer.verify import TransferVerificationError, VerifyingWriter, partial_body_path

_LAZY: dict[str, str] = {
    "ArchiveDigestMismatch": "transfer.errors",
    "ArchiveError": "transfer.errors",
    "BlobNotFound": "transfer.blobstore",
    "BlobRangeError": "transfer.blobstore",
    "BlobStore": "transfer.blobstore",
    "BlobStoreError": "transfer.blobstore",
    "ChecksumMismatch": "transfer.blobstore",
    "DEFAULT_GRANT_RATE": "transfer.throttle",
    "EncryptedObjects": "transfer.objects",
    "GrantThrottle": "transfer.throttle",
    "InvalidObjectList": "transfer.errors",
    "InvalidRange": "transfer.errors",
    "InvalidUpload": "transfer.errors",
    "LocalBlobStore": "transfer.blobstore",
    "Manifest": "transfer.manifest",
    "ManifestError": "transfer.manifest",
    "ManifestObject": "transfer.manifest",
    "ManifestRow": "transfer.tables",
    "ManifestStore": "transfer.manifest_store",
    "ObjectNotFound": "transfer.errors",
    "OffsetMismatch": "transfer.errors",
    "PartDigestMismatch": "transfer.errors",
    "RangeNotSatisfiable": "transfer.errors",
    "S3BlobStore": "transfer.s3store",
    "StaleGrant": "transfer.errors",
    "StorageKey": "transfer.storage",
    "TooManyRequests": "transfer.errors",
    "TransferError": "transfer.errors",
    "TransferService": "transfer.service",
    "TransferVerificationError": "transfer.verify",
    "UploadBusy": "transfer.errors",
    "UploadError": "transfer.errors",
    "UploadNotFound": "transfer.errors",
    "UploadRow": "transfer.tables",
    "UploadTooLarge": "transfer.errors",
    "VerifyingWriter": "transfer.verify",
    "body_key": "transfer.objects",
    "header_key": "transfer.objects",
    "new_object_id": "transfer.objects",
    "object_href": "transfer.objects",
    "partial_body_path": "transfer.verify",
    "verify_manifest": "transfer.manifest",
}

__all__ = [
    "DEFAULT_GRANT_RATE",
    "ArchiveDigestMismatch",
    "ArchiveError",
    "BlobNotFound",
    "BlobRangeError",
    "BlobStore",
    "BlobStoreError",
    "ChecksumMismatch",
    "EncryptedObjects",
    "GrantThrottle",
    "InvalidObjectList",
    "InvalidRange",
    "InvalidUpload",
    "LocalBlobStore",
    "Manifest",
    "ManifestError",
    "ManifestObject",
    "ManifestRow",
    "ManifestStore",
    "ObjectNotFound",
    "OffsetMismatch",
    "PartDigestMismatch",
    "RangeNotSatisfiable",
    "S3BlobStore",
    "StaleGrant",
    "StorageKey",
    "TooManyRequests",
    "TransferError",
    "TransferService",
    "TransferVerificationError",
    "UploadBusy",
    "UploadError",
    "UploadNotFound",
    "UploadRow",
    "UploadTooLarge",
    "VerifyingWriter",
    "body_key",
    "header_key",
    "new_object_id",
    "object_href",
    "partial_body_path",
    "verify_manifest",
]

if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))

# --- end of the public face ---
