"""The auditor's view of one entry, decided without I/O: which administrations an entry concerns,
who may read it, and when it is withheld."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from access.audit_chain import AuditEntry, EntryFields
from access.audit_view import WITHHELD, AuditQuery, concerns, entry_view, named_holdings
from access.errors import InvalidInput
from access.policy import (
    Action,
    AuditEntryResource,
    HoldingResource,
    Principal,
    Reason,
    decide,
)
from access.vocabulary import Discovery, Handling, Level, Role

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


def _auditor(admin: str, role: Role = Role.AUDITOR) -> Principal:
    return Principal(f"{admin.lower()}-a", admin, frozenset({role}), Level.R3)


def _holding(owner: str, discovery: Discovery, rel_to: frozenset[str]) -> HoldingResource:
    return HoldingResource(owner=owner, level=Level.R1, releasable_to=rel_to,
                           handling=Handling.DOWNLOAD, discovery=discovery)  # fmt: skip


def _entry(admin: str, resource: str, **details: object) -> AuditEntry:
    fields = EntryFields.create(at=NOW, actor="someone", admin=admin, action="request.create",
                                resource=resource, decision="allow", reason="why",
                                details=details)  # fmt: skip
    return AuditEntry(7, fields, "0" * 64, "f" * 64)


@pytest.mark.parametrize(("admin", "role", "concerned", "allowed"), [
    ("NLD", Role.AUDITOR, {"NLD", "GBR"}, True),
    ("USA", Role.AUDITOR, {"NLD", "GBR"}, False),
    ("NLD", Role.STEWARD, {"NLD"}, False),
    ("NLD", Role.OPERATOR, {"NLD"}, False),
    ("NLD", Role.RESEARCHER, {"NLD"}, False),
])  # fmt: skip
def test_decide_audit_read_on_an_entry(
    admin: str, role: Role, concerned: set[str], allowed: bool
) -> None:
    decision = decide(_auditor(admin, role), AuditEntryResource(frozenset(concerned)),
                      Action.AUDIT_READ, NOW)  # fmt: skip
    assert decision.allowed is allowed
    other = decide(_auditor(admin), AuditEntryResource(frozenset(concerned)), Action.DISCOVER, NOW)
    assert (other.allowed, other.reason) == (False, Reason.ACTION_NOT_APPLICABLE)


def test_an_entry_concerns_its_actor_and_the_owners_of_what_it_names() -> None:
    entry = _entry("NLD", "request:req-1", holding="GBR-x")
    assert named_holdings(entry.fields) == ["GBR-x"]
    assert concerns(entry.fields, {}) == {"NLD", "GBR"}  # the owner from the id's prefix
    legacy = _holding("AUS", Discovery.PARTNERS, frozenset({"AUS"}))
    stored = _entry("", "holding:scans-2019")
    assert concerns(stored.fields, {"scans-2019": legacy}) == {"AUS"}  # from the catalogue


def test_withheld_when_the_reader_may_not_discover_a_named_holding() -> None:
    entry = _entry("NLD", "holding:GBR-x", manifest="abc")
    hidden = _holding("GBR", Discovery.RELEASABLE, frozenset({"GBR"}))
    as_owner = entry_view(_auditor("GBR"), entry, {"GBR-x": hidden}, NOW)
    assert as_owner is not None and as_owner["details"] == {"manifest": "abc"}
    assert "prev_hash" not in as_owner and as_owner["hash"] == "f" * 64
    # NLD's auditor: the holding hidden from NLD, or missing, looks the same
    for known in ({"GBR-x": None}, {}):
        seen = entry_view(_auditor("NLD"), entry, known, NOW)
        assert seen is not None
        assert (seen["resource"], seen["reason"], seen["details"]) == ("", WITHHELD, {})
        assert "hash" not in seen and seen["actor"] == "someone"
    assert entry_view(_auditor("USA"), entry, {"GBR-x": hidden}, NOW) is None


def test_the_query_matches_exactly() -> None:
    fields = _entry("NLD", "request:req-1", holding="GBR-x").fields
    assert AuditQuery(action="request.*").matches(fields)
    assert not AuditQuery(action="request").matches(fields)
    assert AuditQuery(holding="GBR-x", actor="someone").matches(fields)
    assert not AuditQuery(holding="GBR").matches(fields)
    assert not AuditQuery(since=datetime(2027, 1, 1, tzinfo=UTC)).matches(fields)
    assert not AuditQuery(until=NOW).matches(fields)


def test_query_parameters_are_bounded() -> None:
    with pytest.raises(InvalidInput, match="actor"):
        AuditQuery(actor="x" * 65)
    with pytest.raises(InvalidInput, match="since"):
        AuditQuery.from_params({"since": "2026-01-01" + "0" * 50})
    query = AuditQuery.from_params({"actor": "ann", "since": "2026-01-01T00:00:00Z"})
    assert query.params() == {"actor": "ann", "since": "2026-01-01T00:00:00.000000Z",
                              "after": "0", "limit": "100"}  # fmt: skip
