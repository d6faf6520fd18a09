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
                                 plaintext reordered); not checked in record mode, where the
                                 ciphertext is not kept — see "Hash once" below

Plaintext goes to a file next to the final path (mode 0600), is fsynced and renamed over
``out_path`` with :func:`os.replace` only after the last check; on any failure it is deleted.
Unverified plaintext never reaches ``out_path``.

Resuming, record mode (``record_path``; ``clearance pull`` without ``--keep-encrypted``). The
plaintext of each segment that authenticated is written, unbuffered, to
:func:`plaintext_prefix_path` (``.{name}.partial``), and after each chunk a fixed-size record
(:func:`resume_record_path`, ``.{name}.resume``, 0600, :data:`RECORD_SIZE` bytes written in place)
says how many segments that file holds, how many bytes that is and their SHA-256, under an
HMAC-SHA256 whose key is derived (HKDF) from the reader's private key and which binds the
object's id, plaintext digest and sizes and writer key. Nothing is written twice and the
ciphertext is not kept. :meth:`VerifyingWriter.resume` believes a record only if its MAC verifies,
it is exactly :data:`RECORD_SIZE` bytes, its counts fit the manifest, and the plaintext on disk
hashes to what it says; it then cuts the file to the recorded segments (a tail written before a
kill -9 could record it), rebuilds the running SHA-256 by re-reading that prefix (SHA-256 states
cannot be serialised; re-reading local disk at ~1 GB/s is cheap next to the network, and it is the
check against the disk anyway) and continues after the last recorded segment. Anything else — no
record, a truncated or altered one, one for another object or written under another key, a
plaintext prefix altered, cut short or missing (a power cut after the record but before the
data) — is distrusted: both files are dropped, the reason goes to
:attr:`VerifyingWriter.distrusted`, and the object is downloaded again from byte 0. The record is
a saving, never a trust anchor: the final plaintext SHA-256 covers the resumed prefix too, so even
a record that were believed wrongly could not get altered plaintext past :meth:`finish`.
On a verification failure (except ``truncated``) the prefix and record are deleted; on
:meth:`VerifyingWriter.abort` and ``truncated`` they are kept for the next run.

Resuming from a kept body (``body_path``; ``--keep-encrypted``, which wants the ciphertext
anyway). Plaintext goes to a temporary ``.{name}.partial-XXXXXXXX``; every *verified* ciphertext
segment is appended to ``body_path`` (by convention :func:`partial_body_path`,
``.{name}.c4gh.partial``), so after an interruption the file is a prefix of whole segments.
:meth:`VerifyingWriter.resume` truncates it to whole segments, re-reads it in 1 MiB chunks to
rebuild both SHA-256 states and the plaintext, and returns the body offset from which the
download continues. The body file is deleted with the plaintext on every verification failure
except ``truncated``; on success it is deleted unless ``finish(keep_body=True)`` (the caller
writes the header before it to get a Crypt4GH file for its own key).

Hash once. In record mode only the plaintext is hashed. What each remaining check detects: the
header checks tie the data key to the manifest's writer and to this reader; the AEAD tag of every
segment detects any altered or foreign ciphertext (without the data key nobody can make a
segment that authenticates); the manifest's ``body_size`` and segment count detect truncation
and extra segments (``truncated``, ``too-long``), which Crypt4GH v1 itself does not; the
plaintext SHA-256 detects segments reordered, replaced or taken from another object under the
same data key, and another object served whole (v1 nonces do not bind positions). The ciphertext
SHA-256 adds nothing to what the researcher receives: a body that passes all of the above
decrypts to exactly the signed plaintext; it only tells whether the *ciphertext* is the stored
one (a node that re-encrypted the same plaintext, or swapped segments of equal plaintext), which
matters only where the ciphertext itself is kept — so it is checked there.

Messages name sizes, segment indexes and codes, never key material or plaintext.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import struct
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

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
    "RECORD_SIZE",
    "VERIFICATION_CODES",
    "TransferVerificationError",
    "VerifyingWriter",
    "decrypt_verified",
    "partial_body_path",
    "plaintext_prefix_path",
    "recorded_offset",
    "remove_stale_plaintext",
    "resume_offset",
    "resume_record_path",
    "sync_folders",
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

_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)
_RECORD_MAGIC: Final = b"CLRRES01"
_RECORD_BODY = struct.Struct(">8sQQ32s")  # magic, segments, plaintext bytes, SHA-256 of those
RECORD_SIZE: Final = _RECORD_BODY.size + 32  # + HMAC-SHA256
_RECORD_KDF_INFO: Final = b"clearance pull resume record v1"


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


def resume_record_path(out_path: Path) -> Path:
    """Where the resume record of ``out_path`` is kept while downloading (record mode)."""
    out_path = Path(out_path)
    return out_path.with_name(f".{out_path.name}.resume")


