"""Errors are collected across the whole folder (up to 50) and raised as one IngestErrors."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from catalog.errors import PublishError
from catalog.ingest import MAX_ERRORS, IngestError, IngestErrors, read_holding
from tests.catalog.ingest.builders import build_holding, edit_json


@pytest.fixture
def holding(tmp_path: Path) -> Path:
    return build_holding(tmp_path / "holding")


def test_every_problem_of_the_folder_is_listed(holding: Path) -> None:
    edit_json(holding / "scans" / "A001" / "scan.json", lambda d: d.update(synthetic="no"))
    (holding / "scans" / "A001" / "low.tiff").write_bytes(b"junk")
    edit_json(holding / "scans" / "B002" / "scan.json", lambda d: d.pop("views"))
    edit_json(holding / "annotations.json", lambda d: d["categories"][0].pop("hs_code"))
    with pytest.raises(IngestErrors) as caught:
        read_holding(holding)
    errors = caught.value
    assert [(e.path, e.field) for e in errors.errors] == [
        ("scans/A001/scan.json", "synthetic"),
        ("scans/A001/low.tiff", None),
        ("scans/B002/scan.json", "views"),
        ("annotations.json", "categories[0].hs_code"),
    ]
    assert (errors.path, errors.field) == ("scans/A001/scan.json", "synthetic")
    assert not errors.truncated
    assert str(errors) == "\n".join(
        [
            "4 problems in the holding folder:",
            '  scans/A001/scan.json: synthetic: expected true or false, got "no"',
            "  scans/A001/low.tiff: is not a TIFF or PNG image (unrecognised content)",
            "  scans/B002/scan.json: views: missing",
            "  annotations.json: categories[0].hs_code: missing; every category carries the HS "
            "code it stands for",
        ]
    )


def test_collection_stops_at_fifty(holding: Path) -> None:
    def many(doc: dict[str, list[dict[str, object]]]) -> None:
        for n in range(80):
            doc["annotations"].append(
                {"id": 100 + n, "image_id": 1, "category_id": 1, "bbox": [0, 0, 50, 5]}
            )

    edit_json(holding / "annotations.json", many)
    with pytest.raises(IngestErrors) as caught:
        read_holding(holding)
    assert len(caught.value.errors) == MAX_ERRORS == 50
    assert caught.value.truncated
    assert str(caught.value).startswith(
        "50 problems in the holding folder (stopped after the first 50):\n"
        "  annotations.json: annotations[3].bbox: box [0, 0, 50, 5] lies outside image"
    )


def test_single_error_reads_as_itself(holding: Path) -> None:
    (holding / "annotations.json").unlink()
    with pytest.raises(IngestError) as caught:
        read_holding(holding)
    assert str(caught.value) == "annotations.json: file is missing"


def test_error_types() -> None:
    error = IngestError("scans/X/high.tiff", None, "image is truncated")
    assert isinstance(error, ValueError)
    assert isinstance(error, PublishError)
    assert error.code == "publish-failed"
    assert str(error) == "scans/X/high.tiff: image is truncated"
    with_field = IngestError("annotations.json", "images[0].id", "duplicate id 1")
    assert str(with_field) == "annotations.json: images[0].id: duplicate id 1"


def test_errors_pickle() -> None:
    errors = IngestErrors(
        [IngestError("a", None, "one"), IngestError("b", "f", "two")], truncated=True
    )
    copy = pickle.loads(pickle.dumps(errors))  # noqa: S301
    assert str(copy) == str(errors)
    assert [(e.path, e.field, e.message) for e in copy.errors] == [
        ("a", None, "one"), ("b", "f", "two"),
    ]  # fmt: skip
    assert copy.truncated
    single = pickle.loads(pickle.dumps(IngestError("a", "f", "m")))  # noqa: S301
    assert (single.path, single.field, single.message) == ("a", "f", "m")


def test_max_pixels_must_be_positive(holding: Path) -> None:
    with pytest.raises(ValueError, match="max_pixels"):
        read_holding(holding, max_pixels=0)
