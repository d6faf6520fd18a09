"""Exceptions of the transfer package: what a grantee's download or a publisher's upload can
run into.

    TransferError              under ``access.errors.ClearanceError``, the one coded base
     ├── GrantRequired         a login token where a grant is needed: says how to get one (403)
     ├── ObjectNotFound        no such holding version, manifest or object under this grant: the
     │                         same for an object that exists but the grant does not cover (404)
     ├── StaleGrant            the holding was republished since the grant was issued (409)
     ├── InvalidRange          a malformed ``Range`` header, or several ranges (400)
     ├── InvalidObjectList     a malformed list of object ids in a batch request (400)
     ├── RangeNotSatisfiable   a range that starts past the end of the body (416); ``size`` is
     │                         the body size, for ``Content-Range: bytes */size``
     ├── TooManyRequests       over the requests one grant may make (429); ``retry_after`` is
     │                         the seconds to wait, for ``Retry-After``
     ├── UploadError           resumable uploads (``transfer.uploads.store``)
     │    ├── UploadNotFound         no such upload session, expired, or another user's (404)
     │    ├── InvalidUpload          a malformed header or body field (400)
     │    ├── PartDigestMismatch     a part's bytes do not match its ``Content-Digest`` (400)
     │    ├── UploadTooLarge         over the session's declared size or a node limit (413)
     │    ├── OffsetMismatch         a part sent for another offset than the session's (409);
     │    │                          ``offset`` is the session's, for ``Upload-Offset``
     │    ├── UploadBusy             the session's state does not allow this now (409)
     │    ├── ArchiveDigestMismatch  the whole archive is not the declared SHA-256 (422)
     │    └── ArchiveError           an archive member is unsafe or not allowed (422); ``member``
     ├── BlobStoreError        a blob store operation failed (``transfer.blobstore``; 500)
     │    ├── BlobNotFound           no blob under the key (404); also a ``KeyError``
     │    ├── ChecksumMismatch       the bytes written are not the bytes expected; a ``ValueError``
     │    └── BlobRangeError         a range outside the blob (416); a ``ValueError``
     ├── ManifestError         a manifest that must not be trusted (``transfer.manifest``); ``code``
     ├── TransferVerificationError  a downloaded object that must not be trusted
     │                         (``transfer.verify``); ``code``
     └── Crypt4GHError         the container format (``transfer.crypt4gh.errors`` draws its branch)

The grant itself is checked by :func:`access.grants.verify_grant` (``GrantError`` 401,
``GrantDenied`` 403). Messages are safe to show to the caller: they name holdings, object ids and
sizes, never keys or tokens. What the table in ``clearance/http/errors.py`` does not name is a 500.
"""

from __future__ import annotations

from access import ClearanceError

__all__ = [
    "ArchiveDigestMismatch",
    "ArchiveError",
    "GrantRequired",
    "InvalidObjectList",
    "InvalidRange",
    "InvalidUpload",
    "ObjectNotFound",
    "OffsetMismatch",
    "PartDigestMismatch",
    "RangeNotSatisfiable",
    "StaleGrant",
    "TooManyRequests",
    "TransferError",
    "UploadBusy",
    "UploadError",
    "UploadNotFound",
    "UploadTooLarge",
]


class TransferError(ClearanceError):
    """Root of the transfer package's errors."""

    code = "transfer-error"


class GrantRequired(TransferError):
    """A valid login token of this node sent to a transfer route: data moves under grants only."""

    code = "grant-required"


class ObjectNotFound(TransferError):
    code = "not-found"


class StaleGrant(TransferError):
    code = "holding-version-changed"


class InvalidRange(TransferError):
    code = "range-malformed"


class InvalidObjectList(TransferError):
    code = "invalid-object-list"


class RangeNotSatisfiable(TransferError):
    code = "range-not-satisfiable"

    def __init__(self, message: str, *, size: int) -> None:
        super().__init__(message)
        self.size = size


class UploadError(TransferError):
    code = "upload-error"


class UploadNotFound(UploadError):
    code = "not-found"


class InvalidUpload(UploadError):
    code = "invalid-upload"


class PartDigestMismatch(UploadError):
    code = "part-digest-mismatch"


class UploadTooLarge(UploadError):
    code = "too-large"


class OffsetMismatch(UploadError):
    code = "offset-mismatch"

    def __init__(self, message: str, *, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class UploadBusy(UploadError):
    code = "upload-busy"


class ArchiveDigestMismatch(UploadError):
    code = "archive-digest-mismatch"


class ArchiveError(UploadError):
    """An archive member that may not be unpacked (or packed); ``member`` names it ("" when
    the archive as a whole is at fault)."""

    code = "archive-refused"

    def __init__(self, message: str, *, member: str = "") -> None:
        super().__init__(message)
        self.member = member


class TooManyRequests(TransferError):
    code = "too-many-requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
