"""Model cards (models.card) and the shipped MLM schema (models.card_schema)."""

from __future__ import annotations

import copy
import hashlib
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from models import card_schema
from models.card import MAX_CARD_BYTES, model_item, parse_card
from models.errors import CardInvalid
from tests.models.onnx_builders import CLASSES, card_for

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "models" / "schemas"
NOW = datetime(2025, 3, 1, 10, 20, 30, tzinfo=UTC)
TASKS = ["object-detection", "classification", "anomaly-detection"]


def _item(fields: dict[str, Any]) -> dict[str, Any]:
    return model_item(
        fields,
        model_id="mdl-0123456789abcdef",
        sha256="ab" * 32,
        size=346,
        owner="NLD",
        created=NOW,
    )


@pytest.mark.parametrize("task", TASKS)
def test_valid_cards_parse_and_build_a_valid_mlm_item(task: str) -> None:
    card = parse_card(card_for(task))
    assert card.task == task
    assert card.input_name == "image"
    assert card.recipe.bands == ("high", "log-ratio")
    assert (card.recipe.height, card.recipe.width) == (32, 32)
    assert card.recipe.resize == "interpolation-linear"
    item = _item(card_for(task))
    assert card_schema.mlm_errors(item) == []
    assert item["assets"]["model"]["roles"] == ["mlm:model"]
    assert item["assets"]["model"]["file:checksum"] == "1220" + "ab" * 32
    assert item["properties"]["datetime"] == "2025-03-01T10:20:30Z"
    assert item["geometry"] is None
    # the stored item reads back as the same card (MLM has no anomaly task: see the docstring)
    assert parse_card(item["properties"]) == card


def test_detector_card_values() -> None:
    card = parse_card(card_for("object-detection"))
    assert [o.name for o in card.outputs] == ["boxes", "scores", "labels"]
    assert card.output("boxes") is not None and card.output("boxes").shape == (None, 4)  # type: ignore[union-attr]
    assert [(c.value, c.hs_code) for c in card.classes] == [(0, "9302"), (1, "300490")]
    assert card.recipe.scaling[0].kind == "scale"


def test_anomaly_item_says_classification_to_mlm() -> None:
    item = _item(card_for("anomaly-detection"))
    assert item["properties"]["mlm:tasks"] == ["classification"]
    assert item["properties"]["clearance:task"] == "anomaly-detection"


def test_the_validator_rejects_a_broken_item() -> None:
    item = _item(card_for("classification"))
    del item["assets"]["model"]["mlm:artifact_type"]
    assert card_schema.mlm_errors(item)
    item = _item(card_for("classification"))
    item["properties"]["mlm:unknown"] = 1
    assert any("mlm:unknown" in e for e in card_schema.mlm_errors(item))


