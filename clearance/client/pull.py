"""``clearance pull``: download a granted holding, verify it, decrypt it, write a STAC catalogue.

The grant is the only credential (``Authorization: Bearer <grant>``). Before any download:

1. the grant is verified locally against the owner's published keys (``/administrations/<owner>/
   jwks.json`` on the node, or a pinned JWKS file), and must be addressed to the owner's transfer
   service, allow ``download``, and be bound to *our* key (``cnf``);
2. the manifest is verified: signed by the owner, for the grant's holding and version, with the
   manifest hash the grant pins; the objects the node lists must all be in it, and their items
   must be exactly the grant's item set (``items_sha256``).

Objects are downloaded by ``--workers`` threads. Their headers (re-encrypted to our key) come
:data:`HEADER_BATCH` at a time from the node's batch route, fetched when a worker first needs one
of a batch, so a fresh object costs one request (its body); a retried object asks for its header
alone. Each object goes through a
:class:`~transfer.verify.VerifyingWriter`: header checked first (one packet, for our key, written
by the manifest's writer key), every segment authenticated, sizes and the plaintext SHA-256
checked at the end (with ``--keep-encrypted`` the ciphertext SHA-256 too); plaintext reaches its
final path only then, fsynced before the rename (the folders are fsynced once, at the end).
While an object downloads, the plaintext of its verified segments grows in ``.<name>.partial``
and a small authenticated resume record ``.<name>.resume`` says how many segments that is
(``transfer.verify``, record mode), so an interrupted pull (network error, Ctrl-C, kill -9)
resumes with ``Range: bytes=<verified>-<last>``: verified bytes are never
downloaded twice, and nothing is written twice. A record that does not verify, or disagrees
with the plaintext on disk, is not believed (the object starts again at 0). With
``--keep-encrypted`` the verified ciphertext is what is kept (``.<name>.c4gh.partial``) and
resumed from. Finished files are recognised by size and SHA-256 and skipped.

A 429 (the node's bound on requests per grant, ``transfer.throttle``) is waited out as its
``Retry-After`` says and the request sent again, without counting as a failure, so a pull never
fails on the bound, it only slows down. A 401/403 (grant expired, revoked, not for this
holding), 404 or 409 from the node stops the whole pull at once (other downloads stop at their
next chunk, keeping what they verified); transport errors and 5xx are retried a few times per
object, resuming each time.

Output (``--out DIR``)::

    DIR/catalog.json                       pystac catalogue (self-contained, relative links)
    DIR/<holding>/collection.json
    DIR/<holding>/manifest.jws             the signed manifest, as received
    DIR/<holding>/<item>/<item>.json       STAC item; asset hrefs relative to the files below
    DIR/<holding>/<item>/<asset>.<ext>     decrypted, verified files (annotations included)
    DIR/<holding>/<item>/<asset>.<ext>.c4gh  with --keep-encrypted: the Crypt4GH file as received
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx
import pystac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from access import (
    AllOf,
    AllowsOperation,
    Audience,
    BoundTo,
    Grant,
    GrantDenied,
    GrantError,
    TrustedKey,
    UNSAFE_decode_without_verification,
    UnsafeNoRevocationCheck,
    admin_from_issuer,
    item_set_hash,
    transfer_audience,
    trusted_keys,
)
from access import verify as verify_grant
from clearance.client.http import ClientError, NodeClient, error_from
from clearance.client.urllib3_transport import Urllib3Transport
from clearance.errors import ClientSideError
from transfer import (
    Manifest,
    ManifestError,
    ManifestObject,
    TransferVerificationError,
    VerifyingWriter,
    partial_body_path,
    plaintext_prefix_path,
    resume_record_path,
    sync_folders,
    verify_manifest,
)
from transfer.crypt4gh import CIPHER_SEGMENT_SIZE, public_key_bytes

__all__ = ["Progress", "PullError", "PullOptions", "PullResult", "pull", "read_grant"]

RETRIES = 4
RATE_LIMIT_WAITS = 50  # 429 answers waited out in a row for one request before giving up
MAX_RETRY_AFTER_S = 300
HEADER_BATCH = 60  # object headers per batch request (the most the node allows)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_EXTENSIONS = {
    "image/tiff": ".tiff",
    "image/png": ".png",
    "application/json": ".json",
    "application/dicom": ".dcm",
}
_FATAL = {401, 403, 404, 409, 410}


class PullError(ClientSideError):
    """The pull cannot go on; ``code`` is machine-readable (the node's, or our own)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code


class _Retry(ClientSideError):
    """A transient failure of one object's download (network, 5xx, a body cut short): try
    again, resuming. ``code`` is what the pull fails with if the last attempt ends so."""

    def __init__(self, message: str, code: str = "transfer-failed") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PullOptions:
    url: str
    grant: str
    key: X25519PrivateKey = field(repr=False)
    out: Path
    workers: int = 4
    keep_encrypted: bool = False
    jwks: Mapping[str, Any] | None = None  # pinned owner keys ({"keys": [...]}); else fetched
    limit_rate: int | None = None  # bytes per second over all workers
    progress: bool = True
    timeout_s: float = 60.0


@dataclass(frozen=True)
class PullResult:
    holding: str
    version: int
    objects: int
    skipped: int
    body_bytes_fetched: int
    catalog: Path


def read_grant(value: str) -> str:
    """A grant token given as such, or the path of a file holding one."""
    candidate = Path(value).expanduser()
    with contextlib.suppress(OSError):
        if candidate.is_file():
            return candidate.read_text(encoding="ascii").strip()
    return value.strip()


# --- progress and rate --------------------------------------------------------------------------


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


class Progress:
    """Bytes verified so far out of the holding's total, with rate and ETA, on a stream."""

    def __init__(self, total: int, stream: TextIO | None, interval_s: float = 0.5) -> None:
        self.total = total
        self._stream = stream
        self._interval = interval_s
        self._lock = threading.Lock()
        self._done = 0
        self._fetched = 0
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())

    def resumed(self, n: int) -> None:
        """Bytes that were already there (verified earlier): done, not fetched."""
        with self._lock:
            self._done += n

    def fetched(self, n: int) -> None:
        with self._lock:
            self._done += n
            self._fetched += n

    @property
    def fetched_bytes(self) -> int:
        return self._fetched

    def line(self) -> str:
        with self._lock:
            done, fetched = self._done, self._fetched
        elapsed = max(time.monotonic() - self._start, 1e-6)
        rate = fetched / elapsed
        percent = 100.0 * done / self.total if self.total else 100.0
        left = self.total - done
        eta = "--:--" if rate <= 0 else time.strftime("%H:%M:%S", time.gmtime(left / rate))
        return (
            f"{_size(done)} / {_size(self.total)} {percent:5.1f}%  "
            f"{rate / 1e6:7.1f} MB/s  ETA {eta}"
        )

    def _run(self) -> None:
        every = self._interval if self._tty else max(self._interval, 5.0)
        while not self._stop.wait(every):
            self._show()

    def _show(self, end: str = "") -> None:
        if self._stream is None:
            return
        text = self.line()
        if self._tty:
            self._stream.write("\r\x1b[2K" + text + end)
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    def __enter__(self) -> Progress:
        if self._stream is not None:
            self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._show("\n")


