"""Fail-closed, streaming, resumable verification of a downloaded Crypt4GH object.

A client holds a verified :class:`~transfer.manifest.Manifest` (signed by the owner), the header
the owner re-encrypted to the client's key, and a body that arrives in chunks of any size. It
writes plaintext to its final path only when *every* check below has passed:

header (before any body byte is accepted)
    ``header-malformed``         not a well-formed Crypt4GH v1 header
    ``header-not-for-this-key``  no packet opens with our key (addressed to another key, altered)
    ``no-data-key``              packets for us, but none gives a data key
    ``edit-list-not-allowed``    an edit-list packet (our objects never have one)
    ``extra-header-packet``      anything besides exactly one data-key packet (a second data key,
                                 a packet for another key) — Crypt4GH itself would accept it
    ``wrong-writer``             the packet was written by another key than the manifest's
body (re-framed into 65 564-byte segments as the manifest's sizes dictate)
    ``too-long``                 more bytes than the manifest's ``body_size`` (an extra segment);
                                 detected at the first byte too many, nothing more is buffered
    ``segment-tampered``         a segment fails authentication under the header's data key
    ``truncated``                the body ended early (mid-segment, or whole segments missing)
at the end
    ``object-mismatch``          every segment authentic and the length right, but the plaintext
                                 SHA-256 differs: segments reordered, replaced or altered, or
                                 another object served (v1 segment nonces are random and not
                                 bound to a position, so only the digests catch reordering)
    ``body-mismatch``            the plaintext matches, but the ciphertext body is not the one
                                 the manifest signs (re-encrypted body, or segments with equal
                                 plaintext reordered)

Plaintext goes to a temporary file ``.{name}.partial-XXXXXXXX`` (mode 0600) next to the final
path, is fsynced and renamed over ``out_path`` with :func:`os.replace` only after the last check;
on any failure the temporary file is deleted. Unverified plaintext never reaches ``out_path``.

Resuming. With ``body_path`` (by convention :func:`partial_body_path`, ``.{name}.c4gh.partial``)
a :class:`VerifyingWriter` appends every *verified* ciphertext segment to that file, so after an
interruption (:meth:`VerifyingWriter.abort`, a crash) the file is a prefix of whole segments.
:meth:`VerifyingWriter.resume` truncates it to whole segments, re-reads it in 1 MiB chunks to
rebuild both SHA-256 states and the plaintext, and returns the body offset from which the
download continues (HTTP ``Range: bytes=<offset>-``). Hash states are never persisted: the
ciphertext file is the only state. Memory stays constant (one segment and one chunk).

The body file is deleted with the plaintext on every verification failure except ``truncated``
(all it holds is verified segments, so a later resume can continue from it); on success it is
deleted unless ``finish(keep_body=True)`` (``--keep-encrypted``: the caller writes the header
before it to get a Crypt4GH file for its own key).

Messages name sizes, segment indexes and codes, never key material or plaintext.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from transfer.crypt4gh import (
    CIPHER_SEGMENT_SIZE,
    HEADER_METHOD_X25519_CHACHA20_POLY1305,
    KEY_SIZE,
    NONCE_SIZE,
    SEGMENT_SIZE,
    TAG_SIZE,
    Crypt4GHError,
    PrivateKeyLike,
    SegmentAuthError,
    SegmentDecryptor,
    parse_packets,
    partition_packets,
    private_key,
    public_key_bytes,
    reader_shared_key,
)
from transfer.errors import TransferError
from transfer.manifest import BodyDigest, ManifestObject, PlaintextDigest

__all__ = [
    "CHUNK_SIZE",
    "VERIFICATION_CODES",
    "TransferVerificationError",
    "VerifyingWriter",
    "decrypt_verified",
    "partial_body_path",
    "remove_stale_plaintext",
    "resume_offset",
]

CHUNK_SIZE: Final = 1 << 20
"""Unit in which a kept body file is re-read on resume."""

VERIFICATION_CODES: Final = frozenset(
    {
        "header-malformed",
        "header-not-for-this-key",
        "no-data-key",
        "edit-list-not-allowed",
        "extra-header-packet",
        "wrong-writer",
        "segment-tampered",
        "truncated",
        "too-long",
        "body-mismatch",
        "object-mismatch",
    }
)

_METHOD = HEADER_METHOD_X25519_CHACHA20_POLY1305.to_bytes(4, "little")
_NONCE_AT = 4 + KEY_SIZE
_BODY_AT = _NONCE_AT + NONCE_SIZE
_MIN_PACKET = _BODY_AT + TAG_SIZE
_PARTIAL_INFIX = ".partial-"


class TransferVerificationError(TransferError):
    """A downloaded object that must not be trusted; ``code`` is in :data:`VERIFICATION_CODES`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.message = message

    def __repr__(self) -> str:
        return f"TransferVerificationError({self.code!r}, {self.message!r})"


