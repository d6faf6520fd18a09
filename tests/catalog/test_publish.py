"""Publishing: valid STAC, atomic on failure, re-runnable, R4 kept as a reference record only."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from access import Level, Role
from catalog.errors import Conflict, HoldingIdNotOwned, PublishError
from catalog.publish import PublishResult
from catalog.sites import site
from catalog.synth import generate_holding
from catalog.tables import CollectionRow, ItemRow
from catalog.validation import validate_collection, validate_item
from clearance.node import Node
from clearance.publishing.folder import publish_folder
from transfer import body_key, header_key
from transfer.crypt4gh import decrypt


def _setup(node: Node) -> None:
    node.directory.add_administration("NLD", "Douane")
    node.directory.add_administration("GBR", "Border Force")
    node.directory.add_user("ann", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2)


def _publish(
    node: Node, folder: Path, holding: str = "NLD-H1", admin: str = "NLD", level: str = "R2"
) -> PublishResult:
    return publish_folder(
        node, folder, admin=admin, holding_id=holding, title="Test holding", description="",
        level=level, marking="Dep. Vertrouwelijk", rel_to="GBR", handling="download",
        discovery="partners",
    )  # fmt: skip


def _counts(node: Node) -> tuple[int, int]:
    with node.sessions() as session:
        collections = session.scalar(select(func.count()).select_from(CollectionRow))
        items = session.scalar(select(func.count()).select_from(ItemRow))
    return int(collections or 0), int(items or 0)


@pytest.fixture
def holding(tmp_path: Path) -> Path:
    folder = tmp_path / "holding"
    generate_holding(folder, kind="parcel", count=5, seed=7, admin="NLD")
    return folder


def test_every_published_document_validates_offline(node: Node, tmp_path: Path) -> None:
    _setup(node)
    cargo, parcel = tmp_path / "cargo", tmp_path / "parcel"
    generate_holding(cargo, kind="cargo", count=3, seed=1, admin="NLD")
    generate_holding(parcel, kind="parcel", count=4, seed=2, admin="NLD")
    _publish(node, cargo, "NLD-C1")
    _publish(node, parcel, "NLD-P1")
    with node.sessions() as session:
        collections = list(session.scalars(select(CollectionRow.document)))
        items = list(session.scalars(select(ItemRow.document)))
    assert len(collections) == 2 and len(items) == 7
    for document in collections:
        validate_collection(document)
        assert document["sec:national_marking"] == "Dep. Vertrouwelijk"
    for document in items:
        validate_item(document)
        place = site(document["properties"]["xray:site"])
        assert document["geometry"] == {"type": "Point", "coordinates": [place.lon, place.lat]}
        assert document["bbox"] == [place.lon, place.lat, place.lon, place.lat]
        assert place.country == "NL"  # the generator places NLD's scans at NLD's sites


def test_assets_are_encrypted_at_rest_header_and_body_apart(node: Node, holding: Path) -> None:
    _setup(node)
    result = _publish(node, holding)
    with node.sessions() as session:
        items = list(session.scalars(select(ItemRow.document)))
    stored = node.manifests.get("NLD-H1", 1)
    assert stored is not None and stored.sha256 == result.manifest_sha256
    entries = {(o.item, o.asset): o for o in stored.manifest.objects}
    sk = node.storage.private_key()
    for item in items:
        assert set(item["assets"]) >= {"high", "low", "annotations"}
        for name, asset in item["assets"].items():
            sha = asset["file:checksum"][4:]
            entry = entries[(item["id"], name)]
            assert asset["href"] == f"/transfer/holdings/NLD-H1/objects/{entry.id}"
            assert entry.plaintext_sha256 == sha and entry.plaintext_size == asset["file:size"]
            header = node.blobs.open(header_key(entry.id)).read()
            body = node.blobs.open(body_key(entry.id)).read()
            assert len(body) == entry.body_size
            assert hashlib.sha256(body).hexdigest() == entry.body_sha256
            plain = io.BytesIO()
            decrypt(io.BytesIO(header + body), plain, reader_sk=sk)
            assert hashlib.sha256(plain.getvalue()).hexdigest() == sha
            if entry.plaintext_size >= 64:
                assert plain.getvalue()[16:48] not in body  # not stored in clear
    assert len(list(node.blobs.keys("headers/"))) == len(entries)


def test_republish_reuses_unchanged_objects_and_keeps_old_versions(
    node: Node, holding: Path
) -> None:
    _setup(node)
    first = _publish(node, holding)
    image = sorted((holding / "scans").iterdir())[0] / "low.tiff"
    data = bytearray(image.read_bytes())
    data[-1] ^= 0x01  # one pixel changes: a new plaintext
    image.write_bytes(bytes(data))
    second = _publish(node, holding)
    assert second.version == 2 and second.encrypted == 1
    assert first.encrypted == first.assets
    old, new = node.manifests.get("NLD-H1", 1), node.manifests.get("NLD-H1", 2)
    assert old is not None and new is not None
    changed = {o.id for o in new.manifest.objects} - {o.id for o in old.manifest.objects}
    assert len(changed) == 1
    for entry in old.manifest.objects:  # version 1 stays servable
        assert node.objects.complete(entry.id, entry.body_size)


def test_bad_input_names_file_and_field_and_publishes_nothing(node: Node, holding: Path) -> None:
    _setup(node)
    coco_path = holding / "annotations.json"
    coco = json.loads(coco_path.read_text())
    coco["annotations"][0]["bbox"] = [100000, 5, 10, 10]
    coco_path.write_text(json.dumps(coco))
    with pytest.raises(PublishError) as caught:
        _publish(node, holding)
    assert "annotations.json" in str(caught.value)
    assert "bbox" in str(caught.value)
    assert _counts(node) == (0, 0)


def test_truncated_image_is_refused_and_rerun_after_fix_publishes(
    node: Node, holding: Path
) -> None:
    _setup(node)
    image = sorted((holding / "scans").iterdir())[1] / "high.tiff"
    original = image.read_bytes()
    image.write_bytes(original[: len(original) // 2])
    with pytest.raises(PublishError) as caught:
        _publish(node, holding)
    assert image.relative_to(holding).as_posix() in str(caught.value)
    assert _counts(node) == (0, 0)
    image.write_bytes(original)
    _publish(node, holding)
    assert _counts(node) == (1, 5)


def test_republish_replaces_items_and_bumps_version(
    node: Node, holding: Path, tmp_path: Path
) -> None:
    _setup(node)
    _publish(node, holding)
    smaller = tmp_path / "smaller"
    generate_holding(smaller, kind="parcel", count=2, seed=8, admin="NLD")
    result = publish_folder(
        node, smaller, admin="NLD", holding_id="NLD-H1", title="Test holding", description="",
        level="R2", marking="m", rel_to="GBR", handling="download", discovery="partners",
    )  # fmt: skip
    assert result.version == 2
    assert _counts(node) == (1, 2)


def test_another_administrations_holding_id_is_refused(node: Node, holding: Path) -> None:
    """Issue 8: ids name their owner, so another's id — stored or free — is one refusal."""
    _setup(node)
    _publish(node, holding)
    refusals = []
    for taken_or_free in ("NLD-H1", "NLD-free"):
        with pytest.raises(HoldingIdNotOwned) as caught:
            _publish(node, holding, taken_or_free, admin="GBR")
        refusals.append((caught.value.code, str(caught.value)))
    assert (
        refusals[0]
        == refusals[1]
        == (
            "holding-id-not-owned",
            "a new holding id of GBR must start with 'GBR-' "
            "(then 1–124 of A-Z a-z 0-9 . _ -, starting with a letter or digit)",
        )
    )
    with pytest.raises(HoldingIdNotOwned):  # a new id must name its owner
        _publish(node, holding, "H2")
    with node.sessions() as session:
        assert list(session.execute(select(CollectionRow.id, CollectionRow.owner))) == [
            ("NLD-H1", "NLD")
        ]


