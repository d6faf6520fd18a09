"""The transfer service on SQLite and PostgreSQL: what a grant covers, headers re-encrypted to the
grant's key only, body ranges, holding isolation, revocation, republish, the audit trail."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from access import (
    AuditEntryRow,
    EntryFields,
    Grant,
    GrantDenied,
    GrantError,
    InvalidInput,
    enclave_audience,
    item_set_hash,
    sign_grant,
    transfer_audience,
    verify_grant,
)
from transfer.crypt4gh import (
    NoMatchingKeyError,
    decrypt_body,
    parse_header,
    public_key_bytes,
)
from transfer.crypt4gh.envelope import parse_packets
from transfer.errors import (
    InvalidObjectList,
    InvalidRange,
    ObjectNotFound,
    RangeNotSatisfiable,
    StaleGrant,
)
from transfer.manifest import verify_manifest
from transfer.objects import body_key
from transfer.routes import body_head
from transfer.service import MAX_HEADERS, TransferService

from .world import World, build_world, transfer_node


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_url_factory: Any
) -> Iterator[World]:
    root = tmp_path_factory.mktemp(f"service-{request.param}")
    with transfer_node(request.param, "local", root / "data", pg_url_factory) as node:
        yield build_world(node, root)


def _grant(world: World, token: str) -> Grant:
    node = world.node
    return verify_grant(
        token,
        keys=node.directory.trusted_keys(),
        audience=transfer_audience("NLD"),
        now=node.clock.now(),
        is_revoked=lambda _: False,
    )


def _service(world: World) -> TransferService:
    return world.node.transfer


def _audit(world: World, action: str) -> list[AuditEntryRow]:
    with world.node.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntryRow)
                .where(AuditEntryRow.action == action)
                .order_by(AuditEntryRow.seq)
            )
        )


def test_manifest_covers_exactly_the_granted_items(world: World) -> None:
    scans = sorted(p.name for p in (world.sources / "NLD-X" / "scans").iterdir())
    token = world.request_grant("NLD-X", item_filter=f"id = '{scans[1]}'")
    grant = _service(world).authorize(token, "NLD-X")
    assert grant.items_sha256 == item_set_hash([scans[1]])
    answer = _service(world).manifest(grant)
    manifest = verify_manifest(
        answer["manifest"],
        keys=world.node.directory.trusted_keys(),
        expected_owner="NLD",
        expected_holding="NLD-X",
        expected_version=grant.holding_version,
        expected_sha256=grant.manifest_sha256,
    )
    assert grant.manifest_sha256 == answer["manifest_sha256"] == manifest.sha256()
    covered = [manifest.object(i) for i in answer["objects"]]
    assert {o.item for o in covered} == {scans[1]}
    assert len(manifest.objects) > len(covered) >= 3  # high, low, annotations at least
    assert [d["id"] for d in answer["items"]] == [scans[1]]
    assert answer["collection"]["id"] == "NLD-X"
    for entry in manifest.objects:  # the manifest names the node's storage key as writer
        assert entry.writer_public_key == world.node.storage.public_key
    not_covered = next(o for o in manifest.objects if o.item != scans[1])
    with pytest.raises(ObjectNotFound):
        _service(world).header(grant, not_covered.id)


def test_header_is_reencrypted_to_the_grants_key_only(world: World) -> None:
    token = world.request_grant("NLD-X")
    grant = _service(world).authorize(token, "NLD-X")
    entry = _service(world).granted(grant).objects[0]
    header = _service(world).header(grant, entry.id)
    assert len(parse_packets(header)) == 1  # trimmed: nothing for the node's own key
    content = parse_header(header, world.key, sender_pk=world.node.storage.public_key)
    assert len(content.data_keys) == 1 and content.edit_list is None
    with pytest.raises(NoMatchingKeyError):
        parse_header(header, world.node.storage.private_key())
    body = world.node.blobs.open(body_key(entry.id)).read()
    plain = io.BytesIO()
    decrypt_body(io.BytesIO(body), plain, content.data_keys)
    assert hashlib.sha256(plain.getvalue()).hexdigest() == entry.plaintext_sha256
    assert public_key_bytes(world.key) == grant.recipient_key


def test_headers_of_many_objects_in_one_call(world: World) -> None:
    token = world.request_grant("NLD-X")
    grant = _service(world).authorize(token, "NLD-X")
    granted = _service(world).granted(grant)
    ids = [o.id for o in granted.objects]
    before = len(_audit(world, "transfer.headers"))
    headers = _service(world).headers(grant, ids)
    assert list(headers) == ids
    for object_id, header in headers.items():
        assert len(parse_packets(header)) == 1
        single = _service(world).header(grant, object_id)
        storage = world.node.storage.public_key
        assert parse_header(header, world.key, sender_pk=storage) == parse_header(
            single, world.key, sender_pk=storage
        )
    audited = _audit(world, "transfer.headers")[before:]
    assert len(audited) == 1
    assert audited[0].details["objects"] == ids and audited[0].details["count"] == len(ids)
    assert audited[0].details["jti"] == grant.jti
    y = world.node.manifests.get("NLD-Y", 1)
    assert y is not None
    for bad in ([], [ids[0], ids[0]], ["x"] * 61, [ids[0], ""]):
        with pytest.raises(InvalidObjectList):
            _service(world).headers(grant, bad)
    with pytest.raises(ObjectNotFound):
        _service(world).headers(grant, [ids[0], y.manifest.objects[0].id])
    assert len(_audit(world, "transfer.headers")) == before + 1


def test_body_whole_and_ranges(world: World) -> None:
    token = world.request_grant("NLD-X")
    grant = _service(world).authorize(token, "NLD-X")
    entry = max(_service(world).granted(grant).objects, key=lambda o: o.body_size)
    stored = world.node.blobs.open(body_key(entry.id)).read()
    size = entry.body_size

    def fetch(header: str | None) -> tuple[int, dict[str, str], bytes]:
        answer = _service(world).body(grant, entry.id, header)
        assert answer.chunks is not None
        status, headers = body_head(answer)
        return status, headers, answer.chunks.read_all()

    status, headers, data = fetch(None)
    assert (status, data, headers["Content-Length"]) == (200, stored, str(size))
    status, headers, data = fetch("bytes=100-199")
    assert (status, data, headers["Content-Range"]) == (
        206,
        stored[100:200],
        f"bytes 100-199/{size}",
    )
    status, headers, data = fetch(f"bytes={size - 10}-")
    assert (status, data) == (206, stored[-10:])
    status, headers, data = fetch("bytes=-7")
    assert (status, data, headers["Content-Range"]) == (
        206,
        stored[-7:],
        f"bytes {size - 7}-{size - 1}/{size}",
    )
    status, headers, data = fetch(f"bytes=5-{size * 2}")  # last past the end is clipped
    assert (status, data) == (206, stored[5:])
    for bad in ("bytes=0-1,5-6", "items=0-1", "bytes=9-3", "bytes=x-", "bytes=-", "bytes=1-2-3"):
        with pytest.raises(InvalidRange):
            _service(world).body(grant, entry.id, bad)
    for unsatisfiable in (f"bytes={size}-", f"bytes={size + 5}-{size + 9}", "bytes=-0"):
        with pytest.raises(RangeNotSatisfiable) as caught:
            _service(world).body(grant, entry.id, unsatisfiable)
        assert caught.value.size == size


def test_a_grant_for_one_holding_gets_the_same_403_for_any_other(world: World) -> None:
    token = world.request_grant("NLD-X")
    errors = []
    for other in ("NLD-Y", "GBR-Z", "NO-SUCH-HOLDING"):
        with pytest.raises(GrantDenied) as caught:
            _service(world).authorize(token, other)
        errors.append((caught.value.code, str(caught.value)))
    assert errors == [("grant-wrong-holding", "grant does not cover this holding")] * 3
    grant = _service(world).authorize(token, "NLD-X")
    y_objects = world.node.manifests.get("NLD-Y", 1)
    assert y_objects is not None
    for object_id in (y_objects.manifest.objects[0].id, "no-such-object"):  # asked via NLD-X
        with pytest.raises(ObjectNotFound) as missing:
            _service(world).header(grant, object_id)
        assert str(missing.value) == "no such object under this grant"
        with pytest.raises(ObjectNotFound):
            _service(world).body(grant, object_id, None)


def test_revocation_takes_effect_on_the_next_request_and_is_audited(world: World) -> None:
    token = world.request_grant("NLD-X")
    grant = _service(world).authorize(token, "NLD-X")
    entry = _service(world).granted(grant).objects[0]
    _service(world).header(grant, entry.id)
    world.node.grants.revoke(world.stewards["NLD"], grant.jti, "project ended")
    with pytest.raises(GrantDenied) as caught:
        _service(world).authorize(token, "NLD-X")
    assert caught.value.code == "grant-revoked"
    denied = _audit(world, "transfer.denied")[-1]
    assert denied.decision == "deny" and denied.reason == "grant-revoked"
    assert denied.details["jti"] == grant.jti and denied.actor == "res" and denied.admin == "GBR"


def test_every_served_object_is_audited_with_the_grant(world: World) -> None:
    token = world.request_grant("NLD-X")
    grant = _service(world).authorize(token, "NLD-X")
    entry = _service(world).granted(grant).objects[0]
    _service(world).manifest(grant)
    _service(world).header(grant, entry.id)
    answer = _service(world).body(grant, entry.id, "bytes=0-99")
    assert answer.chunks is not None
    answer.chunks.close()
    for action in ("transfer.manifest", "transfer.header", "transfer.body"):
        last = _audit(world, action)[-1]
        assert last.details["jti"] == grant.jti, action
        assert last.details["manifest_sha256"] == grant.manifest_sha256
        assert last.resource == "holding:NLD-X" and last.actor == "res"
    body = _audit(world, "transfer.body")[-1].details
    assert (body["object"], body["first"], body["last"]) == (entry.id, 0, 99)
    assert body["bytes"] == 100  # how much, with who (actor, jti), what and when (entry time)
    assert world.node.audit.verify().ok


def test_grants_that_are_not_transfer_grants_or_expired_are_401(world: World) -> None:
    token = world.request_grant("NLD-X")
    grant = _service(world).authorize(token, "NLD-X")
    key = world.node.directory.signing_key("NLD")
    enclave = dataclasses.replace(grant, audience=enclave_audience("NLD"))
    denials = len(_audit(world, "transfer.denied"))
    with pytest.raises(GrantError) as caught:
        _service(world).authorize(sign_grant(enclave, key), "NLD-X")
    assert caught.value.code == "grant-wrong-audience"
    assert len(_audit(world, "transfer.denied")) == denials  # not a transfer grant: not logged
    past = grant.issued_at - timedelta(days=40)
    expired = dataclasses.replace(
        grant, issued_at=past, not_before=past, expires_at=past + timedelta(days=1)
    )
    with pytest.raises(GrantError) as caught:
        _service(world).authorize(sign_grant(expired, key), "NLD-X")
    assert caught.value.code == "grant-expired"
    denied = _audit(world, "transfer.denied")[-1]  # a genuine grant out of its lifetime
    assert (denied.reason, denied.actor, denied.details["jti"]) == (
        "grant-expired",
        "res",
        grant.jti,
    )
    gbr = dataclasses.replace(grant, issuer_admin="GBR", audience=transfer_audience("GBR"))
    with pytest.raises(GrantError) as caught:  # signed by NLD, claiming to be GBR's
        _service(world).authorize(sign_grant(gbr, key), "NLD-X")
    assert caught.value.code == "grant-wrong-issuer"


def test_a_republish_ends_downloads_under_older_grants(world: World, tmp_path: Path) -> None:
    token = world.request_grant("NLD-Y")
    grant = _service(world).authorize(token, "NLD-Y")
    _service(world).manifest(grant)
    world.publish("NLD-Y")  # same files: version 2, objects re-used, nothing re-encrypted
    with pytest.raises(StaleGrant) as caught:
        _service(world).manifest(grant)
    assert caught.value.code == "holding-version-changed"
    fresh = _service(world).authorize(world.request_grant("NLD-Y"), "NLD-Y")
    assert fresh.holding_version == grant.holding_version + 1
    old = world.node.manifests.get("NLD-Y", grant.holding_version)
    new = world.node.manifests.get("NLD-Y", fresh.holding_version)
    assert old is not None and new is not None
    assert [o.id for o in old.manifest.objects] == [o.id for o in new.manifest.objects]
    assert fresh.manifest_sha256 == new.sha256 != old.sha256
    assert _service(world).manifest(fresh)["version"] == fresh.holding_version


def test_a_full_batch_of_the_longest_ids_fits_one_audit_entry() -> None:
    # The batch header route audits all its ids in one entry; MAX_HEADERS is sized for that.
    longest = [f"{n:03d}" + "a" * 252 for n in range(MAX_HEADERS)]  # 255 characters each
    fields = EntryFields.create(
        at=datetime(2026, 1, 1, tzinfo=UTC),
        actor="r" * 64,
        admin="GBR",
        action="transfer.headers",
        resource="holding:" + "h" * 128,
        decision="allow",
        reason="",
        details={
            "jti": "j" * 64,
            "version": 2**31,
            "manifest_sha256": "0" * 64,
            "objects": longest,
            "count": MAX_HEADERS,
        },
    )
    assert fields.details["objects"] == longest
    with pytest.raises(InvalidInput):  # and the limit is real: one more id would not fit
        EntryFields.create(
            at=datetime(2026, 1, 1, tzinfo=UTC), actor="r", admin="GBR", action="a",
            resource="r", decision="allow", reason="",
            details={"objects": longest * 2},
        )  # fmt: skip


def test_the_item_set_is_checked_on_every_request_even_for_a_cached_grant(world: World) -> None:
    scans = sorted(p.name for p in (world.sources / "NLD-X" / "scans").iterdir())
    token = world.request_grant("NLD-X", item_filter=f"id = '{scans[0]}'")
    grant = _service(world).authorize(token, "NLD-X")
    _service(world).manifest(grant)  # the jti's approved item set is now cached
    key = world.node.directory.signing_key("NLD")
    wider = dataclasses.replace(grant, items_sha256=item_set_hash(scans))  # same jti, more items
    forged = _service(world).authorize(sign_grant(wider, key), "NLD-X")
    for ask in (
        lambda: _service(world).manifest(forged),
        lambda: _service(world).granted(forged),
        lambda: _service(world).body(forged, "anything", None),
    ):
        with pytest.raises(GrantDenied) as caught:
            ask()
        assert caught.value.code == "grant-items"
    assert _service(world).granted(grant).items == {scans[0]}  # the genuine one still works


class _CountingVerify:
    """``verify_grant`` as the service calls it, counting the full verifications."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Grant:
        self.calls += 1
        return verify_grant(*args, **kwargs)


