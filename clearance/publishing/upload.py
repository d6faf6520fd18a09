"""Completing a resumable upload: verify the archive, unpack it safely, publish it.

The archive is streamed from the upload's parts (decrypted and checked part by part), unpacked
by ``transfer.uploads.archive.unpack_tar`` into a private temporary folder under the node's work
folder, its whole SHA-256 checked, and the folder published through the same path as ``clearance
publish`` (``publish_options``: read and validate everything, encrypt, one transaction). On any
failure nothing is published, the temporary folder is removed, and the session is reopened with
the error so that the publisher can retry the completion or delete the upload.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any, BinaryIO, cast

from access import Principal
from catalog import PublishResult
from clearance.http.errors import status_of
from clearance.node import Node
from clearance.publishing.folder import publish_options
from clearance.publishing.options import PublishOptions
from transfer import ArchiveError
from transfer.uploads import ArchiveReader, UnpackLimits, Upload, unpack_tar

__all__ = ["PublishOptions", "complete_upload"]

log = logging.getLogger("clearance.uploads")


def complete_upload(
    node: Node, who: Principal, upload_id: str, options: PublishOptions
) -> dict[str, Any]:
    """Publish the upload's archive; the publish result (kept on the session until it expires)."""
    digest = options.sha256()
    upload = node.uploads.claim(who, upload_id, digest)
    if upload.state == "completed":  # a repeated completion (e.g. the client lost the answer)
        assert upload.result is not None
        return upload.result
    try:
        result = _result(_unpack_and_publish(node, upload, options))
    except BaseException as exc:
        _release(node, who, upload, options.holding, exc)
        raise
    node.uploads.finish(who, upload, digest, result)
    return result


def _release(node: Node, who: Principal, upload: Upload, holding: str, exc: BaseException) -> None:
    """Reopen the session with a caller-safe account of ``exc`` (never internal text)."""
    if status_of(exc) < 500:
        code, message = str(getattr(exc, "code", "error")), str(exc)
    else:
        code, message = "internal-error", "internal error; the node's log has the detail"
    try:
        node.uploads.release(who, upload, code, message, holding)
    except Exception:  # the original error matters more; the lease ends the claim anyway
        log.exception("could not reopen upload %s after a failed completion", upload.id)


def _unpack_and_publish(node: Node, upload: Upload, options: PublishOptions) -> PublishResult:
    work_dir = node.uploads.work_dir
    work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix=f"upload-{upload.id[:8]}-") as work:
        folder = Path(work) / "holding"
        folder.mkdir(mode=0o700)
        limits = UnpackLimits(node.uploads.limits.max_members, upload.size)
        with node.uploads.open_archive(upload) as archive:
            _unpack_verified(archive, folder, limits)
        # All of the options, as given: each one spelled out here once left --geometry behind.
        return publish_options(node, folder, admin=upload.owner, options=options)


def _unpack_verified(archive: ArchiveReader, folder: Path, limits: UnpackLimits) -> None:
    """Unpack, then check the whole archive's SHA-256. When unpacking fails, a digest that does
    not match is the better explanation (wrong or damaged archive), so it is checked first."""
    try:
        unpack_tar(cast(BinaryIO, archive), folder, limits)
    except ArchiveError:
        archive.verify()
        raise
    archive.verify()


def _result(result: PublishResult) -> dict[str, Any]:
    return asdict(result)
