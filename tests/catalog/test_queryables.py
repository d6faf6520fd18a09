"""The queryables list, the sortables and the ``/queryables`` JSON Schema document."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from catalog.queryables import ITEM_QUERYABLES, SORTABLES, Queryable, queryables_document
from catalog.tables import ItemRow

SCHEMAS = Path(__file__).resolve().parents[2] / "catalog" / "schemas" / "clearance.example" / "stac"
XRAY = json.loads((SCHEMAS / "xray" / "v1.0.0" / "schema.json").read_text())["definitions"]

EXPECTED_TYPES = {
    "id": "string",
    "collection": "string",
    "datetime": "timestamp",
    "xray:modality": "string",
    "xray:conveyance": "string",
    "xray:container_type": "string",
    "xray:energy_profile": "string",
    "xray:scanner": "string",
    "xray:source_format": "string",
    "xray:inspection_outcome": "string",
    "xray:synthetic": "boolean",
    "xray:object_count": "integer",
    "xray:site": "string",
    "sec:level": "level",
    "label:classes": "array-of-hs-codes",
}
EXPECTED_COLUMNS = {
    "id": "items.id",
    "collection": "items.collection_id",
    "datetime": "items.datetime",
    "xray:modality": "items.modality",
    "xray:conveyance": "items.conveyance",
    "xray:container_type": "items.container_type",
    "xray:energy_profile": "items.energy_profile",
    "xray:scanner": "items.scanner",
    "xray:source_format": "items.source_format",
    "xray:inspection_outcome": "items.inspection_outcome",
    "xray:synthetic": "items.synthetic",
    "xray:object_count": "items.object_count",
    "xray:site": "items.site",
    "sec:level": "items.level",
    "label:classes": "item_classes.hs_code",
}


def test_the_queryables_are_exactly_these_with_their_types_and_columns() -> None:
    assert {n: q.type for n, q in ITEM_QUERYABLES.items()} == EXPECTED_TYPES
    assert {n: str(q.column) for n, q in ITEM_QUERYABLES.items()} == EXPECTED_COLUMNS
    assert all(q.name == n and q.description for n, q in ITEM_QUERYABLES.items())


@pytest.mark.parametrize(
    "name",
    ["xray:modality", "xray:conveyance", "xray:energy_profile", "xray:source_format",
     "xray:inspection_outcome"],
)  # fmt: skip
def test_enums_are_those_of_the_xray_schema(name: str) -> None:
    assert ITEM_QUERYABLES[name].enum == tuple(XRAY[name]["enum"])


def test_free_text_fields_have_no_enum_and_levels_are_r0_to_r4() -> None:
    for name in ("id", "collection", "xray:container_type", "xray:scanner"):
        assert ITEM_QUERYABLES[name].enum is None
    assert ITEM_QUERYABLES["sec:level"].enum == ("R0", "R1", "R2", "R3", "R4")


def test_queryables_are_frozen_and_read_only() -> None:
    queryable = ITEM_QUERYABLES["id"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        queryable.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ITEM_QUERYABLES["x"] = queryable  # type: ignore[index]
    assert isinstance(queryable, Queryable)


def test_sortables() -> None:
    assert list(SORTABLES) == [
        "id", "collection", "datetime", "xray:modality", "xray:conveyance",
        "xray:inspection_outcome", "xray:object_count", "sec:level",
    ]  # fmt: skip
    assert {n: str(c) for n, c in SORTABLES.items()} == {n: EXPECTED_COLUMNS[n] for n in SORTABLES}
    assert all(ITEM_QUERYABLES[n].sortable for n in SORTABLES)
    query = select(ItemRow.id).order_by(SORTABLES["sec:level"].desc(), SORTABLES["id"].asc())
    sql = str(query.compile(dialect=postgresql.psycopg.dialect()))
    assert sql.endswith("ORDER BY items.level DESC, items.id ASC")


def test_the_queryables_document() -> None:
    doc = queryables_document("https://node.example/stac/", None)
    assert doc["$schema"] == "https://json-schema.org/draft/2019-09/schema"
    assert doc["$id"] == "https://node.example/stac/queryables"
    assert doc["type"] == "object"
    assert doc["title"] == "Queryables for Clearance scans"
    assert doc["additionalProperties"] is False
    assert list(doc["properties"]) == list(EXPECTED_TYPES)
    props = doc["properties"]
    assert props["datetime"] == {
        "description": "Acquisition time (UTC)", "type": "string", "format": "date-time",
    }  # fmt: skip
    assert props["xray:object_count"]["type"] == "integer"
    assert props["xray:synthetic"]["type"] == "boolean"
    assert props["sec:level"]["enum"] == ["R0", "R1", "R2", "R3", "R4"]
    assert props["xray:modality"]["enum"] == XRAY["xray:modality"]["enum"]
    assert props["label:classes"]["type"] == "array"
    assert props["label:classes"]["items"] == {"type": "string", "pattern": "^[0-9]{4}([0-9]{2})?$"}
    assert "enum" not in props["xray:scanner"]
    assert all(p["description"] and p["type"] for p in props.values())
    json.dumps(doc)  # plain JSON


def test_the_collection_queryables_document_names_the_collection() -> None:
    doc = queryables_document("https://node.example/stac", "NLD cargo/2024")
    assert doc["$id"] == "https://node.example/stac/collections/NLD%20cargo%2F2024/queryables"
    assert doc["title"] == "Queryables for the scans of NLD cargo/2024"
    assert doc["properties"] == queryables_document("https://x", None)["properties"]


def test_the_document_is_a_json_schema_that_checks_values() -> None:
    doc = queryables_document("https://node.example/stac", None)
    jsonschema.Draft201909Validator.check_schema(doc)
    validator = jsonschema.Draft201909Validator(
        doc, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER
    )
    good = {
        "datetime": "2024-01-01T00:00:00Z", "xray:modality": "ct", "sec:level": "R2",
        "xray:object_count": 3, "xray:synthetic": False, "label:classes": ["9302", "930200"],
    }  # fmt: skip
    assert list(validator.iter_errors(good)) == []
    for bad in (
        {"xray:modality": "xray"},
        {"sec:level": "R9"},
        {"label:classes": ["93"]},
        {"xray:object_count": "3"},
        {"unknown": 1},
    ):
        assert list(validator.iter_errors(bad)), bad