class RateLimiter:
    """At most ``rate`` bytes per second on average, shared by all workers."""

    def __init__(self, rate: int) -> None:
        if rate <= 0:
            raise ValueError("the rate limit must be positive")
        self._rate = float(rate)
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def take(self, n: int) -> None:
        with self._lock:
            now = time.monotonic()
            self._next = max(self._next, now) + n / self._rate
            wait_s = self._next - now - n / self._rate
        if wait_s > 0:
            time.sleep(wait_s)


# --- the grant and the manifest -------------------------------------------------------------------


def _owner_of(token: str) -> str:
    try:
        claims = UNSAFE_decode_without_verification(token)["claims"]
    except GrantError as exc:
        raise PullError(exc.code, "the grant is not a well-formed token") from None
    owner = admin_from_issuer(claims.get("iss", "")) if isinstance(claims.get("iss"), str) else None
    if owner is None:
        raise PullError("grant-malformed", "the grant names no administration as its issuer")
    return owner


def _trusted(jwks: Mapping[str, Any], owner: str) -> dict[str, TrustedKey]:
    keys = trusted_keys(jwks, owner)
    if not keys:
        raise PullError("no-owner-keys", f"no usable signing key of {owner} to verify against")
    return keys


def _check_name(value: str, what: str) -> str:
    if not _SAFE_NAME.fullmatch(value):
        raise PullError("unsafe-name", f"{what} {value[:60]!r} is not usable as a file name")
    return value


