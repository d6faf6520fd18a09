"""The transfer routes over HTTP: the grant as bearer credential, Range edge cases (206 / 416 /
400), the batch header route (its validation and audit), holding isolation, the whole-file route
read by the reference crypt4gh, presigned ranged URLs checked by the real S3 server, and the error
table (401, 403, 404, 409, 416)."""

from __future__ import annotations

import ast
import base64
import hashlib
import io
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from crypt4gh import lib as ref_lib
from fastapi.testclient import TestClient
from sqlalchemy import select

from access import AuditEntryRow, UNSAFE_decode_without_verification
from clearance.http.app import create_app
from tests.transfer.world import World, build_world, transfer_node
from transfer.crypt4gh import parse_header
from transfer.crypt4gh.envelope import parse_packets
from transfer.manifest import ManifestObject
from transfer.objects import body_key
from transfer.routes import body_head
from transfer.service import ByteRange, FullBody, PartialBody, PresignedBody
from transfer.throttle import GrantThrottle

LOCAL, S3 = ("sqlite", "local"), ("postgresql", "s3")


@dataclass
class Served:
    world: World
    client: TestClient
    token: str  # a grant for NLD-X


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, pg_url_factory: Any
) -> Iterator[Callable[[tuple[str, str]], Served]]:
    """One node per configuration, built when first asked for, shared by the module."""
    made: dict[tuple[str, str], Served] = {}
    with ExitStack() as stack:

        def make(config: tuple[str, str]) -> Served:
            if config not in made:
                backend, store = config
                root = tmp_path_factory.mktemp(f"api-{backend}-{store}")
                node = stack.enter_context(
                    transfer_node(backend, store, root / "data", pg_url_factory)
                )
                world = build_world(node, root)
                client = stack.enter_context(TestClient(create_app(node)))
                made[config] = Served(world, client, world.request_grant("NLD-X"))
            return made[config]

        yield make


@pytest.fixture(params=[LOCAL, S3], ids=["sqlite-local", "postgresql-s3"])
def any_store(
    request: pytest.FixtureRequest, served: Callable[[tuple[str, str]], Served]
) -> Served:
    return served(request.param)


@pytest.fixture
def local_store(served: Callable[[tuple[str, str]], Served]) -> Served:
    return served(LOCAL)


@pytest.fixture
def s3_store(served: Callable[[tuple[str, str]], Served]) -> Served:
    return served(S3)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _objects(world: World, holding: str = "NLD-X") -> list[ManifestObject]:
    stored = world.node.manifests.get(holding, 1)
    assert stored is not None
    return list(stored.manifest.objects)


def _biggest(world: World) -> ManifestObject:
    return max(_objects(world), key=lambda o: o.body_size)


def test_no_grant_or_a_bad_one_is_401(any_store: Served) -> None:
    world, client = any_store.world, any_store.client
    entry = _objects(world)[0]
    for path in ("manifest", f"objects/{entry.id}/header", f"objects/{entry.id}/body"):
        url = f"/transfer/holdings/NLD-X/{path}"
        missing = client.get(url)
        assert missing.status_code == 401 and missing.json()["code"] == "token-missing"
        assert missing.headers["www-authenticate"] == "Bearer"
        garbage = client.get(url, headers=_auth("not.a.grant"))
        assert garbage.status_code == 401 and garbage.json()["code"] == "grant-malformed"


def test_manifest_and_header_routes(any_store: Served) -> None:
    world, client, token = any_store.world, any_store.client, any_store.token
    answer = client.get("/transfer/holdings/NLD-X/manifest", headers=_auth(token))
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["holding"] == "NLD-X" and data["version"] == 1 and data["owner"] == "NLD"
    assert set(data["objects"]) == {o.id for o in _objects(world)}
    assert len(data["items"]) == 4 and data["manifest"].count(".") == 2
    entry = _objects(world)[0]
    header = client.get(f"/transfer/holdings/NLD-X/objects/{entry.id}/header", headers=_auth(token))
    assert header.status_code == 200
    assert header.headers["content-type"] == "application/octet-stream"
    assert header.headers["cache-control"] == "no-store"
    parse_header(header.content, world.key, sender_pk=world.node.storage.public_key)


def _headers_audit(world: World, token: str) -> list[AuditEntryRow]:
    jti = UNSAFE_decode_without_verification(token)["claims"]["jti"]
    with world.node.sessions() as session:
        rows = session.scalars(
            select(AuditEntryRow)
            .where(AuditEntryRow.action == "transfer.headers")
            .order_by(AuditEntryRow.seq)
        ).all()
        return [r for r in rows if r.details.get("jti") == jti]