def _fail(code: str, message: str) -> TransferVerificationError:
    return TransferVerificationError(code, message)


# --- file names -----------------------------------------------------------------------------------


def partial_body_path(out_path: Path) -> Path:
    """Where the verified ciphertext of ``out_path`` is kept while downloading."""
    out_path = Path(out_path)
    return out_path.with_name(f".{out_path.name}.c4gh.partial")


def resume_offset(partial_body_path: Path) -> int:
    """Length of the kept ciphertext body rounded down to whole segments (0 if there is none).

    :meth:`VerifyingWriter.resume` re-verifies that prefix; the download continues from there.
    """
    try:
        size = Path(partial_body_path).stat().st_size
    except FileNotFoundError:
        return 0
    return size - size % CIPHER_SEGMENT_SIZE


def remove_stale_plaintext(out_path: Path, *, keep: Path | None = None) -> int:
    """Delete plaintext temporaries ``.{name}.partial-*`` a crashed download left next to
    ``out_path`` (all but ``keep``); return how many were removed."""
    # Absolute both: ``keep`` comes from mkstemp (absolute) while ``out_path`` may be relative
    # (``clearance pull --out ./data``); compared as given, the file being written was deleted.
    out_path = Path(out_path).absolute()
    keep = keep.absolute() if keep is not None else None
    prefix = f".{out_path.name}{_PARTIAL_INFIX}"
    removed = 0
    try:
        names = os.listdir(out_path.parent)
    except FileNotFoundError:
        return 0
    for name in names:
        path = out_path.parent / name
        if name.startswith(prefix) and path != keep:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    return removed


# --- header ---------------------------------------------------------------------------------------


def _open_packet(packet: bytes, sk: X25519PrivateKey, pk: bytes) -> tuple[bytes, bytes] | None:
    """``(writer public key, plaintext)`` of a packet addressed to us, else None."""
    if len(packet) < _MIN_PACKET or packet[:4] != _METHOD:
        return None
    writer_pk = packet[4:_NONCE_AT]
    try:
        shared = reader_shared_key(sk, pk, writer_pk)
        plain = ChaCha20Poly1305(shared).decrypt(
            packet[_NONCE_AT:_BODY_AT], packet[_BODY_AT:], None
        )
    except (Crypt4GHError, InvalidTag):
        return None
    return writer_pk, plain


def _data_key(header: bytes, reader_sk: PrivateKeyLike, writer_public_key: bytes) -> bytes:
    """The one data key ``header`` gives ``reader_sk``, or TransferVerificationError."""
    try:
        packets = parse_packets(header)
    except Crypt4GHError:
        raise _fail("header-malformed", "header is not a well-formed Crypt4GH v1 header") from None
    sk = private_key(reader_sk)
    pk = public_key_bytes(sk)
    opened = [o for o in (_open_packet(p, sk, pk) for p in packets) if o is not None]
    if not opened:
        raise _fail(
            "header-not-for-this-key",
            "no header packet opens with this key (addressed to another key, or altered)",
        )
    keys: list[tuple[bytes, bytes]] = []
    edit_lists = 0
    for writer_pk, plain in opened:
        try:
            data_keys, edit_list = partition_packets([plain])
        except Crypt4GHError:
            raise _fail(
                "header-malformed", "a header packet for this key has an invalid content"
            ) from None
        keys += [(writer_pk, key) for key in data_keys]
        edit_lists += edit_list is not None
    if not keys:
        raise _fail("no-data-key", "no header packet gives this key a data key")
    if edit_lists:
        raise _fail("edit-list-not-allowed", "header carries an edit list; objects never do")
    if len(packets) != 1:
        raise _fail(
            "extra-header-packet",
            f"header has {len(packets)} packets ({len(keys)} data keys for this key); "
            "exactly one is allowed",
        )
    writer_pk, key = keys[0]
    if writer_pk != writer_public_key:
        raise _fail("wrong-writer", "header was written by another key than the manifest names")
    return key


# --- the writer -----------------------------------------------------------------------------------


