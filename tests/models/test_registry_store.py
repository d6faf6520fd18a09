"""The model registry (models.registry_store) on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from access import Base, Conflict, InvalidInput, Level, PermissionDenied, Principal, Role
from access.tables import AuditEntryRow
from clearance.node import Node
from models.card import parse_card
from models.errors import AdmissionRefused, CardInvalid, ModelNotFound
from models.registry_store import ModelRegistry
from models.tables import ModelBlobRow, ModelRow, ModelShareRow
from tests.models import onnx_builders as b

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def registry(node: Node) -> ModelRegistry:
    for code, name in (("NLD", "Netherlands"), ("GBR", "United Kingdom"), ("AUS", "Australia")):
        node.directory.add_administration(code, name)
    for user, admin, roles in (
        ("nld-r", "NLD", [Role.RESEARCHER]),
        ("nld-s", "NLD", [Role.STEWARD]),
        ("gbr-r", "GBR", [Role.RESEARCHER]),
        ("aus-r", "AUS", [Role.RESEARCHER]),
        ("nld-o", "NLD", [Role.OPERATOR]),
    ):
        node.directory.add_user(user, admin=admin, roles=roles, clearance=Level.R1)
    return node.models


def who(node: Node, user: str) -> Principal:
    return node.directory.user(user).principal()


def _count(node: Node, table: Any) -> int:
    with node.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _audit(node: Node, action: str) -> list[AuditEntryRow]:
    with node.sessions() as session:
        return list(session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == action)))


def test_submit_stores_item_bytes_and_audit(node: Node, registry: ModelRegistry) -> None:
    data = b.detector()
    record = registry.submit(who(node, "nld-r"), data, b.card_for("object-detection"), NOW)
    assert record.id.startswith("mdl-") and len(record.id) == 20
    assert (record.owner, record.submitter, record.version) == ("NLD", "nld-r", 1)
    assert record.task == "object-detection" and record.size == len(data)
    assert record.card == parse_card(b.card_for("object-detection"))
    assert registry.bytes_of(record.id) == data
    stored = registry.get(who(node, "nld-s"), record.id, NOW)
    assert stored.item["properties"]["clearance:version"] == 1
    assert stored.item["assets"]["model"]["file:checksum"] == "1220" + record.sha256
    entries = _audit(node, "models.submit")
    assert [(e.decision, e.resource) for e in entries] == [("allow", f"model:{record.id}")]


def test_versions_count_per_owner_and_name(node: Node, registry: ModelRegistry) -> None:
    card = b.card_for("object-detection")
    first = registry.submit(who(node, "nld-r"), b.detector(), card, NOW)
    second = registry.submit(who(node, "nld-r"), b.loop_forever(), card, NOW)
    other = registry.submit(who(node, "gbr-r"), b.detector(), card, NOW)
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert _count(node, ModelBlobRow) == 2  # the same bytes stored once for two owners
    with pytest.raises(Conflict, match=first.id):
        registry.submit(who(node, "nld-r"), b.detector(), card, NOW)
    renamed = {**card, "mlm:name": "another name"}
    assert registry.submit(who(node, "nld-r"), b.detector(), renamed, NOW).version == 1


@pytest.mark.parametrize(
    ("data", "card", "error", "rule"),
    [
        (b"not onnx", b.card_for("object-detection"), AdmissionRefused, "not-onnx"),
        (b.custom_domain(), b.card_for("object-detection"), AdmissionRefused, "domain"),
        (b.detector(), {"mlm:name": "x"}, CardInvalid, "invalid-model-card"),
        (b.classifier(), b.card_for("object-detection"), AdmissionRefused, "output-mismatch"),
    ],
)
def test_refusals_store_nothing_and_are_audited(
    node: Node, registry: ModelRegistry, data: bytes, card: dict[str, Any], error: type, rule: str
) -> None:
    with pytest.raises(error):
        registry.submit(who(node, "nld-r"), data, card, NOW)
    assert _count(node, ModelRow) == _count(node, ModelBlobRow) == 0
    assert [(e.decision, e.reason) for e in _audit(node, "models.submit")] == [("deny", rule)]


def test_only_researchers_submit(node: Node, registry: ModelRegistry) -> None:
    with pytest.raises(PermissionDenied):
        registry.submit(who(node, "nld-s"), b.detector(), b.card_for("object-detection"), NOW)
    assert _count(node, ModelRow) == 0


def test_visibility_and_sharing(node: Node, registry: ModelRegistry) -> None:
    record = registry.submit(who(node, "nld-r"), b.classifier(), b.card_for("classification"), NOW)
    for outsider in ("gbr-r", "aus-r"):
        with pytest.raises(ModelNotFound) as hidden:
            registry.get(who(node, outsider), record.id, NOW)
        with pytest.raises(ModelNotFound) as missing:
            registry.get(who(node, outsider), "mdl-0000000000000000", NOW)
        assert (hidden.value.code, str(hidden.value)) == (missing.value.code, str(missing.value))
        assert registry.list(who(node, outsider), NOW) == []
        with pytest.raises(ModelNotFound):
            registry.share(who(node, outsider), record.id, ["GBR"], NOW)
    shared = registry.share(who(node, "nld-r"), record.id, ["GBR", "NLD"], NOW)
    assert shared.shared_with == ("GBR",)
    assert registry.get(who(node, "gbr-r"), record.id, NOW).shared_with == ("GBR",)
    assert [r.id for r in registry.list(who(node, "gbr-r"), NOW)] == [record.id]
    assert registry.list(who(node, "aus-r"), NOW) == []
    with pytest.raises(PermissionDenied):  # a sharee sees it, but does not share it on
        registry.share(who(node, "gbr-r"), record.id, ["AUS"], NOW)
    again = registry.share(who(node, "nld-r"), record.id, ["GBR"], NOW)
    assert again.shared_with == ("GBR",) and _count(node, ModelShareRow) == 1
    assert [e.decision for e in _audit(node, "models.share")] == ["allow", "allow"]


@pytest.mark.parametrize("admins", [[], ["gbr"], ["XXX"], "GBR", [1], ["GBR"] * 51])
def test_share_refuses_bad_lists(node: Node, registry: ModelRegistry, admins: Any) -> None:
    record = registry.submit(who(node, "nld-r"), b.anomaly(), b.card_for("anomaly-detection"), NOW)
    with pytest.raises(InvalidInput):
        registry.share(who(node, "nld-r"), record.id, admins, NOW)
    assert _count(node, ModelShareRow) == 0


def test_bytes_of_a_missing_model(registry: ModelRegistry) -> None:
    with pytest.raises(ModelNotFound):
        registry.bytes_of("mdl-0000000000000000")


def test_concurrent_submissions_get_distinct_versions(node: Node, registry: ModelRegistry) -> None:
    card = b.card_for("object-detection")
    models = [b.too_many_nodes(n) for n in range(1, 5)]
    results: list[int] = []
    errors: list[BaseException] = []

    def submit(data: bytes) -> None:
        try:
            results.append(registry.submit(who(node, "nld-r"), data, card, NOW).version)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(d,)) for d in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # each either got its own version or was told to retry; none got a duplicate
    assert all(isinstance(e, Conflict) for e in errors), errors
    assert sorted(results) == list(range(1, len(results) + 1))
    assert len(results) >= 1


def test_migration_matches_the_tables(node: Node) -> None:
    with node.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    mine = [d for d in diff if "model" in repr(d)]
    assert mine == []
