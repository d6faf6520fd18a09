"""The client side of resumable uploads (``clearance upload``): pack, send in parts, publish.

1. The folder is packed into a deterministic tar (``transfer.uploads.archive.write_tar``) in a
   private temporary folder, streaming, so memory does not grow with the holding.
2. The session is found again by the archive's SHA-256 and size among the caller's open
   sessions on the node, or created. No local state file: the same folder gives the same
   archive, so a re-run from any temporary folder — or another machine — resumes.
3. Parts (default 8 MiB, one in memory at a time) go up with ``Upload-Offset`` and
   ``Content-Digest``. After any failure the client asks the node for its offset (or takes it
   from a 409) and continues from there, so accepted bytes are never sent twice.
4. The completion can outlast a connection: when the answer is lost, the client waits while
   the node reports the session ``completing`` and takes the result the node keeps.
5. Running it again after it finished publishes nothing: the caller's completed session for
   the same archive and holding is found (while the node keeps it, its upload TTL) and its
   result returned, unless ``again`` asks for a new version.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from clearance.client.http import ClientError, NodeClient
from transfer.uploads import DIGEST_HEADER, OFFSET_HEADER, ArchiveInfo, content_digest, write_tar

__all__ = ["DEFAULT_PART_SIZE", "UploadOutcome", "UploadRequest", "upload_folder"]

DEFAULT_PART_SIZE = 8 << 20
_PART_TIMEOUT = 300.0
_COMPLETE_TIMEOUT = 3600.0
_RETRYABLE = {0, 408, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class UploadRequest:
    folder: Path
    options: Mapping[str, str]  # the publish options, as POST /uploads/{id}/complete takes them
    part_size: int = DEFAULT_PART_SIZE
    work_dir: Path | None = None  # where the temporary archive goes (default: system temp)
    retries: int = 5  # consecutive failures tolerated before giving up
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    wait: float = 3600.0  # how long to wait for a completion another request holds
    again: bool = False  # publish even if this archive was published as this holding already


@dataclass(frozen=True)
class UploadOutcome:
    upload_id: str
    archive: ArchiveInfo
    resumed: bool
    resumed_at: int  # the node's offset when this run started sending
    parts_sent: int
    bytes_sent: int
    result: dict[str, Any]
    already: bool = False  # published before, by upload_id: nothing sent, nothing published

    def as_json(self) -> dict[str, Any]:
        return {
            "upload": self.upload_id,
            "archive_size": self.archive.size,
            "archive_sha256": self.archive.sha256,
            "resumed": self.resumed,
            "resumed_at": self.resumed_at,
            "parts_sent": self.parts_sent,
            "bytes_sent": self.bytes_sent,
            "result": self.result,
            "already_published": self.already,
        }


def _quiet(_: str) -> None:
    return None


def upload_folder(
    client: NodeClient,
    request: UploadRequest,
    echo: Callable[[str], None] = _quiet,
    progress: Callable[[int, int], None] | None = None,
) -> UploadOutcome:
    """Upload and publish; ``echo`` tells what happens, ``progress(sent, size)`` the bytes."""
    holding = str(request.options["holding"])
    with tempfile.TemporaryDirectory(dir=request.work_dir, prefix="clearance-upload-") as tmp:
        path = Path(tmp) / "holding.tar"
        with path.open("wb") as out:
            info = write_tar(request.folder, out)
        echo(f"archive: {info.members} members, {info.size:,} bytes, sha256 {info.sha256}")
        done = None if request.again else _published(client, info, holding)
        if done is not None:
            return UploadOutcome(done["id"], info, False, -1, 0, 0, done["result"], already=True)
        session, resumed = _session(client, info, holding)
        upload_id = session["id"]
        part_size = min(request.part_size, int(session.get("max_part") or request.part_size))
        sender = _Sender(client, request, upload_id, info.size, part_size, echo, progress)
        with path.open("rb") as archive:
            sender.run(archive)
        echo(f"upload {upload_id}: all {info.size:,} bytes on the node; publishing")
        result = _complete(client, request, upload_id)
    return UploadOutcome(
        upload_id, info, resumed, sender.resumed_at, sender.parts, sender.bytes, result
    )


def _published(client: NodeClient, info: ArchiveInfo, holding: str) -> dict[str, Any] | None:
    """The caller's completed session that published this very archive as ``holding``."""
    for upload in client.call("GET", "/uploads")["uploads"]:
        same = (upload["sha256"], upload["size"]) == (info.sha256, info.size)
        result = upload.get("result") or {}
        if same and upload["state"] == "completed" and result.get("holding_id") == holding:
            found: dict[str, Any] = upload
            return found
    return None