def test_a_stored_holding_keeps_its_id_for_its_owner(
    node: Node, holding: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Holdings stored before ids named their owner: the owner republishes them; for anyone
    else they are one refusal like every other id (and the store's owner check still holds)."""
    _setup(node)
    with monkeypatch.context() as before_the_rule:
        before_the_rule.setattr("catalog.publish.holding_id_owner", lambda _: "NLD")
        _publish(node, holding, "legacy")
        _publish(node, holding, "GBR-squat")
    assert _publish(node, holding, "legacy").version == 2
    with pytest.raises(HoldingIdNotOwned):
        _publish(node, holding, "legacy", admin="GBR")
    with pytest.raises(Conflict):  # squatted before the rule: its prefix's owner learns of it
        _publish(node, holding, "GBR-squat", admin="GBR")


def test_r4_keeps_only_a_reference_record(node: Node, holding: Path) -> None:
    _setup(node)
    result = _publish(node, holding, level="R4")
    assert _counts(node) == (1, 0)
    assert list(node.blobs.keys()) == []
    assert result.assets == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("holding_id", "../evil", "holding id"),
        ("admin", "XXX", "no administration XXX"),
        ("marking", "", "--marking"),
        ("rel_to", "ALL,GBR", "mixes ALL"),
        ("level", "R9", "unknown level"),
    ],
)
def test_bad_publish_options(
    node: Node, holding: Path, field: str, value: str, message: str
) -> None:
    _setup(node)
    options = dict(
        admin="NLD", holding_id="NLD-H1", title="t", description="", level="R2", marking="m",
        rel_to="GBR", handling="download", discovery="partners",
    )  # fmt: skip
    options[field] = value
    with pytest.raises(Exception) as caught:
        publish_folder(node, holding, **options)
    assert message in str(caught.value)
    assert _counts(node) == (0, 0)
