"""The S3 blob store against the real S3 server of ``make test`` (SeaweedFS), and on moto.

Real-server tests (marked ``s3``) need CLEARANCE_TEST_S3_{ENDPOINT,ACCESS_KEY,SECRET_KEY,BUCKET,
REGION}; without them they skip, or fail when CLEARANCE_REQUIRE_SERVICES=1. Every run writes under
its own random key prefix and removes what it wrote (objects and pending multipart uploads).
The moto tests run everywhere and cover the same store logic quickly.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import random
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import boto3
import botocore.config
import botocore.exceptions
import httpx
import pytest
from moto import mock_aws

from transfer.blobstore import (
    CHUNK_SIZE,
    BlobNotFound,
    BlobRangeError,
    BlobStoreError,
    ChecksumMismatch,
)
from transfer.crypt4gh.constants import CIPHER_SEGMENT_SIZE
from transfer.s3store import DEFAULT_PART_SIZE, MIN_PART_SIZE, S3BlobStore

MiB = 1 << 20
BIG = 12 * MiB  # 2 full parts of 5,245,120 bytes + a short final part of 2,092,672 bytes


def payload(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def multipart_etag(data: bytes, part_size: int) -> str:
    """The ETag S3 gives a multipart object: MD5 of the parts' MD5s, dash, part count."""
    digests = [
        hashlib.md5(data[i : i + part_size], usedforsecurity=False).digest()
        for i in range(0, len(data), part_size)
    ]
    joined = hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest()
    return f'"{joined}-{len(digests)}"'


class FailingStream(io.BytesIO):
    """Serves ``data`` until ``fail_after`` bytes were read, then raises (a disk going away)."""

    def __init__(self, data: bytes, fail_after: int) -> None:
        super().__init__(data)
        self.fail_after = fail_after

    def read(self, size: int | None = -1) -> bytes:
        left = self.fail_after - self.tell()
        if left <= 0:
            raise OSError("source disk went away")
        return super().read(left if size is None or size < 0 else min(size, left))


def pending_uploads(client: Any, bucket: str, name: str) -> list[str]:
    response = client.list_multipart_uploads(Bucket=bucket, Prefix=name)
    return [u["UploadId"] for u in response.get("Uploads", []) if u["Key"] == name]


def object_names(client: Any, bucket: str, prefix: str) -> list[str]:
    response = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for o in response.get("Contents", [])]


def chunks_of(store: S3BlobStore, key: str, start: int, length: int) -> list[bytes]:
    with store.read_range(key, start, length) as chunks:
        return list(chunks)


# ====================================================================== real S3 server

ENV_NAMES = ("ENDPOINT", "ACCESS_KEY", "SECRET_KEY", "BUCKET", "REGION")