def _session(client: NodeClient, info: ArchiveInfo, holding: str) -> tuple[dict[str, Any], bool]:
    """The caller's unfinished session for this very archive, or a new one to publish as
    ``holding`` (the node refuses before the first byte if the caller may not publish it)."""
    for upload in client.call("GET", "/uploads")["uploads"]:
        same = (upload["sha256"], upload["size"]) == (info.sha256, info.size)
        if same and upload["state"] in ("open", "completing"):
            return upload, True
    body = {"size": info.size, "sha256": info.sha256, "holding": holding}
    created = client.call("POST", "/uploads", body)
    return created, False


class _Sender:
    """Sends the parts from the node's offset on, recovering from failures."""

    def __init__(
        self,
        client: NodeClient,
        request: UploadRequest,
        upload_id: str,
        size: int,
        part_size: int,
        echo: Callable[[str], None],
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self._client, self._request = client, request
        self._progress = progress
        self._path = f"/uploads/{upload_id}"
        self._size, self._part_size, self._echo = size, part_size, echo
        self.resumed_at = -1
        self.parts = self.bytes = 0

    def _offset(self) -> int:
        response = self._client.send("GET", self._path)
        offset = int(response.headers[OFFSET_HEADER])
        if self.resumed_at < 0:
            self.resumed_at = offset
            if offset:
                self._echo(f"resuming at byte {offset:,} of {self._size:,}")
        return offset

    def _send_part(self, archive: BinaryIO, offset: int) -> int:
        archive.seek(offset)
        data = archive.read(min(self._part_size, self._size - offset))
        headers = {
            OFFSET_HEADER: str(offset),
            DIGEST_HEADER: content_digest(hashlib.sha256(data).hexdigest()),
            "Content-Type": "application/offset+octet-stream",
        }
        response = self._client.send(
            "PATCH", self._path, content=data, headers=headers, timeout=_PART_TIMEOUT
        )
        self.parts += 1
        self.bytes += len(data)
        new_offset = int(response.headers[OFFSET_HEADER])
        if self._progress is not None:
            self._progress(new_offset, self._size)
        else:
            self._echo(f"  {new_offset:,} / {self._size:,} bytes")
        return new_offset

    def run(self, archive: BinaryIO) -> None:
        offset: int | None = None
        failures = 0
        while True:
            try:
                if offset is None:
                    offset = self._offset()
                if offset >= self._size:
                    return
                offset = self._send_part(archive, offset)
                failures = 0
            except ClientError as exc:
                failures += 1
                if failures > self._request.retries or not _retryable(exc):
                    raise
                offset = _offset_of(exc)
                if offset is None:  # ask the node again once it had a moment
                    self._echo(f"  retrying after: {exc}")
                    time.sleep(self._request.backoff * 2 ** (failures - 1))


def _retryable(exc: ClientError) -> bool:
    """A lost connection, a busy node, a part damaged on the way or sent for a stale offset."""
    return exc.status in _RETRYABLE or exc.code in ("offset-mismatch", "part-digest-mismatch")


def _offset_of(exc: ClientError) -> int | None:
    value = exc.headers.get(OFFSET_HEADER) if exc.code == "offset-mismatch" else None
    return int(value) if value is not None and value.isdigit() else None


def _complete(client: NodeClient, request: UploadRequest, upload_id: str) -> dict[str, Any]:
    path = f"/uploads/{upload_id}"
    body = dict(request.options)
    for _ in range(request.retries + 1):
        try:
            answer = client.send("POST", f"{path}/complete", body=body, timeout=_COMPLETE_TIMEOUT)
            result: dict[str, Any] = answer.json()
            return result
        except ClientError as exc:
            if exc.status not in (0, 409):
                raise
            session = _wait_while_completing(client, request, path)
            if session["state"] == "completed":
                done: dict[str, Any] = session["result"]
                return done
            if exc.status != 0:  # refused for a reason other than a lost answer
                raise
    raise ClientError(0, "unreachable", "the completion did not get through; run the upload again")


def _wait_while_completing(client: NodeClient, request: UploadRequest, path: str) -> dict[str, Any]:
    deadline = time.monotonic() + request.wait
    while True:
        session: dict[str, Any] = client.call("GET", path)
        if session["state"] != "completing" or time.monotonic() > deadline:
            return session
        time.sleep(request.backoff)
