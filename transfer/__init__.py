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

from typing import TYPE_CHECKING

from access import lazy_face

# --- public face: a name another package needs goes here (and into __all__) ---
if TYPE_CHECKING:
    from transfer.blobstore import BlobNotFound as BlobNotFound
    from transfer.blobstore import BlobRangeError as BlobRangeError
    from transfer.blobstore import BlobStore as BlobStore
    from transfer.blobstore import BlobStoreError as BlobStoreError
    from transfer.blobstore import ChecksumMismatch as ChecksumMismatch
    from transfer.blobstore import LocalBlobStore as LocalBlobStore
    from transfer.errors import ArchiveDigestMismatch as ArchiveDigestMismatch
    from transfer.errors import ArchiveError as ArchiveError
    from transfer.errors import GrantRequired as GrantRequired
    from transfer.errors import InvalidObjectList as InvalidObjectList
    from transfer.errors import InvalidRange as InvalidRange
    from transfer.errors import InvalidUpload as InvalidUpload
    from transfer.errors import ObjectNotFound as ObjectNotFound
    from transfer.errors import OffsetMismatch as OffsetMismatch
    from transfer.errors import PartDigestMismatch as PartDigestMismatch
    from transfer.errors import RangeNotSatisfiable as RangeNotSatisfiable
    from transfer.errors import StaleGrant as StaleGrant
    from transfer.errors import TooManyRequests as TooManyRequests
    from transfer.errors import TransferError as TransferError
    from transfer.errors import UploadBusy as UploadBusy
    from transfer.errors import UploadError as UploadError
    from transfer.errors import UploadNotFound as UploadNotFound
    from transfer.errors import UploadTooLarge as UploadTooLarge
    from transfer.manifest import Manifest as Manifest
    from transfer.manifest import ManifestError as ManifestError
    from transfer.manifest import ManifestObject as ManifestObject
    from transfer.manifest import verify_manifest as verify_manifest
    from transfer.manifest_store import ManifestStore as ManifestStore
    from transfer.objects import EncryptedObjects as EncryptedObjects
    from transfer.objects import body_key as body_key
    from transfer.objects import header_key as header_key
    from transfer.objects import new_object_id as new_object_id
    from transfer.objects import object_href as object_href
    from transfer.s3store import S3BlobStore as S3BlobStore
    from transfer.service import TransferService as TransferService
    from transfer.storage import StorageKey as StorageKey
    from transfer.tables import ManifestRow as ManifestRow
    from transfer.tables import UploadRow as UploadRow
    from transfer.throttle import DEFAULT_GRANT_RATE as DEFAULT_GRANT_RATE
    from transfer.throttle import GrantThrottle as GrantThrottle
    from transfer.verify import TransferVerificationError as TransferVerificationError
    from transfer.verify import VerifyingWriter as VerifyingWriter
    from transfer.verify import partial_body_path as partial_body_path
    from transfer.verify import plaintext_prefix_path as plaintext_prefix_path
    from transfer.verify import resume_record_path as resume_record_path
    from transfer.verify import sync_folders as sync_folders

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
    "GrantRequired": "transfer.errors",
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
    "plaintext_prefix_path": "transfer.verify",
    "resume_record_path": "transfer.verify",
    "sync_folders": "transfer.verify",
    "verify_manifest": "transfer.manifest",
}

__all__ = [*sorted(_LAZY)]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_face(__name__, _LAZY, globals(), __all__)

# --- end of the public face ---
