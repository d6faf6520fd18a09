"""The properties a CQL2 filter may name (STAC API Filter ``/queryables``) and sort on.

Every queryable maps a STAC item property to a typed, indexed column of ``items`` (see
``catalog.tables``); the CQL2 translator (``catalog.cql2sql``) accepts nothing outside this list,
so a filter can never reach the stored documents or any other table. Two queryables are special:

* ``sec:level`` is compared by rank: the text values ``R0``…``R4`` are stored as integers 0…4.
* ``label:classes`` is the set of HS codes of a scan's annotations; it lives in ``item_classes`` and
  is queried through ``EXISTS`` subqueries correlated on the item's collection and id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import quote

from sqlalchemy import ColumnElement

from access import Level
from catalog.tables import ItemClassRow, ItemRow

__all__ = [
    "HS_CODE_PATTERN",
    "ITEM_QUERYABLES",
    "JSON_SCHEMA_DIALECT",
    "SORTABLES",
    "Queryable",
    "QueryableType",
    "queryables_document",
]

QueryableType = Literal[
    "string", "integer", "number", "boolean", "timestamp", "level", "array-of-hs-codes"
]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2019-09/schema"
#: HS headings (4 digits) or subheadings (6 digits), as in ``xray:declared_hs_codes``.
HS_CODE_PATTERN = "^[0-9]{4}([0-9]{2})?$"


@dataclass(frozen=True)
class Queryable:
    """One filterable property: its STAC name, the SQL column behind it and its value type.

    For ``array-of-hs-codes`` the column is ``item_classes.hs_code``; the translator builds the
    correlated subqueries itself.
    """

    name: str
    column: ColumnElement[Any]
    type: QueryableType
    description: str
    enum: tuple[str, ...] | None = None
    sortable: bool = False

    def json_schema(self) -> dict[str, Any]:
        """This property's entry in the ``/queryables`` JSON Schema."""
        schema: dict[str, Any] = {"description": self.description, **_TYPE_SCHEMAS[self.type]}
        if self.enum is not None:
            schema["enum"] = list(self.enum)
        return schema


_TYPE_SCHEMAS: Mapping[QueryableType, Mapping[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "timestamp": {"type": "string", "format": "date-time"},
    "level": {"type": "string"},
    "array-of-hs-codes": {
        "type": "array",
        "items": {"type": "string", "pattern": HS_CODE_PATTERN},
    },
}

_MODALITIES = ("transmission-dual-energy", "transmission-single-energy", "backscatter", "ct")
_CONVEYANCES = ("sea-container", "road-vehicle", "rail-wagon", "air-cargo", "parcel", "post")
_ENERGY_PROFILES = ("linac", "tube")
_SOURCE_FORMATS = ("UFF-2.0", "DICOS-v03", "TIFF16")
_OUTCOMES = ("cleared", "seized", "further-inspection", "not-inspected")
_LEVELS = tuple(level.name for level in Level)


def _q(
    name: str,
    column: Any,
    type_: QueryableType,
    description: str,
    enum: tuple[str, ...] | None = None,
    *,
    sortable: bool = False,
) -> Queryable:
    return Queryable(name, column.expression, type_, description, enum, sortable)


_ALL = (
    _q("id", ItemRow.id, "string", "Scan id (unique within its holding)", sortable=True),
    _q("collection", ItemRow.collection_id, "string", "Holding (collection) id", sortable=True),
    _q("datetime", ItemRow.datetime, "timestamp", "Acquisition time (UTC)", sortable=True),
    _q("xray:modality", ItemRow.modality, "string", "Imaging modality", _MODALITIES, sortable=True),
    _q(
        "xray:conveyance", ItemRow.conveyance, "string", "What was scanned", _CONVEYANCES,
        sortable=True,
    ),
    _q(
        "xray:container_type", ItemRow.container_type, "string",
        "ISO 6346 size-and-type code, e.g. 45G1; null when there is no container",
    ),
    _q("xray:energy_profile", ItemRow.energy_profile, "string", "Energy profile", _ENERGY_PROFILES),
    _q("xray:scanner", ItemRow.scanner, "string", "Scanner make and model"),
    _q(
        "xray:source_format", ItemRow.source_format, "string",
        "Format of the original scanner output", _SOURCE_FORMATS,
    ),
    _q(
        "xray:inspection_outcome", ItemRow.inspection_outcome, "string",
        "Customs inspection outcome", _OUTCOMES, sortable=True,
    ),
    _q("xray:synthetic", ItemRow.synthetic, "boolean", "True for synthetic images"),
    _q(
        "xray:object_count", ItemRow.object_count, "integer", "Number of annotated objects",
        sortable=True,
    ),
    # Not sortable: null for scans without a place, and keyset paging needs NOT NULL keys.
    _q("xray:site", ItemRow.site, "string", "Scan site (UN/LOCODE, e.g. NLRTM)"),
    _q(
        "sec:level", ItemRow.level, "level",
        "Restrictedness level, ordered R0 < R1 < R2 < R3 < R4", _LEVELS, sortable=True,
    ),
    _q(
        "label:classes", ItemClassRow.hs_code, "array-of-hs-codes",
        "HS codes of the annotated objects (use a_contains, a_overlaps, a_containedBy, a_equals,"
        " or = with one code)",
    ),
)  # fmt: skip

#: Every property a filter may name, by STAC name.
ITEM_QUERYABLES: Mapping[str, Queryable] = MappingProxyType({q.name: q for q in _ALL})

#: Sort extension: the properties ``sortby`` accepts, and the column each sorts by.
SORTABLES: Mapping[str, ColumnElement[Any]] = MappingProxyType(
    {q.name: q.column for q in _ALL if q.sortable}
)


def queryables_document(base_url: str, collection_id: str | None) -> dict[str, Any]:
    """The JSON Schema served at ``/queryables`` or ``/collections/{id}/queryables``."""
    base = base_url.rstrip("/")
    if collection_id is None:
        schema_id, title = f"{base}/queryables", "Queryables for Clearance scans"
    else:
        schema_id = f"{base}/collections/{quote(collection_id, safe='')}/queryables"
        title = f"Queryables for the scans of {collection_id}"
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id,
        "type": "object",
        "title": title,
        "properties": {q.name: q.json_schema() for q in _ALL},
        "additionalProperties": False,
    }