@pytest.fixture(scope="module")
def s3_env() -> dict[str, str]:
    values = {name: os.environ.get(f"CLEARANCE_TEST_S3_{name}", "") for name in ENV_NAMES}
    missing = [f"CLEARANCE_TEST_S3_{name}" for name, value in values.items() if not value]
    if missing:
        reason = (
            f"no S3 server ({', '.join(missing)} not set): run `make test`, or "
            "`bash scripts/services.sh start DIR` and export DIR/services.env"
        )
        if os.environ.get("CLEARANCE_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return values


@pytest.fixture(scope="module")
def raw(s3_env: dict[str, str]) -> Any:
    """A plain boto3 client, to look at what the store left on the server."""
    return boto3.client(
        "s3",
        endpoint_url=s3_env["ENDPOINT"],
        region_name=s3_env["REGION"],
        aws_access_key_id=s3_env["ACCESS_KEY"],
        aws_secret_access_key=s3_env["SECRET_KEY"],
        config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def make_store(s3_env: dict[str, str], prefix: str, **overrides: Any) -> S3BlobStore:
    options: dict[str, Any] = {
        "endpoint_url": s3_env["ENDPOINT"],
        "region": s3_env["REGION"],
        "access_key": s3_env["ACCESS_KEY"],
        "secret_key": s3_env["SECRET_KEY"],
        "prefix": prefix,
    }
    options.update(overrides)
    return S3BlobStore(s3_env["BUCKET"], **options)


@pytest.fixture(scope="module")
def store(s3_env: dict[str, str], raw: Any) -> Iterator[S3BlobStore]:
    prefix = f"test-s3store/{secrets.token_hex(8)}"
    yield make_store(s3_env, prefix)
    bucket = s3_env["BUCKET"]
    for upload in raw.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", []):
        raw.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in raw.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            raw.delete_object(Bucket=bucket, Key=item["Key"])


@pytest.fixture(scope="module")
def big(store: S3BlobStore, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bytes]:
    """A 12 MiB blob uploaded once (multipart, from a file, checksum verified)."""
    data = payload(BIG, seed=1)
    source = tmp_path_factory.mktemp("s3") / "big.bin"
    source.write_bytes(data)
    with source.open("rb") as stream:
        assert store.put_stream("objects/big", stream, sha256=sha(data)) == BIG
    return "objects/big", data


@pytest.mark.s3
def test_real_small_round_trip_listing_and_delete(store: S3BlobStore) -> None:
    store.put_bytes("small/a", b"hello")
    assert store.put_stream("small/b", io.BytesIO(b"world!"), sha256=sha(b"world!")) == 6
    store.put_bytes("small/empty", b"")
    assert store.exists("small/a") and store.size("small/b") == 6 and store.size("small/empty") == 0
    with store.open("small/a") as handle:
        assert handle.read() == b"hello"
    assert store.read_range("small/empty", 0, 0).read_all() == b""
    assert list(store.keys("small/")) == ["small/a", "small/b", "small/empty"]
    store.delete("small/a")
    store.delete("small/a")  # deleting a missing blob is fine
    assert not store.exists("small/a")
    assert list(store.keys("small/")) == ["small/b", "small/empty"]


@pytest.mark.s3
def test_real_missing_key_is_blob_not_found(store: S3BlobStore) -> None:
    assert not store.exists("nothing/here")
    with pytest.raises(BlobNotFound):
        store.size("nothing/here")
    with pytest.raises(BlobNotFound):
        store.open("nothing/here")
    with pytest.raises(BlobNotFound):
        store.read_range("nothing/here", 0, 10)
    with pytest.raises(BlobNotFound):
        store.read_range("nothing/here", 0, 0)
    url = store.presign("nothing/here", expires_s=60)
    assert httpx.get(url).status_code == 404


@pytest.mark.s3
def test_real_multipart_upload_in_whole_segment_parts(
    store: S3BlobStore, raw: Any, big: tuple[str, bytes]
) -> None:
    key, data = big
    assert DEFAULT_PART_SIZE == 80 * CIPHER_SEGMENT_SIZE == 5_245_120
    assert store.part_size % CIPHER_SEGMENT_SIZE == 0 and store.part_size >= MIN_PART_SIZE
    assert store.size(key) == BIG
    head = raw.head_object(Bucket=store.bucket, Key=f"{store.prefix}/{key}")
    # 3 parts cut at 5,245,120 and 10,490,240: only those boundaries give this ETag.
    assert head["ETag"] == multipart_etag(data, DEFAULT_PART_SIZE)
    assert head["ETag"].endswith('-3"')
    with store.open(key) as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == sha(data)
    # A stream of exactly two parts: multipart with two full parts, no empty third one.
    exact = data[: 2 * DEFAULT_PART_SIZE]
    assert store.put_stream("objects/exact", io.BytesIO(exact)) == len(exact)
    head = raw.head_object(Bucket=store.bucket, Key=f"{store.prefix}/objects/exact")
    assert head["ETag"] == multipart_etag(exact, DEFAULT_PART_SIZE)
    assert head["ContentLength"] == len(exact)


@pytest.mark.s3
def test_real_ranged_reads(store: S3BlobStore, big: tuple[str, bytes]) -> None:
    key, data = big
    cases = [
        (0, 100),  # start
        (DEFAULT_PART_SIZE - 50, 100),  # middle, across a part boundary
        (BIG // 2, 3 * MiB + 1),  # middle, several chunks
        (BIG - 100, 100),  # end
        (123_457, 1),  # single byte
        (BIG - 1, 1),  # last byte
        (BIG, 0),  # nothing, at the very end
    ]
    for start, length in cases:
        chunks = chunks_of(store, key, start, length)
        assert all(0 < len(c) <= CHUNK_SIZE for c in chunks)
        assert b"".join(chunks) == data[start : start + length], (start, length)
    whole = chunks_of(store, key, 0, BIG)
    assert len(whole) == 12 and b"".join(whole) == data
    for start, length in [(BIG, 1), (BIG - 10, 11), (BIG + 1, 0), (BIG + 5, 5)]:
        with pytest.raises(BlobRangeError):
            store.read_range(key, start, length)
    # Stopping early is fine and releases the connection.
    stream = store.read_range(key, 0, BIG)
    assert next(stream) == data[:CHUNK_SIZE]
    stream.close()
    assert stream.closed and list(stream) == []
    assert store.read_range(key, 10, 5).read_all() == data[10:15]  # the store still works


@pytest.mark.s3
def test_real_presigned_get_whole_and_with_client_range(
    store: S3BlobStore, big: tuple[str, bytes]
) -> None:
    key, data = big
    url = store.presign(key, expires_s=120)
    assert store.endpoint_url is not None and url.startswith(store.endpoint_url)
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["X-Amz-SignedHeaders"] == "host" and query["X-Amz-Expires"] == "120"
    assert store.presign(key, expires_s=120) is not None
    with httpx.Client(timeout=30) as client:
        response = client.get(url)
        assert response.status_code == 200 and response.content == data
        # The client's Range header is not part of the signature: any range works.
        boundary = DEFAULT_PART_SIZE
        for first, last in [(0, 0), (boundary - 3, boundary + 3), (BIG - 9, BIG - 1)]:
            response = client.get(url, headers={"Range": f"bytes={first}-{last}"})
            assert response.status_code == 206
            assert response.headers["content-range"] == f"bytes {first}-{last}/{BIG}"
            assert response.content == data[first : last + 1]
        response = client.get(url, headers={"Range": "bytes=-10"})
        assert response.status_code == 206 and response.content == data[-10:]


@pytest.mark.s3
def test_real_presigned_byte_range_is_signed(store: S3BlobStore, big: tuple[str, bytes]) -> None:
    key, data = big
    url = store.presign(key, expires_s=60, byte_range=(5, 99))
    assert dict(parse_qsl(urlsplit(url).query))["X-Amz-SignedHeaders"] == "host;range"
    response = httpx.get(url, headers={"Range": "bytes=5-99"})
    assert response.status_code == 206 and response.content == data[5:100]
    assert httpx.get(url).status_code == 403  # without the header
    assert httpx.get(url, headers={"Range": "bytes=0-99"}).status_code == 403  # other bytes


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.mark.s3
def test_real_presigned_url_tampered_or_expired_is_refused(
    store: S3BlobStore, big: tuple[str, bytes]
) -> None:
    key, _ = big
    url = store.presign(key, expires_s=60)
    signature = dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]
    forged = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert httpx.get(with_query(url, **{"X-Amz-Signature": forged})).status_code == 403
    assert httpx.get(with_query(url, **{"X-Amz-Expires": "3600"})).status_code == 403
    other = urlsplit(url)._replace(path=urlsplit(url).path.replace("/big", "/exact"))
    assert httpx.get(urlunsplit(other)).status_code == 403  # a URL for one key only
    short = store.presign(key, expires_s=1)
    time.sleep(2)
    response = httpx.get(short)
    assert response.status_code == 403 and b"expired" in response.content


@pytest.mark.s3
def test_real_anonymous_requests_are_refused(
    store: S3BlobStore, s3_env: dict[str, str], big: tuple[str, bytes]
) -> None:
    key, _ = big
    url = f"{s3_env['ENDPOINT']}/{store.bucket}/{store.prefix}/{key}"
    assert httpx.get(url).status_code == 403
    assert httpx.get(url, headers={"Range": "bytes=0-9"}).status_code == 403
    assert httpx.put(f"{url}-anon", content=b"x").status_code == 403
    assert not store.exists(f"{key}-anon")


@pytest.mark.s3
def test_real_wrong_secret_is_refused_without_leaking_it(
    store: S3BlobStore, s3_env: dict[str, str], big: tuple[str, bytes]
) -> None:
    key, _ = big
    wrong = s3_env["SECRET_KEY"] + "x"
    bad = make_store(s3_env, store.prefix, secret_key=wrong, max_attempts=1)
    assert wrong not in repr(bad) and s3_env["ACCESS_KEY"] not in repr(bad)
    with pytest.raises(BlobStoreError) as caught:
        bad.put_bytes("objects/forged", b"x")
    message = str(caught.value)
    assert "PUT" in message and "objects/forged" in message and "SignatureDoesNotMatch" in message
    assert s3_env["SECRET_KEY"] not in message and s3_env["ACCESS_KEY"] not in message
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert not store.exists("objects/forged")
    # A refused HEAD is an error, not "absent"; a refused GET is not "not found".
    with pytest.raises(BlobStoreError) as refused:
        bad.exists(key)
    assert not isinstance(refused.value, BlobNotFound)
    with pytest.raises(BlobStoreError) as refused:
        bad.read_range(key, 0, 10)
    assert not isinstance(refused.value, BlobNotFound)
    assert httpx.get(bad.presign(key, expires_s=60)).status_code == 403


@pytest.mark.s3
def test_real_failure_mid_multipart_leaves_nothing(store: S3BlobStore, raw: Any) -> None:
    data = payload(BIG, seed=2)
    key = "objects/interrupted"
    name = f"{store.prefix}/{key}"
    store.put_bytes(key, b"previous version")
    # Fails at 11 MiB: after part 1 is on the server (the store reads one part ahead).
    with pytest.raises(OSError, match="source disk went away"):
        store.put_stream(key, FailingStream(data, fail_after=11 * MiB))
    assert store.read_range(key, 0, 16).read_all() == b"previous version"
    assert pending_uploads(raw, store.bucket, name) == []
    store.delete(key)
    with pytest.raises(OSError, match="source disk went away"):
        store.put_stream(key, FailingStream(data, fail_after=6 * MiB))
    assert not store.exists(key)
    assert pending_uploads(raw, store.bucket, name) == []


@pytest.mark.s3
def test_real_checksum_mismatch_leaves_nothing(store: S3BlobStore, raw: Any) -> None:
    data = payload(BIG, seed=3)
    for key, body in [("objects/mismatch-big", data), ("objects/mismatch-small", data[:1000])]:
        with pytest.raises(ChecksumMismatch):
            store.put_stream(key, io.BytesIO(body), sha256=sha(body + b"!"))
        assert not store.exists(key)
        assert pending_uploads(raw, store.bucket, f"{store.prefix}/{key}") == []


# ====================================================================== moto

BUCKET = "moto-bucket"
SECRET = "moto-secret-key-never-shown"


@functools.cache
def moto_clients() -> tuple[S3BlobStore, Any]:
    """Made once (a boto3 client costs ~0.2 s); moto intercepts them whenever a mock is active."""
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    store = S3BlobStore(
        BUCKET,
        endpoint_url=None,
        region="us-east-1",
        access_key="AKIAMOTOEXAMPLE",
        secret_key=SECRET,
        prefix="node/blobs/",
    )
    return store, client


@pytest.fixture
def moto() -> Iterator[tuple[S3BlobStore, Any]]:
    store, client = moto_clients()
    with mock_aws():  # a fresh, empty S3 for every test
        client.create_bucket(Bucket=BUCKET)
        yield store, client


def test_moto_round_trip_small_and_multipart(moto: tuple[S3BlobStore, Any]) -> None:
    store, client = moto
    assert store.prefix == "node/blobs"
    store.put_bytes("objects/a", b"abc")
    data = payload(BIG)
    assert store.put_stream("objects/big", io.BytesIO(data), sha256=sha(data).upper()) == BIG
    assert object_names(client, BUCKET, "") == ["node/blobs/objects/a", "node/blobs/objects/big"]
    head = client.head_object(Bucket=BUCKET, Key="node/blobs/objects/big")
    assert head["ETag"] == multipart_etag(data, DEFAULT_PART_SIZE)
    assert store.size("objects/big") == BIG and store.exists("objects/a")
    with store.open("objects/big") as handle:
        assert handle.read(10) == data[:10]
        assert handle.read() == data[10:]
    assert store.read_range("objects/a", 1, 2).read_all() == b"bc"
    store.delete("objects/a")
    assert not store.exists("objects/a")


def test_moto_put_stream_from_a_file(moto: tuple[S3BlobStore, Any], tmp_path: Path) -> None:
    store, _ = moto
    source = tmp_path / "scan.tif"
    source.write_bytes(b"changed after hashing")
    with (
        source.open("rb") as stream,
        pytest.raises(
            ChecksumMismatch, match=r"blob 'objects/s': the bytes do not have the expected SHA-256"
        ),
    ):
        store.put_stream("objects/s", stream, sha256=sha(b"original"))
    assert not store.exists("objects/s")
    with source.open("rb") as stream:
        store.put_stream("objects/s", stream, sha256=sha(source.read_bytes()))
    assert store.read_range("objects/s", 0, 7).read_all() == b"changed"


@pytest.mark.parametrize(
    "part_size",
    [79 * CIPHER_SEGMENT_SIZE, 5 * MiB, 80 * CIPHER_SEGMENT_SIZE + 1, 8 * MiB, 0, -1],
)
def test_part_size_must_be_whole_segments_and_at_least_5_mib(part_size: int) -> None:
    with pytest.raises(ValueError, match="part_size"):
        S3BlobStore(
            "b-1",
            endpoint_url="http://127.0.0.1:9",
            region="us-east-1",
            access_key="a",
            secret_key="s",
            part_size=part_size,
        )


def test_valid_part_sizes_and_bad_configuration() -> None:
    common: dict[str, Any] = {"region": "us-east-1", "access_key": "a", "secret_key": SECRET}
    for segments in (80, 161):
        store = S3BlobStore(
            "b-1", endpoint_url=None, part_size=segments * CIPHER_SEGMENT_SIZE, **common
        )
        assert store.part_size == segments * CIPHER_SEGMENT_SIZE
    for bucket in ("", "A", "a", "bad_bucket", "-x-"):
        with pytest.raises(ValueError, match="bucket"):
            S3BlobStore(bucket, endpoint_url=None, **common)
    for endpoint in ("ftp://h", "http://user:pw@host:9000", "http://h/?x=1", "h:9000"):
        with pytest.raises(ValueError, match="endpoint_url") as caught:
            S3BlobStore("b-1", endpoint_url=endpoint, **common)
        assert "pw" not in str(caught.value)
    for prefix in ("../x", "a//b", ".x"):
        with pytest.raises(ValueError, match="prefix"):
            S3BlobStore("b-1", endpoint_url=None, prefix=prefix, **common)


def test_moto_ranges_and_chunking(moto: tuple[S3BlobStore, Any]) -> None:
    store, _ = moto
    data = payload(3 * MiB + 7)
    size = len(data)
    store.put_bytes("objects/r", data)
    for start, length in [(0, 1), (MiB - 1, 2), (size - 1, 1), (size, 0), (5, size - 5)]:
        chunks = chunks_of(store, "objects/r", start, length)
        assert all(0 < len(c) <= CHUNK_SIZE for c in chunks)
        assert b"".join(chunks) == data[start : start + length]
    assert [len(c) for c in chunks_of(store, "objects/r", 0, size)] == [MiB, MiB, MiB, 7]
    for start, length in [(size, 1), (size - 1, 2), (size + 1, 0)]:
        with pytest.raises(BlobRangeError):
            store.read_range("objects/r", start, length)
    for start, length in [(-1, 1), (0, -1)]:
        with pytest.raises(ValueError, match="non-negative"):
            store.read_range("objects/r", start, length)
    with pytest.raises(BlobNotFound):
        store.read_range("objects/none", 0, 1)  # raised by the call, before any iteration


def put_many(client: Any, names: list[str]) -> None:
    """Empty objects, straight into moto's backend (50x faster than 1,100 PutObject calls)."""
    try:
        from moto.s3.models import s3_backends

        backend = s3_backends["123456789012"]["aws"]  # moto's default account, AWS partition
        for name in names:
            backend.put_object(BUCKET, name, b"")
    except (ImportError, AttributeError, KeyError, TypeError):  # moto's internals moved
        for name in names:
            client.put_object(Bucket=BUCKET, Key=name, Body=b"")
    assert client.list_objects_v2(Bucket=BUCKET, Prefix=names[-1])["KeyCount"] == 1


def test_moto_listing_paginates_and_stays_inside_the_prefix(moto: tuple[S3BlobStore, Any]) -> None:
    store, client = moto
    put_many(client, [f"node/blobs/k/{i:04d}" for i in range(1100)])
    client.put_object(Bucket=BUCKET, Key="node/other/k/0001", Body=b"")
    client.put_object(Bucket=BUCKET, Key="node/blobs/k/bad..key/../x", Body=b"")
    client.put_object(Bucket=BUCKET, Key="node/blobs-sibling", Body=b"")
    assert client.list_objects_v2(Bucket=BUCKET, Prefix="node/blobs/")["IsTruncated"]  # 2 pages
    keys = list(store.keys())
    assert keys == [f"k/{i:04d}" for i in range(1100)]
    assert list(store.keys("k/10")) == [f"k/{i}" for i in range(1000, 1100)]
    assert list(store.keys("nope/")) == []


def test_moto_failure_mid_multipart_aborts_the_upload(moto: tuple[S3BlobStore, Any]) -> None:
    store, client = moto
    with pytest.raises(OSError, match="source disk went away"):
        store.put_stream("objects/x", FailingStream(payload(BIG), fail_after=11 * MiB))
    assert object_names(client, BUCKET, "") == []
    assert client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_moto_refused_part_aborts_the_upload(
    moto: tuple[S3BlobStore, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, client = moto
    real_upload_part = store._s3.upload_part

    def flaky(**params: Any) -> Any:
        if params["PartNumber"] == 2:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "InternalError", "Message": "boom"}}, "UploadPart"
            )
        return real_upload_part(**params)

    monkeypatch.setattr(store._s3, "upload_part", flaky)
    with pytest.raises(BlobStoreError, match=r"upload of part 2 of 'objects/x'.*InternalError"):
        store.put_bytes("objects/x", payload(BIG))
    assert object_names(client, BUCKET, "") == []
    assert client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_moto_checksum_mismatch_keeps_nothing(moto: tuple[S3BlobStore, Any]) -> None:
    store, client = moto
    data = payload(BIG)
    store.put_bytes("objects/m", b"old")
    for body in (data, data[:10]):
        with pytest.raises(ChecksumMismatch, match="objects/m"):
            store.put_stream("objects/m", io.BytesIO(body), sha256=sha(b"something else"))
        assert store.read_range("objects/m", 0, 3).read_all() == b"old"
    assert client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_moto_errors_name_the_operation_and_never_the_credentials(
    moto: tuple[S3BlobStore, Any],
) -> None:
    store, _ = moto
    assert SECRET not in repr(store) and "AKIAMOTO" not in repr(store)
    assert SECRET not in repr(vars(store))
    with pytest.raises(BlobNotFound):
        store.size("objects/missing")
    assert not store.exists("objects/missing")
    elsewhere = S3BlobStore(
        "no-such-bucket", endpoint_url=None, region="us-east-1", access_key="AKIAMOTOEXAMPLE",
        secret_key=SECRET,
    )  # fmt: skip
    with pytest.raises(BlobStoreError) as caught:
        elsewhere.read_range("objects/a", 0, 1)
    assert not isinstance(caught.value, BlobNotFound)  # a missing bucket is not a missing blob
    message = str(caught.value)
    assert "ranged GET of 'objects/a'" in message and "NoSuchBucket" in message
    assert SECRET not in message and "AKIAMOTO" not in message
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    with pytest.raises(BlobStoreError, match="NoSuchBucket"):
        list(elsewhere.keys())
    with pytest.raises(BlobStoreError, match="PUT of 'objects/a'"):
        elsewhere.put_bytes("objects/a", b"x")
    with pytest.raises(BlobStoreError, match="multipart start of 'objects/a'"):
        elsewhere.put_bytes("objects/a", payload(BIG))


def test_moto_presign_shape_and_argument_checks(moto: tuple[S3BlobStore, Any]) -> None:
    store, _ = moto
    url = store.presign("objects/a", expires_s=60)
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    assert parts.path == f"/{BUCKET}/node/blobs/objects/a"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256" and query["X-Amz-Expires"] == "60"
    assert query["X-Amz-SignedHeaders"] == "host" and SECRET not in url
    ranged = store.presign("objects/a", expires_s=60, byte_range=(0, 65563))
    assert dict(parse_qsl(urlsplit(ranged).query))["X-Amz-SignedHeaders"] == "host;range"
    for expires in (0, -5, 7 * 24 * 3600 + 1):
        with pytest.raises(ValueError, match="expires_s"):
            store.presign("objects/a", expires_s=expires)
    for byte_range in ((5, 4), (-1, 3)):
        with pytest.raises(ValueError, match="byte range"):
            store.presign("objects/a", expires_s=60, byte_range=byte_range)
    with pytest.raises(ValueError, match="invalid blob key"):
        store.presign("../etc/passwd", expires_s=60)


def test_server_answers_that_do_not_match_the_range_are_refused(
    moto: tuple[S3BlobStore, Any],
) -> None:
    store, _ = moto
    check = store._check_content_range
    check("k", {"ContentRange": "bytes 10-19/100", "ContentLength": 10}, 10, 19)
    check("k", {"ContentLength": 20}, 0, 19)  # 200 for the whole blob is the same bytes
    with pytest.raises(BlobStoreError, match="ignored the range"):
        check("k", {"ContentLength": 100}, 10, 19)
    with pytest.raises(BlobStoreError, match="wrong range"):
        check("k", {"ContentRange": "bytes 0-19/100"}, 10, 19)
    with pytest.raises(BlobStoreError, match="Content-Range"):
        check("k", {"ContentRange": "items 10-19/100"}, 10, 19)
    with pytest.raises(BlobRangeError):
        check("k", {"ContentRange": "bytes 10-14/15"}, 10, 19)


class BrokenBody:
    """A response body whose connection dies after ``good`` bytes (or ends early, quietly)."""

    def __init__(self, good: bytes, *, fail: bool) -> None:
        self.data = io.BytesIO(good)
        self.fail = fail
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        chunk = self.data.read(size)
        if not chunk and self.fail:
            raise botocore.exceptions.ReadTimeoutError(endpoint_url="http://s3.example")
        return chunk

    def close(self) -> None:
        self.closed = True


def test_broken_responses_become_blob_store_errors(
    moto: tuple[S3BlobStore, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = moto
    bodies: list[BrokenBody] = []

    def get_object(**params: Any) -> dict[str, Any]:
        bodies.append(BrokenBody(b"x" * 10, fail=len(bodies) % 2 == 0))
        return {"Body": bodies[-1], "ContentRange": "bytes 0-99/100", "ContentLength": 100}

    monkeypatch.setattr(store._s3, "get_object", get_object)
    with pytest.raises(BlobStoreError, match=r"ranged GET of 'objects/a'.*ReadTimeoutError") as e:
        store.read_range("objects/a", 0, 100).read_all()
    assert e.value.__context__ is None and bodies[-1].closed
    with pytest.raises(BlobStoreError, match="response ended early"):
        store.read_range("objects/a", 0, 100).read_all()
    assert bodies[-1].closed
    with store.open("objects/a") as handle, pytest.raises(BlobStoreError, match="GET of") as e:
        handle.read()
    assert e.value.__context__ is None
    assert bodies[-1].closed


# --- credentials from the AWS chain (CLEARANCE_S3_CREDENTIALS=role) ------------------------------

_CHAIN_VARIABLES = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
)  # fmt: skip


def _only_this_chain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **found: str) -> None:
    """boto3's credential chain sees ``found`` and nothing else of this machine (no files, no
    instance metadata)."""
    for name in _CHAIN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name, value in found.items():
        monkeypatch.setenv(name, value)


def test_without_a_key_the_chain_signs_against_a_real_server(
    s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _only_this_chain(monkeypatch, tmp_path, AWS_ACCESS_KEY_ID=s3_env["ACCESS_KEY"],
                     AWS_SECRET_ACCESS_KEY=s3_env["SECRET_KEY"])  # fmt: skip
    store = make_store(s3_env, f"test-chain/{secrets.token_hex(6)}", access_key=None,
                       secret_key=None)  # fmt: skip
    store.put_bytes("a/blob", b"signed by the chain")
    assert b"".join(store.read_range("a/blob", 7, 2)) == b"by"
    url = store.presign("a/blob", expires_s=60)
    assert httpx.get(url).content == b"signed by the chain"
    assert s3_env["SECRET_KEY"] not in url + repr(store)
    store.delete("a/blob")
    _only_this_chain(monkeypatch, tmp_path, AWS_ACCESS_KEY_ID=s3_env["ACCESS_KEY"],
                     AWS_SECRET_ACCESS_KEY="not-the-secret-0123456789")  # fmt: skip
    wrong = make_store(s3_env, store.prefix, access_key=None, secret_key=None, max_attempts=1)
    with pytest.raises(BlobStoreError, match="SignatureDoesNotMatch"):
        wrong.put_bytes("a/other", b"x")


def test_the_task_roles_credentials_come_from_the_container_endpoint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The ECS path (unit test: SeaweedFS refuses session tokens it did not issue, so the real
    server test above goes through the environment provider of the same chain)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from tests.helpers.server import serve

    asked: list[str | None] = []

    async def credentials(request: Request) -> JSONResponse:
        asked.append(request.headers.get("authorization"))
        answer = {"AccessKeyId": "ASIATASKROLEEXAMPLE", "SecretAccessKey": SECRET,
                  "Token": "task-session-token", "Expiration": "2099-01-01T00:00:00Z"}  # fmt: skip
        return JSONResponse(answer)

    with serve(Starlette(routes=[Route("/v2/credentials", credentials)])) as url:
        _only_this_chain(monkeypatch, tmp_path,
                         AWS_CONTAINER_CREDENTIALS_FULL_URI=f"{url}/v2/credentials")  # fmt: skip
        store = S3BlobStore("b-1", endpoint_url=None, region="eu-west-1", access_key=None,
                            secret_key=None)  # fmt: skip
        signed = dict(parse_qsl(urlsplit(store.presign("k", expires_s=60)).query))
    assert asked  # fetched from the endpoint ECS gives the task
    assert signed["X-Amz-Security-Token"] == "task-session-token"
    assert signed["X-Amz-Credential"].startswith("ASIATASKROLEEXAMPLE/")
    assert SECRET not in str(signed)


def test_no_credentials_at_all_and_half_a_key_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _only_this_chain(monkeypatch, tmp_path)
    with pytest.raises(ValueError, match="no S3 credentials"):
        S3BlobStore("b-1", endpoint_url=None, region="us-east-1", access_key=None,
                    secret_key=None)  # fmt: skip
    for access_key, secret_key in (("a", None), (None, SECRET)):
        with pytest.raises(ValueError, match="both access_key and secret_key, or neither"):
            S3BlobStore("b-1", endpoint_url=None, region="us-east-1", access_key=access_key,
                        secret_key=secret_key)  # fmt: skip