def test_a_cached_grant_is_refused_on_its_very_next_request_once_revoked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: a grant's signature is checked once per token bytes for a short while, but its
    revocation is looked up on every request: the request right after the revocation is refused,
    from the cache (no full verification), and audited as a denial."""
    counting = _CountingVerify()
    monkeypatch.setattr("transfer.service.verify_grant", counting)
    token = world.request_grant("NLD-X")
    grant = _service(world).authorize(token, "NLD-X")
    entry = _service(world).granted(grant).objects[0]
    assert _service(world).authorize(token, "NLD-X") == grant  # from the cache
    _service(world).header(grant, entry.id)
    assert counting.calls == 1
    world.node.grants.revoke(world.stewards["NLD"], grant.jti, "project ended")
    with pytest.raises(GrantDenied) as caught:
        _service(world).authorize(token, "NLD-X")
    assert caught.value.code == "grant-revoked"
    assert counting.calls == 1  # refused although cached: revocation is never cached
    denied = _audit(world, "transfer.denied")[-1]
    assert denied.decision == "deny" and denied.reason == "grant-revoked"
    assert denied.details["jti"] == grant.jti and denied.actor == "res" and denied.admin == "GBR"


def test_the_grant_cache_holds_exact_bytes_for_a_short_time_only(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = _CountingVerify()
    monkeypatch.setattr("transfer.service.verify_grant", counting)
    service = _service(world)
    token = world.request_grant("NLD-X")
    grant = service.authorize(token, "NLD-X")
    assert counting.calls == 1
    # Other bytes are verified afresh, whatever they claim: a forged signature is refused.
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    with pytest.raises(GrantError) as caught:
        service.authorize(forged, "NLD-X")
    assert caught.value.code == "grant-bad-signature" and counting.calls == 2
    # The holding is checked on every request, cached or not (and the denial audited).
    with pytest.raises(GrantDenied) as denied:
        service.authorize(token, "NLD-Y")
    assert denied.value.code == "grant-wrong-holding" and counting.calls == 2
    assert _audit(world, "transfer.denied")[-1].reason == "grant-wrong-holding"
    # Past the cache time the grant is verified again in full.
    monkeypatch.setattr(service, "_grant_cache", timedelta(0))
    assert service.authorize(token, "NLD-X") == grant and counting.calls == 3
