"""The auditors' routes over HTTP, on SQLite and PostgreSQL: who may read which entries, entries
naming a holding the auditor may not discover withheld, filters, paging, export and verify."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from access import Level, Role
from access.request_states import Mode, NewRequest, PurposeCode
from catalog.synth import generate_holding
from clearance.http.app import create_app
from clearance.node import Node
from clearance.publishing.folder import publish_folder

USERS = {
    "gbr-a": ("GBR", Role.AUDITOR),
    "nld-a": ("NLD", Role.AUDITOR),
    "usa-a": ("USA", Role.AUDITOR),
    "gbr-s": ("GBR", Role.STEWARD),
    "nld-r": ("NLD", Role.RESEARCHER),
}


@dataclass
class Audited:
    node: Node
    client: TestClient
    request_id: str

    def get(self, user: str | None, path: str, **params: Any) -> Any:
        headers = {}
        if user is not None:
            token = self.node.directory.issue_token(user, audience=self.node.settings.node_id)
            headers["Authorization"] = f"Bearer {token}"
        return self.client.get(path, params=params, headers=headers)

    def entries(self, user: str, **params: Any) -> list[dict[str, Any]]:
        response = self.get(user, "/audit/entries", **params)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["entries"]
        return found


def _publish(node: Node, sources: Path, holding: str, discovery: str, rel_to: str) -> None:
    publish_folder(node, sources, admin="GBR", holding_id=holding, title=holding, description="",
                   level="R1", marking="OFFICIAL", rel_to=rel_to, handling="metadata-only",
                   discovery=discovery)  # fmt: skip


@pytest.fixture
def audited(node: Node, tmp_path: Path) -> Audited:
    for code in ("GBR", "NLD", "USA"):
        node.directory.add_administration(code, f"{code} customs")
    for name, (admin, role) in USERS.items():
        node.directory.add_user(name, admin=admin, roles=[role], clearance=Level.R3)
    generate_holding(tmp_path / "src", kind="parcel", count=2, seed=3, admin="GBR")
    _publish(node, tmp_path / "src", "GBR-open", "partners", "ALL")
    _publish(node, tmp_path / "src", "GBR-later-hidden", "partners", "ALL")
    nld = node.directory.user("nld-r").principal()
    new = NewRequest("GBR-later-hidden", "study", PurposeCode.RESEARCH, Mode.EVALUATION, 30)
    request_id = node.requests.create(nld, new).id
    # Republished for GBR's eyes only: NLD may no longer learn that it exists.
    _publish(node, tmp_path / "src", "GBR-later-hidden", "releasable", "GBR")
    return Audited(node, TestClient(create_app(node)), request_id)


def test_each_auditor_reads_what_concerns_their_administration(audited: Audited) -> None:
    gbr = audited.entries("gbr-a", limit=1000)
    assert {e["action"] for e in gbr} >= {"holding.publish", "request.create"}
    assert all(e["admin"] == "GBR" or "GBR-" in json.dumps(e) for e in gbr)
    nld = audited.entries("nld-a", limit=1000)
    assert {e["actor"] for e in nld} == {"nld-r"}  # its own user's, nothing of GBR's publishing
    assert audited.entries("usa-a", limit=1000) == []


def test_an_entry_naming_a_holding_the_auditor_may_not_discover_is_withheld(
    audited: Audited,
) -> None:
    created = f"request:{audited.request_id}"
    (gbr_view,) = [e for e in audited.entries("gbr-a") if e["resource"] == created]
    assert gbr_view["details"]["holding"] == "GBR-later-hidden" and "hash" in gbr_view
    (nld_view,) = [e for e in audited.entries("nld-a") if e["action"] == "request.create"]
    assert nld_view["withheld"] is True and nld_view["actor"] == "nld-r"
    assert (nld_view["resource"], nld_view["details"]) == ("", {})
    assert "hash" not in nld_view and "prev_hash" not in nld_view
    assert "GBR-later-hidden" not in json.dumps(audited.entries("nld-a", limit=1000))
    # asking by the hidden holding's name finds nothing more than its withheld entry shows
    by_name = audited.entries("nld-a", holding="GBR-later-hidden")
    assert "GBR-later-hidden" not in json.dumps(by_name)


def test_roles_and_tokens_are_checked(audited: Audited) -> None:
    for path in ("/audit/entries", "/audit/export", "/audit/verify"):
        assert audited.get(None, path).status_code == 401
        for user in ("gbr-s", "nld-r"):
            refused = audited.get(user, path)
            assert refused.status_code == 403
            assert refused.json()["code"] == "role-lacks-action"


def test_filters_and_paging(audited: Audited) -> None:
    everything = audited.entries("gbr-a", limit=1000)
    publishes = audited.entries("gbr-a", action="holding.publish")
    assert publishes and {e["action"] for e in publishes} == {"holding.publish"}
    requests = audited.entries("gbr-a", action="request.*")
    assert requests and all(e["action"].startswith("request.") for e in requests)
    assert {e["actor"] for e in audited.entries("gbr-a", actor="nld-r")} == {"nld-r"}
    named = audited.entries("gbr-a", holding="GBR-open")
    assert named and all("GBR-open" in json.dumps(e) for e in named)
    middle = everything[len(everything) // 2]["at"]
    later = audited.entries("gbr-a", since=middle, limit=1000)
    assert later == [e for e in everything if e["at"] >= middle]
    pages, after = [], 0
    while True:
        response = audited.get("gbr-a", "/audit/entries", limit=2, after=after)
        body = response.json()
        pages += body["entries"]
        if body["next_after"] is None:
            break
        after = body["next_after"]
        assert any(link["rel"] == "next" for link in body["links"])
    assert pages == everything


def test_export_is_the_readers_entries_as_json_lines(audited: Audited) -> None:
    response = audited.get("gbr-a", "/audit/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines == audited.entries("gbr-a", limit=1000)


def test_verify_reports_the_chain(audited: Audited) -> None:
    report = audited.get("nld-a", "/audit/verify").json()
    assert report["ok"] is True and report["problems"] == []
    assert report["entries"] == report["head_seq"] > 0
    with audited.node.audit_reader._verifying:  # one verification at a time
        busy = audited.get("nld-a", "/audit/verify")
    assert busy.status_code == 429 and "Retry-After" in busy.headers


@pytest.mark.parametrize(("params", "said"), [
    ({"colour": "red"}, "unknown parameter 'colour'"),
    ({"limit": "0"}, "limit: from 1 to 1000"),
    ({"limit": "abc"}, "limit: a whole number"),
    ({"since": "yesterday"}, "since: not an RFC 3339 time"),
    ({"since": "2026-01-01T00:00:00"}, "since: give a time zone"),
    ({"action": "DROP TABLE"}, "action: not a valid action"),
    ({"after": "-1"}, "after: a whole number"),
])  # fmt: skip
def test_bad_queries_get_a_clear_400(audited: Audited, params: dict[str, str], said: str) -> None:
    response = audited.get("gbr-a", "/audit/entries", **params)
    assert response.status_code == 400
    assert said in response.json()["description"]


def test_a_repeated_parameter_is_refused(audited: Audited) -> None:
    token = audited.node.directory.issue_token("gbr-a", audience=audited.node.settings.node_id)
    response = audited.client.get(
        "/audit/entries?actor=a&actor=b", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 400 and "given more than once" in response.text


def test_until_bounds_the_time(audited: Audited) -> None:
    everything = audited.entries("gbr-a", limit=1000)
    first = everything[0]["at"]
    assert audited.entries("gbr-a", until=first) == []
    now = audited.node.clock.now() + timedelta(days=1)
    assert audited.entries("gbr-a", until=now.isoformat(), limit=1000) == everything