def plaintext_prefix_path(out_path: Path) -> Path:
    """Where the verified plaintext prefix of ``out_path`` grows while downloading (record
    mode); renamed to ``out_path`` once every check has passed."""
    out_path = Path(out_path)
    return out_path.with_name(f".{out_path.name}.partial")


def _record_key(reader_sk: PrivateKeyLike) -> bytes:
    """The resume records' MAC key: HKDF-SHA256 of the reader's X25519 private key, so only the
    holder of that key can write a record a later run believes."""
    raw = private_key(reader_sk).private_bytes_raw()
    return HKDF(hashes.SHA256(), 32, salt=None, info=_RECORD_KDF_INFO).derive(raw)


def _record_binding(entry: ManifestObject) -> bytes:
    """What a record is about: this object as the signed manifest describes it."""
    return b"\0".join(
        (
            entry.id.encode(),
            entry.plaintext_sha256.encode(),
            str(entry.plaintext_size).encode(),
            str(entry.body_size).encode(),
            entry.writer_public_key,
        )
    )


def _record_tag(key: bytes, binding: bytes, body: bytes) -> bytes:
    """HMAC-SHA256 under ``key`` of the object's binding followed by the record's body (one
    call into OpenSSL: this runs after every chunk a pull receives)."""
    return hmac.digest(key, binding + body, "sha256")


def _record(key: bytes, binding: bytes, segments: int, size: int, sha256: bytes) -> bytes:
    body = _RECORD_BODY.pack(_RECORD_MAGIC, segments, size, sha256)
    return body + _record_tag(key, binding, body)


def _prefix_size(entry: ManifestObject, segments: int) -> int:
    return min(segments * SEGMENT_SIZE, entry.plaintext_size)


