"""scan.json problems: each names the sidecar, the field and what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.catalog.ingest.builders import build_holding, edit_json, errors_of, only_error

SIDECAR = "scans/A001/scan.json"


@pytest.fixture
def holding(tmp_path: Path) -> Path:
    return build_holding(tmp_path / "holding")


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.__setitem__(key, value)


def test_missing_scan_json(holding: Path) -> None:
    (holding / "scans" / "A001" / "scan.json").unlink()
    error = only_error(holding)
    assert (error.path, error.field, error.message) == (SIDECAR, None, "file is missing")


def test_invalid_json_gives_line_and_column(holding: Path) -> None:
    (holding / "scans" / "A001" / "scan.json").write_text('{\n  "id": "A001",\n  oops\n}\n')
    error = only_error(holding)
    assert (error.path, error.field) == (SIDECAR, None)
    assert error.message == (
        "invalid JSON at line 3, column 3: Expecting property name enclosed in double quotes"
    )
    assert str(error).startswith("scans/A001/scan.json: invalid JSON at line 3, column 3")


def test_sidecar_must_be_an_object(holding: Path) -> None:
    (holding / "scans" / "A001" / "scan.json").write_text("[]")
    error = only_error(holding)
    assert (error.path, error.message) == (SIDECAR, "expected a JSON object, got array")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda d: d.pop("views"), "views", "missing"),
        (_set("colour", "red"), "colour", "unknown key (known keys: id, datetime, modality, "
         "conveyance, container_type, energy_profile, energies, scanner, pixel_spacing_mm, "
         "views, source_format, original, declared_hs_codes, inspection_outcome, synthetic, site)"),
        (_set("synthetic", "yes"), "synthetic", 'expected true or false, got "yes"'),
        (_set("modality", "mri"), "modality", '"mri" is not one of transmission-dual-energy, '
         "transmission-single-energy, backscatter, ct"),
        (_set("conveyance", 3), "conveyance", "3 is not one of sea-container, road-vehicle, "
         "rail-wagon, air-cargo, parcel, post"),
        (_set("energy_profile", "laser"), "energy_profile", '"laser" is not one of linac, tube'),
        (_set("source_format", "DICOM"), "source_format",
         '"DICOM" is not one of UFF-2.0, DICOS-v03, TIFF16'),
        (_set("inspection_outcome", "ok"), "inspection_outcome",
         '"ok" is not one of cleared, seized, further-inspection, not-inspected'),
        (_set("container_type", "45g1"), "container_type",
         '"45g1" is not an ISO 6346 size-and-type code (e.g. 45G1) or null'),
        (_set("datetime", "2024-03-01T10:20:30"), "datetime",
         "'2024-03-01T10:20:30' has no time zone; write UTC, e.g. 2024-03-01T10:20:30Z"),
        (_set("datetime", "2024-03-01"), "datetime",
         "'2024-03-01' is not an RFC 3339 date-time (e.g. 2024-03-01T00:00:00Z)"),
        (_set("datetime", "2024-02-30T00:00:00Z"), "datetime",
         "'2024-02-30T00:00:00Z' is not a valid date-time"),
        (_set("datetime", 1709288430), "datetime", "expected a string, got number"),
        (_set("id", "A 001"), "id",
         "'A 001' is not a valid scan id (^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$)"),
        (_set("id", "A002"), "id", "'A002' differs from the scan folder name 'A001'"),
        (_set("pixel_spacing_mm", [4.5]), "pixel_spacing_mm", "expected [x, y], got [4.5]"),
        (_set("pixel_spacing_mm", [4.5, 0]), "pixel_spacing_mm[1]",
         "expected a number > 0, got 0"),
        (_set("views", []), "views",
         "expected a non-empty array of side, top, oblique, got []"),
        (_set("views", ["side", "front"]), "views[1]",
         '"front" is not one of side, top, oblique'),
        (_set("views", ["side", "side"]), "views", 'lists a view twice: ["side", "side"]'),
        (_set("declared_hs_codes", ["9302", 9303]), "declared_hs_codes[1]",
         "9303 is not an HS code (4 or 6 digits, as a string)"),
        (_set("declared_hs_codes", ["93021"]), "declared_hs_codes[0]",
         '"93021" is not an HS code (4 or 6 digits, as a string)'),
        (_set("scanner", {"manufacturer": "Acme"}), "scanner.model", "missing"),
        (_set("scanner", {"manufacturer": "", "model": "X"}), "scanner.manufacturer",
         "must not be empty"),
        (_set("scanner", "Acme LX-6"), "scanner", "expected an object, got string"),
        (_set("scanner", {"manufacturer": "A", "model": "B", "serial": "1"}), "scanner.serial",
         "unknown key (known keys: manufacturer, model)"),
        (lambda d: d["energies"][1].pop("kv"), "energies[1].kv", "missing"),
        (lambda d: d["energies"][1].__setitem__("kv", -1), "energies[1].kv",
         "expected a number > 0, got -1"),
        (lambda d: d["energies"][1].__setitem__("kv", True), "energies[1].kv",
         "expected a number > 0, got true"),
        (lambda d: d["energies"][1].__setitem__("channel", "mid"), "energies[1].channel",
         '"mid" is not one of high, low'),
        (lambda d: d["energies"][0].__setitem__("gain", 2), "energies[0].gain",
         "unknown key (known keys: channel, kv, file)"),
        (lambda d: d["energies"][1].__setitem__("channel", "high"), "energies",
         "channel listed twice (high, high)"),
        (lambda d: d["energies"][1].__setitem__("file", "high.tiff"), "energies",
         "both channels name the same file 'high.tiff'"),
        (_set("energies", []), "energies", "expected an array of 1 or 2 entries, got []"),
        (_set("modality", "transmission-single-energy"), "energies",
         "a 'low' channel belongs to dual-energy scans, not transmission-single-energy"),
        (lambda d: d["energies"].pop(1), "energies",
         "a dual-energy scan needs a 'low' channel too"),
        (lambda d: d["energies"].pop(0), "energies", "has no 'high' channel"),
        (_set("original", None), "original",
         "source_format is DICOS-v03 but there is no original DICOS file"),
        (_set("original", 7), "original", "expected a file name (string), got number"),
    ],
)  # fmt: skip
def test_sidecar_field_errors(
    holding: Path, change: Callable[[dict[str, Any]], Any], field: str, message: str
) -> None:
    edit_json(holding / "scans" / "A001" / "scan.json", change)
    errors = [e for e in errors_of(holding) if e.path == SIDECAR]
    assert [(e.field, e.message) for e in errors][:1] == [(field, message)]
    assert str(errors[0]) == f"{SIDECAR}: {field}: {message}"


def test_low_channel_on_single_energy_scan_reports_only_the_sidecar(holding: Path) -> None:
    edit_json(holding / "scans" / "A001" / "scan.json", _set("modality", "ct"))
    error = only_error(holding)
    assert (error.path, error.field) == (SIDECAR, "energies")


def test_bad_scan_folder_name(holding: Path) -> None:
    (holding / "scans" / "A001").rename(holding / "scans" / "-A001")
    errors = errors_of(holding)
    assert (errors[0].path, errors[0].field, errors[0].message) == (
        "scans/-A001", None,
        "folder name '-A001' is not a valid scan id (^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$)",
    )  # fmt: skip
    assert [(e.path, e.field, e.message) for e in errors[1:]] == [
        ("annotations.json", "images[0].file_name",
         "'scans/A001/high.tiff' is not the high-energy image of any scan"),
    ]  # fmt: skip


def test_duplicate_scan_ids(holding: Path) -> None:
    edit_json(holding / "scans" / "B002" / "scan.json", _set("id", "A001"))
    errors = errors_of(holding)
    messages = [(e.path, e.field, e.message) for e in errors]
    assert ("scans/B002/scan.json", "id", "'A001' differs from the scan folder name 'B002'") in (
        messages
    )
    assert (
        "scans/B002/scan.json", "id", "duplicate scan id 'A001' (also in scans/A001/scan.json)",
    ) in messages  # fmt: skip


def test_duplicate_json_keys_are_refused(holding: Path) -> None:
    path = holding / "scans" / "A001" / "scan.json"
    path.write_text(path.read_text().replace('"id": "A001",', '"id": "A001", "id": "B",'))
    error = only_error(holding)
    assert error.message == "invalid JSON: key 'id' appears twice in one object"


def test_nan_is_not_json(holding: Path) -> None:
    path = holding / "scans" / "A001" / "scan.json"
    path.write_text(path.read_text().replace("4.5,", "NaN,"))
    assert only_error(holding).message == "invalid JSON: NaN is not a JSON number"


def test_not_utf8(holding: Path) -> None:
    (holding / "scans" / "A001" / "scan.json").write_bytes(b'{"id": "\xff"}')
    assert only_error(holding).message == "is not UTF-8 text (bad byte at offset 8)"
