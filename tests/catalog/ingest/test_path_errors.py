"""Missing files and names that would leave the holding folder; nothing outside is ever opened."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from catalog.ingest import IngestErrors, read_holding
from tests.catalog.ingest.builders import (
    A_SHAPE,
    build_holding,
    edit_json,
    errors_of,
    only_error,
    write_tiff,
)


@pytest.fixture
def holding(tmp_path: Path) -> Path:
    return build_holding(tmp_path / "holding")


def _triple(folder: Path, **kwargs: Any) -> tuple[str, str | None, str]:
    error = only_error(folder, **kwargs)
    return error.path, error.field, error.message


def test_missing_holding_folder(tmp_path: Path) -> None:
    with pytest.raises(IngestErrors) as caught:
        read_holding(tmp_path / "nope")
    assert str(caught.value) == ".: holding folder does not exist"


def test_missing_annotations_json(holding: Path) -> None:
    (holding / "annotations.json").unlink()
    assert _triple(holding) == ("annotations.json", None, "file is missing")


def test_missing_scans_folder(holding: Path) -> None:
    shutil.rmtree(holding / "scans")
    assert _triple(holding) == ("scans", None, "folder is missing")


def test_empty_scans_folder(holding: Path) -> None:
    shutil.rmtree(holding / "scans")
    (holding / "scans").mkdir()
    (holding / "annotations.json").write_text('{"images": [], "annotations": [], "categories": []}')
    assert _triple(holding) == ("scans", None, "holds no scan folders")


def test_stray_file_in_scans(holding: Path) -> None:
    (holding / "scans" / "README").write_text("hello")
    assert _triple(holding) == ("scans/README", None, "is not a folder (a regular file)")


def test_channel_file_named_in_energies_does_not_exist(holding: Path) -> None:
    (holding / "scans" / "A001" / "low.tiff").unlink()
    assert _triple(holding) == (
        "scans/A001/scan.json", "energies[1].file", "names 'low.tiff', which does not exist",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("/etc/passwd", "'/etc/passwd' is an absolute path; names are relative to the holding"),
        ("../B002/high.png",
         "'../B002/high.png' climbs out with '..'; names must stay inside the holding folder"),
        ("a\\b.tiff", "'a\\\\b.tiff' is not a valid file name (empty, NUL or backslash)"),
        ("", "'' is not a valid file name (empty, NUL or backslash)"),
    ],
)  # fmt: skip
def test_escaping_names_in_sidecar(holding: Path, name: str, message: str) -> None:
    edit_json(
        holding / "scans" / "A001" / "scan.json",
        lambda doc: doc["energies"][1].__setitem__("file", name),
    )
    assert _triple(holding) == ("scans/A001/scan.json", "energies[1].file", message)


def test_escaping_name_in_coco(holding: Path) -> None:
    edit_json(
        holding / "annotations.json",
        lambda doc: doc["images"][0].__setitem__("file_name", "scans/../../x/high.tiff"),
    )
    errors = errors_of(holding)
    assert (errors[0].path, errors[0].field, errors[0].message) == (
        "annotations.json", "images[0].file_name",
        "'scans/../../x/high.tiff' climbs out with '..'; names must stay inside the holding folder",
    )  # fmt: skip


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path the reader opens."""
    seen: list[str] = []
    real_open = os.open

    def spy(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        seen.append(os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr("catalog.ingest.paths.os.open", spy)
    return seen


def test_symlink_to_file_outside_is_refused_unopened(
    holding: Path, tmp_path: Path, opened: list[str]
) -> None:
    outside = tmp_path / "outside.tiff"
    write_tiff(outside, *A_SHAPE)
    low = holding / "scans" / "A001" / "low.tiff"
    low.unlink()
    os.symlink(outside, low)
    assert _triple(holding) == (
        "scans/A001/low.tiff", None, "leads outside the holding folder (through a symlink)",
    )  # fmt: skip
    root = str(holding.resolve())
    assert opened
    assert all(path.startswith(root + os.sep) for path in opened)


def test_relative_symlink_climbing_out_is_refused(holding: Path, tmp_path: Path) -> None:
    write_tiff(tmp_path / "outside.tiff", *A_SHAPE)
    low = holding / "scans" / "A001" / "low.tiff"
    low.unlink()
    os.symlink("../../../outside.tiff", low)
    assert _triple(holding)[2] == "leads outside the holding folder (through a symlink)"


def test_symlinked_scan_folder_outside_is_refused(holding: Path, tmp_path: Path) -> None:
    (holding / "scans" / "B002").rename(tmp_path / "B002")
    os.symlink(tmp_path / "B002", holding / "scans" / "B002")
    errors = errors_of(holding)
    assert (errors[0].path, errors[0].message) == (
        "scans/B002", "leads outside the holding folder (through a symlink)",
    )  # fmt: skip


def test_symlinked_annotations_outside_is_refused(holding: Path, tmp_path: Path) -> None:
    (holding / "annotations.json").rename(tmp_path / "annotations.json")
    os.symlink(tmp_path / "annotations.json", holding / "annotations.json")
    assert _triple(holding) == (
        "annotations.json", None, "leads outside the holding folder (through a symlink)",
    )  # fmt: skip


def test_symlink_loop(holding: Path) -> None:
    low = holding / "scans" / "A001" / "low.tiff"
    low.unlink()
    os.symlink("low.tiff", low)
    assert _triple(holding) == ("scans/A001/low.tiff", None, "cannot be resolved (symlink loop?)")


def test_fifo_is_not_a_regular_file(holding: Path) -> None:
    low = holding / "scans" / "A001" / "low.tiff"
    low.unlink()
    os.mkfifo(low)
    assert _triple(holding) == ("scans/A001/low.tiff", None, "is not a regular file (a FIFO)")


def test_folder_is_not_a_regular_file(holding: Path) -> None:
    original = holding / "scans" / "A001" / "original.dcm"
    original.unlink()
    original.mkdir()
    assert _triple(holding) == ("scans/A001/original.dcm", None, "is not a regular file (a folder)")


def test_scan_json_that_is_a_folder(holding: Path) -> None:
    sidecar = holding / "scans" / "B002" / "scan.json"
    sidecar.unlink()
    sidecar.mkdir()
    assert _triple(holding) == ("scans/B002/scan.json", None, "is not a regular file (a folder)")
