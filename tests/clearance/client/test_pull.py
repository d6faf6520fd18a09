"""``clearance pull`` end to end, against a node served by a real uvicorn server: a granted holding
arrives byte-identical as a local STAC catalogue (local blob store, and S3 where bodies come from
presigned ranged URLs of the real S3 server); ``--keep-encrypted`` and ``clearance decrypt``; a
pull killed with SIGKILL five times resumes without downloading verified bytes again; revocation
and expiry stop a running pull; tampered answers fail closed with their code and leave no
unverified plaintext; a grant for another key is refused before anything is downloaded."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pystac
import pytest
from click.testing import CliRunner
from crypt4gh import lib as ref_lib
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select

import clearance.client.pull as pull_module
from access import MAX_SKEW, AuditEntryRow, UNSAFE_decode_without_verification, utcnow
from catalog.synth import generate_holding
from clearance.cli.node import cli
from clearance.client.pull import PullError, PullOptions, PullResult, pull
from clearance.client.urllib3_transport import Urllib3Transport
from clearance.http.app import create_app
from tests.helpers.server import serve
from tests.transfer.world import PASSPHRASE, World, build_world, transfer_node
from transfer import GrantThrottle, ManifestObject, VerifyingWriter, body_key
from transfer.crypt4gh import (
    CIPHER_SEGMENT_SIZE,
    SEGMENT_SIZE,
    decrypt_body,
    generate_data_key,
    generate_keypair,
    make_header,
    parse_header,
    parse_packets,
    public_key_bytes,
    serialize_packets,
)
from transfer.verify import (
    RECORD_SIZE,
    plaintext_prefix_path,
    recorded_offset,
    resume_record_path,
)

LOCAL, S3 = ("sqlite", "local"), ("postgresql", "s3")
REPO = Path(__file__).resolve().parents[3]


class OffsetClock:
    """The real clock plus an offset a test can move (the node's notion of now)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return utcnow() + self.offset


@dataclass
class Served:
    world: World
    url: str
    clock: OffsetClock
    grants: dict[str, str] = field(default_factory=dict)

    def grant(self, holding: str, item_filter: str | None = None) -> str:
        """One grant per holding and filter, shared by the module's tests (read-only use)."""
        key = f"{holding} {item_filter}"
        if key not in self.grants:
            self.grants[key] = self.world.request_grant(holding, item_filter=item_filter)
        return self.grants[key]


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, pg_url_factory: Any
) -> Iterator[Callable[[tuple[str, str]], Served]]:
    """A node per configuration behind a real uvicorn server, built when first asked for."""
    made: dict[tuple[str, str], Served] = {}
    with ExitStack() as stack:

        def make(config: tuple[str, str]) -> Served:
            if config not in made:
                backend, store = config
                root = tmp_path_factory.mktemp(f"pull-{backend}-{store}")
                clock = OffsetClock()
                node = stack.enter_context(
                    transfer_node(backend, store, root / "data", pg_url_factory, clock)
                )
                world = build_world(node, root)
                url = stack.enter_context(serve(create_app(node)))
                made[config] = Served(world, url, clock)
            return made[config]

        yield make


@pytest.fixture
def local(served: Callable[[tuple[str, str]], Served]) -> Served:
    return served(LOCAL)


# --- helpers --------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _jti(token: str) -> str:
    return str(UNSAFE_decode_without_verification(token)["claims"]["jti"])


def _covered(world: World, token: str, holding: str) -> list[ManifestObject]:
    """The manifest entries the grant covers, in the order the pull takes them."""
    grant = world.node.transfer.authorize(token, holding)
    objects = world.node.transfer.granted(grant).objects
    return sorted(objects, key=lambda o: (o.item, o.asset))


def _final(out: Path, holding: str, entry: ManifestObject) -> Path:
    ext = {"image/tiff": ".tiff", "application/json": ".json", "application/dicom": ".dcm"}
    return out / holding / entry.item / (entry.asset + ext[entry.media_type])


def _kept(final: Path) -> Path:
    return final.with_name(f".{final.name}.c4gh.partial")


def _stored_body(world: World, entry: ManifestObject) -> bytes:
    return world.node.blobs.read_range(body_key(entry.id), 0, entry.body_size).read_all()


def _header_for_us(world: World, entry: ManifestObject) -> bytes:
    """The object's header re-encrypted to the researcher's key, as the node serves it."""
    stored = world.node.objects.header(entry.id)
    return world.node.storage.reencryptor().reencrypt(
        stored, [public_key_bytes(world.key)], trim=True
    )


def _plaintext(world: World, entry: ManifestObject) -> bytes:
    """The object's plaintext, decrypted from the stored body."""
    keys = parse_header(_header_for_us(world, entry), world.key).data_keys
    plain = io.BytesIO()
    decrypt_body(io.BytesIO(_stored_body(world, entry)), plain, keys)
    return plain.getvalue()


