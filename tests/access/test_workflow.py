"""The access workflow against the holding as it is now, on SQLite and PostgreSQL (issue 8).

- Approval decides again, for the requester, on the holding's current attributes; a republish
  that narrows releasability, handling or level ends the pending requests and revokes the grants
  it no longer allows, audited with the reason; one that does not narrow leaves them alone.
- R3 stewards' conditions combine to the stricter (item filters intersect), visible before the
  grant, and the grant carries exactly the combination.
- A grant's token is its subject's; the owner's stewards and auditors see metadata only; other
  researchers of the owning administration see nothing of it.
- Asking for a hidden holding costs the same SQL statements as asking for a missing one.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from access.errors import Conflict, PermissionDenied
from access.grants import UNSAFE_decode_without_verification, item_set_hash
from access.policy import Principal
from access.request_states import Conditions, Mode, NewRequest, PurposeCode
from access.tables import AuditEntryRow, GrantRow, UserRow
from access.vocabulary import Discovery, Handling, Level, Role
from catalog import HoldingOptions, ItemRow, publish_holding
from catalog.synth import generate_holding
from clearance.http.app import create_app
from clearance.node import Node
from clearance.publishing.folder import publish_folder
from transfer.crypt4gh import generate_private_key, public_key_bytes

HOLDING = "GBR-h"
USERS = {
    "nld-r": ("NLD", Role.RESEARCHER),
    "gbr-r": ("GBR", Role.RESEARCHER),  # a researcher of the owner: not a reviewer of its grants
    "gbr-s1": ("GBR", Role.STEWARD),
    "gbr-s2": ("GBR", Role.STEWARD),
    "gbr-a": ("GBR", Role.AUDITOR),
    "usa-s": ("USA", Role.STEWARD),
}


@dataclass
class World:
    node: Node
    sources: Path
    who: dict[str, Principal]

    def publish(self, level: str = "R1", rel_to: str = "ALL", handling: str = "download") -> None:
        publish_folder(
            self.node, self.sources / HOLDING, admin="GBR", holding_id=HOLDING, title="GBR scans",
            description="", level=level, marking="OFFICIAL", rel_to=rel_to, handling=handling,
            discovery="partners",
        )  # fmt: skip

    def request(self, user: str = "nld-r", mode: Mode = Mode.DOWNLOAD) -> str:
        new = NewRequest(HOLDING, "train a detector", PurposeCode.MODEL_TRAINING, mode, 30)
        view = self.node.requests.create(self.who[user], new)
        assert view.state == "submitted", view
        return view.id

    def approve(self, request_id: str, steward: str = "gbr-s1", **conditions: Any) -> Any:
        given = Conditions.from_json(conditions or None)
        return self.node.requests.approve(self.who[steward], request_id, given, "ok")

    def granted(self, user: str = "nld-r") -> str:
        view = self.approve(self.request(user))
        assert view.state == "granted", view
        return str(view.grant)

    def audit(self, action: str) -> list[AuditEntryRow]:
        with self.node.sessions() as session:
            query = select(AuditEntryRow).where(AuditEntryRow.action == action)
            return list(session.scalars(query.order_by(AuditEntryRow.seq)))


@pytest.fixture
def world(node: Node, tmp_path: Path) -> World:
    for code in ("GBR", "NLD", "USA"):
        node.directory.add_administration(code, f"{code} customs")
    for name, (admin, role) in USERS.items():
        node.directory.add_user(name, admin=admin, roles=[role], clearance=Level.R3)
    who = {name: node.directory.user(name).principal() for name in USERS}
    for name in ("nld-r", "gbr-r"):
        key = base64.b64encode(bytes(public_key_bytes(generate_private_key()))).decode()
        node.recipient_keys.register(who[name], key)
    sources = tmp_path / "sources"
    generate_holding(sources / HOLDING, kind="parcel", count=6, seed=7, admin="GBR")
    world = World(node, sources, who)
    world.publish()
    return world


def _narrowing_republish(world: World) -> None:
    """The issue's republish: R3, metadata-only, releasable to GBR only."""
    world.publish(level="R3", rel_to="GBR", handling="metadata-only")