def _create_file(path: Path, *, truncate: bool) -> BinaryIO:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if truncate else 0)
    return os.fdopen(os.open(path, flags, 0o600), "wb")


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class VerifyingWriter:
    """Verifies and decrypts one object's body as it arrives; writes ``out_path`` on success.

    The header is checked by the constructor (TransferVerificationError before any file is
    created). Then: optionally :meth:`resume`, :meth:`feed` the body in chunks of any size,
    and :meth:`finish` (final checks, rename into place) or :meth:`abort` (pause: plaintext
    deleted, verified ciphertext kept for a later resume). After a TransferVerificationError
    or :meth:`finish`/:meth:`abort` the writer is closed. As a context manager it aborts if
    it is left open.
    """

    def __init__(
        self,
        header: bytes,
        *,
        entry: ManifestObject,
        reader_sk: PrivateKeyLike,
        out_path: Path,
        body_path: Path | None = None,
    ) -> None:
        if not isinstance(entry, ManifestObject):
            raise TypeError("entry must be a ManifestObject from a verified manifest")
        self._entry = entry
        self._out_path = Path(out_path)
        self._body_path = Path(body_path) if body_path is not None else None
        self._decryptor = SegmentDecryptor(
            [_data_key(bytes(header), reader_sk, entry.writer_public_key)]
        )
        self._segment = bytearray(CIPHER_SEGMENT_SIZE)
        self._segment_view = memoryview(self._segment)
        self._fill = 0
        self._plain_view = memoryview(bytearray(SEGMENT_SIZE))
        self._received = 0
        self._segments = 0
        self._body_digest = BodyDigest()
        self._plain_digest = PlaintextDigest()
        self._body: BinaryIO | None = None
        fd, name = tempfile.mkstemp(
            prefix=f".{self._out_path.name}{_PARTIAL_INFIX}", dir=self._out_path.parent
        )
        self._tmp_path = Path(name)
        self._tmp: BinaryIO | None = os.fdopen(fd, "wb")

    def __repr__(self) -> str:
        state = "open" if self._tmp is not None else "closed"
        return (
            f"VerifyingWriter(object={self._entry.id!r}, {state}, "
            f"received={self._received}/{self._entry.body_size})"
        )

    def __enter__(self) -> VerifyingWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.abort()

    # -- state -----------------------------------------------------------------------------------

    @property
    def received(self) -> int:
        """Body bytes accepted so far (the offset the next chunk starts at)."""
        return self._received

    @property
    def verified_segments(self) -> int:
        """Segments that authenticated and were written so far."""
        return self._segments

    @property
    def closed(self) -> bool:
        return self._tmp is None

    def _open_file(self) -> BinaryIO:
        if self._tmp is None:
            raise RuntimeError("this VerifyingWriter is closed")
        return self._tmp

    # -- body ------------------------------------------------------------------------------------

    def _segment_size(self, index: int) -> int:
        entry = self._entry
        return CIPHER_SEGMENT_SIZE if index < entry.segments - 1 else entry.last_segment_body_size

    def _process(self, segment: memoryview, out: BinaryIO, record: bool) -> None:
        index = self._segments
        self._body_digest.update(segment)
        try:
            size = self._decryptor.decrypt_into(segment, self._plain_view, index)
        except SegmentAuthError:
            raise _fail(
                "segment-tampered",
                f"body segment {index} failed authentication (altered, or not encrypted "
                "with this header's data key)",
            ) from None
        plain = self._plain_view[:size]
        self._plain_digest.update(plain)
        out.write(plain)
        if record and self._body is not None:
            self._body.write(segment)
        self._segments = index + 1

    def _consume(self, view: memoryview, record: bool) -> None:
        out = self._open_file()
        entry = self._entry
        if len(view) > entry.body_size - self._received:
            raise _fail(
                "too-long",
                f"body is longer than the manifest's {entry.body_size} bytes "
                "(an extra segment or trailing data)",
            )
        self._received += len(view)
        while view:
            need = self._segment_size(self._segments)
            if not self._fill and len(view) >= need:  # a whole segment in the chunk: no copy
                self._process(view[:need], out, record)
                view = view[need:]
                continue
            take = min(need - self._fill, len(view))
            self._segment_view[self._fill : self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
            if self._fill == need:
                self._process(self._segment_view[:need], out, record)
                self._fill = 0

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        """Accept the next body bytes (any size). Raises TransferVerificationError (closed)."""
        self._open_file()
        view = memoryview(chunk).cast("B")
        try:
            if self._body is None and self._body_path is not None:
                self._body = _create_file(self._body_path, truncate=True)
            self._consume(view, record=True)
        except TransferVerificationError as exc:
            self._discard(keep_body=exc.code == "truncated")
            raise
        except BaseException:
            self.abort()
            raise

    def resume(self, partial_body_path: Path | None = None) -> int:
        """Continue from a kept body file; return the body offset to download from.

        Must be called before :meth:`feed`. The file (``partial_body_path``, or the
        ``body_path`` given to the constructor) is truncated to whole segments (a complete body,
        short last segment included, is kept whole: nothing is downloaded again) and re-verified
        in ``CHUNK_SIZE`` reads; a missing file means starting at 0. Plaintext temporaries left
        by a crashed earlier attempt are deleted. A failure (the kept bytes do not verify)
        deletes the kept file too and raises TransferVerificationError.
        """
        self._open_file()
        path = Path(partial_body_path) if partial_body_path is not None else self._body_path
        if path is None:
            raise ValueError("resume needs the kept body file (body_path)")
        if self._body_path is not None and path != self._body_path:
            raise ValueError("resume must use the body_path given to the constructor")
        if self._received or self._body is not None:
            raise RuntimeError("resume must come before the first feed")
        self._body_path = path
        remove_stale_plaintext(self._out_path, keep=self._tmp_path)
        if not path.exists():
            return 0
        offset = resume_offset(path)
        if path.stat().st_size == self._entry.body_size:
            offset = self._entry.body_size  # every segment is there, the last one short
        body = open(path, "r+b")  # noqa: SIM115 - kept open as the append target
        try:
            body.truncate(offset)
            while self._received < offset:
                chunk = body.read(min(CHUNK_SIZE, offset - self._received))
                if not chunk:
                    raise _fail("truncated", "kept body file shrank while resuming")
                self._consume(memoryview(chunk), record=False)
            body.seek(offset)
        except TransferVerificationError:
            body.close()
            self._discard(keep_body=False)
            raise
        except BaseException:
            body.close()
            self.abort()
            raise
        self._body = body
        return offset

    # -- the end ---------------------------------------------------------------------------------

    def _final_checks(self) -> None:
        entry = self._entry
        if self._received < entry.body_size:
            where = "mid-segment" if self._fill else "at a segment boundary"
            raise _fail(
                "truncated",
                f"body ended {where} after {self._received} of {entry.body_size} bytes "
                f"({self._segments} of {entry.segments} segments)",
            )
        if self._segments != entry.segments:  # pragma: no cover - implied by the sizes
            raise _fail("truncated", "segment count differs from the manifest")
        plaintext, body = self._plain_digest, self._body_digest
        if plaintext.size != entry.plaintext_size or plaintext.hexdigest() != (
            entry.plaintext_sha256
        ):
            raise _fail(
                "object-mismatch",
                "body does not match the manifest (segments reordered, replaced or altered, "
                "or another object served): plaintext SHA-256 differs",
            )
        if body.size != entry.body_size or body.hexdigest() != entry.body_sha256:
            raise _fail(
                "body-mismatch",
                "body does not match the manifest (segments reordered, replaced or "
                "re-encrypted): ciphertext SHA-256 differs although the plaintext matches",
            )

    def finish(self, *, keep_body: bool = False) -> None:
        """Run the final checks; on success move the plaintext to ``out_path``.

        Raises TransferVerificationError (everything deleted, except the kept body on
        ``truncated``). ``keep_body=True`` leaves the verified ciphertext body in the body file.
        """
        out = self._open_file()
        try:
            self._final_checks()
        except TransferVerificationError as exc:
            self._discard(keep_body=exc.code == "truncated")
            raise
        try:
            out.flush()
            os.fsync(out.fileno())
            out.close()
            self._tmp = None
            os.replace(self._tmp_path, self._out_path)
        except BaseException:
            self._discard(keep_body=True)
            raise
        _fsync_dir(self._out_path.parent)
        if keep_body and self._body is None and self._body_path is not None:
            self._body = _create_file(self._body_path, truncate=True)  # an empty object's body
        self._close_body(keep=keep_body)

    def abort(self) -> None:
        """Stop without a result: delete the plaintext, keep the verified ciphertext (if any)
        for :meth:`resume`. Does nothing on a closed writer."""
        if self._tmp is not None:
            self._discard(keep_body=True)

    def _close_body(self, *, keep: bool) -> None:
        body, self._body = self._body, None
        if body is not None:
            try:
                if keep:
                    body.flush()
                    os.fsync(body.fileno())
            finally:
                body.close()
        if not keep and self._body_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._body_path.unlink()

    def _discard(self, *, keep_body: bool) -> None:
        tmp, self._tmp = self._tmp, None
        try:
            if tmp is not None:
                tmp.close()
        finally:
            with contextlib.suppress(FileNotFoundError):
                self._tmp_path.unlink()
            self._close_body(keep=keep_body)


def decrypt_verified(
    header: bytes,
    body_chunks: Iterable[bytes | bytearray | memoryview],
    *,
    entry: ManifestObject,
    reader_sk: PrivateKeyLike,
    out_path: Path,
) -> None:
    """Verify and decrypt one object into ``out_path``; fail closed.

    Raises TransferVerificationError (see the module docstring); then, as after any exception
    from ``body_chunks``, no plaintext file is left behind and ``out_path`` is untouched.
    """
    writer = VerifyingWriter(header, entry=entry, reader_sk=reader_sk, out_path=out_path)
    try:
        for chunk in body_chunks:
            writer.feed(chunk)
    except BaseException:
        writer.abort()
        raise
    writer.finish()
