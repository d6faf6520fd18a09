"""The holding's COCO file ``annotations.json``, checked against the scans actually read.

:func:`parse_coco` reports every problem (missing arrays, duplicate ids, categories without a valid
HS code or edition, images that are not a scan's high channel or whose size differs from the file,
scans without an image entry, annotations with unknown ids or boxes outside their image) and, when
the file is usable, splits it into one COCO document per scan: that scan's image entry, its
annotations (file order) and the categories they use (by id).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from catalog.ingest.errors import Problems
from catalog.ingest.jsonio import is_int, is_number, json_type, show
from catalog.ingest.model import Annotation, Category
from catalog.ingest.paths import check_name
from catalog.ingest.sidecar import HS_CODE

__all__ = [
    "REL",
    "UNKNOWN_SCANS",
    "CocoResult",
    "ScanImage",
    "ScanLabels",
    "parse_coco",
    "scan_document",
]

#: The COCO file's name in the holding folder.
REL = "annotations.json"
_HS_EDITION = re.compile(r"HS[0-9]{4}")
_ARRAYS = ("images", "annotations", "categories")
_HEADER = ("info", "licenses")


@dataclass(frozen=True)
class ScanImage:
    """What COCO is checked against for one scan folder.

    ``high`` is the high channel's name relative to the holding (None when the sidecar could not
    say; images of that folder are then not checked), ``width``/``height`` its actual size (None
    when the image itself was invalid).
    """

    high: str | None
    width: int | None = None
    height: int | None = None


class _UnknownScans(Mapping[str, ScanImage]):
    """Stands for the scans when the scans folder itself is unusable: every image unchecked."""

    def __getitem__(self, folder: str) -> ScanImage:
        return ScanImage(None)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


#: Pass as ``scans`` to :func:`parse_coco` when the scan folders could not be listed.
UNKNOWN_SCANS: Mapping[str, ScanImage] = _UnknownScans()


@dataclass
class ScanLabels:
    """The COCO content of one scan: its image entry, annotations and their raw entries."""

    image: dict[str, Any]
    annotations: list[Annotation] = field(default_factory=list)
    raw: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class CocoResult:
    """Valid categories by id (with their raw entries) and the labels of each scan folder."""

    categories: dict[int, Category]
    raw_categories: dict[int, dict[str, Any]]
    scans: dict[str, ScanLabels]
    header: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Image:
    folder: str | None
    name: str
    width: int
    height: int


def parse_coco(
    doc: object, scans: Mapping[str, ScanImage], problems: Problems
) -> CocoResult | None:
    """Check the decoded COCO file against the scans; the split result when it is usable."""
    if not isinstance(doc, dict):
        problems.add(REL, None, f"expected a COCO JSON object, got {json_type(doc)}")
        return None
    arrays = _arrays(doc, problems)
    categories, raw_categories, category_ids = _categories(arrays.get("categories", []), problems)
    images, image_ids, labels, names = _images(arrays.get("images", []), scans, problems)
    if "images" in arrays:  # else every scan and image reference would be reported again
        _scans_without_image(scans, names, problems)
    references = (
        image_ids if "images" in arrays else None,
        category_ids if "categories" in arrays else None,
    )
    _annotations(arrays.get("annotations", []), images, references, labels, problems)
    if len(arrays) != len(_ARRAYS):
        return None
    header = {key: doc[key] for key in _HEADER if key in doc}
    return CocoResult(categories, raw_categories, labels, header)


def scan_document(labels: ScanLabels, coco: CocoResult) -> bytes:
    """The per-scan COCO document as compact UTF-8 JSON.

    ``info`` and ``licenses`` of the holding's file (when present), then this scan's image entry,
    its annotations and the categories they use, each entry verbatim.
    """
    used = sorted({annotation.category_id for annotation in labels.annotations})
    document = {
        **coco.header,
        "images": [labels.image],
        "annotations": labels.raw,
        "categories": [coco.raw_categories[category_id] for category_id in used],
    }
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")


def _arrays(doc: dict[str, Any], problems: Problems) -> dict[str, list[Any]]:
    arrays: dict[str, list[Any]] = {}
    for key in _ARRAYS:
        if key not in doc:
            message = "missing; COCO needs images, annotations and categories arrays"
            problems.add(REL, key, message)
        elif not isinstance(doc[key], list):
            problems.add(REL, key, f"expected an array, got {json_type(doc[key])}")
        else:
            arrays[key] = doc[key]
    return arrays


def _entry_id(
    entry: object, where: str, seen: dict[int, int], index: int, problems: Problems
) -> int | None:
    """The ``id`` of an array entry; None (reported) if not an object, not an int or a duplicate."""
    if not isinstance(entry, dict):
        problems.add(REL, where, f"expected an object, got {json_type(entry)}")
        return None
    value = entry.get("id")
    if not is_int(value):
        problems.add(REL, f"{where}.id", f"expected an integer id, got {show(value)}")
        return None
    entry_id = cast(int, value)
    if entry_id in seen:
        kind = where.split("[", 1)[0]
        problems.add(REL, f"{where}.id", f"duplicate id {entry_id} (also {kind}[{seen[entry_id]}])")
        return None
    seen[entry_id] = index
    return entry_id


def _categories(
    items: list[Any], problems: Problems
) -> tuple[dict[int, Category], dict[int, dict[str, Any]], dict[int, int]]:
    valid: dict[int, Category] = {}
    raw: dict[int, dict[str, Any]] = {}
    seen: dict[int, int] = {}
    for index, entry in enumerate(items):
        where = f"categories[{index}]"
        category_id = _entry_id(entry, where, seen, index, problems)
        if category_id is not None:
            category = _category(category_id, entry, where, problems)
            if category is not None:
                valid[category_id], raw[category_id] = category, entry
    editions = sorted({category.hs_edition for category in valid.values()})
    if len(editions) > 1:
        message = f"categories mix HS editions ({', '.join(editions)}); a holding uses one"
        problems.add(REL, "categories", message)
    return dict(sorted(valid.items())), raw, seen


def _category(
    category_id: int, entry: dict[str, Any], where: str, problems: Problems
) -> Category | None:
    before = problems.count
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add(REL, f"{where}.name", f"expected a non-empty string, got {show(name)}")
    code, edition = entry.get("hs_code"), entry.get("hs_edition")
    if "hs_code" not in entry:
        problems.add(
            REL, f"{where}.hs_code", "missing; every category carries the HS code it stands for"
        )
    elif not isinstance(code, str) or not HS_CODE.fullmatch(code):
        problems.add(
            REL, f"{where}.hs_code", f"{show(code)} is not an HS code (4 or 6 digits, as a string)"
        )
    if "hs_edition" not in entry:
        problems.add(REL, f"{where}.hs_edition", "missing; name the HS edition, e.g. HS2022")
    elif not isinstance(edition, str) or not _HS_EDITION.fullmatch(edition):
        problems.add(
            REL, f"{where}.hs_edition", f"{show(edition)} is not an HS edition like HS2022"
        )
    if problems.count != before:
        return None
    return Category(category_id, cast(str, name), cast(str, code), cast(str, edition))


def _images(
    items: list[Any], scans: Mapping[str, ScanImage], problems: Problems
) -> tuple[dict[int, _Image], dict[int, int], dict[str, ScanLabels], dict[str, int]]:
    valid: dict[int, _Image] = {}
    seen: dict[int, int] = {}
    names: dict[str, int] = {}
    labels: dict[str, ScanLabels] = {}
    for index, entry in enumerate(items):
        where = f"images[{index}]"
        image_id = _entry_id(entry, where, seen, index, problems)
        if image_id is None:
            _mention(entry, index, names)
            continue
        image = _image(entry, where, index, names, scans, problems)
        if image is not None:
            valid[image_id] = image
            if image.folder is not None:
                labels[image.folder] = ScanLabels(entry)
    return valid, seen, labels, names


def _mention(entry: object, index: int, names: dict[str, int]) -> None:
    """Note the file name of an entry refused for its id, so its scan is not reported as bare."""
    path = check_name(entry.get("file_name")) if isinstance(entry, dict) else None
    if path is not None and not isinstance(path, str):
        names.setdefault(str(path), index)


def _image(
    entry: dict[str, Any],
    where: str,
    index: int,
    names: dict[str, int],
    scans: Mapping[str, ScanImage],
    problems: Problems,
) -> _Image | None:
    before = problems.count
    width, height = (
        _dimension(entry, f"{where}.{key}", key, problems) for key in ("width", "height")
    )
    path = check_name(entry.get("file_name"))
    if isinstance(path, str):
        problems.add(REL, f"{where}.file_name", path)
        return None
    name = str(path)
    if name in names:
        problems.add(
            REL, f"{where}.file_name", f"{name!r} is listed twice (also images[{names[name]}])"
        )
        return None
    names[name] = index
    folder = _match_scan(name, where, scans, problems)
    if folder is not None and width is not None and height is not None:
        _check_size(scans[folder], width, height, where, problems)
    if problems.count != before or width is None or height is None:
        return None
    scan = scans.get(folder or "")
    actual = (scan.width, scan.height) if scan and scan.width and scan.height else (width, height)
    return _Image(folder, name, actual[0], actual[1])


def _dimension(entry: dict[str, Any], where: str, key: str, problems: Problems) -> int | None:
    value = entry.get(key)
    if not is_int(value) or cast(int, value) <= 0:
        problems.add(
            REL,
            where,
            "missing" if key not in entry else f"expected an integer > 0, got {show(value)}",
        )
        return None
    return cast(int, value)


def _match_scan(
    name: str, where: str, scans: Mapping[str, ScanImage], problems: Problems
) -> str | None:
    """The scan folder whose high channel ``name`` is (None, reported, when there is none)."""
    parts = name.split("/")
    scan = scans.get(parts[1]) if len(parts) > 2 and parts[0] == "scans" else None
    if scan is not None and scan.high is None:
        return None
    if scan is None or scan.high != name:
        what = f"of scan {parts[1]!r} ({scan.high!r})" if scan else "of any scan"
        problems.add(REL, f"{where}.file_name", f"{name!r} is not the high-energy image {what}")
        return None
    return parts[1]


def _check_size(scan: ScanImage, width: int, height: int, where: str, problems: Problems) -> None:
    if scan.width is None or scan.height is None:
        return
    for key, claimed, actual in (("width", width, scan.width), ("height", height, scan.height)):
        if claimed != actual:
            message = (
                f"{claimed} differs from the image {scan.high!r} ({scan.width} × {scan.height})"
            )
            problems.add(REL, f"{where}.{key}", message)


def _scans_without_image(
    scans: Mapping[str, ScanImage], names: Mapping[str, int], problems: Problems
) -> None:
    for folder, scan in scans.items():
        if scan.high is not None and scan.high not in names:
            message = f"scan {folder!r} has no image entry (expected file_name {scan.high!r})"
            problems.add(REL, "images", message)


def _annotations(
    items: list[Any],
    images: Mapping[int, _Image],
    references: tuple[Mapping[int, int] | None, Mapping[int, int] | None],
    labels: dict[str, ScanLabels],
    problems: Problems,
) -> None:
    """Check each annotation; file the valid ones under their scan.

    ``references`` are the image and category ids present (None when that array is unusable:
    references into it are then not checked).
    """
    image_ids, category_ids = references
    seen: dict[int, int] = {}
    for index, entry in enumerate(items):
        where = f"annotations[{index}]"
        annotation_id = _entry_id(entry, where, seen, index, problems)
        if annotation_id is None:
            continue
        before = problems.count
        image = _reference(entry, where, "image_id", images, image_ids, problems)
        category_ok = _reference(entry, where, "category_id", None, category_ids, problems)
        box = _bbox(entry.get("bbox"), f"{where}.bbox", image, problems)
        area = _area(entry, where, box, problems)
        if (
            problems.count != before
            or image is None
            or box is None
            or area is None
            or not category_ok
        ):
            continue
        if image.folder is not None and image.folder in labels:
            scan = labels[image.folder]
            scan.annotations.append(Annotation(annotation_id, entry["category_id"], box, area))
            scan.raw.append(entry)


def _reference(
    entry: dict[str, Any],
    where: str,
    key: str,
    valid: Mapping[int, _Image] | None,
    seen: Mapping[int, int] | None,
    problems: Problems,
) -> Any:
    """Check an id reference: the valid image (or True for a category), None/False if unusable."""
    if seen is None:
        return None
    value = entry.get(key)
    if not is_int(value):
        problems.add(
            REL,
            f"{where}.{key}",
            "missing" if key not in entry else f"expected an integer id, got {show(value)}",
        )
        return None
    if value not in seen:
        kind = "image" if key == "image_id" else "category"
        problems.add(REL, f"{where}.{key}", f"unknown {kind} id {value}")
        return None
    return valid.get(cast(int, value)) if valid is not None else True


def _bbox(
    value: object, where: str, image: _Image | None, problems: Problems
) -> tuple[float, float, float, float] | None:
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not all(is_number(v) and v >= 0 for v in value)
    ):
        problems.add(
            REL, where, f"expected [x, y, width, height] of 4 finite numbers ≥ 0, got {show(value)}"
        )
        return None
    x, y, w, h = (float(v) for v in value)
    if w <= 0 or h <= 0:
        problems.add(REL, where, f"box {show(value)} has a width or height ≤ 0")
        return None
    if image is not None and (x + w > image.width or y + h > image.height):
        message = (
            f"box {show(value)} lies outside image {image.name!r} ({image.width} × {image.height})"
        )
        problems.add(REL, where, message)
        return None
    return x, y, w, h


def _area(
    entry: dict[str, Any], where: str, box: tuple[float, ...] | None, problems: Problems
) -> float | None:
    if "area" not in entry:
        return box[2] * box[3] if box is not None else None
    value = entry["area"]
    if not is_number(value) or value < 0:
        problems.add(REL, f"{where}.area", f"expected a finite number ≥ 0, got {show(value)}")
        return None
    return float(value)