def _kept_offset(world: World, out: Path, holding: str, entry: ManifestObject) -> int:
    """The body offset a re-run may take as verified from what an interrupted run kept for
    ``entry`` (0 if nothing): the authenticated resume record, checked against the plaintext
    prefix on disk, or (``--keep-encrypted``) the kept ciphertext's whole segments. What it
    vouches for must be the object's true plaintext (or stored ciphertext) prefix."""
    final = _final(out, holding, entry)
    kept = _kept(final)
    if kept.exists():
        data = kept.read_bytes()
        whole = (
            len(data)
            if len(data) == entry.body_size
            else len(data) - len(data) % (CIPHER_SEGMENT_SIZE)
        )
        assert data[:whole] == _stored_body(world, entry)[:whole]
        return whole
    offset = recorded_offset(final, entry=entry, reader_sk=world.key)
    prefix = plaintext_prefix_path(final)
    if offset:
        size = min(offset // CIPHER_SEGMENT_SIZE * SEGMENT_SIZE, entry.plaintext_size)
        if offset == entry.body_size:
            size = entry.plaintext_size
        assert prefix.read_bytes()[:size] == _plaintext(world, entry)[:size]
    return offset


def _resume_state(final: Path) -> list[Path]:
    """What an interrupted download of ``final`` kept for resuming (files that exist)."""
    paths = [_kept(final), resume_record_path(final), plaintext_prefix_path(final)]
    return [p for p in paths if p.exists()]


def _options(served: Served, token: str, out: Path, **kw: Any) -> PullOptions:
    return PullOptions(
        url=served.url, grant=token, key=served.world.key, out=out, progress=False, **kw
    )


def _audit(world: World, jti: str, *actions: str) -> list[AuditEntryRow]:
    with world.node.sessions() as session:
        rows = session.scalars(
            select(AuditEntryRow)
            .where(AuditEntryRow.action.in_(actions))
            .order_by(AuditEntryRow.seq)
        ).all()
        return [r for r in rows if r.details.get("jti") == jti]


def _files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def _assert_identical(world: World, out: Path, holding: str, objects: list[ManifestObject]) -> None:
    """Every object decrypted at its place, byte-identical to the published source folder (images,
    DICOM) or to the scan's part of the holding's COCO file (annotations), and to the manifest."""
    source = world.sources / holding
    coco = json.loads((source / "annotations.json").read_text())
    for entry in objects:
        final = _final(out, holding, entry)
        assert final.stat().st_size == entry.plaintext_size, final
        assert _sha256(final) == entry.plaintext_sha256, final
        if entry.asset == "annotations":
            pulled = json.loads(final.read_text())
            (image,) = pulled["images"]
            assert image in coco["images"]
            assert image["file_name"].startswith(f"scans/{entry.item}/")
            mine = [a for a in coco["annotations"] if a["image_id"] == image["id"]]
            assert pulled["annotations"] == mine
        else:
            original = source / "scans" / entry.item / final.name
            assert _sha256(original) == _sha256(final), final


def _assert_catalog(out: Path, holding: str, objects: list[ManifestObject]) -> None:
    """DIR/catalog.json loads with pystac; its items and assets are the objects, at their files."""
    catalog = pystac.Catalog.from_file(str(out / "catalog.json"))
    (collection,) = list(catalog.get_collections())
    assert collection.id == holding
    items = {item.id: item for item in collection.get_items()}
    assert set(items) == {o.item for o in objects}
    seen = set()
    for item in items.values():
        raw = json.loads(Path(item.get_self_href() or "").read_text())
        for name, asset in item.assets.items():
            assert raw["assets"][name]["href"].startswith("./")  # relative: self-contained
            path = Path(asset.get_absolute_href() or "")
            assert path.is_file(), path
            assert "1220" + _sha256(path) == asset.extra_fields["file:checksum"]
            seen.add((item.id, name))
        assert "annotations" in item.assets and "labels" in (item.assets["annotations"].roles or [])
    assert seen == {(o.item, o.asset) for o in objects}


def _no_unverified_plaintext(
    world: World, out: Path, holding: str, objects: list[ManifestObject], done: set[str]
) -> None:
    """Final files only for ``done`` objects, all verified; no plaintext temporaries; what is
    kept for resuming holds only verified segments: a plaintext prefix (``.<name>.partial``)
    exactly as long as its authenticated resume record says, the object's true plaintext; or
    (``.c4gh.partial``) whole verified segments, a prefix of the stored body; no catalogue."""
    assert not (out / "catalog.json").exists()
    assert not [name for name in _files(out) if ".partial-" in name]
    for entry in objects:
        final = _final(out, holding, entry)
        if entry.id in done:
            assert _sha256(final) == entry.plaintext_sha256
        else:
            assert not final.exists(), final
        kept = _kept(final)
        if kept.exists():
            data = kept.read_bytes()
            assert len(data) % CIPHER_SEGMENT_SIZE == 0 or len(data) == entry.body_size
            assert data == _stored_body(world, entry)[: len(data)]
        prefix = plaintext_prefix_path(final)
        if prefix.exists():  # only with a record that vouches for all of it
            offset = _kept_offset(world, out, holding, entry)
            assert offset > 0
            whole = offset == entry.body_size
            size = entry.plaintext_size if whole else offset // CIPHER_SEGMENT_SIZE * SEGMENT_SIZE
            assert prefix.stat().st_size == size


class Recorder(httpx.BaseTransport):
    """The pull's own HTTP transport, remembering every request and its answer's status."""

    def __init__(self) -> None:
        self.inner = Urllib3Transport(max_connections=8)
        self.seen: list[tuple[httpx.Request, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.seen.append((request, response.status_code))
        return response

    def close(self) -> None:
        self.inner.close()


# --- 1. a granted holding, byte-identical, as a STAC catalogue ---------------------------------


@pytest.mark.parametrize("config", [LOCAL, S3], ids=["sqlite-local", "postgresql-s3"])
def test_pull_gives_the_holding_byte_identical_as_a_stac_catalogue(
    served: Callable[[tuple[str, str]], Served], config: tuple[str, str], tmp_path: Path
) -> None:
    node = served(config)
    world, token = node.world, node.grant("NLD-X")
    objects = _covered(world, token, "NLD-X")
    out = tmp_path / "out"
    recorder = Recorder()
    progress = io.StringIO()
    options = PullOptions(url=node.url, grant=token, key=world.key, out=out, workers=3)
    result = pull(options, transport=recorder, progress_stream=progress)

    total = sum(o.body_size for o in objects)
    assert result == PullResult("NLD-X", 1, len(objects), 0, total, out / "catalog.json")
    assert "100.0%" in progress.getvalue()
    assert len({o.item for o in objects}) == 4 and {o.asset for o in objects} >= {
        "annotations", "high", "low", "original",
    }  # fmt: skip
    _assert_identical(world, out, "NLD-X", objects)
    _assert_catalog(out, "NLD-X", objects)
    assert (out / "NLD-X" / "manifest.jws").read_text().count(".") == 2
    assert not [name for name in _files(out) if "partial" in name or name.endswith(".c4gh")]

    # How the bodies came: ranged requests to the node; on S3 each answered 302 with a presigned
    # URL that the pull followed, with the same range and without the grant, to the S3 server.
    node_host = urlsplit(node.url).netloc
    body_requests = [(r, s) for r, s in recorder.seen if r.url.path.endswith("/body")]
    assert len(body_requests) == len(objects)
    served_bodies = _audit(world, _jti(token), "transfer.body")[-len(objects) :]
    assert {row.details["object"] for row in served_bodies} == {o.id for o in objects}
    if config[1] == "local":
        assert {s for _, s in body_requests} == {206}
        assert {r.url.netloc.decode() for r, _ in recorder.seen} == {node_host}
        assert not any(row.details.get("presigned") for row in served_bodies)
    else:
        assert {s for _, s in body_requests} == {302}
        s3_host = urlsplit(os.environ["CLEARANCE_TEST_S3_ENDPOINT"]).netloc
        presigned = [(r, s) for r, s in recorder.seen if r.url.netloc.decode() == s3_host]
        assert len(presigned) == len(objects) and {s for _, s in presigned} == {206}
        wanted = {o.id: f"bytes=0-{o.body_size - 1}" for o in objects}
        for request, _ in presigned:
            assert "X-Amz-Signature" in str(request.url) and token not in str(request.url)
            assert "authorization" not in request.headers
            assert request.headers["range"] in wanted.values()
        assert Counter(r.headers["range"] for r, _ in presigned) == Counter(wanted.values())
        assert all(row.details.get("presigned") is True for row in served_bodies)

    # The headers came in one batch request (fewer objects than HEADER_BATCH), none alone:
    # a fresh object cost one request, its body.
    assert not [r for r, _ in recorder.seen if r.url.path.endswith("/header")]
    batches = [(r, s) for r, s in recorder.seen if r.url.path.endswith("/headers")]
    assert [(r.method, s) for r, s in batches] == [("POST", 200)]
    assert sorted(json.loads(batches[0][0].content)["objects"]) == sorted(o.id for o in objects)
    batch_rows = _audit(world, _jti(token), "transfer.headers", "transfer.header")
    assert [row.action for row in batch_rows] == ["transfer.headers"]

    # Run again: every file is recognised as done; nothing is fetched, not even a header.
    recorder = Recorder()
    again = pull(_options(node, token, out), transport=recorder)
    assert (again.skipped, again.body_bytes_fetched) == (len(objects), 0)
    assert not [r for r, _ in recorder.seen if "/objects/" in r.url.path or "headers" in r.url.path]


def test_a_relative_output_folder(
    local: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``clearance pull ... --out ./data`` as the README shows it: once this crashed on its own
    ``.partial`` file (a relative path compared with an absolute temporary)."""
    world, token = local.world, local.grant("NLD-X")
    objects = _covered(world, token, "NLD-X")
    monkeypatch.chdir(tmp_path)
    result = pull(_options(local, token, Path("data")))
    assert result.objects == len(objects) and result.skipped == 0
    _assert_identical(world, tmp_path / "data", "NLD-X", objects)
    assert not [name for name in _files(tmp_path / "data") if "partial" in name]


def test_a_second_run_fetches_nothing_for_a_body_kept_complete(
    local: Served, tmp_path: Path
) -> None:
    """Killed after the last segment was kept but before the rename: the kept state is whole
    (its last segment short), so the re-run verifies it and fetches none of it again."""
    world, token = local.world, local.grant("NLD-X")
    objects = _covered(world, token, "NLD-X")
    out = tmp_path / "out"
    pull(_options(local, token, out))
    short = [o for o in objects if o.body_size % CIPHER_SEGMENT_SIZE and o.segments > 1][:2]
    short += [next(o for o in objects if o.segments == 1)]  # annotations: one short segment
    for entry in short:
        final = _final(out, "NLD-X", entry)
        final.unlink()
        writer = VerifyingWriter(  # every segment verified and recorded, then the kill
            _header_for_us(world, entry),
            entry=entry,
            reader_sk=world.key,
            out_path=final,
            record_path=resume_record_path(final),
        )
        writer.feed(_stored_body(world, entry))
        writer.abort()
        assert _kept_offset(world, out, "NLD-X", entry) == entry.body_size
    recorder = Recorder()
    result = pull(_options(local, token, out), transport=recorder)
    assert [r.url.path for r, _ in recorder.seen if "range" in r.headers] == []
    assert (result.skipped, result.body_bytes_fetched) == (len(objects) - len(short), 0)
    _assert_identical(world, out, "NLD-X", objects)
    assert not [name for name in _files(out) if "partial" in name]


def test_an_object_that_cannot_be_put_in_place_fails_the_pull_and_loses_nothing(
    local: Served, tmp_path: Path
) -> None:
    """An object whose final name is taken by a folder cannot be renamed into place: the pull
    fails with that error (the workers stop), nothing unverified is left, and the object's
    verified plaintext is kept with its record, so the re-run (folder gone) fetches none of its
    body again."""
    world, token = local.world, local.grant("NLD-X")
    objects = _covered(world, token, "NLD-X")
    out = tmp_path / "out"
    blocked = max(objects, key=lambda o: o.body_size)
    _final(out, "NLD-X", blocked).mkdir(parents=True)
    with pytest.raises(IsADirectoryError):
        pull(_options(local, token, out, workers=2))
    assert _kept_offset(world, out, "NLD-X", blocked) == blocked.body_size
    in_place = [o for o in objects if _final(out, "NLD-X", o).is_file()]
    assert in_place and blocked not in in_place
    for entry in in_place:
        assert _sha256(_final(out, "NLD-X", entry)) == entry.plaintext_sha256
    assert not [name for name in _files(out) if ".partial-" in name]

    _final(out, "NLD-X", blocked).rmdir()
    recorder = Recorder()
    result = pull(_options(local, token, out), transport=recorder)
    fetched = [r.url.path for r, _ in recorder.seen if "range" in r.headers]
    assert not [path for path in fetched if f"/{blocked.id}/" in path]
    assert result.skipped == len(in_place)
    _assert_identical(world, out, "NLD-X", objects)
    assert not [name for name in _files(out) if "partial" in name]


DAMAGES = [None, "record-bit-flip", "record-truncated", "record-of-another-object",
           "record-under-another-key", "prefix-altered", "prefix-cut"]  # fmt: skip


@pytest.mark.parametrize("damage", DAMAGES)
def test_resume_from_the_recorded_segments(
    local: Served, tmp_path: Path, damage: str | None
) -> None:
    """Issue 14: an interrupted object resumes from its resume record (the verified segments,
    their plaintext already written): the node is asked only for the rest, nothing is written
    or hashed twice, and the result is byte-identical. A record that was altered, truncated,
    written for another object or under another key, or that disagrees with the plaintext on
    disk is distrusted, never believed: the object is fetched again from byte 0 and still
    ends byte-identical."""
    world, token = local.world, local.grant("NLD-X")
    objects = _covered(world, token, "NLD-X")
    out = tmp_path / "out"
    pull(_options(local, token, out))
    entry, other = sorted((o for o in objects if o.segments > 4), key=lambda o: o.id)[:2]
    final, other_final = _final(out, "NLD-X", entry), _final(out, "NLD-X", other)
    kept_segments = 3
    for victim, path in ((entry, final), (other, other_final)):
        path.unlink()
        writer = VerifyingWriter(
            _header_for_us(world, victim),
            entry=victim,
            reader_sk=world.key,
            out_path=path,
            record_path=resume_record_path(path),
        )
        writer.feed(_stored_body(world, victim)[: kept_segments * CIPHER_SEGMENT_SIZE + 999])
        writer.abort()  # interrupted mid-segment: the record says three segments
    record, prefix = resume_record_path(final), plaintext_prefix_path(final)
    assert record.stat().st_size == RECORD_SIZE
    assert os.stat(record).st_mode & 0o777 == 0o600 and os.stat(prefix).st_mode & 0o777 == 0o600
    assert prefix.read_bytes() == _plaintext(world, entry)[: kept_segments * SEGMENT_SIZE]
    resumed_at = kept_segments * CIPHER_SEGMENT_SIZE
    assert _kept_offset(world, out, "NLD-X", entry) == resumed_at
    data = bytearray(record.read_bytes())
    if damage == "record-bit-flip":  # claims 7 segments: the MAC no longer matches
        data[15] ^= 0x04
        record.write_bytes(bytes(data))
    elif damage == "record-truncated":
        record.write_bytes(bytes(data[: RECORD_SIZE - 7]))
    elif damage == "record-of-another-object":
        record.write_bytes(resume_record_path(other_final).read_bytes())
    elif damage == "record-under-another-key":  # a well-formed record only another key vouches for
        stranger = out / "stranger" / final.name
        stranger.parent.mkdir()
        forged = VerifyingWriter(
            _header_for_us(world, entry),
            entry=entry,
            reader_sk=world.key,
            out_path=stranger,
            record_path=resume_record_path(stranger),
        )
        forged._record_key = hashlib.sha256(b"another researcher's key").digest()
        forged.feed(_stored_body(world, entry)[: (kept_segments + 2) * CIPHER_SEGMENT_SIZE])
        forged.abort()
        record.write_bytes(resume_record_path(stranger).read_bytes())
        prefix.write_bytes(plaintext_prefix_path(stranger).read_bytes())
        for path in _resume_state(stranger):
            path.unlink()
        stranger.parent.rmdir()
    elif damage == "prefix-altered":  # the record is authentic; the disk disagrees with it
        plain = bytearray(prefix.read_bytes())
        plain[SEGMENT_SIZE + 5] ^= 0x40
        prefix.write_bytes(bytes(plain))
    elif damage == "prefix-cut":  # e.g. a power cut lost what the record already counted
        prefix.write_bytes(prefix.read_bytes()[: 2 * SEGMENT_SIZE + 10])
    believed = damage is None
    assert _kept_offset(world, out, "NLD-X", entry) == (resumed_at if believed else 0)

    recorder = Recorder()
    result = pull(_options(local, token, out), transport=recorder)
    ranges = {
        r.url.path.split("/")[-2]: r.headers["range"]
        for r, _ in recorder.seen
        if r.url.path.endswith("/body")
    }
    start = resumed_at if believed else 0
    assert ranges == {
        entry.id: f"bytes={start}-{entry.body_size - 1}",
        other.id: f"bytes={resumed_at}-{other.body_size - 1}",  # its own record: believed
    }
    assert result.body_bytes_fetched == (entry.body_size - start) + (other.body_size - resumed_at)
    assert result.skipped == len(objects) - 2
    _assert_identical(world, out, "NLD-X", objects)
    assert not [n for n in _files(out) if "partial" in n or n.endswith(".resume")]
    served_rows = _audit(world, _jti(token), "transfer.body")[-2:]
    assert {(r.details["object"], r.details["first"]) for r in served_rows} == {
        (entry.id, start),
        (other.id, resumed_at),
    }


def test_a_pull_waits_out_the_grant_bound_and_never_fails_on_it(
    local: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 8: the node bounds the requests of one grant (429 + Retry-After); the pull waits as
    told and sends again, without spending its retries, and ends byte-identical."""
    monkeypatch.setattr(local.world.node.transfer, "_throttle", GrantThrottle("4 per 2 seconds"))
    world, token = local.world, local.world.request_grant("NLD-X")  # a grant of its own
    objects = _covered(world, token, "NLD-X")  # counts as one request
    out = tmp_path / "out"
    recorder = Recorder()
    result = pull(_options(local, token, out, workers=3), transport=recorder)
    statuses = Counter(status for _, status in recorder.seen)
    assert statuses[429] >= len(objects) // 4  # the bound was met, again and again
    assert result.skipped == 0 and len(objects) > pull_module.RETRIES
    _assert_identical(world, out, "NLD-X", objects)
    _assert_catalog(out, "NLD-X", objects)
    for _, status in recorder.seen:
        assert status in (200, 206, 302, 429)


# --- 2. --keep-encrypted and `clearance decrypt` -------------------------------------------------


def _cli(args: list[str], passphrase: str = PASSPHRASE) -> Any:
    runner = CliRunner()
    return runner.invoke(cli, args, env={"C4GH_PASSPHRASE": passphrase}, catch_exceptions=False)


def test_keep_encrypted_and_decrypt(local: Served, tmp_path: Path) -> None:
    world = local.world
    token = local.grant("NLD-Y")
    objects = _covered(world, token, "NLD-Y")
    grant_file = tmp_path / "grant.jwt"
    grant_file.write_text(token + "\n")
    out = tmp_path / "out"
    args = ["pull", str(grant_file), "--url", local.url, "--key", str(world.key_file)]
    result = _cli([*args, "--out", str(out), "--keep-encrypted", "--quiet", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert f"NLD-Y v1: {len(objects)} objects verified and decrypted (0 already there" in (
        result.stdout
    )
    _assert_identical(world, out, "NLD-Y", objects)
    _assert_catalog(out, "NLD-Y", objects)
    for entry in objects:  # the Crypt4GH file for our key: the header we got + the stored body
        final = _final(out, "NLD-Y", entry)
        data = final.with_name(final.name + ".c4gh").read_bytes()
        header = data[: len(data) - entry.body_size]
        assert data[len(header) :] == _stored_body(world, entry)
        assert len(parse_packets(header)) == 1
        parse_header(header, world.key, sender_pk=world.node.storage.public_key)
    assert not [name for name in _files(out) if "partial" in name]

    entry = max(objects, key=lambda o: o.body_size)
    final = _final(out, "NLD-Y", entry)
    encrypted = final.with_name(final.name + ".c4gh")
    plain = io.BytesIO()  # the reference implementation reads it too
    ref_lib.decrypt([(0, world.key.private_bytes_raw(), None)], io.BytesIO(encrypted.read_bytes()),
                    plain, sender_pubkey=world.node.storage.public_key)  # fmt: skip
    assert plain.getvalue() == final.read_bytes()

    decrypted = tmp_path / "decrypted" / "high.tiff"
    decrypted.parent.mkdir()
    args = ["decrypt", str(encrypted), "--key", str(world.key_file), "--out", str(decrypted)]
    done = _cli(args)
    assert done.exit_code == 0, done.output
    assert decrypted.read_bytes() == final.read_bytes()
    assert f"{entry.plaintext_size:,} bytes" in done.stdout

    generate_keypair(tmp_path / "other.sec", tmp_path / "other.pub", "other-passphrase")
    wrong = tmp_path / "decrypted" / "wrong.tiff"
    args = ["decrypt", str(encrypted), "--key", str(tmp_path / "other.sec"), "--out", str(wrong)]
    refused = _cli(args, passphrase="other-passphrase")
    assert refused.exit_code == 1
    assert f"error: {encrypted} does not decrypt" in refused.stderr
    assert sorted(p.name for p in decrypted.parent.iterdir()) == ["high.tiff"]  # no OUT, no temp
    locked = _cli(["decrypt", str(encrypted), "--key", str(world.key_file), "--out", str(wrong)],
                  passphrase="not-the-passphrase")  # fmt: skip
    assert locked.exit_code != 0 and not wrong.exists()
    nowhere = tmp_path / "missing" / "high.tiff"
    args = ["decrypt", str(encrypted), "--key", str(world.key_file), "--out", str(nowhere)]
    missing = _cli(args)
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    assert not nowhere.parent.exists()


# --- 6. a grant for another key ------------------------------------------------------------------


def test_a_grant_for_another_key_is_refused_before_any_download(
    local: Served, tmp_path: Path
) -> None:
    world, token = local.world, local.grant("NLD-X")
    generate_keypair(tmp_path / "other.sec", tmp_path / "other.pub", PASSPHRASE)
    before = len(
        _audit(
            world,
            _jti(token),
            "transfer.manifest",
            "transfer.header",
            "transfer.headers",
            "transfer.body",
        )
    )
    out = tmp_path / "out"
    args = ["pull", token, "--url", local.url, "--key", str(tmp_path / "other.sec")]
    result = _cli([*args, "--out", str(out)])
    assert result.exit_code == 1
    assert "bound to another Crypt4GH key" in result.stderr
    assert "(grant-other-key)" in result.stderr
    assert not out.exists()
    after = _audit(
        world,
        _jti(token),
        "transfer.manifest",
        "transfer.header",
        "transfer.headers",
        "transfer.body",
    )
    assert len(after) == before  # not even the manifest was asked for


# --- 5. tampered answers fail closed -------------------------------------------------------------


class Tamper(httpx.BaseTransport):
    """A real HTTP transport that alters the node's answers for one object (the victim).

    ``swap`` serves another object's header and/or body for the victim's; ``header`` and
    ``body`` rewrite the answer's bytes (``body`` gets them with the range's first offset). The
    victim's header is altered alike in the batch route's answers and the single route's.
    """

    def __init__(
        self,
        victim: str,
        *,
        header: Callable[[bytes], bytes] | None = None,
        body: Callable[[bytes, int], bytes] | None = None,
        swap: tuple[str, frozenset[str]] | None = None,
    ) -> None:
        self.inner = Urllib3Transport(max_connections=8)
        self.victim = victim
        self.header = header
        self.body = body
        self.swap = swap
        self.ranges: list[str] = []
        self.batches = 0  # batch header answers that held the victim's header

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/headers"):  # the batch route: rewrite the victim's header in it
            return self._batch(request)
        if f"/objects/{self.victim}/" not in path:
            return self.inner.handle_request(request)
        part = path.rsplit("/", 1)[1]
        if part == "body":
            self.ranges.append(request.headers["range"])
        if self.swap is not None and part in self.swap[1]:
            other = request.url.copy_with(path=path.replace(self.victim, self.swap[0]))
            request = httpx.Request(request.method, other, headers=request.headers)
        response = self.inner.handle_request(request)
        if response.status_code >= 300:
            return response
        if part == "header" and self.header is not None:
            data = self.header(response.read())
        elif part == "body" and self.body is not None:
            first = int(response.headers["content-range"].split()[1].split("-")[0])
            data = self.body(response.read(), first)
        else:
            return response
        return self._rewritten(response, data)

    def _batch(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        asked = json.loads(request.read())["objects"]
        if response.status_code >= 300 or self.victim not in asked:
            return response
        self.batches += 1
        answer = json.loads(response.read())
        headers = answer["headers"]
        header = base64.b64decode(headers[self.victim])
        if self.swap is not None and "header" in self.swap[1]:
            assert self.swap[0] in asked  # the other object's header, as the node served it
            header = base64.b64decode(headers[self.swap[0]])
        if self.header is not None:
            header = self.header(header)
        headers[self.victim] = base64.b64encode(header).decode()
        return self._rewritten(response, json.dumps(answer).encode())

    @staticmethod
    def _rewritten(response: httpx.Response, data: bytes) -> httpx.Response:
        response.close()
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-length", "transfer-encoding")
        ]
        headers.append(("content-length", str(len(data))))
        return httpx.Response(response.status_code, headers=headers, stream=httpx.ByteStream(data))

    def close(self) -> None:
        self.inner.close()


def _flip(data: bytes, first: int) -> bytes:
    spot = CIPHER_SEGMENT_SIZE + 1000 - first  # in segment 1
    flipped = bytearray(data)
    flipped[spot] ^= 0x10
    return bytes(flipped)


def _reorder(data: bytes, first: int) -> bytes:
    assert first == 0
    c = CIPHER_SEGMENT_SIZE
    return data[c : 2 * c] + data[:c] + data[2 * c :]


def _extra_segment(data: bytes, first: int) -> bytes:
    return data + data[:CIPHER_SEGMENT_SIZE]


def _other_key() -> bytes:
    return public_key_bytes(X25519PrivateKey.generate())


def _extra_packet(header: bytes) -> bytes:
    """Our header plus a packet for another key: Crypt4GH itself would accept it."""
    other = make_header(generate_data_key(), None, [_other_key()])
    return serialize_packets([*parse_packets(header), *parse_packets(other)])


TAMPERS = ["bit-flip", "last-segment-dropped", "reordered", "extra-segment", "extra-header-packet",
           "header-for-another-key", "body-of-another-object", "another-object"]  # fmt: skip


@pytest.mark.parametrize("case", TAMPERS)
def test_tampered_answers_fail_closed(
    local: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    world = local.world
    first_item = min(p.name for p in (world.sources / "NLD-X" / "scans").iterdir())
    token = local.grant("NLD-X", f"id = '{first_item}'")
    objects = _covered(world, token, "NLD-X")  # annotations, high, low: in this order
    assert [o.asset for o in objects] == ["annotations", "high", "low"]
    _, high, low = objects
    assert high.body_size == low.body_size and high.segments > 2
    assert high.body_size % CIPHER_SEGMENT_SIZE  # a short last segment
    last = (high.segments - 1) * CIPHER_SEGMENT_SIZE  # where the last segment starts

    def reencrypted_for_another_key(header: bytes) -> bytes:
        stored = world.node.objects.header(high.id)
        return world.node.storage.reencryptor().reencrypt(stored, [_other_key()], trim=True)

    victim, tamper, code = high, Tamper(high.id), ""
    if case == "bit-flip":
        tamper.body, code = _flip, "segment-tampered"
    elif case == "last-segment-dropped":
        tamper.body, code = (lambda data, first: data[: max(0, last - first)]), "truncated"
        monkeypatch.setattr(pull_module, "RETRIES", 2)  # one resumed retry, 0.5 s back-off
    elif case == "reordered":
        tamper.body, code = _reorder, "object-mismatch"
    elif case == "extra-segment":
        tamper.body, code = _extra_segment, "too-long"
    elif case == "extra-header-packet":
        tamper.header, code = _extra_packet, "extra-header-packet"
    elif case == "header-for-another-key":
        tamper.header, code = reencrypted_for_another_key, "header-not-for-this-key"
    elif case == "body-of-another-object":  # high's body under low's header: another data key
        victim, tamper = low, Tamper(low.id, swap=(high.id, frozenset({"body"})))
        code = "segment-tampered"
    else:  # another object: high's header and body served as low (the same size)
        victim, tamper = low, Tamper(low.id, swap=(high.id, frozenset({"header", "body"})))
        code = "object-mismatch"

    out = tmp_path / "out"
    with pytest.raises(PullError) as caught:
        pull(_options(local, token, out, workers=1), transport=tamper)
    assert caught.value.code == code, caught.value
    assert f"{victim.item}/{victim.asset}" in str(caught.value)
    done = {o.id for o in objects[: objects.index(victim)]}  # verified before the victim
    _no_unverified_plaintext(world, out, "NLD-X", objects, done)
    if case == "last-segment-dropped":  # resumed once at the last segment, then gave up
        assert tamper.ranges == [
            f"bytes=0-{high.body_size - 1}",
            f"bytes={last}-{high.body_size - 1}",
        ]
        # the verified segments, kept for a later run
        assert _kept_offset(world, out, "NLD-X", victim) == last
    else:  # no retry: verification failures are final
        assert _resume_state(_final(out, "NLD-X", victim)) == []
        # A bad header is refused before the body is asked for; a bad body after one request.
        asked = [] if tamper.header is not None else [f"bytes=0-{high.body_size - 1}"]
        assert tamper.ranges == asked
    assert tamper.batches == 1  # the victim's header came in the batch answer


# --- 4. revocation and expiry stop a running pull ----------------------------------------------


@pytest.mark.parametrize("config", [LOCAL, S3], ids=["sqlite-local", "postgresql-s3"])
@pytest.mark.parametrize("ending", ["revoked", "expired"])
def test_a_running_pull_stops_at_its_next_request(
    served: Callable[[tuple[str, str]], Served],
    config: tuple[str, str],
    tmp_path: Path,
    ending: str,
) -> None:
    """The grant ends when the first object is done, while the other worker is mid-body: the
    next request is refused, the pull stops with the node's code, and no unverified plaintext is
    left (the other object keeps only its verified segments). On S3 too, where each body is a
    302 to a presigned URL: the next object's body request is the one refused."""
    local = served(config)
    world = local.world
    token = world.request_grant("NLD-X", days=1)  # its own grant: this one ends
    jti = _jti(token)
    objects = _covered(world, token, "NLD-X")
    out = tmp_path / "out"
    under_way = objects[1]  # the other worker's first object
    done: list[ManifestObject] = []

    def kept() -> int:
        return _kept_offset(world, out, "NLD-X", under_way)

    def end_the_grant(entry: ManifestObject) -> None:
        done.append(entry)
        if len(done) == 1:
            deadline = time.monotonic() + 30  # until the other has verified bytes kept
            while not kept() >= CIPHER_SEGMENT_SIZE:
                assert time.monotonic() < deadline
                time.sleep(0.005)
            if ending == "revoked":
                world.node.grants.revoke(world.stewards["NLD"], jti, "project ended")
            else:
                local.clock.offset = timedelta(days=1) + MAX_SKEW + timedelta(seconds=1)

    options = _options(local, token, out, workers=2, limit_rate=2_000_000)
    code = "grant-revoked" if ending == "revoked" else "grant-expired"
    try:
        with pytest.raises(PullError) as caught:
            pull(options, on_object_done=end_the_grant)
        assert caught.value.code == code
        assert objects[0].asset == "annotations"
        _no_unverified_plaintext(world, out, "NLD-X", objects, {o.id for o in done})
        # The object the other worker had under way: stopped mid-body, its verified segments kept.
        assert done == objects[:1] and not _final(out, "NLD-X", objects[1]).exists()
        assert 0 < kept() < objects[1].body_size

        # The node refused the next request and served nothing under the grant after it ended.
        # (A revocation is audited as a denial; an expired grant is a 401 like a forged one,
        # not audited, but the audit's node-clock times show nothing was served after expiry.)
        def served_rows() -> list[AuditEntryRow]:
            return _audit(
                world,
                jti,
                "transfer.manifest",
                "transfer.header",
                "transfer.headers",
                "transfer.body",
            )

        if ending == "revoked":
            denied = _audit(world, jti, "transfer.denied")
            assert [row.reason for row in denied] == [code]
            assert all(row.seq < denied[0].seq for row in served_rows())
        else:
            expires = datetime.fromtimestamp(
                UNSAFE_decode_without_verification(token)["claims"]["exp"], UTC
            )
            assert all(row.at < expires for row in served_rows())
        count = len(served_rows())

        # A re-run is refused at once (before any object) and changes nothing.
        files = {name: (out / name).read_bytes() for name in _files(out)}
        with pytest.raises(PullError) as again:
            pull(_options(local, token, out))
        assert again.value.code == code
        assert {name: (out / name).read_bytes() for name in _files(out)} == files
        assert len(served_rows()) == count
    finally:
        local.clock.offset = timedelta(0)


# --- 3. kill -9 and resume -----------------------------------------------------------------------


def _resumable(world: World, out: Path, holding: str, entry: ManifestObject) -> int:
    """What a re-run may take as verified: the whole body for a finished file; else the kept
    body's whole segments (all of it when complete). Kept bytes must be the stored ciphertext."""
    final = _final(out, holding, entry)
    if final.exists():
        assert _sha256(final) == entry.plaintext_sha256  # a final file is always verified
        return entry.body_size
    return _kept_offset(world, out, holding, entry)


@dataclass
class _Run:
    """What one run of the probe received: per object, the range starts and the byte count."""

    starts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    received: Counter[str] = field(default_factory=Counter)
    biggest_chunk: int = 0


def _read_log(log: Path, objects: dict[str, ManifestObject]) -> _Run:
    run = _Run()
    ranges: set[tuple[str, str]] = set()
    for line in log.read_text().splitlines():
        path, wanted, count = line.split()
        entry = objects[path]
        if (path, wanted) not in ranges:  # a new request (each range is asked once per run)
            ranges.add((path, wanted))
            first, last = wanted.removeprefix("bytes=").split("-")
            assert int(last) == entry.body_size - 1
            run.starts[entry.id].append(int(first))
        run.received[entry.id] += int(count)
        run.biggest_chunk = max(run.biggest_chunk, int(count))
    return run


def _wait_for_bytes(log: Path, proc: subprocess.Popen[bytes]) -> None:
    """Until the probe has logged the first body bytes of its run."""
    deadline = time.monotonic() + 90
    while not (log.exists() and log.stat().st_size > 0):
        assert proc.poll() is None, f"the pull exited ({proc.returncode}) before any body byte"
        assert time.monotonic() < deadline, "timed out waiting for body bytes"
        time.sleep(0.01)


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Kill a probe this test started, if it still runs (a failed test)."""
    if proc.stdin is not None and not proc.stdin.closed:
        proc.stdin.close()
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_kill_9_five_times_then_resume_without_fetching_verified_bytes_again(
    local: Served, tmp_path: Path
) -> None:
    """`clearance pull --limit-rate 2.5M --workers 2` of a 13 MB holding, SIGKILLed five times and
    interrupted once with SIGINT (Ctrl-C), each at a seeded random point once bytes flow, then run
    to completion: the result is byte-identical.

    The bound: an interrupted run loses, per object it was receiving, the bytes it had received
    but not yet kept as whole verified segments. The pull reads one whole segment at a time
    (ranges start on segment boundaries) and records it before reading the next, so that is at
    most the one segment it was verifying or writing (CIPHER_SEGMENT_SIZE). So the body bytes
    received over all runs ≤ total body bytes + Σ over interruptions of (objects under way,
    ≤ workers) × CIPHER_SEGMENT_SIZE, checked per object and interruption; and each resumed
    request starts exactly at the verified bytes kept, so those are never downloaded twice. The
    final run wastes nothing."""
    world = local.world
    holding = "NLD-C"
    generate_holding(world.sources / holding, kind="cargo", count=1, seed=5, admin="NLD")
    world.publish(holding)
    token = world.request_grant(holding)
    objects = _covered(world, token, holding)
    by_path = {f"/transfer/holdings/{holding}/objects/{o.id}/body": o for o in objects}
    total = sum(o.body_size for o in objects)
    assert total > 13_000_000 and sum(o.segments > 60 for o in objects) == 3
    grant_file = tmp_path / "grant.jwt"
    grant_file.write_text(token)
    out = tmp_path / "out"
    workers, rate = 2, 2_500_000
    stops = [signal.SIGKILL] * 5 + [signal.SIGINT]
    args = ["pull", str(grant_file), "--url", local.url, "--key", str(world.key_file),
            "--out", str(out), "--workers", str(workers), "--limit-rate", "2.5M"]  # fmt: skip
    assert total > len(stops) * (rate * 0.7 + workers * CIPHER_SEGMENT_SIZE)  # cannot finish it
    env = {**os.environ, "C4GH_PASSPHRASE": PASSPHRASE}
    logs = [tmp_path / f"run{i}.log" for i in range(len(stops) + 1)]
    rng = random.Random(20240611)
    resumable: list[dict[str, int]] = []
    with ExitStack() as stack:
        procs = []
        for i, log in enumerate(logs):  # all started now: the imports take seconds
            output = stack.enter_context((tmp_path / f"run{i}.out").open("wb"))
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.helpers.pull_probe", str(log), *args],
                cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=output, stderr=output,
            )  # fmt: skip
            stack.callback(_end, proc)
            procs.append(proc)
        for i, proc in enumerate(procs):
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            proc.stdin.close()
            if i == len(stops):
                assert proc.wait(timeout=120) == 0, (tmp_path / f"run{i}.out").read_text()
                break
            _wait_for_bytes(logs[i], proc)
            time.sleep(rng.uniform(0.15, 0.7))
            assert proc.poll() is None, "the pull finished before it was interrupted"
            os.kill(proc.pid, stops[i])
            code = proc.wait(timeout=30)
            if stops[i] == signal.SIGKILL:
                assert code == -signal.SIGKILL
            else:  # Ctrl-C: the workers stop, deleting their unverified plaintext
                assert code == 1 and "Aborted!" in (tmp_path / f"run{i}.out").read_text()
                assert not [name for name in _files(out) if ".partial-" in name]
            resumable.append({o.id: _resumable(world, out, holding, o) for o in objects})

    runs = [_read_log(log, by_path) for log in logs]
    bound = CIPHER_SEGMENT_SIZE
    before = {o.id: 0 for o in objects}
    wasted = 0
    for i, run in enumerate(runs):
        interrupted = i < len(stops)
        after = resumable[i] if interrupted else {o.id: o.body_size for o in objects}
        assert run.biggest_chunk <= CIPHER_SEGMENT_SIZE
        for entry in objects:
            starts = run.starts.get(entry.id, [])
            if before[entry.id] == entry.body_size:  # finished earlier: not asked for again
                assert starts == [], (i, entry.asset)
                continue
            if not starts:  # not reached in this run
                assert after[entry.id] == before[entry.id], (i, entry.asset)
                continue
            assert starts == [before[entry.id]], (i, entry.asset)  # resumed where verified
            end = starts[0] + run.received[entry.id]
            assert before[entry.id] <= after[entry.id] <= end, (i, entry.asset)
            lost = end - after[entry.id]  # received, not kept: fetched again by the next run
            assert lost <= (bound if interrupted else 0), (i, entry.asset, lost)
            wasted += lost
        if interrupted:  # it landed mid-object
            assert any(run.received[o.id] and after[o.id] < o.body_size for o in objects), i
        before = after
    received = sum(sum(run.received.values()) for run in runs)
    assert received == total + wasted
    assert received <= total + len(stops) * workers * bound, (received, total)

    # The node served exactly those ranges (audit log), and the last run said what it fetched.
    served = _audit(world, _jti(token), "transfer.body")
    assert Counter((row.details["object"], row.details["first"]) for row in served) == Counter(
        (object_id, first) for run in runs for object_id, starts in run.starts.items()
        for first in starts
    )  # fmt: skip
    report = (tmp_path / f"run{len(stops)}.out").read_text()
    done_before = sum(resumable[-1][o.id] == o.body_size for o in objects)
    assert (
        f"{holding} v1: {len(objects)} objects verified and decrypted ({done_before} already "
        f"there, {sum(runs[-1].received.values()):,} bytes fetched)"
    ) in report
    _assert_identical(world, out, holding, objects)
    _assert_catalog(out, holding, objects)
    assert not [name for name in _files(out) if "partial" in name]