def test_batch_header_route(any_store: Served) -> None:
    world, client, token = any_store.world, any_store.client, any_store.token
    ids = [o.id for o in _objects(world)]
    before = len(_headers_audit(world, token))
    answer = client.post(
        "/transfer/holdings/NLD-X/headers", headers=_auth(token), json={"objects": ids}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    found = {i: base64.b64decode(h, validate=True) for i, h in answer.json()["headers"].items()}
    assert sorted(found) == sorted(ids)
    storage = world.node.storage.public_key
    for object_id, header in found.items():  # what the single route serves: one packet, our key
        assert len(parse_packets(header)) == 1
        batched = parse_header(header, world.key, sender_pk=storage)
        single = client.get(
            f"/transfer/holdings/NLD-X/objects/{object_id}/header", headers=_auth(token)
        )
        assert single.status_code == 200
        assert parse_header(single.content, world.key, sender_pk=storage) == batched
    audited = _headers_audit(world, token)[before:]
    assert len(audited) == 1
    entry = audited[0]
    assert entry.details["objects"] == ids and entry.details["count"] == len(ids)
    assert entry.resource == "holding:NLD-X" and entry.actor == "res"
    assert world.node.audit.verify().ok


def test_batch_header_route_validates_its_body(local_store: Served) -> None:
    world, client, token = local_store.world, local_store.client, local_store.token
    url = "/transfer/holdings/NLD-X/headers"
    first = _objects(world)[0].id
    before = len(_headers_audit(world, token))
    cases: list[tuple[bytes, str]] = [
        (b"not json", "must be JSON"),
        (b"", "must be JSON"),
        (b"[]", "JSON object"),
        (b'{"ids": []}', "JSON object"),
        (b'{"objects": "abc"}', "must be a list"),
        (b'{"objects": {"a": 1}}', "must be a list"),
        (b'{"objects": []}', "is empty"),
        (b'{"objects": [1]}', "non-empty string"),
        (b'{"objects": [""]}', "non-empty string"),
        (b'{"objects": [null]}', "non-empty string"),
        (f'{{"objects": ["{first}", "{first}"]}}'.encode(), "more than once"),
        (
            ('{"objects": [' + ",".join(f'"o{i}"' for i in range(61)) + "]}").encode(),
            "61 objects, at most 60",
        ),
    ]
    for body, says in cases:
        response = client.post(
            url, headers=_auth(token) | {"Content-Type": "application/json"}, content=body
        )
        assert response.status_code == 400, body[:60]
        assert response.json()["code"] == "invalid-object-list", body[:60]
        assert says in response.json()["description"], (body[:60], response.text)
    too_large = client.post(url, headers=_auth(token), content=b'{"objects": ["' + b"x" * 600_000)
    assert too_large.status_code == 413  # over the route's cap: refused before it is read
    assert too_large.json()["code"] == "body-too-large"
    ok = client.post(url, headers=_auth(token), json={"objects": [f"o{i}" for i in range(60)]})
    assert ok.status_code == 404  # 60 is allowed (and these ids are not covered)
    anonymous = client.post(url, content=b"not json")  # the grant is checked before the body
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "token-missing"
    assert len(_headers_audit(world, token)) == before


def test_batch_header_route_serves_only_covered_objects(any_store: Served) -> None:
    world, client, token = any_store.world, any_store.client, any_store.token
    mine = _objects(world)[0].id
    y = _objects(world, "NLD-Y")[0].id
    z = _objects(world, "GBR-Z")[0].id
    before = len(_headers_audit(world, token))
    answers = set()
    for stranger in (y, z, "no-such-object"):  # alone, or after one the grant covers
        for ids in ([stranger], [mine, stranger]):
            response = client.post(
                "/transfer/holdings/NLD-X/headers", headers=_auth(token), json={"objects": ids}
            )
            answers.add((response.status_code, response.text))
    single = client.get(f"/transfer/holdings/NLD-X/objects/{y}/header", headers=_auth(token))
    assert answers == {(single.status_code, single.text)}
    assert answers == {
        (404, '{"code":"not-found","description":"no such object under this grant"}')
    }
    other = client.post(
        "/transfer/holdings/NLD-Y/headers", headers=_auth(token), json={"objects": [y]}
    )
    assert other.status_code == 403 and other.json()["code"] == "grant-wrong-holding"
    assert len(_headers_audit(world, token)) == before  # nothing served, nothing audited


def test_range_edge_cases(local_store: Served) -> None:
    world, client, token = local_store.world, local_store.client, local_store.token
    entry = _biggest(world)
    size = entry.body_size
    stored = world.node.blobs.open(body_key(entry.id)).read()
    url = f"/transfer/holdings/NLD-X/objects/{entry.id}/body"

    def get(value: str | None) -> httpx.Response:
        headers = _auth(token) | ({"Range": value} if value is not None else {})
        return client.get(url, headers=headers)

    whole = get(None)
    assert whole.status_code == 200 and whole.content == stored
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-length"] == str(size)
    cases = {
        "bytes=0-0": (0, 0),
        "bytes=65564-131127": (65564, 131127),
        f"bytes={size - 1}-": (size - 1, size - 1),
        "bytes=-28": (size - 28, size - 1),
        f"bytes=-{size * 3}": (0, size - 1),
        f"bytes=10-{size + 1000}": (10, size - 1),
        " bytes = 3-4 ": (3, 4),
    }
    for value, (first, last) in cases.items():
        response = get(value)
        assert response.status_code == 206, value
        assert response.headers["content-range"] == f"bytes {first}-{last}/{size}", value
        assert response.headers["content-length"] == str(last - first + 1), value
        assert response.content == stored[first : last + 1], value
    for value in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0"):
        response = get(value)
        assert response.status_code == 416, value
        assert response.headers["content-range"] == f"bytes */{size}", value
        assert response.json()["code"] == "range-not-satisfiable"
    for value, code in (
        ("bytes=0-1,4-5", "range-multiple"),
        ("bytes=0-1, 100-", "range-multiple"),
        ("bytes=5-1", "range-malformed"),
        ("bytes=abc", "range-malformed"),
        ("lines=0-1", "range-malformed"),
        ("bytes=", "range-malformed"),
        ("bytes=-", "range-malformed"),
        ("bytes=" + "9" * 30 + "-", "range-malformed"),
    ):
        response = get(value)
        assert response.status_code == 400, value
        assert response.json()["code"] == code, value


def test_a_grant_for_x_gets_the_same_answer_for_anything_of_y(any_store: Served) -> None:
    world, client, token = any_store.world, any_store.client, any_store.token
    y = _objects(world, "NLD-Y")[0].id
    z = _objects(world, "GBR-Z")[0].id
    answers = set()
    for holding, object_id in (("NLD-Y", y), ("GBR-Z", z), ("NONE-Q", "no-such-object")):
        for path in ("manifest", f"objects/{object_id}/header", f"objects/{object_id}/body",
                     f"objects/{object_id}"):  # fmt: skip
            response = client.get(f"/transfer/holdings/{holding}/{path}", headers=_auth(token))
            answers.add((response.status_code, response.text))
    assert answers == {
        (403, '{"code":"grant-wrong-holding","description":"grant does not cover this holding"}')
    }
    same = set()
    for object_id in (y, z, "no-such-object"):  # asked under X, which the grant covers
        for part in ("/header", "/body", ""):
            url = f"/transfer/holdings/NLD-X/objects/{object_id}{part}"
            response = client.get(url, headers=_auth(token))
            same.add((response.status_code, response.text))
    assert same == {(404, '{"code":"not-found","description":"no such object under this grant"}')}


def test_whole_file_route_is_read_by_the_reference_crypt4gh(any_store: Served) -> None:
    world, client, token = any_store.world, any_store.client, any_store.token
    entry = _biggest(world)
    response = client.get(f"/transfer/holdings/NLD-X/objects/{entry.id}", headers=_auth(token))
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    plain = io.BytesIO()
    ref_lib.decrypt(
        [(0, world.key.private_bytes_raw(), None)],
        io.BytesIO(response.content),
        plain,
        sender_pubkey=world.node.storage.public_key,
    )
    assert hashlib.sha256(plain.getvalue()).hexdigest() == entry.plaintext_sha256


def test_presigned_ranged_urls_from_the_s3_store(s3_store: Served) -> None:
    world, client, token = s3_store.world, s3_store.client, s3_store.token
    entry = _biggest(world)
    url = f"/transfer/holdings/NLD-X/objects/{entry.id}/body"
    stored = world.node.blobs.read_range(body_key(entry.id), 0, entry.body_size).read_all()
    answer = client.get(
        url, headers=_auth(token) | {"Range": "bytes=100-65663"}, follow_redirects=False
    )
    assert answer.status_code == 302
    presigned = answer.headers["location"]
    assert answer.json() == {"url": presigned, "range": "bytes=100-65663"}
    assert "Signature=" in presigned and token not in presigned
    ranged = httpx.get(presigned, headers={"Range": "bytes=100-65663"})
    assert ranged.status_code == 206 and ranged.content == stored[100:65664]
    other = httpx.get(presigned, headers={"Range": "bytes=0-65663"})
    assert other.status_code == 403  # the range is part of the signature
    whole = client.get(url, headers=_auth(token), follow_redirects=False)
    assert whole.status_code == 302 and whole.json()["range"] is None
    assert httpx.get(whole.headers["location"]).content == stored
    beyond = client.get(url, headers=_auth(token) | {"Range": f"bytes={entry.body_size}-"})
    assert beyond.status_code == 416


def test_a_body_missing_from_the_store_is_404_and_a_republish_409(any_store: Served) -> None:
    world, client = any_store.world, any_store.client
    token = world.request_grant("NLD-Y")
    entry = _objects(world, "NLD-Y")[0]
    world.node.blobs.delete(body_key(entry.id))
    url = f"/transfer/holdings/NLD-Y/objects/{entry.id}"
    response = client.get(url, headers=_auth(token))
    assert response.status_code == 404
    assert response.json() == {
        "code": "not-found",
        "description": "object not found in the blob store",
    }
    world.publish("NLD-Y")  # the missing object is encrypted afresh: version 2
    stale = client.get("/transfer/holdings/NLD-Y/manifest", headers=_auth(token))
    assert stale.status_code == 409 and stale.json()["code"] == "holding-version-changed"
    fresh = world.request_grant("NLD-Y")
    answer = client.get("/transfer/holdings/NLD-Y/manifest", headers=_auth(fresh)).json()
    assert entry.id not in answer["objects"] and answer["version"] == 2


# --- issue 8: what one grant holder can make the node write is bounded ------------------------


def _entries(world: World, jti: str) -> list[str]:
    with world.node.sessions() as session:
        rows = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)).all()
        return [r.action for r in rows if r.details.get("jti") == jti]


