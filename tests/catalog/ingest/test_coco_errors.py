"""annotations.json problems: each names the array entry and field, checked against real images."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog.ingest import read_holding
from tests.catalog.ingest.builders import build_holding, edit_json, errors_of, only_error

COCO = "annotations.json"


@pytest.fixture
def holding(tmp_path: Path) -> Path:
    return build_holding(tmp_path / "holding")


def _edit(holding: Path, change: Callable[[dict[str, Any]], object]) -> None:
    edit_json(holding / COCO, change)


def _found(holding: Path) -> list[tuple[str | None, str]]:
    errors = errors_of(holding)
    assert all(error.path == COCO for error in errors), errors
    return [(error.field, error.message) for error in errors]


def test_invalid_json(holding: Path) -> None:
    (holding / COCO).write_text('{"images": [1, 2,]}')
    assert str(only_error(holding)) == (
        "annotations.json: invalid JSON at line 1, column 18: Expecting value"
    )


@pytest.mark.parametrize("key", ["images", "annotations", "categories"])
def test_missing_array(holding: Path, key: str) -> None:
    _edit(holding, lambda d: d.pop(key))
    assert _found(holding) == [
        (key, "missing; COCO needs images, annotations and categories arrays"),
    ]


def test_array_of_wrong_type(holding: Path) -> None:
    _edit(holding, lambda d: d.update(categories={"1": "x"}))
    assert _found(holding) == [("categories", "expected an array, got object")]


def test_duplicate_image_id(holding: Path) -> None:
    _edit(holding, lambda d: d["images"][1].update(id=1))
    # the scan whose entry was refused is not reported a second time as "without image"
    assert _found(holding) == [
        ("images[1].id", "duplicate id 1 (also images[0])"),
        ("annotations[2].image_id", "unknown image id 2"),
    ]


def test_duplicate_annotation_id(holding: Path) -> None:
    _edit(holding, lambda d: d["annotations"][2].update(id=10))
    assert _found(holding) == [("annotations[2].id", "duplicate id 10 (also annotations[0])")]


def test_duplicate_category_id(holding: Path) -> None:
    _edit(holding, lambda d: d["categories"][2].update(id=2))
    assert _found(holding) == [("categories[2].id", "duplicate id 2 (also categories[1])")]


def test_category_without_hs_code(holding: Path) -> None:
    _edit(holding, lambda d: d["categories"][0].pop("hs_code"))
    assert _found(holding) == [
        ("categories[0].hs_code", "missing; every category carries the HS code it stands for"),
    ]


@pytest.mark.parametrize("code", ["930", "93021", "9302a", 9302, "９３０２"])
def test_category_with_bad_hs_code(holding: Path, code: object) -> None:
    _edit(holding, lambda d: d["categories"][1].update(hs_code=code))
    (field, message), *rest = _found(holding)
    assert field == "categories[1].hs_code"
    assert message.endswith(" is not an HS code (4 or 6 digits, as a string)")
    assert rest == []  # annotations of that category are not reported again


def test_category_edition(holding: Path) -> None:
    _edit(holding, lambda d: d["categories"][1].update(hs_edition="2022"))
    assert _found(holding) == [
        ("categories[1].hs_edition", '"2022" is not an HS edition like HS2022'),
    ]


def test_categories_mixing_editions(holding: Path) -> None:
    _edit(holding, lambda d: d["categories"][1].update(hs_edition="HS2017"))
    assert _found(holding) == [
        ("categories", "categories mix HS editions (HS2017, HS2022); a holding uses one"),
    ]


def test_unknown_category_id(holding: Path) -> None:
    _edit(holding, lambda d: d["annotations"][1].update(category_id=99))
    assert _found(holding) == [("annotations[1].category_id", "unknown category id 99")]


def test_unknown_image_id(holding: Path) -> None:
    _edit(holding, lambda d: d["annotations"][1].update(image_id=7))
    assert _found(holding) == [("annotations[1].image_id", "unknown image id 7")]


_SHAPE = "expected [x, y, width, height] of 4 finite numbers ≥ 0, got "
_OUTSIDE = "lies outside image 'scans/A001/high.tiff' (40 × 20)"


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ([1, 2, 3], _SHAPE + "[1, 2, 3]"),
        ([1, 2, 3, "4"], _SHAPE + '[1, 2, 3, "4"]'),
        ([-1, 2, 3, 4], _SHAPE + "[-1, 2, 3, 4]"),
        ([1, 2, True, 4], _SHAPE + "[1, 2, true, 4]"),
        ("1,2,3,4", _SHAPE + '"1,2,3,4"'),
        ([1, 2, 0, 4], "box [1, 2, 0, 4] has a width or height ≤ 0"),
        ([1, 2, 3, 0.0], "box [1, 2, 3, 0.0] has a width or height ≤ 0"),
        ([31, 12, 10, 8], "box [31, 12, 10, 8] " + _OUTSIDE),
        ([30, 12.5, 10, 8], "box [30, 12.5, 10, 8] " + _OUTSIDE),
        ([900, 10, 200, 50], "box [900, 10, 200, 50] " + _OUTSIDE),
    ],
)
def test_bad_bbox(holding: Path, bbox: object, message: str) -> None:
    _edit(holding, lambda d: d["annotations"][0].update(bbox=bbox))
    error = only_error(holding)
    assert (error.path, error.field, error.message) == (COCO, "annotations[0].bbox", message)


def test_bbox_outside_message_reads_well(holding: Path) -> None:
    _edit(holding, lambda d: d["annotations"][0].update(bbox=[900, 10, 200, 50]))
    assert str(only_error(holding)) == (
        "annotations.json: annotations[0].bbox: box [900, 10, 200, 50] lies outside image "
        "'scans/A001/high.tiff' (40 × 20)"
    )


def test_bbox_exactly_on_the_edge_is_inside(holding: Path) -> None:
    _edit(holding, lambda d: d["annotations"][0].update(bbox=[0, 0, 40, 20]))
    assert read_holding(holding).scans[0].annotations[0].bbox == (0.0, 0.0, 40.0, 20.0)


def test_bad_area(holding: Path) -> None:
    _edit(holding, lambda d: d["annotations"][0].update(area=-1))
    assert _found(holding) == [("annotations[0].area", "expected a finite number ≥ 0, got -1")]


def test_image_file_name_not_a_high_channel(holding: Path) -> None:
    _edit(holding, lambda d: d["images"][0].update(file_name="scans/A001/low.tiff"))
    assert _found(holding) == [
        ("images[0].file_name",
         "'scans/A001/low.tiff' is not the high-energy image of scan 'A001' "
         "('scans/A001/high.tiff')"),
        ("images", "scan 'A001' has no image entry (expected file_name 'scans/A001/high.tiff')"),
    ]  # fmt: skip


def test_image_without_scan(holding: Path) -> None:
    _edit(
        holding,
        lambda d: d["images"].append(
            {"id": 3, "file_name": "scans/C003/high.tiff", "width": 4, "height": 4}
        ),
    )
    assert _found(holding) == [
        ("images[2].file_name", "'scans/C003/high.tiff' is not the high-energy image of any scan"),
    ]


def test_scan_without_image(holding: Path) -> None:
    _edit(holding, lambda d: (d["images"].pop(1), d["annotations"].pop(2)))
    assert _found(holding) == [
        ("images", "scan 'B002' has no image entry (expected file_name 'scans/B002/high.png')"),
    ]


def test_image_size_differs_from_file(holding: Path) -> None:
    _edit(holding, lambda d: d["images"][0].update(width=41, height=21))
    assert _found(holding) == [
        ("images[0].width", "41 differs from the image 'scans/A001/high.tiff' (40 × 20)"),
        ("images[0].height", "21 differs from the image 'scans/A001/high.tiff' (40 × 20)"),
    ]


def test_image_size_missing(holding: Path) -> None:
    _edit(holding, lambda d: d["images"][0].pop("width"))
    assert _found(holding) == [("images[0].width", "missing")]


def test_duplicate_file_name(holding: Path) -> None:
    _edit(
        holding,
        lambda d: d["images"].append(
            {"id": 3, "file_name": "scans/B002/./high.png", "width": 30, "height": 16}
        ),
    )
    assert _found(holding) == [
        ("images[2].file_name", "'scans/B002/high.png' is listed twice (also images[1])"),
    ]


def test_entries_must_be_objects_with_int_ids(holding: Path) -> None:
    _edit(holding, lambda d: (d["annotations"].append(5), d["annotations"][0].update(id="10")))
    assert _found(holding) == [
        ("annotations[0].id", 'expected an integer id, got "10"'),
        ("annotations[3]", "expected an object, got number"),
    ]