@dataclass(frozen=True)
class _Plan:
    grant: Grant
    manifest: Manifest
    jws: str
    objects: tuple[ManifestObject, ...]
    collection: dict[str, Any]
    items: list[dict[str, Any]]


def _retry_after(value: str | None) -> float:
    """Seconds a 429's ``Retry-After`` asks for (delay-seconds; 1 s when absent or a date)."""
    text = (value or "").strip()
    return float(min(max(int(text), 1), MAX_RETRY_AFTER_S)) if text.isdigit() else 1.0


class _WaitOutRateLimits(httpx.BaseTransport):
    """Sends a request again after each 429, once its ``Retry-After`` has passed (at most
    :data:`RATE_LIMIT_WAITS` times in a row; then the 429 goes to the caller). Requests to the
    node carry no streamed body, so each can be sent again as it is."""

    def __init__(
        self, inner: httpx.BaseTransport, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._inner = inner
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(RATE_LIMIT_WAITS):
            response = self._inner.handle_request(request)
            if response.status_code != 429:
                return response
            wait = _retry_after(response.headers.get("retry-after"))
            response.close()
            self._sleep(wait)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class _Session:
    """The HTTP side: the node (with the grant) and presigned URLs (without it), both over one
    keep-alive :class:`Urllib3Transport` unless a transport is injected (tests).

    Bodies are read one Crypt4GH segment at a time: ranges start on segment boundaries, so each
    piece is a whole segment, verified and recorded before the next is read. A pull killed
    mid-object has then received at most that one segment it did not keep, and the verifier
    takes each piece without copying it."""

    def __init__(self, options: PullOptions, transport: httpx.BaseTransport | None) -> None:
        timeout = httpx.Timeout(options.timeout_s, connect=10.0)
        wire = transport or Urllib3Transport(
            max_connections=options.workers + 2, read_size=CIPHER_SEGMENT_SIZE
        )
        try:
            self.api = NodeClient(
                options.url, options.grant, _WaitOutRateLimits(wire), timeout=timeout
            )
        except ClientError as exc:
            raise PullError(exc.code, exc.description) from None
        self.node = self.api.http
        self.plain = httpx.Client(timeout=timeout, transport=wire)

    def close(self) -> None:
        self.api.close()
        self.plain.close()


def _refusal(exc: ClientError) -> PullError | _Retry:
    """A refusal (4xx) ends the pull; anything else may pass on a retry."""
    if exc.status in _FATAL or 400 <= exc.status < 500:
        return PullError(exc.code, f"the node refused: {exc.description} (HTTP {exc.status})")
    return _Retry(f"HTTP {exc.status}: {exc.description}")


def _error(response: httpx.Response) -> PullError | _Retry:
    return _refusal(error_from(response))


def _get_json(session: _Session, path: str) -> Any:
    try:
        return session.api.call("GET", path)
    except ClientError as exc:
        if exc.status == 0:
            raise PullError(exc.code, exc.description) from None
        error = _refusal(exc)
        fatal = error if isinstance(error, PullError) else PullError("node-error", str(error))
        raise fatal from None


def _plan(options: PullOptions, session: _Session, now: datetime) -> _Plan:
    owner = _owner_of(options.grant)
    jwks = options.jwks
    if jwks is None:
        jwks = _get_json(session, f"/administrations/{owner}/jwks.json")
    keys = _trusted(jwks, owner)
    policy = AllOf(
        Audience(transfer_audience(owner)),
        AllowsOperation("download"),
        BoundTo(public_key_bytes(options.key)),
        UnsafeNoRevocationCheck(),  # the node checks revocation on every request
    )
    try:
        grant = verify_grant(options.grant, keys=keys, now=now, policy=policy)
    except GrantError as exc:
        raise PullError(exc.code, f"the grant does not verify: {exc}") from None
    except GrantDenied as exc:  # a grant that does not allow download, or not to our key
        raise PullError(exc.code, str(exc)) from None
    _check_name(grant.holding, "holding")
    answer = _get_json(session, f"/transfer/holdings/{grant.holding}/manifest")
    try:
        manifest = verify_manifest(
            answer["manifest"],
            keys=keys,
            expected_owner=owner,
            expected_holding=grant.holding,
            expected_version=grant.holding_version,
            expected_sha256=grant.manifest_sha256,
        )
    except ManifestError as exc:
        raise PullError(exc.code, f"the manifest does not verify: {exc.message}") from None
    except (KeyError, TypeError) as exc:
        raise PullError("manifest-malformed", f"the node's answer is incomplete: {exc}") from None
    return _covered(grant, manifest, answer)


def _covered(grant: Grant, manifest: Manifest, answer: dict[str, Any]) -> _Plan:
    ids = answer.get("objects")
    if not isinstance(ids, list) or len(set(ids)) != len(ids):
        raise PullError("manifest-malformed", "the node's object list is invalid")
    try:
        objects = tuple(manifest.object(str(i)) for i in ids)
    except KeyError:
        raise PullError(
            "object-not-in-manifest", "the node lists an object the manifest lacks"
        ) from None
    items = {o.item for o in objects}
    if not items or item_set_hash(items) != grant.items_sha256:
        raise PullError("items-mismatch", "the objects offered are not the grant's item set")
    documents = [d for d in answer.get("items", []) if isinstance(d, dict)]
    collection = answer.get("collection")
    if not isinstance(collection, dict) or {d.get("id") for d in documents} != items:
        raise PullError("stac-mismatch", "the STAC documents do not describe the granted items")
    by_asset = {(o.item, o.asset): o for o in objects}
    for document in documents:
        for name, asset in (document.get("assets") or {}).items():
            entry = by_asset.get((document["id"], name))
            checksum = asset.get("file:checksum", "") if isinstance(asset, dict) else ""
            if entry is None or checksum != "1220" + entry.plaintext_sha256:
                raise PullError(
                    "stac-mismatch", f"asset {name!r} of {document['id']!r} is not in the manifest"
                )
    for entry in objects:
        _check_name(entry.item, "item id")
        _check_name(entry.asset, "asset name")
    return _Plan(grant, manifest, answer["manifest"], objects, collection, documents)


# --- downloading ----------------------------------------------------------------------------------


def _file_name(entry: ManifestObject) -> str:
    media = entry.media_type.split(";")[0].strip().lower()
    return entry.asset + _EXTENSIONS.get(media, ".bin")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class _Context:
    options: PullOptions
    session: _Session
    plan: _Plan
    root: Path
    progress: Progress
    limiter: RateLimiter | None
    stop: threading.Event
    on_object_done: Callable[[ManifestObject], None] | None
    headers: _Headers
    skipped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    folders: set[Path] = field(default_factory=set)
    made: set[Path] = field(default_factory=set)  # folders known to exist

    def out_path(self, entry: ManifestObject) -> Path:
        return self.root / entry.item / _file_name(entry)

    def encrypted_path(self, entry: ManifestObject) -> Path:
        out = self.out_path(entry)
        return out.with_name(out.name + ".c4gh")


def _already_done(ctx: _Context, entry: ManifestObject) -> bool:
    out = ctx.out_path(entry)
    if ctx.options.keep_encrypted and not ctx.encrypted_path(entry).exists():
        return False
    try:
        if out.stat().st_size != entry.plaintext_size:
            return False
    except FileNotFoundError:
        return False
    if _sha256_file(out) != entry.plaintext_sha256:
        return False
    _drop_resume_state(out)  # left by an interruption after the rename
    return True


def _drop_resume_state(out: Path, *, keep_body: bool = False) -> None:
    """Delete what an interrupted download of ``out`` kept for resuming: the resume record and
    its plaintext prefix, and (unless ``keep_body``) a kept ciphertext body."""
    resume_record_path(out).unlink(missing_ok=True)
    plaintext_prefix_path(out).unlink(missing_ok=True)
    if not keep_body:
        partial_body_path(out).unlink(missing_ok=True)


def _object_path(ctx: _Context, entry: ManifestObject, part: str) -> str:
    return f"/transfer/holdings/{ctx.plan.grant.holding}/objects/{entry.id}/{part}"


def _header(ctx: _Context, entry: ManifestObject) -> bytes:
    """The object's header alone (a retried object; one its batch answer lacked)."""
    try:
        response = ctx.session.node.get(_object_path(ctx, entry, "header"))
    except httpx.TransportError as exc:
        raise _Retry(str(exc)) from None
    if response.is_error:
        raise _error(response)
    return response.content


def _batch_headers(ctx: _Context, ids: list[str]) -> dict[str, bytes]:
    """The headers of ``ids`` in one request to the batch route (only those, decoded)."""
    path = f"/transfer/holdings/{ctx.plan.grant.holding}/headers"
    try:
        response = ctx.session.node.post(path, json={"objects": ids})
    except httpx.TransportError as exc:
        raise _Retry(str(exc)) from None
    if response.is_error:
        raise _error(response)
    try:
        answer = response.json()["headers"]
        return {i: base64.b64decode(answer[i], validate=True) for i in ids if i in answer}
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise PullError("headers-malformed", "the node's batch of headers is malformed") from None


class _Headers:
    """Object headers fetched :data:`HEADER_BATCH` at a time, in download order, when a worker
    first needs one of a batch. Each is handed out once (then dropped), and objects found done
    are dropped too, so what is held stays about a batch per worker."""

    def __init__(self, objects: list[ManifestObject], size: int = HEADER_BATCH) -> None:
        ids = [o.id for o in objects]
        self._batches = [ids[i : i + size] for i in range(0, len(ids), size)]
        self._batch_of = {object_id: i // size for i, object_id in enumerate(ids)}
        self._locks = [threading.Lock() for _ in self._batches]
        self._fetched: set[int] = set()
        self._held: dict[str, bytes] = {}
        self._settled: set[str] = set()
        self._lock = threading.Lock()

    def done(self, entry: ManifestObject) -> None:
        """``entry`` needs no header (already downloaded): do not ask for it, drop it if held."""
        with self._lock:
            self._settled.add(entry.id)
            self._held.pop(entry.id, None)

    def take(self, ctx: _Context, entry: ManifestObject) -> bytes:
        """``entry``'s header: from its batch the first time, on its own after that."""
        batch = self._batch_of[entry.id]
        with self._locks[batch]:
            if batch not in self._fetched:
                if ctx.stop.is_set():
                    raise _Stopped()
                with self._lock:
                    wanted = [i for i in self._batches[batch] if i not in self._settled]
                found = _batch_headers(ctx, wanted)
                with self._lock:
                    self._held.update((i, h) for i, h in found.items() if i not in self._settled)
                self._fetched.add(batch)
        with self._lock:
            header = self._held.pop(entry.id, None)
        return header if header is not None else _header(ctx, entry)


@contextlib.contextmanager
def _body_stream(ctx: _Context, entry: ManifestObject, offset: int) -> Iterator[httpx.Response]:
    wanted = {"Range": f"bytes={offset}-{entry.body_size - 1}"}
    try:
        with ctx.session.node.stream("GET", _object_path(ctx, entry, "body"), headers=wanted) as r:
            if r.status_code in (301, 302, 303, 307, 308):  # presigned URL of the blob store
                r.read()
                location = r.headers.get("location", "")
                with ctx.session.plain.stream("GET", location, headers=wanted) as redirected:
                    yield redirected
                return
            yield r
    except httpx.TransportError as exc:
        raise _Retry(str(exc)) from None


def _receive(ctx: _Context, entry: ManifestObject, writer: VerifyingWriter, offset: int) -> None:
    with _body_stream(ctx, entry, offset) as response:
        if response.is_error:
            response.read()
            raise _error(response)
        expected = f"bytes {offset}-{entry.body_size - 1}/"
        if response.status_code != 206 or not response.headers.get("content-range", "").startswith(
            expected
        ):
            raise _Retry(
                f"the server did not answer with bytes {offset}- (HTTP {response.status_code})"
            )
        try:
            for chunk in response.iter_raw():
                if ctx.stop.is_set():
                    raise _Stopped()
                if ctx.limiter is not None:
                    ctx.limiter.take(len(chunk))
                writer.feed(chunk)
                ctx.progress.fetched(len(chunk))
        except httpx.TransportError as exc:
            raise _Retry(str(exc)) from None


class _Stopped(ClientSideError):
    """Another worker hit a fatal error: stop, keeping what was verified."""


def _assemble(ctx: _Context, entry: ManifestObject, header: bytes) -> None:
    """``--keep-encrypted``: the Crypt4GH file for our key = the header we got + the body."""
    body = partial_body_path(ctx.out_path(entry))
    target = ctx.encrypted_path(entry)
    tmp = target.with_name(f".{target.name}.tmp")
    with tmp.open("wb") as out, body.open("rb") as src:
        out.write(header)
        shutil.copyfileobj(src, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
    body.unlink(missing_ok=True)


def _fetch_once(ctx: _Context, entry: ManifestObject, first: bool) -> None:
    out = ctx.out_path(entry)
    header = ctx.headers.take(ctx, entry)
    keep = ctx.options.keep_encrypted
    try:
        # --keep-encrypted wants the ciphertext anyway: it is what a resume starts from. Else a
        # small authenticated record of the verified segments (nothing written twice).
        if keep:
            _drop_resume_state(out, keep_body=True)
        else:
            partial_body_path(out).unlink(missing_ok=True)
        writer = VerifyingWriter(
            header,
            entry=entry,
            reader_sk=ctx.options.key,
            out_path=out,
            body_path=partial_body_path(out) if keep else None,
            record_path=None if keep else resume_record_path(out),
        )
    except TransferVerificationError as exc:
        raise PullError(exc.code, f"{entry.item}/{entry.asset}: {exc.message}") from None
    with writer:
        try:
            offset = writer.resume()
        except TransferVerificationError as exc:  # the kept bytes are gone: start again
            raise _Retry(f"kept partial body did not verify ({exc.code})") from None
        try:
            if first:
                ctx.progress.resumed(offset)
            if offset < entry.body_size:
                _receive(ctx, entry, writer, offset)
            writer.finish(keep_body=ctx.options.keep_encrypted, sync_folder=False)
            with ctx.lock:
                ctx.folders.add(out.parent)  # fsynced once per pull (_download), not per file
        except TransferVerificationError as exc:
            if exc.code == "truncated":  # the connection ended early: resume from here
                raise _Retry(exc.message, exc.code) from None
            raise PullError(exc.code, f"{entry.item}/{entry.asset}: {exc.message}") from None
    if ctx.options.keep_encrypted:
        _assemble(ctx, entry, header)


def _fetch(ctx: _Context, entry: ManifestObject) -> None:
    folder = ctx.out_path(entry).parent
    if folder not in ctx.made:  # an item's objects share it: one mkdir per folder, not per object
        folder.mkdir(parents=True, exist_ok=True)
        ctx.made.add(folder)
    if _already_done(ctx, entry):
        ctx.headers.done(entry)
        ctx.progress.resumed(entry.body_size)
        with ctx.lock:
            ctx.skipped += 1
        return
    for attempt in range(RETRIES):
        if ctx.stop.is_set():
            raise _Stopped()
        try:
            _fetch_once(ctx, entry, first=attempt == 0)
            break
        except PullError:
            ctx.stop.set()  # fatal for the whole pull: no worker starts another request
            raise
        except _Retry as exc:
            if attempt == RETRIES - 1:
                ctx.stop.set()
                raise PullError(exc.code, f"{entry.item}/{entry.asset}: {exc}") from None
            time.sleep(0.5 * 2**attempt)
    if ctx.on_object_done is not None:
        ctx.on_object_done(entry)


def _stop(ctx: _Context, futures: list[Future[None]]) -> None:
    ctx.stop.set()
    for future in futures:
        future.cancel()
    wait(futures)


def _order(objects: tuple[ManifestObject, ...]) -> list[ManifestObject]:
    return sorted(objects, key=lambda o: (o.item, o.asset))


def _download(ctx: _Context) -> None:
    try:
        _download_all(ctx)
    finally:  # the renames done so far made durable, one fsync per folder
        with ctx.lock:
            folders = set(ctx.folders)
        sync_folders(folders)


def _download_all(ctx: _Context) -> None:
    objects = _order(ctx.plan.objects)
    with ThreadPoolExecutor(max(1, ctx.options.workers), thread_name_prefix="pull") as pool:
        futures: list[Future[None]] = [pool.submit(_fetch, ctx, entry) for entry in objects]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:  # Ctrl-C: the others stop at their next chunk, keeping verified bytes
            _stop(ctx, futures)
            raise
        if any(f.exception() is not None for f in done):  # one failed: stop the others
            _stop(ctx, futures)
    for future in futures:
        error = None if future.cancelled() else future.exception()
        if error is not None and not isinstance(error, _Stopped):
            raise error


# --- the local STAC catalogue -------------------------------------------------------------------


def _write_catalog(ctx: _Context) -> Path:
    plan, out = ctx.plan, ctx.options.out
    grant = plan.grant
    (ctx.root / "manifest.jws").write_text(plan.jws + "\n", encoding="ascii")
    catalog = pystac.Catalog(
        id=f"clearance-pull-{grant.holding}",
        description=(
            f"Holding {grant.holding} version {grant.holding_version} of {grant.issuer_admin}, "
            f"pulled under grant {grant.jti}; manifest SHA-256 {plan.manifest.sha256()}"
        ),
    )
    collection_doc = {**plan.collection, "links": []}
    collection = pystac.Collection.from_dict(collection_doc, migrate=False)
    catalog.add_child(collection)
    by_asset = {(o.item, o.asset): o for o in plan.objects}
    for document in sorted(plan.items, key=lambda d: str(d["id"])):
        item = pystac.Item.from_dict({**document, "links": []}, migrate=False)
        for name, asset in item.assets.items():
            asset.href = str(ctx.out_path(by_asset[(item.id, name)]).resolve())
        collection.add_item(item)
    catalog.normalize_hrefs(str(out.resolve()))
    catalog.make_all_asset_hrefs_relative()
    catalog.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    return out / "catalog.json"


def pull(
    options: PullOptions,
    *,
    now: datetime | None = None,
    on_object_done: Callable[[ManifestObject], None] | None = None,
    transport: httpx.BaseTransport | None = None,
    progress_stream: TextIO | None = None,
) -> PullResult:
    """Download, verify and decrypt the holding ``options.grant`` covers into ``options.out``."""
    session = _Session(options, transport)
    try:
        plan = _plan(options, session, now or datetime.now(UTC))
        root = options.out / plan.grant.holding
        root.mkdir(parents=True, exist_ok=True)
        stream = (progress_stream or sys.stderr) if options.progress else None
        total = sum(o.body_size for o in plan.objects)
        limiter = RateLimiter(options.limit_rate) if options.limit_rate else None
        with Progress(total, stream) as progress:
            ctx = _Context(
                options,
                session,
                plan,
                root,
                progress,
                limiter,
                threading.Event(),
                on_object_done,
                _Headers(_order(plan.objects)),
            )
            _download(ctx)
        catalog = _write_catalog(ctx)
        return PullResult(
            plan.grant.holding,
            plan.grant.holding_version,
            len(plan.objects),
            ctx.skipped,
            progress.fetched_bytes,
            catalog,
        )
    finally:
        session.close()