def test_one_grant_is_bounded_with_429_and_retry_after(
    any_store: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, client = any_store.world, any_store.client
    monkeypatch.setattr(world.node.transfer, "_throttle", GrantThrottle("5/minute"))
    token, other = world.request_grant("NLD-X"), world.request_grant("NLD-X")
    jti = str(UNSAFE_decode_without_verification(token)["claims"]["jti"])
    entry = _objects(world)[0]
    url = f"/transfer/holdings/NLD-X/objects/{entry.id}/body"
    one_byte = {**_auth(token), "Range": "bytes=0-0"}
    answers = [client.get(url, headers=one_byte, follow_redirects=False) for _ in range(12)]
    assert [a.status_code in (206, 302) for a in answers] == [True] * 5 + [False] * 7
    for refused in answers[5:]:
        assert refused.status_code == 429
        assert refused.json()["code"] == "too-many-requests"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert _entries(world, jti) == ["transfer.body"] * 5  # refusals write nothing
    for path in ("manifest", f"objects/{entry.id}/header"):  # every route counts
        assert (
            client.get(f"/transfer/holdings/NLD-X/{path}", headers=_auth(token)).status_code == 429
        )
    assert client.get(url, headers={**_auth(other), "Range": "bytes=0-0"},
                      follow_redirects=False).status_code in (206, 302)  # fmt: skip


def test_a_revoked_grant_cannot_flood_the_log_with_denials(
    local_store: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, client = local_store.world, local_store.client
    monkeypatch.setattr(world.node.transfer, "_throttle", GrantThrottle("3/minute"))
    token = world.request_grant("NLD-X")
    jti = str(UNSAFE_decode_without_verification(token)["claims"]["jti"])
    world.node.grants.revoke(world.stewards["NLD"], jti, "project ended")
    answers = [
        client.get("/transfer/holdings/NLD-X/manifest", headers=_auth(token)) for _ in range(8)
    ]
    assert [a.status_code for a in answers] == [403] * 3 + [429] * 5
    assert _entries(world, jti).count("transfer.denied") == 3


def test_body_plans_become_http_in_the_routes_alone() -> None:
    chunks: Any = object()  # never read: the head depends on the plan's shape only
    assert body_head(FullBody(chunks, 50)) == (
        200,
        {"Accept-Ranges": "bytes", "Cache-Control": "no-store", "Content-Length": "50"},
    )
    assert body_head(PartialBody(chunks, ByteRange(10, 19, 50))) == (
        206,
        {
            "Accept-Ranges": "bytes",
            "Cache-Control": "no-store",
            "Content-Length": "10",
            "Content-Range": "bytes 10-19/50",
        },
    )
    for asked in (None, ByteRange(0, 9, 50)):
        assert body_head(PresignedBody("https://s3.test/b?sig", asked)) == (
            302,
            {"Cache-Control": "no-store", "Location": "https://s3.test/b?sig"},
        )
    with pytest.raises(ValueError):
        ByteRange(10, 50, 50)  # past the end: not a range of this body
    source = (Path(__file__).parents[2] / "transfer" / "service.py").read_text()
    imported = {
        name.split(".")[0]
        for node in ast.walk(ast.parse(source))
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else
            [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        )
    }  # fmt: skip
    assert not imported & {"fastapi", "starlette", "http"}, imported