# --- item 3: the holding as it is now -------------------------------------------------------------


def test_narrowing_republish_ends_pending_requests_and_revokes_grants(world: World) -> None:
    grant = world.granted()
    token = world.node.grants.grant_token(world.who["nld-r"], grant)
    pending = world.request()
    _narrowing_republish(world)

    reason = "holding-restricted: policy:not-releasable"
    view = world.node.requests.get(world.who["nld-r"], pending)
    assert (view.state, view.reason) == ("refused", reason)
    # a steward's approval is refused as a conflict now, changes nothing and issues no grant
    with pytest.raises(Conflict, match="is refused: it can no longer be approved"):
        world.approve(pending)
    again = world.node.requests.get(world.who["nld-r"], pending)
    assert (again.state, again.grant) == ("refused", None)
    assert world.node.grants.is_revoked(grant)
    listed = {g["jti"]: g for g in world.node.grants.grants(world.who["nld-r"])}
    assert listed[grant]["status"] == "revoked"
    # the transfer route refuses the grant as revoked (not merely as stale)
    with TestClient(create_app(world.node)) as client:
        answer = client.get(
            f"/transfer/holdings/{HOLDING}/manifest", headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 403 and answer.json()["code"] == "grant-revoked"
    # audited with the reason, and the publish entry names what it ended
    revoked = [e for e in world.audit("grant.revoke") if e.resource == f"grant:{grant}"]
    assert [e.reason for e in revoked] == [reason]
    refused = [e for e in world.audit("request.refused") if e.resource == f"request:{pending}"]
    assert [e.reason for e in refused] == [reason]
    with world.node.sessions() as session:
        granted_request = session.get(GrantRow, grant).request_id  # type: ignore[union-attr]
    publish = world.audit("holding.publish")[-1]
    assert sorted(publish.details["requests_ended"]) == sorted([pending, granted_request])
    assert world.node.audit.verify().ok


def test_republish_that_does_not_narrow_leaves_requests_and_grants_alone(world: World) -> None:
    grant = world.granted()
    pending = world.request()
    world.publish(level="R2", rel_to="NLD,USA", handling="download")  # still allows nld-r
    assert not world.node.grants.is_revoked(grant)
    assert world.node.requests.get(world.who["nld-r"], pending).state == "submitted"
    assert world.audit("holding.publish")[-1].details["requests_ended"] == []
    assert world.approve(pending).state == "granted"


def test_handling_narrowed_to_enclave_ends_downloads_only(world: World) -> None:
    download = world.granted()
    evaluation = world.approve(world.request(mode=Mode.EVALUATION)).grant
    world.publish(handling="enclave-only")
    assert world.node.grants.is_revoked(download)
    assert not world.node.grants.is_revoked(evaluation)


def test_approval_decides_again_on_the_holding_as_it_is_now(world: World) -> None:
    """Even a publish that did not end the request (here: the reconciliation left out) cannot
    lead to a grant: each approval asks the policy, for the requester, on current attributes."""
    pending = world.request()
    node = world.node

    class NoReconciliation:
        def restrict_to(self, *args: object) -> list[str]:
            return []

    options = HoldingOptions(
        holding_id=HOLDING, admin="GBR", admin_name="GBR customs", title="GBR scans",
        description="x", level=Level.R3, marking="OFFICIAL", releasable_to=frozenset({"GBR"}),
        handling=Handling.METADATA_ONLY, discovery=Discovery.PARTNERS,
    )  # fmt: skip
    publish_holding(
        world.sources / HOLDING, options, sessions=node.sessions, objects=node.objects,
        manifests=node.manifests, signing_key=lambda: node.directory.signing_key("GBR"),
        now=node.clock.now(), audit=node.audit, actor="test", access=NoReconciliation(),
    )  # fmt: skip
    assert node.requests.get(world.who["nld-r"], pending).state == "submitted"
    view = world.approve(pending)
    assert (view.state, view.reason, view.grant) == ("refused", "policy:not-releasable", None)
    refused = [e for e in world.audit("request.refused") if e.resource == f"request:{pending}"]
    assert [(e.actor, e.reason) for e in refused] == [("gbr-s1", "policy:not-releasable")]


def test_approval_decides_for_the_requester_as_the_directory_knows_them_now(world: World) -> None:
    pending = world.request()
    with world.node.sessions.begin() as session:  # the requester's clearance was lowered
        session.execute(update(UserRow).where(UserRow.name == "nld-r").values(clearance=0))
    view = world.approve(pending)
    assert (view.state, view.reason) == ("refused", "policy:clearance-below-level")


def test_second_r3_approval_decides_again(world: World) -> None:
    world.publish(level="R3")
    pending = world.request()
    assert world.approve(pending, "gbr-s1").state == "under-review"
    with world.node.sessions.begin() as session:
        session.execute(update(UserRow).where(UserRow.name == "nld-r").values(clearance=2))
    view = world.approve(pending, "gbr-s2")
    assert (view.state, view.grant) == ("refused", None)


# --- item 4: two stewards' conditions -------------------------------------------------------------


def test_r3_stewards_filters_intersect_and_the_grant_carries_the_combination(world: World) -> None:
    world.publish(level="R3")
    with world.node.sessions() as session:
        ids = sorted(session.scalars(select(ItemRow.id).where(ItemRow.collection_id == HOLDING)))
    first, second = ids[:4], ids[2:]  # overlap: ids[2:4]
    pending = world.request()

    def where(subset: list[str]) -> str:
        return "id IN (" + ", ".join(f"'{i}'" for i in subset) + ")"

    after_one = world.approve(pending, "gbr-s1", item_filter=where(first), max_days=20)
    assert after_one.state == "under-review" and after_one.items == 4
    # the second steward sees what the first imposed
    queued = {v.id: v for v in world.node.requests.queue(world.who["gbr-s2"])}
    shown = queued[pending].conditions
    assert shown is not None and queued[pending].items == 4
    assert [f["filter"] for f in shown["item_filters"]] == [where(first)]

    done = world.approve(pending, "gbr-s2", item_filter=where(second), max_days=10)
    assert done.state == "granted" and done.items == 2
    assert world.node.grants.granted_items(str(done.grant)) == ids[2:4]
    token = world.node.grants.grant_token(world.who["nld-r"], str(done.grant))
    claims = UNSAFE_decode_without_verification(token)["claims"]
    carried = claims["clearance_grant"]
    assert carried["items_sha256"] == item_set_hash(ids[2:4])
    assert claims["exp"] - claims["iat"] == 10 * 86400  # the shorter duration
    assert done.conditions is not None and carried["conditions"] == done.conditions
    filters = [f["filter"] for f in carried["conditions"]["item_filters"]]
    assert filters == [where(first), where(second)]


def test_combined_filters_selecting_nothing_are_refused_before_a_grant(world: World) -> None:
    world.publish(level="R3")
    with world.node.sessions() as session:
        ids = sorted(session.scalars(select(ItemRow.id).where(ItemRow.collection_id == HOLDING)))
    pending = world.request()
    world.approve(pending, "gbr-s1", item_filter=f"id = '{ids[0]}'")
    with pytest.raises(Conflict, match="select no item") as caught:  # each alone selects one
        world.approve(pending, "gbr-s2", item_filter=f"id = '{ids[1]}'")
    assert caught.value.code == "no-items"
    assert world.node.requests.get(world.who["nld-r"], pending).state == "under-review"


# --- item 5: who reads grants ---------------------------------------------------------------------


def test_grant_tokens_are_their_subjects_and_metadata_the_owners_reviewers(world: World) -> None:
    grant = world.granted("nld-r")
    own = world.granted("gbr-r")
    audience = world.node.settings.node_id
    tokens = {u: world.node.directory.issue_token(u, audience=audience) for u in USERS}
    with TestClient(create_app(world.node)) as client:

        def get(user: str, path: str) -> Any:
            return client.get(path, headers={"Authorization": f"Bearer {tokens[user]}"})

        def listed(user: str) -> set[str]:
            answer = get(user, "/access/grants")
            assert answer.status_code == 200, answer.text
            assert all("token" not in g for g in answer.json()["grants"])
            return {g["jti"] for g in answer.json()["grants"]}

        assert listed("nld-r") == {grant}
        assert listed("gbr-r") == {own}  # not every grant its administration issued
        assert listed("gbr-s1") == listed("gbr-a") == {grant, own}
        assert listed("usa-s") == set()

        assert get("nld-r", f"/access/grants/{grant}").json()["token"].count(".") == 2
        other = get("gbr-r", f"/access/grants/{grant}")
        missing = get("gbr-r", "/access/grants/no-such-grant")
        assert other.status_code == missing.status_code == 404
        assert other.json()["description"] == missing.json()["description"].replace(
            "no-such-grant", grant
        )
        for reviewer in ("gbr-s1", "gbr-a", "usa-s"):
            answer = get(reviewer, f"/access/grants/{grant}")
            assert answer.status_code == 403 and "token" not in answer.json()
    # the service itself refuses the token to a reviewer who also has the researcher role
    both = Principal("gbr-s1", "GBR", frozenset({Role.STEWARD, Role.RESEARCHER}), Level.R3)
    with pytest.raises(PermissionDenied) as caught:
        world.node.grants.grant_token(both, grant)
    assert caught.value.code == "not-subject"


# --- item 10: hidden and missing holdings take the same path --------------------------------------


def test_request_for_hidden_and_missing_holding_run_the_same_statements(world: World) -> None:
    node = world.node
    publish_folder(
        node, world.sources / HOLDING, admin="GBR", holding_id="GBR-secret", title="secret",
        description="", level="R2", marking="OFFICIAL", rel_to="GBR", handling="download",
        discovery="releasable",
    )  # fmt: skip
    token = node.directory.issue_token("nld-r", audience=node.settings.node_id)
    body = {"purpose": "x", "purpose_code": "research", "mode": "download", "duration_days": 5}
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(sql)

    with TestClient(create_app(node)) as client:

        def ask(holding: str) -> tuple[int, list[str]]:
            statements.clear()
            event.listen(node.engine, "before_cursor_execute", count)
            try:
                answer = client.post(
                    "/access/requests",
                    json={**body, "holding": holding},
                    headers={"Authorization": f"Bearer {token}"},
                )
            finally:
                event.remove(node.engine, "before_cursor_execute", count)
            return answer.status_code, list(statements)

        ask("GBR-secret")  # warm both paths once (first-use caches)
        ask("GBR-nothing")
        hidden = ask("GBR-secret")
        missing = ask("GBR-nothing")
    assert hidden[0] == missing[0] == 404
    assert hidden[1] == missing[1]


def _race(*steps: Callable[[], object]) -> list[BaseException]:
    """Run ``steps`` at once in threads; the exceptions they raised."""
    barrier = threading.Barrier(len(steps))
    errors: list[BaseException] = []

    def run(step: Callable[[], object]) -> None:
        barrier.wait()
        try:
            step()
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_approval_racing_a_narrowing_republish_never_leaves_a_live_grant(world: World) -> None:
    """Whichever commits first, the end state is the same: no grant the new attributes forbid,
    and neither side fails (the publish locks request rows before the audit head, as an
    approval does, so the two cannot deadlock)."""
    for _ in range(3):
        world.publish()  # releasable to all again
        pending = world.request()
        errors = _race(lambda: world.approve(pending), lambda: _narrowing_republish(world))  # noqa: B023
        assert errors == []
        view = world.node.requests.get(world.who["nld-r"], pending)
        assert view.state in ("refused", "revoked"), view
        assert view.grant is None or world.node.grants.is_revoked(view.grant)
