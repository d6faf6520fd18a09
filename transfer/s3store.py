"""The S3 blob store (boto3; AWS S3 or any S3-compatible server such as SeaweedFS or MinIO).

Same contract as ``transfer.blobstore`` (see its module docstring). S3 specifics:

* Requests are SigV4-signed, path-style (``endpoint/bucket/key``) so any S3-compatible server works.
* A blob larger than one part goes up as a multipart upload. The part size is a whole number of
  Crypt4GH encrypted segments (65,564 bytes), so every part holds whole segments, and at least
  5 MiB, the S3 minimum for every part but the last (servers refuse smaller ones with
  ``EntityTooSmall``). The default, 80 segments, is 5,245,120 bytes; S3 allows 10,000 parts, so
  the largest blob is 10,000 x part size (about 52 GB by default). Anything that goes wrong
  during a multipart upload (the source stream raises, a part is refused, the SHA-256 does not
  match, an interrupt) aborts the upload, so the server keeps neither an object nor parts.
  A blob of at most one part is one ``PutObject``, which S3 applies atomically.
* ``read_range`` is a ranged GET (``Range: bytes=first-last``) whose body is streamed, never
  buffered whole; ``open`` streams the whole object through a buffered reader.
* ``presign`` signs a ``GetObject`` URL locally (no request; a missing key is a 404 when the URL
  is used). S3 does not sign a ``Range`` header the client adds, so a URL for the whole blob
  serves any range the client asks for; with ``byte_range`` the header is signed and required.
  The URL carries the access key id (never the secret) as S3 URLs always do.
* Credentials are a static key pair handed to boto3, or none: then boto3's credential chain
  (on AWS the task role's or instance profile's temporary credentials, refreshed as they near
  expiry; a presigned URL then carries their session token and lives no longer than they do).
  Neither is kept on the store; ``repr`` shows bucket, endpoint and prefix only. Botocore
  errors become ``BlobStoreError`` (or ``BlobNotFound`` for 404 / ``NoSuchKey``,
  ``BlobRangeError`` for 416) with a message naming the operation, key and S3 error code; the
  original exception is not chained, so no server text reaches a traceback.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Callable, Generator, Iterator
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import boto3
import botocore.config
import botocore.exceptions

from transfer.blobstore import (
    CHUNK_SIZE,
    BlobChunks,
    BlobNotFound,
    BlobRangeError,
    BlobStoreError,
    ChecksumMismatch,
    check_byte_range,
    check_expires,
    check_key,
    check_range,
)
from transfer.crypt4gh import CIPHER_SEGMENT_SIZE

__all__ = [
    "DEFAULT_PART_SEGMENTS",
    "DEFAULT_PART_SIZE",
    "MAX_PARTS",
    "MIN_PART_SIZE",
    "S3BlobStore",
]

log = logging.getLogger(__name__)

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_SIZE = 5 * 1024 * 1024 * 1024
MAX_PARTS = 10_000
DEFAULT_PART_SEGMENTS = 80
DEFAULT_PART_SIZE = DEFAULT_PART_SEGMENTS * CIPHER_SEGMENT_SIZE  # 5,245,120 bytes

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_BAD_RANGE = {"416", "InvalidRange"}
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_BOTO_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


def _read_full(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes: fewer only at the end of the stream (short reads are retried)."""
    buffer = bytearray()
    while len(buffer) < size:
        chunk = stream.read(size - len(buffer))
        if not chunk:
            break
        buffer += chunk
    return bytes(buffer)


def _is_key(key: str) -> bool:
    try:
        check_key(key)
    except ValueError:
        return False
    return True


def _nothing() -> Generator[bytes, None, None]:
    yield from ()