def _read_record(path: Path, key: bytes, entry: ManifestObject) -> tuple[int, int, bytes] | None:
    """``(segments, plaintext bytes, their SHA-256)`` a record vouches for, or None when there is
    no record or it is not to be believed (wrong size, wrong MAC, for another object or key,
    counts that do not fit the manifest)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if len(data) != RECORD_SIZE:
        return None
    body, mac = data[: _RECORD_BODY.size], data[_RECORD_BODY.size :]
    if not hmac.compare_digest(mac, _record_tag(key, _record_binding(entry), body)):
        return None
    magic, segments, size, sha256 = _RECORD_BODY.unpack(body)
    if magic != _RECORD_MAGIC or not 0 < segments <= entry.segments:
        return None
    if size != _prefix_size(entry, segments):
        return None
    return segments, size, sha256


def _hash_prefix(handle: BinaryIO, size: int, digest: PlaintextDigest) -> bool:
    """Feed the first ``size`` bytes of ``handle`` to ``digest``; False if the file is shorter."""
    handle.seek(0)
    left = size
    while left:
        chunk = handle.read(min(CHUNK_SIZE, left))
        if not chunk:
            return False
        digest.update(chunk)
        left -= len(chunk)
    return True


def _body_offset(entry: ManifestObject, segments: int) -> int:
    return entry.body_size if segments >= entry.segments else segments * CIPHER_SEGMENT_SIZE


def recorded_offset(out_path: Path, *, entry: ManifestObject, reader_sk: PrivateKeyLike) -> int:
    """The body offset a resume of ``out_path`` would continue from (record mode): what its
    resume record vouches for, checked against the plaintext on disk; 0 when there is no record
    or it is not believed. Changes nothing."""
    found = _read_record(resume_record_path(out_path), _record_key(reader_sk), entry)
    if found is None:
        return 0
    segments, size, sha256 = found
    digest = PlaintextDigest()
    try:
        with plaintext_prefix_path(out_path).open("rb") as handle:
            whole = _hash_prefix(handle, size, digest)
    except FileNotFoundError:
        return 0
    if not whole or digest.hexdigest() != sha256.hex():
        return 0
    return _body_offset(entry, segments)


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
    and :meth:`finish` (final checks, rename into place) or :meth:`abort` (pause: what a later
    :meth:`resume` needs is kept, nothing else). After a TransferVerificationError or
    :meth:`finish`/:meth:`abort` the writer is closed. As a context manager it aborts if it is
    left open.

    Two ways to resume (at most one per writer):

    ``body_path``
        every verified ciphertext segment is appended there (``--keep-encrypted``: the caller
        wants the ciphertext anyway); the plaintext is a throw-away temporary.
    ``record_path`` (record mode)
        the plaintext of verified segments grows in :func:`plaintext_prefix_path` and a small
        authenticated record at ``record_path`` (:func:`resume_record_path`) says how many
        segments it holds and their SHA-256; nothing is written twice and the ciphertext is not
        hashed (see the module docstring).
    """

    def __init__(
        self,
        header: bytes,
        *,
        entry: ManifestObject,
        reader_sk: PrivateKeyLike,
        out_path: Path,
        body_path: Path | None = None,
        record_path: Path | None = None,
    ) -> None:
        if not isinstance(entry, ManifestObject):
            raise TypeError("entry must be a ManifestObject from a verified manifest")
        if body_path is not None and record_path is not None:
            raise ValueError("resume either from a kept body or from a record, not both")
        self._entry = entry
        self._out_path = Path(out_path)
        self._body_path = Path(body_path) if body_path is not None else None
        self._record_path = Path(record_path) if record_path is not None else None
        self._decryptor = SegmentDecryptor(
            [_data_key(bytes(header), reader_sk, entry.writer_public_key)]
        )
        self._segment = bytearray(CIPHER_SEGMENT_SIZE)
        self._segment_view = memoryview(self._segment)
        self._fill = 0
        self._plain_view = memoryview(bytearray(SEGMENT_SIZE))
        self._received = 0
        self._segments = 0
        self._recorded = 0
        self._started = False
        self.distrusted: str | None = None
        """Why a resume record was not believed (then the download started again at 0)."""
        self._body_digest: BodyDigest | None = BodyDigest() if record_path is None else None
        self._plain_digest = PlaintextDigest()
        self._body: BinaryIO | None = None
        self._record_fd: int | None = None
        self._record_key = b""
        self._record_binding = b""
        self._found_prefix = False
        if self._record_path is not None:
            self._record_key = _record_key(reader_sk)
            self._tmp_path = plaintext_prefix_path(self._out_path)
            self._found_prefix = self._tmp_path.exists()
            # A fixed name, not a fresh temporary: never follow a link planted in its place.
            fd = os.open(self._tmp_path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600)
            self._tmp: BinaryIO | None = os.fdopen(fd, "r+b", buffering=0)
        else:
            fd, name = tempfile.mkstemp(
                prefix=f".{self._out_path.name}{_PARTIAL_INFIX}", dir=self._out_path.parent
            )
            self._tmp_path = Path(name)
            self._tmp = os.fdopen(fd, "wb")

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
        if self._body_digest is not None:
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
        _write_all(out, plain)
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

    def _start(self) -> None:
        """Before the first byte of a download that did not resume: start from nothing."""
        if self._started:
            return
        self._started = True
        if self._record_path is not None:
            out = self._open_file()
            out.truncate(0)
            out.seek(0)
            self._drop_record()

    def _save_record(self) -> None:
        """Record mode: say (authenticated) that the segments written so far are verified.

        The plaintext is written unbuffered before this, so the record never runs ahead of what
        the kernel holds; no fsync: after a power cut a record ahead of the disk is detected by
        the digest check on resume and not believed."""
        if self._record_path is None or self._segments == self._recorded:
            return
        if self._record_fd is None:
            flags = os.O_WRONLY | os.O_CREAT | _NOFOLLOW
            self._record_fd = os.open(self._record_path, flags, 0o600)
        if not self._record_binding:
            self._record_binding = _record_binding(self._entry)
        data = _record(
            self._record_key,
            self._record_binding,
            self._segments,
            self._plain_digest.size,
            self._plain_digest.digest(),
        )
        os.pwrite(self._record_fd, data, 0)
        self._recorded = self._segments

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        """Accept the next body bytes (any size). Raises TransferVerificationError (closed)."""
        self._open_file()
        view = memoryview(chunk).cast("B")
        try:
            self._start()
            if self._body is None and self._body_path is not None:
                self._body = _create_file(self._body_path, truncate=True)
            self._consume(view, record=True)
            self._save_record()
        except TransferVerificationError as exc:
            self._discard(keep_body=exc.code == "truncated")
            raise
        except BaseException:
            self.abort()
            raise

    def resume(self, partial_body_path: Path | None = None) -> int:
        """Continue from what an earlier attempt kept; return the body offset to download from.

        Must be called before :meth:`feed`. Plaintext temporaries left by a crashed earlier
        attempt are deleted.

        Record mode (no argument): the record must authenticate, be for this object, and the
        plaintext prefix on disk must hash to what it says; then the prefix is cut to the
        recorded segments, the running SHA-256 is rebuilt by re-reading it (in ``CHUNK_SIZE``
        reads, local disk: cheap next to the network) and the download continues after the last
        recorded segment. A record that is missing, truncated, altered, for another object or
        key, or that disagrees with the disk is not believed: both files are dropped, the reason
        goes to :attr:`distrusted` and the download starts at 0.

        Kept body (``partial_body_path``, or the ``body_path`` given to the constructor): the
        file is truncated to whole segments (a complete body, short last segment included, is
        kept whole: nothing is downloaded again) and re-verified in ``CHUNK_SIZE`` reads; a
        missing file means starting at 0. A failure (the kept bytes do not verify) deletes the
        kept file too and raises TransferVerificationError.
        """
        self._open_file()
        if self._record_path is not None:
            if partial_body_path is not None:
                raise ValueError("this writer resumes from its record, not from a kept body")
            if self._received or self._started:
                raise RuntimeError("resume must come before the first feed")
            remove_stale_plaintext(self._out_path, keep=self._tmp_path)
            return self._resume_from_record()
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

    def _resume_from_record(self) -> int:
        assert self._record_path is not None
        out = self._open_file()
        try:
            found = _read_record(self._record_path, self._record_key, self._entry)
            if found is None:
                if self._record_path.exists():
                    self.distrusted = "resume record altered, truncated or not for this object"
                self._start()
                return 0
            segments, size, sha256 = found
            if not _hash_prefix(out, size, self._plain_digest):
                self.distrusted = "plaintext on disk is shorter than the resume record says"
            elif self._plain_digest.hexdigest() != sha256.hex():
                self.distrusted = "plaintext on disk differs from what the resume record says"
            if self.distrusted is not None:
                self._plain_digest = PlaintextDigest()
                self._start()
                return 0
            out.truncate(size)  # an unrecorded tail (a crash mid-segment) is cut
            out.seek(size)
        except BaseException:
            self.abort()
            raise
        self._started = True
        self._segments = self._recorded = segments
        self._received = _body_offset(self._entry, segments)
        return self._received

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
        if self._record_path is not None and (
            os.fstat(self._open_file().fileno()).st_size != entry.plaintext_size
        ):  # the file is the digested bytes (written in order, a resumed prefix re-read)
            raise _fail("object-mismatch", "plaintext file differs in size from the manifest")
        if body is not None and (
            body.size != entry.body_size or body.hexdigest() != entry.body_sha256
        ):
            raise _fail(
                "body-mismatch",
                "body does not match the manifest (segments reordered, replaced or "
                "re-encrypted): ciphertext SHA-256 differs although the plaintext matches",
            )

    def finish(self, *, keep_body: bool = False, sync_folder: bool = True) -> None:
        """Run the final checks; on success move the plaintext to ``out_path``.

        Raises TransferVerificationError (everything deleted, except what a resume needs on
        ``truncated``). ``keep_body=True`` leaves the verified ciphertext body in the body file.
        The file is always fsynced before the rename (after a power cut the final name holds the
        verified bytes or nothing); ``sync_folder=False`` leaves the fsync of its folder, which
        makes the rename itself durable, to the caller, once for a batch of files
        (:func:`sync_folders`).
        """
        out = self._open_file()
        try:
            self._start()
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
        if sync_folder:
            _fsync_dir(self._out_path.parent)
        self._drop_record()
        if keep_body and self._body is None and self._body_path is not None:
            self._body = _create_file(self._body_path, truncate=True)  # an empty object's body
        self._close_body(keep=keep_body)

    def abort(self) -> None:
        """Stop without a result: keep what :meth:`resume` needs (the verified ciphertext, or
        the recorded plaintext prefix and its record), delete any other plaintext. Does nothing
        on a closed writer."""
        if self._tmp is not None:
            self._discard(keep_body=True)

    def _drop_record(self) -> None:
        fd, self._record_fd = self._record_fd, None
        if fd is not None:
            os.close(fd)
        if self._record_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._record_path.unlink()
        self._recorded = 0

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
        record_mode = self._record_path is not None
        try:
            if tmp is not None:
                tmp.close()
        finally:
            if record_mode and keep_body and not self._started:
                if not self._found_prefix:  # neither resumed nor fed: leave things as found
                    with contextlib.suppress(FileNotFoundError):
                        self._tmp_path.unlink()
            elif record_mode and keep_body and self._recorded:
                fd, self._record_fd = self._record_fd, None
                if fd is not None:
                    os.close(fd)  # the record and the plaintext it vouches for stay
            else:
                with contextlib.suppress(FileNotFoundError):
                    self._tmp_path.unlink()
                if record_mode:
                    self._drop_record()
            self._close_body(keep=keep_body)


def _write_all(out: BinaryIO, data: memoryview) -> None:
    """Write all of ``data`` (an unbuffered file may take less than asked)."""
    while data:
        written = out.write(data)
        if written is None:  # pragma: no cover - only non-blocking files
            continue
        data = data[written:]


def sync_folders(folders: Iterable[Path]) -> None:
    """fsync each folder once: makes durable the renames that ``finish(sync_folder=False)``
    did in them (a rename lost to a power cut leaves the verified file under its temporary
    name, or the download to be resumed; never an unverified file under the final name)."""
    for folder in sorted({Path(f) for f in folders}):
        _fsync_dir(folder)


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