def _set(fields: dict[str, Any], path: str, value: object) -> None:
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split("/")]
    target: Any = fields
    for key in keys[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value


_DELETE = object()

BAD = [
    ("mlm:name", "1 bad", "mlm:name"),
    ("mlm:name", "x" * 101, "mlm:name"),
    ("mlm:framework", "PyTorch", "mlm:framework"),
    ("mlm:tasks", ["object-detection", "classification"], "mlm:tasks"),
    ("mlm:tasks", ["segmentation"], "mlm:tasks"),
    ("mlm:input", [], "mlm:input"),
    ("mlm:input/0/pre_processing_function", {"format": "python", "expression": "x"}, "pre_proc"),
    ("mlm:input/0/bands", ["high", "red"], "red"),
    ("mlm:input/0/input/dim_order", ["batch", "height", "width", "bands"], "dim_order"),
    ("mlm:input/0/input/data_type", "uint16", "data_type"),
    ("mlm:input/0/input/shape", [1, 3, 32, 32], "input.shape"),
    ("mlm:input/0/input/shape", [1, 2, 0, 32], "height"),
    (
        "mlm:input/0/value_scaling",
        [{"type": "processing", "format": "py", "expression": "x"}],
        "processing",
    ),
    ("mlm:input/0/resize_type", "crop", "resize_type"),
    ("mlm:output/0/post_processing_function", {"format": "python", "expression": "x"}, "post_proc"),
    ("mlm:output/0/name", "box", "named"),
    ("mlm:output/0/result/data_type", "float64", "boxes"),
    ("mlm:output/0/result/shape", [-1, 5], "[N, 4]"),
    ("mlm:output/0/result/shape", [2000, 4], "N"),
    ("mlm:output/2/classification:classes/0/name", "93", "HS code"),
    ("mlm:output/2/classification:classes/1/value", 0, "repeats"),
    ("mlm:output/2/classification:classes", [], "classification:classes"),
    ("mlm:output/2/result/data_type", "int32", "labels"),
]


@pytest.mark.parametrize(("path", "value", "named"), BAD)
def test_a_broken_card_is_refused_naming_the_field(path: str, value: object, named: str) -> None:
    fields = card_for("object-detection")
    _set(fields, path, value)
    with pytest.raises(CardInvalid, match=named.replace("[", r"\[")):
        parse_card(fields)


def test_classification_scores_must_match_the_classes() -> None:
    fields = card_for("classification")
    fields["mlm:output"][0]["result"]["shape"] = [1, 3]
    with pytest.raises(CardInvalid, match=r"\[1, K\]"):
        parse_card(fields)


def test_anomaly_map_must_be_the_input_size() -> None:
    fields = card_for("anomaly-detection")
    fields["mlm:output"][1]["result"]["shape"] = [1, 16, 16]
    with pytest.raises(CardInvalid, match="anomaly_map"):
        parse_card(fields)
    del fields["mlm:output"][1]  # optional
    assert parse_card(fields).task == "anomaly-detection"


def test_task_field_must_agree_with_mlm_tasks() -> None:
    fields = card_for("object-detection")
    fields["clearance:task"] = "classification"
    with pytest.raises(CardInvalid, match="mlm:tasks"):
        parse_card(fields)


def test_mlm_schema_errors_surface_as_card_errors() -> None:
    fields = card_for("classification")
    fields["mlm:framework_version"] = "not a version"
    parse_card(fields)  # the contract does not read it
    with pytest.raises(CardInvalid, match="mlm:framework_version"):
        _item(fields)


def test_cards_are_bounded_before_they_are_read() -> None:
    deep: Any = "x"
    for _ in range(40):
        deep = [deep]
    with pytest.raises(CardInvalid, match="too large"):
        parse_card({**card_for("classification"), "description": deep})
    wide = {**card_for("classification"), "keywords": ["k"] * 30_000}
    with pytest.raises(CardInvalid, match="too large"):
        parse_card(wide)
    big = {**card_for("classification"), "description": "x" * (MAX_CARD_BYTES + 1)}
    with pytest.raises(CardInvalid, match="larger than"):
        parse_card(big)
    with pytest.raises(CardInvalid, match="NaN"):
        parse_card({**card_for("classification"), "x": float("nan")})
    with pytest.raises(CardInvalid, match="JSON object"):
        parse_card([1, 2])  # type: ignore[arg-type]


def test_parse_card_does_not_change_its_argument() -> None:
    fields = card_for("anomaly-detection")
    before = copy.deepcopy(fields)
    _item(fields)
    assert fields == before
    assert CLASSES[0]["name"] == "9302"


# ------------------------------------------------------------------ the shipped schemas


def test_mlm_schema_is_a_copy_of_shared() -> None:
    relative = "stac-extensions.github.io/mlm/v1.5.2/schema.json"
    shared = ROOT.parent / "shared" / "stac-schemas" / relative
    if not shared.exists():
        pytest.fail(f"{shared} is missing")
    assert (SCHEMAS / relative).read_bytes() == shared.read_bytes()


@pytest.mark.parametrize(
    ("name", "digest"),
    [
        ("classification", "70a64a6e34495dc3fd3e49a61dd4c7d901d7c1e38fd0f60f3f8be5b012f4a4a4"),
        ("processing", "74e5f5ed3a659e455060fe593b8336e4bb4e4df0113cc4b9cf75cbc136eb58f3"),
        ("raster", "e5c43a194d872df7fd310531a2c53ab6edd96783edf1cb01da358bd42f565503"),
    ],
)
def test_referenced_schemas_are_the_published_files(name: str, digest: str) -> None:
    path = SCHEMAS / "stac-extensions.github.io" / name / "v1.1.0" / "schema.json"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_validation_is_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("a schema was fetched")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    card_schema._validator.cache_clear()
    card_schema._shipped.cache_clear()
    assert card_schema.mlm_errors(_item(card_for("object-detection"))) == []
    bad = _item(card_for("object-detection"))
    bad["properties"]["mlm:output"][2]["classification:classes"][0]["value"] = "x"
    assert card_schema.mlm_errors(bad)  # the $ref into the classification schema resolved