class _BodyReader(io.RawIOBase):
    """A botocore streaming body as a raw binary stream; read errors become BlobStoreError."""

    def __init__(self, body: Any, error: Callable[[Exception], BlobStoreError]) -> None:
        self._body = body
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data: bytes = self._body.read(len(view))
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            error = self._error(exc)
        else:
            view[: len(data)] = data
            return len(data)
        raise error  # outside the handler: the botocore error is neither cause nor context

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3BlobStore:
    """Blobs as objects ``prefix/key`` in one bucket. Thread-safe (one boto3 client)."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None,
        region: str,
        access_key: str | None,
        secret_key: str | None,
        prefix: str = "",
        part_size: int = DEFAULT_PART_SIZE,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 60.0,
        max_attempts: int = 3,
    ) -> None:
        """``endpoint_url`` None means AWS itself; ``prefix`` is a key-like folder (or "").
        ``access_key`` and ``secret_key`` both None: boto3's credential chain signs (a role's
        temporary credentials, refreshed by boto3); found none, the store is not made."""
        if (access_key is None) != (secret_key is None):
            raise ValueError("give both access_key and secret_key, or neither (a role)")
        if not _BUCKET.fullmatch(bucket):
            raise ValueError(f"invalid bucket name {bucket!r}")
        if endpoint_url is not None:
            parts = urlsplit(endpoint_url)
            if (
                parts.scheme not in {"http", "https"}
                or not parts.hostname
                or parts.username is not None
                or parts.password is not None
                or parts.query
                or parts.fragment
            ):
                raise ValueError("endpoint_url must be http(s)://host[:port][/path]")
        prefix = prefix.strip("/")
        if prefix:
            try:
                check_key(prefix)
            except ValueError:
                raise ValueError(f"invalid key prefix {prefix!r}") from None
        if isinstance(part_size, bool) or not isinstance(part_size, int):
            raise ValueError("part_size must be an integer")
        if part_size % CIPHER_SEGMENT_SIZE or not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
            raise ValueError(
                f"part_size must be a multiple of {CIPHER_SEGMENT_SIZE} (one encrypted segment) "
                f"between {MIN_PART_SIZE} and {MAX_PART_SIZE} bytes, not {part_size}"
            )
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        self.prefix = prefix
        self.part_size = part_size
        self._root = f"{prefix}/" if prefix else ""
        config = botocore.config.Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=connect_timeout_s,
            read_timeout=read_timeout_s,
            retries={"mode": "standard", "max_attempts": max_attempts},
        )
        # A private session: nothing shared with other stores. With a key, the credentials live
        # only inside the client's signer; without one, the chain's provider refreshes them.
        session = boto3.session.Session()
        if access_key is None and session.get_credentials() is None:
            raise ValueError(
                "no S3 credentials: no key given and none from the AWS credential chain "
                "(task role, instance profile, AWS_* variables)"
            )
        self._s3: Any = session.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )

    def __repr__(self) -> str:
        return (
            f"S3BlobStore(bucket={self.bucket!r}, endpoint_url={self.endpoint_url!r}, "
            f"prefix={self.prefix!r}, part_size={self.part_size})"
        )

    # ------------------------------------------------------------------ helpers

    def _name(self, key: str) -> str:
        return self._root + check_key(key)

    def _error(self, operation: str, key: str, exc: Exception) -> BlobStoreError:
        """The store's exception for a botocore failure. Raise it outside the ``except`` block
        that caught ``exc``, so that ``exc`` (and the server's text) is not chained to it."""
        if isinstance(exc, botocore.exceptions.ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "?"))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in _NOT_FOUND:
                return BlobNotFound(key)
            if code in _BAD_RANGE or status == 416:
                return BlobRangeError(f"S3 {operation} of {key!r}: range not satisfiable")
            where = f"{key!r} in bucket {self.bucket!r}"
            return BlobStoreError(f"S3 {operation} of {where} failed: {code} (HTTP {status})")
        return BlobStoreError(
            f"S3 {operation} of {key!r} in bucket {self.bucket!r} failed: {type(exc).__name__}"
        )

    def _call(self, operation: str, key: str, method: Callable[..., Any], **params: Any) -> Any:
        try:
            return method(Bucket=self.bucket, **params)
        except _BOTO_ERRORS as exc:
            error = self._error(operation, key, exc)
        raise error

    def _head(self, key: str) -> Any:
        return self._call("HEAD", key, self._s3.head_object, Key=self._name(key))

    # ------------------------------------------------------------------ writes

    def put_bytes(self, key: str, data: bytes) -> None:
        self.put_stream(key, io.BytesIO(data))

    def put_stream(self, key: str, stream: BinaryIO, *, sha256: str | None = None) -> int:
        """Upload ``stream`` to its end; return the size. Multipart beyond one part; all or nothing.

        At most two parts are held in memory. An exception from ``stream`` propagates unchanged
        (after the multipart upload is aborted).
        """
        name = self._name(key)
        digest = hashlib.sha256()

        def verify() -> None:
            if sha256 is not None and digest.hexdigest() != sha256.lower():
                raise ChecksumMismatch(f"blob {key!r}: the bytes do not have the expected SHA-256")

        part = _read_full(stream, self.part_size)
        following = _read_full(stream, self.part_size) if len(part) == self.part_size else b""
        digest.update(part)
        if not following:
            verify()
            self._call("PUT", key, self._s3.put_object, Key=name, Body=part)
            return len(part)

        upload = self._call("multipart start", key, self._s3.create_multipart_upload, Key=name)
        upload_id: str = upload["UploadId"]
        try:
            parts: list[dict[str, Any]] = []
            size = 0
            while part:
                number = len(parts) + 1
                if number > MAX_PARTS:
                    raise BlobStoreError(
                        f"blob {key!r} is larger than {MAX_PARTS} parts of {self.part_size} bytes"
                    )
                response = self._call(
                    f"upload of part {number}",
                    key,
                    self._s3.upload_part,
                    Key=name,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=part,
                )
                parts.append({"PartNumber": number, "ETag": response["ETag"]})
                size += len(part)
                if len(following) == self.part_size:
                    part, following = following, _read_full(stream, self.part_size)
                else:
                    part, following = following, b""
                digest.update(part)
            verify()
            self._call(
                "multipart completion",
                key,
                self._s3.complete_multipart_upload,
                Key=name,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            self._abort(key, name, upload_id)
            raise
        return size

    def _abort(self, key: str, name: str, upload_id: str) -> None:
        try:
            self._s3.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            # The original failure is what the caller needs; a bucket lifecycle rule
            # (AbortIncompleteMultipartUpload) is the backstop for this rare case.
            log.warning(
                "could not abort the multipart upload of %r (upload %s): %s",
                key,
                upload_id,
                type(exc).__name__,
            )

    # ------------------------------------------------------------------ reads

    def exists(self, key: str) -> bool:
        """True if the blob exists; a refused request (e.g. 403) raises, it is not "absent"."""
        try:
            self._head(key)
        except BlobNotFound:
            return False
        return True

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def open(self, key: str) -> BinaryIO:
        response = self._call("GET", key, self._s3.get_object, Key=self._name(key))
        body = response["Body"]

        def error(exc: Exception) -> BlobStoreError:
            return self._error("GET", key, exc)

        return io.BufferedReader(_BodyReader(body, error), buffer_size=CHUNK_SIZE)

    def read_range(self, key: str, start: int, length: int) -> BlobChunks:
        check_range(start, length)
        name = self._name(key)
        if length == 0:  # no HTTP range can say "nothing": check the blob and the position
            if start > self.size(key):
                raise BlobRangeError(f"blob {key!r}: byte {start} is past its end")
            return BlobChunks(_nothing(), lambda: None)
        last = start + length - 1
        response = self._call(
            "ranged GET", key, self._s3.get_object, Key=name, Range=f"bytes={start}-{last}"
        )
        body = response["Body"]
        try:
            self._check_content_range(key, response, start, last)
        except BaseException:
            body.close()
            raise

        def chunks() -> Generator[bytes, None, None]:
            remaining = length
            while remaining:
                failure: BlobStoreError | None = None
                chunk = b""
                try:
                    chunk = body.read(min(remaining, CHUNK_SIZE))
                except (botocore.exceptions.BotoCoreError, OSError) as exc:
                    failure = self._error("ranged GET", key, exc)
                if failure is not None:
                    raise failure
                if not chunk:
                    raise BlobStoreError(f"S3 ranged GET of {key!r}: the response ended early")
                remaining -= len(chunk)
                yield chunk

        return BlobChunks(chunks(), body.close)

    def _check_content_range(self, key: str, response: Any, start: int, last: int) -> None:
        """The server must answer with exactly the bytes asked for (S3 clips a range at the end)."""
        content_range = response.get("ContentRange")
        if content_range is None:  # 200: the server ignored Range; fine only for the whole blob
            if start == 0 and int(response["ContentLength"]) == last + 1:
                return
            raise BlobStoreError(f"S3 ranged GET of {key!r}: the server ignored the range")
        match = _CONTENT_RANGE.fullmatch(content_range)
        if match is None:
            raise BlobStoreError(f"S3 ranged GET of {key!r}: bad Content-Range {content_range!r}")
        first, end = int(match[1]), int(match[2])
        if first != start or end > last:
            raise BlobStoreError(f"S3 ranged GET of {key!r}: the server sent the wrong range")
        if end < last:
            raise BlobRangeError(
                f"blob {key!r}: bytes {start}..{last + 1} are outside its {match[3]} bytes"
            )

    def presign(
        self, key: str, *, expires_s: int, byte_range: tuple[int, int] | None = None
    ) -> str:
        """A GET URL for ``key`` valid ``expires_s`` seconds; see the module for ``byte_range``."""
        check_expires(expires_s)
        check_byte_range(byte_range)
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self._name(key)}
        if byte_range is not None:
            params["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
        try:
            url: str = self._s3.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_s, HttpMethod="GET"
            )
        except _BOTO_ERRORS as exc:
            error = self._error("presign", key, exc)
        else:
            return url
        raise error

    # ------------------------------------------------------------------ other

    def delete(self, key: str) -> None:
        """Remove the blob; removing a missing blob is not an error."""
        self._call("DELETE", key, self._s3.delete_object, Key=self._name(key))

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with ``prefix``, in key order, over as many list pages as it takes.

        Objects under the store's prefix whose names are not valid keys are skipped.
        """
        paginator = self._s3.get_paginator("list_objects_v2")
        pages = iter(paginator.paginate(Bucket=self.bucket, Prefix=self._root + prefix))
        while True:
            try:
                page = next(pages)
            except StopIteration:
                return
            except _BOTO_ERRORS as exc:
                error = self._error("LIST", prefix or "(all)", exc)
                break
            for item in page.get("Contents", ()):
                key = str(item["Key"])[len(self._root) :]
                if _is_key(key):
                    yield key
        raise error
