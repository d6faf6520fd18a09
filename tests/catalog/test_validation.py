"""Offline STAC validation (catalog.validation) and the schemas shipped in catalog/schemas/."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import socket
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pystac
import pytest
from pystac.extensions.file import FileExtension

with warnings.catch_warnings():  # pystac deprecates its label helpers; the extension is current
    warnings.simplefilter("ignore", DeprecationWarning)
    from pystac.extensions.label import (
        LabelClasses,
        LabelCount,
        LabelExtension,
        LabelOverview,
        LabelType,
    )

from catalog import validation
from catalog.validation import (
    COLLECTION_EXTENSIONS,
    FILE_SCHEMA_URL,
    ITEM_EXTENSIONS,
    LABEL_SCHEMA_URL,
    SEC_SCHEMA_URL,
    XRAY_SCHEMA_URL,
    StacValidationError,
    validate_collection,
    validate_item,
)

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "catalog" / "schemas"
SHARED_SCHEMAS = REPO.parent / "shared" / "stac-schemas"

# Files copied verbatim from ../shared/stac-schemas (see catalog/schemas/README.md).
COPIED_FROM_SHARED = sorted(
    str(p.relative_to(SCHEMAS))
    for top in ("schemas.stacspec.org", "geojson.org", "stac-extensions.github.io/label")
    for p in (SCHEMAS / top).rglob("*.json")
)
OURS = (
    "clearance.example/stac/xray/v1.1.0/schema.json",
    "clearance.example/stac/sec/v1.0.0/schema.json",
)
FILE_EXT = "stac-extensions.github.io/file/v2.1.0/schema.json"
# sha256 of the file extension schema as served at its URL (stac-extensions/file, gh-pages branch,
# v2.1.0/schema.json), so an accidental edit of our copy shows.
FILE_EXT_SHA256 = "4ebf3f5f5a1f9772321b931c74191960c0d2045e5069fc13a5344bef46eb8abc"


def _digest(data: bytes) -> str:
    return "1220" + hashlib.sha256(data).hexdigest()  # multihash: sha2-256, 32 bytes


def make_item(item_id: str = "NLD-C-000001") -> dict[str, Any]:
    item = pystac.Item(
        id=item_id,
        geometry=None,
        bbox=None,
        datetime=dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
        properties={
            "xray:modality": "transmission-dual-energy",
            "xray:conveyance": "sea-container",
            "xray:container_type": "45G1",
            "xray:energy_profile": "linac",
            "xray:energies_kv": [6000, 4000],
            "xray:scanner": "Nuctech MB1215HS",
            "xray:pixel_spacing_mm": [5.0, 5.0],
            "xray:views": ["side"],
            "xray:source_format": "UFF-2.0",
            "xray:label_taxonomy": "HS2022",
            "xray:inspection_outcome": "seized",
            "xray:synthetic": True,
            "xray:object_count": 3,
            "xray:declared_hs_codes": ["8471", "940360"],
            "sec:level": "R2",
        },
    )
    label = LabelExtension.ext(item, add_if_missing=True)
    label.apply(
        label_description="Objects annotated by customs officers, one class per HS code",
        label_type=LabelType.VECTOR,
        label_properties=["hs_code"],
        label_classes=[LabelClasses.create(classes=["9302", "2402"], name="hs_code")],
        label_tasks=["detection"],
        label_methods=["manual"],
        label_overviews=[
            LabelOverview.create(
                property_key="hs_code",
                counts=[LabelCount.create("9302", 1), LabelCount.create("2402", 2)],
            )
        ],
    )
    assets = {
        "high": ("scans/x/high.tiff", "image/tiff; application=geotiff", ["data"]),
        "low": ("scans/x/low.tiff", "image/tiff; application=geotiff", ["data"]),
        "original": ("scans/x/original.dcm", "application/dicom", ["source"]),
        "annotations": ("scans/x/annotations.json", "application/json", ["labels"]),
    }
    for key, (href, media_type, roles) in assets.items():
        asset = pystac.Asset(href=href, media_type=media_type, roles=roles)
        item.add_asset(key, asset)
        file = FileExtension.ext(asset, add_if_missing=True)
        file.size = 1024 * len(key)
        file.checksum = _digest(key.encode())
    item.stac_extensions.extend([XRAY_SCHEMA_URL, SEC_SCHEMA_URL])
    d = item.to_dict(include_self_link=False, transform_hrefs=False)
    assert isinstance(d, dict)
    return d


def make_collection(collection_id: str = "NLD-holding-1") -> dict[str, Any]:
    collection = pystac.Collection(
        id=collection_id,
        description="Container scans, port of Rotterdam",
        extent=pystac.Extent(
            pystac.SpatialExtent([[-180.0, -90.0, 180.0, 90.0]]),
            pystac.TemporalExtent([[dt.datetime(2024, 1, 1, tzinfo=dt.UTC), None]]),
        ),
        license="other",
        stac_extensions=list(COLLECTION_EXTENSIONS),
        extra_fields={
            "sec:level": "R2",
            "sec:national_marking": "Dep. Vertrouwelijk",
            "sec:releasable_to": ["BEL", "DEU"],
            "sec:handling": "enclave-only",
            "sec:discovery": "partners",
            "sec:owner": "NLD",
        },
        summaries=pystac.Summaries(
            {
                "xray:modality": ["transmission-dual-energy"],
                "xray:container_type": ["45G1", None],
                "xray:views": ["side", "top"],
                "xray:synthetic": [False, True],
                "xray:object_count": {"minimum": 0, "maximum": 12},
                "xray:energies_kv": {"minimum": 4000, "maximum": 6000},
                "xray:pixel_spacing_mm": [5.0, 4.5],
                "xray:declared_hs_codes": ["8471", "940360"],
                "label:classes": [{"name": "hs_code", "classes": ["9302", "2402"]}],
            }
        ),
    )
    d = collection.to_dict(include_self_link=False, transform_hrefs=False)
    assert isinstance(d, dict)
    return d


# ----------------------------------------------------------------------------------- valid objects


def test_item_built_with_pystac_is_valid() -> None:
    d = make_item()
    assert d["stac_version"] == "1.1.0"
    assert set(d["stac_extensions"]) == set(ITEM_EXTENSIONS)
    assert len(d["assets"]) == 4
    validate_item(d)


def test_collection_built_with_pystac_is_valid() -> None:
    d = make_collection()
    assert set(d["stac_extensions"]) == set(COLLECTION_EXTENSIONS)
    validate_collection(d)


def test_stac_1_0_0_item_and_collection_are_valid() -> None:
    item, collection = make_item(), make_collection()
    item["stac_version"] = collection["stac_version"] = "1.0.0"
    validate_item(item)
    validate_collection(collection)


def test_parcel_without_container_and_all_partners_is_valid() -> None:
    item = make_item()
    item["properties"]["xray:container_type"] = None
    item["properties"]["xray:conveyance"] = "parcel"
    item["properties"]["xray:declared_hs_codes"] = []
    validate_item(item)
    collection = make_collection()
    collection["sec:releasable_to"] = ["ALL"]
    validate_collection(collection)


# -------------------------------------------------------------------------------- invalid objects

Mutation = Callable[[dict[str, Any]], None]


def _set(*path_and_value: Any) -> Mutation:
    *path, value = path_and_value

    def mutate(d: dict[str, Any]) -> None:
        target: Any = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(*path: str) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        target: Any = d
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


ITEM_CASES: list[tuple[str, Mutation, str]] = [
    ("wrong sec:level", _set("properties", "sec:level", "R5"), "properties.sec:level: 'R5'"),
    (
        "bad xray:modality",
        _set("properties", "xray:modality", "foo"),
        "properties.xray:modality: 'foo' is not one of ['transmission-dual-energy'",
    ),
    (
        "bad declared HS code",
        _set("properties", "xray:declared_hs_codes", ["8471", "84713"]),
        "properties.xray:declared_hs_codes.1: '84713' does not match",
    ),
    (
        "bad container type",
        _set("properties", "xray:container_type", "45g1"),
        "properties.xray:container_type: '45g1' does not match",
    ),
    (
        "unknown xray: key",
        _set("properties", "xray:colour", "grey"),
        "properties.xray:colour: unknown field",
    ),
    (
        "missing required xray field",
        _delete("properties", "xray:object_count"),
        "properties.xray:object_count: required field missing",
    ),
    (
        "missing sec:level on item",
        _delete("properties", "sec:level"),
        "properties.sec:level: required field missing",
    ),
    (
        "missing label:type",
        _delete("properties", "label:type"),
        "properties.label:type: required field missing",
    ),
    (
        "bad file:size",
        _set("assets", "high", "file:size", -1),
        "assets.high.file:size: -1 is less than the minimum of 0",
    ),
    (
        "file:size not an integer",
        _set("assets", "low", "file:size", "12"),
        "assets.low.file:size: '12' is not of type 'integer'",
    ),
    (
        "bad file:checksum",
        _set("assets", "original", "file:checksum", "SHA256:abc"),
        "assets.original.file:checksum: 'SHA256:abc' does not match",
    ),
    (
        "unknown extension URL",
        _set("stac_extensions", 0, "https://stac-extensions.github.io/eo/v1.1.0/schema.json"),
        "stac_extensions.0: unknown extension schema "
        "'https://stac-extensions.github.io/eo/v1.1.0/schema.json'",
    ),
    (
        "datetime not UTC",
        _set("properties", "datetime", "2024-05-01T00:00:00+02:00"),
        "properties.datetime: '2024-05-01T00:00:00+02:00' does not match",
    ),
    (
        "datetime not a date-time",
        _set("properties", "datetime", "2024-13-01T00:00:00Z"),
        "properties.datetime: '2024-13-01T00:00:00Z' is not a 'date-time'",
    ),
    (
        "collection id without a collection link",
        _set("collection", "NLD-holding-1"),
        "collection: field not allowed here (an item's 'collection' needs a link with rel",
    ),
    (
        "two HS editions",
        _set("properties", "xray:label_taxonomy", "HS2017,HS2022"),
        "properties.xray:label_taxonomy: 'HS2017,HS2022' does not match",
    ),
    (
        "unsupported stac_version",
        _set("stac_version", "0.9.0"),
        "stac_version: unsupported STAC version '0.9.0'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(m, e, id=name) for name, m, e in ITEM_CASES],
)
def test_invalid_item_is_rejected_naming_the_field(mutate: Mutation, expected: str) -> None:
    d = make_item()
    mutate(d)
    with pytest.raises(StacValidationError) as excinfo:
        validate_item(d)
    message = str(excinfo.value)
    assert message.startswith("item 'NLD-C-000001': "), message
    assert expected in message, message
    assert excinfo.value.object_id == "NLD-C-000001"


def test_own_prefix_without_its_extension_url_is_rejected() -> None:
    d = make_item()
    d["stac_extensions"].remove(XRAY_SCHEMA_URL)
    with pytest.raises(StacValidationError) as excinfo:
        validate_item(d)
    assert str(excinfo.value) == (
        f"item 'NLD-C-000001': stac_extensions: {XRAY_SCHEMA_URL!r} must be listed: "
        "properties.xray:modality uses its prefix"
    )
    collection = make_collection()
    collection["stac_extensions"].remove(SEC_SCHEMA_URL)
    with pytest.raises(StacValidationError, match=r"stac_extensions: .*sec/v1\.0\.0.* sec:level"):
        validate_collection(collection)


def test_public_extension_fields_are_checked_only_when_declared() -> None:
    d = make_item()
    d["stac_extensions"].remove(FILE_SCHEMA_URL)
    d["assets"]["high"]["file:size"] = -1
    validate_item(d)  # STAC: an undeclared extension is not validated


def test_required_extensions() -> None:
    validate_item(make_item(), require=ITEM_EXTENSIONS)
    validate_collection(make_collection(), require=COLLECTION_EXTENSIONS)
    d = make_item()
    d["stac_extensions"].remove(LABEL_SCHEMA_URL)
    for key in [k for k in d["properties"] if k.startswith("label:")]:
        del d["properties"][key]
    validate_item(d)
    with pytest.raises(StacValidationError) as excinfo:
        validate_item(d, require=ITEM_EXTENSIONS)
    assert str(excinfo.value) == (
        f"item 'NLD-C-000001': stac_extensions: {LABEL_SCHEMA_URL!r} is required but not listed"
    )


def test_no_matching_form_says_why_each_fails() -> None:
    d = make_item()
    d["bbox"] = [0, 0, 1, 1]  # geometry is null: no bbox
    with pytest.raises(StacValidationError) as excinfo:
        validate_item(d)
    message = str(excinfo.value)
    assert message.startswith("item 'NLD-C-000001': (root): matches none of the allowed forms: ")
    assert "at geometry: None" in message
    assert "at bbox: [0, 0, 1, 1]" in message


def test_extension_schema_requires_its_url_in_stac_extensions() -> None:
    # The schema says so itself: checking an item against the xray schema without declaring it.
    d = make_item()
    d["stac_extensions"].remove(XRAY_SCHEMA_URL)
    errors = list(validation._check(XRAY_SCHEMA_URL, d))
    assert [e.path for e in errors] == ["stac_extensions"], errors


COLLECTION_CASES: list[tuple[str, Mutation, str]] = [
    ("wrong sec:level", _set("sec:level", "R9"), "sec:level: 'R9' is not one of"),
    ("missing sec:handling", _delete("sec:handling"), "sec:handling: required field missing"),
    ("bad sec:handling", _set("sec:handling", "email"), "sec:handling: 'email' is not one of"),
    (
        "releasable_to mixes ALL and codes",
        _set("sec:releasable_to", ["ALL", "BEL"]),
        "sec:releasable_to: ['ALL'] was expected",
    ),
    (
        "releasable_to with a lowercase code",
        _set("sec:releasable_to", ["BEL", "deu"]),
        "sec:releasable_to.1: 'deu' does not match",
    ),
    (
        "releasable_to with a repeated code",
        _set("sec:releasable_to", ["BEL", "BEL"]),
        "sec:releasable_to: ['BEL', 'BEL'] has non-unique elements",
    ),
    ("blank national marking", _set("sec:national_marking", "  "), "sec:national_marking: '  '"),
    (
        "national marking too long",
        _set("sec:national_marking", "X" * 201),
        "sec:national_marking: 'XXXX",
    ),
    ("bad owner", _set("sec:owner", "NL"), "sec:owner: 'NL' does not match"),
    ("bad discovery", _set("sec:discovery", "all"), "sec:discovery: 'all' is not one of"),
    ("unknown sec: key", _set("sec:caveat", "EYES ONLY"), "sec:caveat: unknown field"),
    (
        "bad xray summary value",
        _set("summaries", "xray:modality", ["x-ray"]),
        "summaries.xray:modality",
    ),
    (
        "unknown xray summary",
        _set("summaries", "xray:colour", ["grey"]),
        "summaries.xray:colour: unknown field",
    ),
    (
        "unknown extension URL",
        _set("stac_extensions", 2, "https://clearance.example/stac/sec/v9.0.0/schema.json"),
        "stac_extensions.2: unknown extension schema "
        "'https://clearance.example/stac/sec/v9.0.0/schema.json'",
    ),
    ("missing license", _delete("license"), "license: required field missing"),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(m, e, id=name) for name, m, e in COLLECTION_CASES],
)
def test_invalid_collection_is_rejected_naming_the_field(mutate: Mutation, expected: str) -> None:
    d = make_collection()
    mutate(d)
    with pytest.raises(StacValidationError) as excinfo:
        validate_collection(d)
    message = str(excinfo.value)
    assert message.startswith("collection 'NLD-holding-1': "), message
    assert expected in message, message


def test_error_lists_every_failing_field_with_its_schema() -> None:
    d = make_item()
    d["properties"]["xray:modality"] = "foo"
    d["properties"]["sec:level"] = "R7"
    d["assets"]["high"]["file:size"] = -5
    with pytest.raises(StacValidationError) as excinfo:
        validate_item(d)
    by_path = {e.path: e.schema for e in excinfo.value.errors}
    assert by_path == {
        "properties.xray:modality": XRAY_SCHEMA_URL,
        "properties.sec:level": SEC_SCHEMA_URL,
        "assets.high.file:size": FILE_SCHEMA_URL,
    }


def test_message_is_capped() -> None:
    d = make_item()
    d["properties"]["xray:declared_hs_codes"] = [f"bad{i}" for i in range(30)]
    with pytest.raises(StacValidationError) as excinfo:
        validate_item(d)
    assert len(excinfo.value.errors) == 30
    assert str(excinfo.value).endswith("; ... and 20 more")


def test_collection_is_not_an_item_and_vice_versa() -> None:
    with pytest.raises(StacValidationError, match=r"^item 'NLD-holding-1': type: 'Collection'"):
        validate_item(make_collection())
    with pytest.raises(StacValidationError, match=r"^collection 'NLD-C-000001': type: 'Feature'"):
        validate_collection(make_item())
    with pytest.raises(StacValidationError, match=r"^item <no id>: \(root\): not a JSON object"):
        validate_item([])  # type: ignore[arg-type]


def test_validation_does_not_modify_the_object() -> None:
    d = make_item()
    before = copy.deepcopy(d)
    validate_item(d)
    assert d == before


# --------------------------------------------------------------------------------- shipped schemas


def test_every_shipped_schema_is_a_valid_draft7_schema_with_matching_id() -> None:
    for path in sorted(SCHEMAS.rglob("*.json")):
        relative = path.relative_to(SCHEMAS).as_posix()
        url = f"https://{relative}"
        assert url in validation.shipped_schema_urls()
        validation._validator(url)  # check_schema runs here
        schema_id = validation._shipped_schemas()[url].contents["$id"].rstrip("#")
        # upstream STAC 1.1.0 common.json carries the misspelt $id ".../commonjson"
        assert schema_id in (url, url.removesuffix(".json") + "json"), relative


def test_own_schemas_ids_and_extension_urls_match() -> None:
    for relative, url in zip(OURS, (XRAY_SCHEMA_URL, SEC_SCHEMA_URL), strict=True):
        schema = json.loads((SCHEMAS / relative).read_text(encoding="utf-8"))
        assert schema["$id"] == url == f"https://{relative}"
        assert schema["definitions"]["stac_extensions"]["properties"]["stac_extensions"] == {
            "type": "array",
            "contains": {"const": url},
        }


def test_file_extension_copy_is_the_published_one() -> None:
    data = (SCHEMAS / FILE_EXT).read_bytes()
    assert hashlib.sha256(data).hexdigest() == FILE_EXT_SHA256


def test_shipped_copies_are_identical_to_shared() -> None:
    if not SHARED_SCHEMAS.is_dir():  # CI always has ../shared; a bare checkout may not
        pytest.skip(f"{SHARED_SCHEMAS} is absent: nothing to compare the copies with")
    assert COPIED_FROM_SHARED, "no copied schema found"
    for relative in COPIED_FROM_SHARED:
        shared = SHARED_SCHEMAS / relative
        assert shared.is_file(), f"{relative} is shipped but not in {SHARED_SCHEMAS}"
        assert (SCHEMAS / relative).read_bytes() == shared.read_bytes(), relative
    # and every core, GeoJSON and label schema in shared is shipped
    for top in ("schemas.stacspec.org", "geojson.org", "stac-extensions.github.io/label"):
        for path in (SHARED_SCHEMAS / top).rglob("*.json"):
            assert (SCHEMAS / path.relative_to(SHARED_SCHEMAS)).is_file(), path


def test_every_schema_reference_resolves_offline() -> None:
    # Each $ref in every shipped schema points at a shipped file (or the draft-07 meta-schema,
    # which jsonschema carries): validating never needs the network.
    registry = validation._registry()
    for url in sorted(validation.shipped_schema_urls()):
        resolver = registry.resolver(base_uri=url)
        for ref in _refs(validation._shipped_schemas()[url].contents):
            if ref.startswith("http://json-schema.org/draft-07/schema"):
                continue
            resolver.lookup(ref)  # raises referencing.exceptions.Unresolvable


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_validation_needs_neither_network_nor_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("validation tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    for cached in (validation._shipped_schemas, validation._registry, validation._validator):
        cached.cache_clear()
    try:
        validate_item(make_item())
        validate_collection(make_collection())
        assert all(not url.startswith("file:") for url in validation.shipped_schema_urls())
    finally:
        for cached in (validation._shipped_schemas, validation._registry, validation._validator):
            cached.cache_clear()
