"""CQL2 → SQL: exact result sets over a known SQLite table, errors, a model check, PostgreSQL SQL.

Every expected id set below was worked out by hand from ``ROWS``; the Hypothesis test compares the
SQL result with a separate pure-Python evaluation of the same filter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import cql2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, inspect, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

import access.tables
import catalog.tables
from access import Base
from catalog.cql2sql import (
    CRS84,
    MAX_IN_VALUES,
    MAX_LIKE_PATTERN,
    MAX_OPERATORS,
    MAX_TEXT_LENGTH,
    FilterError,
    check_filter_crs,
    check_filter_lang,
    parse_filter,
    to_sql,
)
from catalog.queryables import ITEM_QUERYABLES, SORTABLES
from catalog.tables import ItemRow

# --------------------------------------------------------------------------------------------
# The data

TDE, TSE, CT, BS = "transmission-dual-energy", "transmission-single-energy", "ct", "backscatter"
SEA, ROAD, RAIL, AIR, PARCEL, POST = (
    "sea-container", "road-vehicle", "rail-wagon", "air-cargo", "parcel", "post"
)  # fmt: skip
UFF, DIC, TIF = "UFF-2.0", "DICOS-v03", "TIFF16"
CLEARED, SEIZED, FURTHER, NOTINSP = "cleared", "seized", "further-inspection", "not-inspected"
RAPISCAN, NUC_MB, NUC_MT = "Rapiscan Eagle M60", "Nuctech MB1215", "Nuctech MT1213"
HCVG, HS100, HS6040 = "Smiths HCVG 6035", "Smiths HI-SCAN 100100T", "Smiths HI-SCAN 6040"
ZBV, MINIZ = "AS&E ZBV", "AS&E MINI Z"


@dataclass(frozen=True)
class Row:
    key: str  # collection/id
    datetime: str
    level: int
    modality: str
    conveyance: str
    container_type: str | None
    energy_profile: str
    scanner: str
    source_format: str
    outcome: str
    synthetic: bool
    object_count: int
    classes: tuple[str, ...]

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.datetime)


# fmt: off
ROWS = (
    Row("c1/a01", "2024-01-01T00:00:00Z", 0, TDE, SEA, "45G1", "linac", RAPISCAN, UFF, CLEARED, False, 0, ()),  # noqa: E501
    Row("c1/a02", "2024-01-01T12:30:00Z", 1, TDE, SEA, "42R1", "linac", RAPISCAN, UFF, SEIZED, False, 3, ("9302", "2402")),  # noqa: E501
    Row("c1/a03", "2024-01-01T23:59:59.999999Z", 2, TSE, SEA, "45G1", "linac", NUC_MB, DIC, FURTHER, False, 1, ("9302",)),  # noqa: E501
    Row("c1/a04", "2024-01-02T00:00:00Z", 3, CT, SEA, "22G1", "linac", HCVG, TIF, NOTINSP, True, 5, ("2402", "8471", "930200")),  # noqa: E501
    Row("c1/a05", "2024-02-10T06:00:00Z", 1, BS, ROAD, None, "tube", ZBV, UFF, CLEARED, False, 2, ("8703",)),  # noqa: E501
    Row("c1/a06", "2024-02-29T18:45:10Z", 2, TDE, RAIL, None, "linac", NUC_MT, DIC, SEIZED, True, 4, ("9302", "8703")),  # noqa: E501
    Row("c1/a07", "2024-03-01T00:00:00Z", 0, TSE, AIR, None, "tube", HS100, TIF, CLEARED, True, 0, ()),  # noqa: E501
    Row("c1/a08", "2024-03-15T09:00:00Z", 1, CT, PARCEL, None, "tube", HS6040, TIF, FURTHER, False, 2, ("8471",)),  # noqa: E501
    Row("c1/a09", "2024-04-01T10:00:00Z", 2, BS, POST, None, "tube", MINIZ, UFF, NOTINSP, False, 1, ("2402",)),  # noqa: E501
    Row("c1/a10", "2024-05-05T05:05:05Z", 3, TDE, SEA, "45R1", "linac", RAPISCAN, UFF, SEIZED, False, 7, ("9302", "2402", "8471", "8703")),  # noqa: E501
    Row("c1/a11", "2024-06-30T22:00:00Z", 0, TSE, ROAD, None, "linac", "rapiscan eagle m60", DIC, CLEARED, True, 0, ()),  # noqa: E501
    Row("c1/a12", "2024-07-04T12:00:00Z", 1, TDE, SEA, "45G1", "linac", "Acme 100%_X", UFF, SEIZED, False, 2, ("9302",)),  # noqa: E501
    Row("c1/a13", "2024-07-04T12:00:00.500000Z", 2, TDE, SEA, "45G1", "linac", "Acme 100ab", UFF, CLEARED, False, 2, ("2402",)),  # noqa: E501
    Row("c1/a14", "2024-08-01T00:00:00Z", 3, CT, PARCEL, None, "tube", "Acme\\Slash", TIF, FURTHER, True, 6, ("8471", "8703")),  # noqa: E501
    Row("c1/x1", "2024-09-09T09:09:09Z", 1, BS, ROAD, None, "tube", ZBV, UFF, CLEARED, False, 1, ("9302",)),  # noqa: E501
    Row("c2/b01", "2023-12-31T23:59:59Z", 0, TDE, SEA, "45G1", "linac", RAPISCAN, UFF, CLEARED, False, 0, ()),  # noqa: E501
    Row("c2/b02", "2024-01-01T00:00:00.000001Z", 1, TSE, SEA, "42G1", "linac", NUC_MB, DIC, SEIZED, False, 2, ("2402",)),  # noqa: E501
    Row("c2/b03", "2024-01-31T12:00:00Z", 2, CT, AIR, None, "tube", HS6040, TIF, CLEARED, True, 3, ("9302", "8471")),  # noqa: E501
    Row("c2/b04", "2024-02-01T00:00:00Z", 3, BS, POST, None, "tube", MINIZ, UFF, FURTHER, False, 1, ("8703",)),  # noqa: E501
    Row("c2/b05", "2024-03-10T10:10:10Z", 0, TDE, RAIL, None, "linac", NUC_MT, DIC, NOTINSP, False, 4, ("9302", "2402", "8703")),  # noqa: E501
    Row("c2/b06", "2024-04-20T04:20:00Z", 1, TSE, ROAD, None, "linac", RAPISCAN, UFF, SEIZED, True, 2, ("930200",)),  # noqa: E501
    Row("c2/b07", "2024-05-05T05:05:05Z", 2, CT, PARCEL, None, "tube", HCVG, TIF, CLEARED, False, 8, ("8471",)),  # noqa: E501
    Row("c2/b08", "2024-06-01T00:00:00Z", 3, TDE, SEA, "45R1", "linac", RAPISCAN, UFF, FURTHER, False, 3, ("9302", "2402")),  # noqa: E501
    Row("c2/b09", "2024-06-15T15:15:15Z", 1, BS, ROAD, None, "tube", ZBV, UFF, CLEARED, True, 0, ()),  # noqa: E501
    Row("c2/b10", "2024-07-07T07:07:07Z", 2, TSE, SEA, "22G1", "linac", NUC_MB, DIC, NOTINSP, False, 5, ("2402", "8471")),  # noqa: E501
    Row("c2/b11", "2024-08-08T08:08:08Z", 0, TDE, SEA, "45G1", "linac", HCVG, TIF, SEIZED, False, 2, ("9302",)),  # noqa: E501
    Row("c2/b12", "2024-12-31T23:59:59Z", 1, CT, AIR, None, "tube", HS100, TIF, CLEARED, False, 1, ("8703",)),  # noqa: E501
    Row("c2/x1", "2024-09-09T09:09:09Z", 2, TDE, SEA, "45G1", "linac", RAPISCAN, UFF, SEIZED, False, 2, ("2402", "8471")),  # noqa: E501
    Row("c2/y_1", "2024-10-10T10:10:10Z", 0, TSE, POST, None, "tube", MINIZ, UFF, CLEARED, False, 0, ()),  # noqa: E501
    Row("c2/yz1", "2024-11-11T11:11:11Z", 1, BS, PARCEL, None, "tube", MINIZ, UFF, FURTHER, True, 1, ("9302",)),  # noqa: E501
)
# fmt: on
ALL = frozenset(r.key for r in ROWS)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    # access.tables and catalog.tables are imported: their tables are on Base.metadata (FKs).
    engine = create_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    now = datetime(2024, 1, 1, tzinfo=UTC)
    with Session(engine) as session:
        session.add(access.tables.AdministrationRow(id="NLD", name="NLD customs", created_at=now))
        session.flush()
        for cid in ("c1", "c2"):
            session.add(_collection(cid, now))
        session.flush()
        for row in ROWS:
            session.add(_item(row))
        session.flush()
        for row in ROWS:
            collection_id, item_id = row.key.split("/")
            for code in row.classes:
                session.add(
                    catalog.tables.ItemClassRow(
                        collection_id=collection_id, item_id=item_id, hs_code=code, objects=1
                    )
                )
        session.commit()
    yield engine
    engine.dispose()


def _collection(cid: str, now: datetime) -> catalog.tables.CollectionRow:
    return catalog.tables.CollectionRow(
        id=cid, owner="NLD", title=cid, level=0, national_marking="", handling="download",
        discovery="partners", version=1, item_count=15, search_text="", document={},
        published_at=now,
    )  # fmt: skip


def _item(row: Row) -> ItemRow:
    collection_id, item_id = row.key.split("/")
    return ItemRow(
        collection_id=collection_id, id=item_id, datetime=row.when, level=row.level,
        modality=row.modality, conveyance=row.conveyance, container_type=row.container_type,
        energy_profile=row.energy_profile, scanner=row.scanner, source_format=row.source_format,
        inspection_outcome=row.outcome, synthetic=row.synthetic, object_count=row.object_count,
        search_text="", document={},
    )  # fmt: skip


def ids(engine: Engine, expr: Mapping[str, Any] | bool) -> set[str]:
    query = select(ItemRow.collection_id, ItemRow.id).where(to_sql(expr, ITEM_QUERYABLES))
    with Session(engine) as session:
        return {f"{c}/{i}" for c, i in session.execute(query)}


def keys(*names: str) -> set[str]:
    """``keys("a01", "c2/x1")``: bare ids starting with a are in c1, with b or y in c2."""
    return {n if "/" in n else ("c1/" if n.startswith("a") else "c2/") + n for n in names}


# --------------------------------------------------------------------------------------------
# CQL2 JSON builders


def P(name: str) -> dict[str, Any]:
    return {"property": name}


def op(name: str, *args: Any) -> dict[str, Any]:
    return {"op": name, "args": list(args)}


def ts(text: str) -> dict[str, str]:
    return {"timestamp": text}


def day(text: str) -> dict[str, str]:
    return {"date": text}


def interval(begin: str, end: str) -> dict[str, list[str]]:
    return {"interval": [begin, end]}


def casei(arg: Any) -> dict[str, Any]:
    return op("casei", arg)


# --------------------------------------------------------------------------------------------
# Text and JSON filters with their exact results

R1_NOT_CT_NOT_SYNTHETIC = keys("a02", "a05", "a12", "c1/x1", "b02")
SMALL_COUNTS = keys(
    "a01", "a03", "a05", "a07", "a08", "a09", "a11", "a12", "a13", "c1/x1",
    "b01", "b02", "b04", "b06", "b09", "b11", "b12", "c2/x1", "y_1", "yz1",
)  # fmt: skip
NO_CONTAINER = keys(
    "a05", "a06", "a07", "a08", "a09", "a11", "a14", "c1/x1",
    "b03", "b04", "b05", "b06", "b07", "b09", "b12", "y_1", "yz1",
)  # fmt: skip
AFTER_JAN_2 = ALL - keys("a01", "a02", "a03", "a04", "b01", "b02")

CASES: list[tuple[str, Any, set[str]]] = [
    ("\"xray:modality\" = 'ct'", op("=", P("xray:modality"), "ct"),
     keys("a04", "a08", "a14", "b03", "b07", "b12")),
    ("xray:modality = 'ct'", op("=", P("xray:modality"), "ct"),
     keys("a04", "a08", "a14", "b03", "b07", "b12")),
    ("'ct' = \"xray:modality\"", op("=", "ct", P("xray:modality")),
     keys("a04", "a08", "a14", "b03", "b07", "b12")),
    ('"xray:object_count" >= 5', op(">=", P("xray:object_count"), 5),
     keys("a04", "a10", "a14", "b07", "b10")),
    ('"xray:object_count" < 2.5', op("<", P("xray:object_count"), 2.5), SMALL_COUNTS),
    ('"xray:object_count" <= 2', op("<=", P("xray:object_count"), 2), SMALL_COUNTS),
    ('"xray:object_count" > 6.5', op(">", P("xray:object_count"), 6.5), keys("a10", "b07")),
    ('6.5 < "xray:object_count"', op("<", 6.5, P("xray:object_count")), keys("a10", "b07")),
    ('"xray:object_count" = 2.5', op("=", P("xray:object_count"), 2.5), set()),
    ('"xray:object_count" < 3000000000', op("<", P("xray:object_count"), 3000000000), ALL),
    ('"xray:object_count" > 1e300', op(">", P("xray:object_count"), 1e300), set()),
    ('"xray:object_count" IN (2, 3)', op("in", P("xray:object_count"), [2, 3]),
     keys("a02", "a05", "a08", "a12", "a13", "b02", "b03", "b06", "b08", "b11", "c2/x1")),
    ('"xray:object_count" NOT BETWEEN 1 AND 6',
     op("not", op("between", P("xray:object_count"), 1, 6)),
     keys("a01", "a07", "a10", "a11", "b01", "b07", "b09", "y_1")),
    ("\"sec:level\" >= 'R3'", op(">=", P("sec:level"), "R3"),
     keys("a04", "a10", "a14", "b04", "b08")),
    ("\"sec:level\" < 'R1'", op("<", P("sec:level"), "R1"),
     keys("a01", "a07", "a11", "b01", "b05", "b11", "y_1")),
    ("\"sec:level\" BETWEEN 'R3' AND 'R4'", op("between", P("sec:level"), "R3", "R4"),
     keys("a04", "a10", "a14", "b04", "b08")),
    ("\"sec:level\" IN ('R3', 'R0') AND collection = 'c1'",
     op("and", op("in", P("sec:level"), ["R3", "R0"]), op("=", P("collection"), "c1")),
     keys("a01", "a04", "a07", "a10", "a11", "a14")),
    ('"xray:synthetic" = true', op("=", P("xray:synthetic"), True),
     keys("a04", "a06", "a07", "a11", "a14", "b03", "b06", "b09", "yz1")),
    ('"xray:synthetic"', P("xray:synthetic"),
     keys("a04", "a06", "a07", "a11", "a14", "b03", "b06", "b09", "yz1")),
    ('"xray:synthetic" <> TRUE AND "xray:modality" = \'ct\'',
     op("and", op("<>", P("xray:synthetic"), True), op("=", P("xray:modality"), "ct")),
     keys("a08", "b07", "b12")),
    ('"xray:container_type" IS NULL', op("isNull", P("xray:container_type")), NO_CONTAINER),
    ('"xray:container_type" IS NOT NULL', op("not", op("isNull", P("xray:container_type"))),
     ALL - NO_CONTAINER),
    # Three-valued logic: a null container_type is neither = nor <> '45G1'.
    ("\"xray:container_type\" <> '45G1'", op("<>", P("xray:container_type"), "45G1"),
     keys("a02", "a04", "a10", "b02", "b08", "b10")),
    ("NOT (\"xray:container_type\" = '45G1')",
     op("not", op("=", P("xray:container_type"), "45G1")),
     keys("a02", "a04", "a10", "b02", "b08", "b10")),
    ("\"xray:container_type\" LIKE '4_R1'", op("like", P("xray:container_type"), "4_R1"),
     keys("a02", "a10", "b08")),
    # LIKE is case-sensitive; CASEI makes it insensitive.
    ("\"xray:scanner\" LIKE 'Rapiscan%'", op("like", P("xray:scanner"), "Rapiscan%"),
     keys("a01", "a02", "a10", "b01", "b06", "b08", "c2/x1")),
    ("CASEI(\"xray:scanner\") LIKE CASEI('RAPISCAN%')",
     op("like", casei(P("xray:scanner")), casei("RAPISCAN%")),
     keys("a01", "a02", "a10", "a11", "b01", "b06", "b08", "c2/x1")),
    ("\"xray:scanner\" LIKE 'Acme 100\\%\\_X'", op("like", P("xray:scanner"), "Acme 100\\%\\_X"),
     keys("a12")),
    ("\"xray:scanner\" LIKE 'Acme 100__'", op("like", P("xray:scanner"), "Acme 100__"),
     keys("a13")),
    ("\"xray:scanner\" LIKE 'Acme 100%'", op("like", P("xray:scanner"), "Acme 100%"),
     keys("a12", "a13")),
    ("\"xray:scanner\" LIKE 'Acme\\\\%'", op("like", P("xray:scanner"), "Acme\\\\%"),
     keys("a14")),
    ("\"xray:scanner\" LIKE 'Acme\\S%'", op("like", P("xray:scanner"), "Acme\\S%"), set()),
    ("\"xray:scanner\" LIKE '%*%'", op("like", P("xray:scanner"), "%*%"), set()),
    ("id LIKE 'y\\_1'", op("like", P("id"), "y\\_1"), keys("y_1")),
    ("id LIKE 'y_1'", op("like", P("id"), "y_1"), keys("y_1", "yz1")),
    ("NOT id LIKE 'a%'", op("not", op("like", P("id"), "a%")),
     ALL - {k for k in ALL if k.startswith("c1/a")}),
    ("CASEI(id) = CASEI('A01')", op("=", casei(P("id")), casei("A01")), keys("a01")),
    ("id IN ('a01', 'x1', 'b02')", op("in", P("id"), ["a01", "x1", "b02"]),
     keys("a01", "c1/x1", "c2/x1", "b02")),
    ("collection = 'c2' AND \"xray:inspection_outcome\" IN ('seized', 'further-inspection')",
     op("and", op("=", P("collection"), "c2"),
        op("in", P("xray:inspection_outcome"), ["seized", "further-inspection"])),
     keys("b02", "b04", "b06", "b08", "b11", "c2/x1", "yz1")),
    ("\"xray:conveyance\" = 'parcel' OR \"xray:conveyance\" = 'post'",
     op("or", op("=", P("xray:conveyance"), "parcel"), op("=", P("xray:conveyance"), "post")),
     keys("a08", "a09", "a14", "b04", "b07", "y_1", "yz1")),
    ("\"xray:energy_profile\" = 'tube' AND \"xray:source_format\" = 'TIFF16'",
     op("and", op("=", P("xray:energy_profile"), "tube"),
        op("=", P("xray:source_format"), "TIFF16")),
     keys("a07", "a08", "a14", "b03", "b07", "b12")),
    ("NOT (\"xray:modality\" = 'ct' OR \"xray:synthetic\" = true) AND \"sec:level\" = 'R1'",
     op("and",
        op("not", op("or", op("=", P("xray:modality"), "ct"),
                     op("=", P("xray:synthetic"), True))),
        op("=", P("sec:level"), "R1")),
     R1_NOT_CT_NOT_SYNTHETIC),
    ("\"xray:inspection_outcome\" <> 'cleared' AND \"xray:conveyance\" = 'sea-container' "
     "AND collection = 'c1'",
     op("and", op("<>", P("xray:inspection_outcome"), "cleared"),
        op("=", P("xray:conveyance"), "sea-container"), op("=", P("collection"), "c1")),
     keys("a02", "a03", "a04", "a10", "a12")),
    ("TRUE AND id = 'a01'", op("and", True, op("=", P("id"), "a01")), keys("a01")),
    ("FALSE OR id = 'a01'", op("or", False, op("=", P("id"), "a01")), keys("a01")),
    ("id <> collection", op("<>", P("id"), P("collection")), ALL),
    ("id = collection", op("=", P("id"), P("collection")), set()),
    # label:classes; the item id x1 is in both holdings, with different classes
    ("\"label:classes\" = '9302'", op("=", P("label:classes"), "9302"),
     keys("a02", "a03", "a06", "a10", "a12", "c1/x1", "b03", "b05", "b08", "b11", "yz1")),
    ("A_CONTAINS(\"label:classes\", ('9302', '2402'))",
     op("a_contains", P("label:classes"), ["9302", "2402"]), keys("a02", "a10", "b05", "b08")),
    ("A_CONTAINS(\"label:classes\", ('9302', '9302', '2402'))",
     op("a_contains", P("label:classes"), ["9302", "9302", "2402"]),
     keys("a02", "a10", "b05", "b08")),
    ("A_CONTAINEDBY(('9302', '2402'), \"label:classes\")",
     op("a_containedBy", ["9302", "2402"], P("label:classes")),
     keys("a02", "a10", "b05", "b08")),
    ("A_OVERLAPS(\"label:classes\", ('8703', '930200'))",
     op("a_overlaps", P("label:classes"), ["8703", "930200"]),
     keys("a04", "a05", "a06", "a10", "a14", "b04", "b05", "b06", "b12")),
    ("A_CONTAINEDBY(\"label:classes\", ('2402', '8471'))",
     op("a_containedBy", P("label:classes"), ["2402", "8471"]),
     keys("a01", "a07", "a08", "a09", "a11", "a13", "b01", "b02", "b07", "b09", "b10",
          "c2/x1", "y_1")),
    ("A_EQUALS(\"label:classes\", ('8471', '2402'))",
     op("a_equals", P("label:classes"), ["8471", "2402"]), keys("b10", "c2/x1")),
    ("NOT A_OVERLAPS(\"label:classes\", ('9302', '2402', '8471', '8703', '930200'))",
     op("not", op("a_overlaps", P("label:classes"),
                  ["9302", "2402", "8471", "8703", "930200"])),
     keys("a01", "a07", "a11", "b01", "b09", "y_1")),
    # Time: a DATE is its whole day; "<" is before it, ">" after it.
    ("datetime = DATE('2024-01-01')", op("=", P("datetime"), day("2024-01-01")),
     keys("a01", "a02", "a03", "b02")),
    ("datetime <> DATE('2024-01-01') AND datetime < DATE('2024-01-03')",
     op("and", op("<>", P("datetime"), day("2024-01-01")),
        op("<", P("datetime"), day("2024-01-03"))),
     keys("a04", "b01")),
    ("datetime < DATE('2024-01-01')", op("<", P("datetime"), day("2024-01-01")), keys("b01")),
    ("datetime <= DATE('2024-01-02')", op("<=", P("datetime"), day("2024-01-02")),
     keys("a01", "a02", "a03", "a04", "b01", "b02")),
    ("datetime <= DATE('2024-02-29')", op("<=", P("datetime"), day("2024-02-29")),
     keys("a01", "a02", "a03", "a04", "a05", "a06", "b01", "b02", "b03", "b04")),
    ("datetime >= DATE('2024-12-31')", op(">=", P("datetime"), day("2024-12-31")), keys("b12")),
    ("datetime > DATE('2024-01-02')", op(">", P("datetime"), day("2024-01-02")), AFTER_JAN_2),
    ("datetime >= DATE('2024-01-02')", op(">=", P("datetime"), day("2024-01-02")),
     AFTER_JAN_2 | keys("a04")),
    ("datetime = TIMESTAMP('2024-01-01T00:00:00Z')",
     op("=", P("datetime"), ts("2024-01-01T00:00:00Z")), keys("a01")),
    ("datetime = TIMESTAMP('2024-01-01T01:00:00+01:00')",
     op("=", P("datetime"), ts("2024-01-01T01:00:00+01:00")), keys("a01")),
    ("datetime = '2024-01-01T01:00:00+01:00'",
     op("=", P("datetime"), "2024-01-01T01:00:00+01:00"), keys("a01")),
    ("datetime > TIMESTAMP('2024-07-04T12:00:00Z') AND datetime < DATE('2024-07-05')",
     op("and", op(">", P("datetime"), ts("2024-07-04T12:00:00Z")),
        op("<", P("datetime"), day("2024-07-05"))),
     keys("a13")),
    ("datetime IN (TIMESTAMP('2024-05-05T05:05:05Z'), DATE('2023-12-31'))",
     op("in", P("datetime"), [ts("2024-05-05T05:05:05Z"), day("2023-12-31")]),
     keys("a10", "b07", "b01")),
    ("datetime BETWEEN DATE('2024-01-02') AND DATE('2024-02-01')",
     op("between", P("datetime"), day("2024-01-02"), day("2024-02-01")),
     keys("a04", "b03", "b04")),
    ("T_AFTER(datetime, TIMESTAMP('2024-12-01T00:00:00Z'))",
     op("t_after", P("datetime"), ts("2024-12-01T00:00:00Z")), keys("b12")),
    ("T_AFTER(datetime, DATE('2024-12-30'))", op("t_after", P("datetime"), day("2024-12-30")),
     keys("b12")),
    ("T_BEFORE(datetime, DATE('2024-01-01'))", op("t_before", P("datetime"), day("2024-01-01")),
     keys("b01")),
    ("T_BEFORE(TIMESTAMP('2024-12-01T00:00:00Z'), datetime)",
     op("t_before", ts("2024-12-01T00:00:00Z"), P("datetime")), keys("b12")),
    ("T_DURING(datetime, INTERVAL('2024-07-04T12:00:00Z', '2024-08-01T00:00:00Z'))",
     op("t_during", P("datetime"), interval("2024-07-04T12:00:00Z", "2024-08-01T00:00:00Z")),
     keys("a13", "b10")),
    ("T_DURING(datetime, INTERVAL('2024-02-01', '2024-02-29'))",
     op("t_during", P("datetime"), interval("2024-02-01", "2024-02-29")), keys("a05", "a06")),
    ("T_DURING(datetime, INTERVAL('2024-11-01', '..'))",
     op("t_during", P("datetime"), interval("2024-11-01", "..")), keys("b12", "yz1")),
    ("T_INTERSECTS(datetime, INTERVAL('2024-07-04T12:00:00Z', '2024-08-01T00:00:00Z'))",
     op("t_intersects", P("datetime"),
        interval("2024-07-04T12:00:00Z", "2024-08-01T00:00:00Z")),
     keys("a12", "a13", "a14", "b10")),
    ("T_INTERSECTS(datetime, INTERVAL('..', '2023-12-31'))",
     op("t_intersects", P("datetime"), interval("..", "2023-12-31")), keys("b01")),
    ("T_INTERSECTS(datetime, INTERVAL('..', '..'))",
     op("t_intersects", P("datetime"), interval("..", "..")), ALL),
    ("T_INTERSECTS(datetime, DATE('2024-01-01'))",
     op("t_intersects", P("datetime"), day("2024-01-01")), keys("a01", "a02", "a03", "b02")),
    ("T_EQUALS(datetime, TIMESTAMP('2024-05-05T05:05:05Z'))",
     op("t_equals", P("datetime"), ts("2024-05-05T05:05:05Z")), keys("a10", "b07")),
    ("T_EQUALS(datetime, DATE('2024-01-01'))",
     op("t_equals", P("datetime"), day("2024-01-01")), set()),
    ("T_DISJOINT(datetime, INTERVAL('2024-01-01', '2024-12-30'))",
     op("t_disjoint", P("datetime"), interval("2024-01-01", "2024-12-30")), keys("b01", "b12")),
    ("T_MEETS(datetime, INTERVAL('2024-06-01T00:00:00Z', '..'))",
     op("t_meets", P("datetime"), interval("2024-06-01T00:00:00Z", "..")), keys("b08")),
    ("T_CONTAINS(INTERVAL('2024-06-01T00:00:00Z', '2024-06-30'), datetime)",
     op("t_contains", interval("2024-06-01T00:00:00Z", "2024-06-30"), P("datetime")),
     keys("b09", "a11")),  # strictly inside; b08 is at the start, a11 late on the last day
]  # fmt: skip


@pytest.mark.parametrize(("text", "json_filter", "expected"), CASES, ids=[c[0] for c in CASES])
def test_text_and_json_filters_select_exactly(
    engine: Engine, text: str, json_filter: Any, expected: set[str]
) -> None:
    from_text = parse_filter(text, "cql2-text")
    from_json = parse_filter(json_filter, "cql2-json")
    from_json_string = parse_filter(json.dumps(json_filter), "cql2-json")
    assert from_json == from_json_string
    assert ids(engine, from_text) == expected
    assert ids(engine, from_json) == expected


def test_the_item_id_x1_is_told_apart_by_its_collection(engine: Engine) -> None:
    assert ids(engine, parse_filter("\"label:classes\" = '9302' AND id = 'x1'", "cql2-text")) == {
        "c1/x1"
    }
    contained = parse_filter("A_CONTAINEDBY(\"label:classes\", ('2402','8471'))", "cql2-text")
    assert ids(engine, contained) & keys("c1/x1", "c2/x1") == {"c2/x1"}


def test_values_are_bound_never_spliced(engine: Engine) -> None:
    hostile = "x'; DROP TABLE items; --"
    expr = parse_filter(f"id = '{hostile.replace(chr(39), chr(39) * 2)}'", "cql2-text")
    assert ids(engine, expr) == set()
    assert inspect(engine).has_table("items")
    compiled = select(ItemRow.id).where(to_sql(expr, ITEM_QUERYABLES)).compile(engine)
    assert "DROP" not in str(compiled)
    assert hostile in compiled.params.values()


@pytest.mark.parametrize("logical", ["and", "or"])
def test_a_single_condition_and_is_that_condition(engine: Engine, logical: str) -> None:
    """STAC Browser sends one condition as {"op": "and", "args": [condition]}."""
    condition = op("=", P("xray:conveyance"), "parcel")
    wrapped = parse_filter(op(logical, condition), "cql2-json")
    assert ids(engine, wrapped) == ids(engine, parse_filter(condition, "cql2-json"))
    assert ids(engine, wrapped)  # the fixture has parcels: the comparison is not vacuous


def test_to_sql_takes_a_bare_boolean(engine: Engine) -> None:
    assert ids(engine, True) == ALL
    assert ids(engine, False) == set()


# --------------------------------------------------------------------------------------------
# Errors


def _text_error(text: str) -> str:
    with pytest.raises(FilterError) as caught:
        parse_filter(text, "cql2-text")
    return str(caught.value)


def _json_error(document: Any) -> str:
    with pytest.raises(FilterError) as caught:
        parse_filter(document, "cql2-json")
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo = 1", "unknown queryable 'foo'; the queryables document lists them"),
        ("\"xray:object_count\" = 'abc'", "xray:object_count expects a number, got 'abc'"),
        ("\"xray:object_count\" = true", "xray:object_count expects a number, got true"),
        ("id = 3", "id expects a string, got 3"),
        ("\"xray:synthetic\" = 'yes'", "xray:synthetic expects true or false, got 'yes'"),
        ("\"xray:synthetic\" < true", "xray:synthetic can only be compared with = or <>"),
        ("\"sec:level\" > 'R9'", "sec:level expects a level R0–R4, got 'R9'"),
        ("\"sec:level\" = 2", "sec:level expects a level R0–R4, got 2"),
        (
            "\"xray:modality\" = 'xray'",
            "xray:modality must be one of transmission-dual-energy, transmission-single-energy, "
            "backscatter, ct; got 'xray'",
        ),
        ("\"xray:object_count\" LIKE '1%'",
         "LIKE applies to string queryables; xray:object_count is integer"),
        ("id LIKE 'a\\'", "a LIKE pattern must not end with a lone backslash"),
        ("S_INTERSECTS(geometry, POINT(1 2))",
         "spatial functions are not supported in filters: use the bbox or intersects parameter"),
        ("geometry IS NULL",
         "spatial functions are not supported in filters: use the bbox or intersects parameter"),
        ("ACCENTI(id) = 'a'", "accenti is not supported"),
        ("CASEI(\"xray:object_count\") = 'a'",
         "casei applies to strings, not to xray:object_count"),
        ("\"xray:object_count\" + 1 = 2", "arithmetic is not supported in filters"),
        ("FOO(id) = 'a'", "unsupported operator 'foo'"),
        ("T_AFTER(id, TIMESTAMP('2024-01-01T00:00:00Z'))",
         "t_after applies to timestamps; id is string"),
        ("datetime > TIMESTAMP('2024-01-01T00:00:00')",
         "timestamp '2024-01-01T00:00:00' has no time zone; add Z or an offset"),
        ("datetime > TIMESTAMP('2024-13-01T00:00:00Z')",
         "'2024-13-01T00:00:00Z' is not a valid timestamp"),
        ("datetime > DATE('2024-02-30')", "'2024-02-30' is not a date such as 2024-05-01"),
        ("datetime > 'yesterday'",
         "'yesterday' is not an RFC 3339 timestamp such as 2024-05-01T12:00:00Z"),
        ("datetime > 5", "datetime expects a TIMESTAMP, DATE or INTERVAL, got 5"),
        ("datetime = INTERVAL('2024-01-01', '2024-01-02')",
         "compare datetime with an interval using a temporal operator"),
        ("T_DURING(datetime, INTERVAL('2024-02-01', '2024-01-01'))",
         "an INTERVAL starts after it ends"),
        ("A_CONTAINS(\"label:classes\", ('93'))",
         "label:classes expects HS codes of 4 or 6 digits, got '93'"),
        ("A_CONTAINS(id, ('9302'))", "a_contains applies to label:classes, not to id"),
        ("\"label:classes\" > '9302'",
         "label:classes supports = (one HS code) and a_contains, a_containedBy, a_overlaps, "
         "a_equals"),
        ("\"label:classes\" IS NULL",
         "label:classes supports = (one HS code) and a_contains, a_containedBy, a_overlaps, "
         "a_equals"),
        ("id = \"xray:object_count\"",
         "cannot compare id (string) with xray:object_count (integer)"),
        ("'a' = 'a'", "= needs a queryable on at least one side"),
        ("\"xray:container_type\" = NULL",
         "cannot compare xray:container_type with null; use IS NULL"),
        ("id", "expected a predicate, got {'property': 'id'}"),
        ("TRUE", "a filter must be a predicate, such as xray:modality = 'ct'"),
        ("id = 'a\x00'", "a string must not contain a NUL character"),
        ("T_FOO(datetime, DATE('2024-01-01'))", "temporal operator 't_foo' is not supported"),
    ],
)  # fmt: skip
def test_errors_name_the_problem(text: str, message: str) -> None:
    assert _text_error(text) == message


def test_parse_errors_are_one_short_line() -> None:
    message = _text_error("id = ")
    assert message.startswith("invalid cql2-text: at line 1, column 6: expected ")
    assert "\n" not in message
    assert len(message) <= 200
    assert _json_error("{not json").startswith("filter is not valid JSON: ")
    assert _json_error('{"x": 1}') == (
        "invalid cql2-json: data did not match any variant of untagged enum Expr"
    )
    assert _json_error("[1, 2]") == "a cql2-json filter must be a JSON object"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (op("=", P("id")), "= takes 2 arguments, got 1"),
        (op("not", op("=", P("id"), "a"), op("=", P("id"), "b")), "not takes 1 argument, got 2"),
        (op("and"), "and takes at least 1 argument, got 0"),
        (op("between", P("xray:object_count"), 1), "between takes 3 arguments, got 2"),
        (op("isNull", P("id"), P("id")), "isNull takes 1 argument, got 2"),
        (op("foo", P("id")), "unsupported operator 'foo'"),
        (op("s_within", P("geometry"), {"bbox": [0, 0, 1, 1]}),
         "spatial functions are not supported in filters: use the bbox or intersects parameter"),
        (op("=", P("id"), {"bbox": [0, 0, 1, 1]}),
         "spatial functions are not supported in filters: use the bbox or intersects parameter"),
        (op("=", P("datetime"), ts("2024-01-01T00:00:00")),
         "timestamp '2024-01-01T00:00:00' has no time zone; add Z or an offset"),
        (op("t_after", P("datetime"), interval("2024-01-01T00:00:00", "..")),
         "timestamp '2024-01-01T00:00:00' has no time zone; add Z or an offset"),
        (op("in", P("id"), "a"), "in needs a list of values, got 'a'"),
        (op("in", P("id"), [P("collection")]),
         "in compares a queryable with values, not with collection"),
        (op("like", P("id"), 5), "a LIKE pattern must be a string, got 5"),
        (op("=", P("id"), "a\x00"), "a string must not contain a NUL character"),
        ('{"op": "=", "args": [{"property": "id"}, "\\ud800"]}',
         "filter contains a lone UTF-16 surrogate (not valid Unicode)"),
        (op("a_overlaps", P("label:classes"), "9302"),
         "label:classes is compared with an array of HS codes, got '9302'"),
    ],
)  # fmt: skip
def test_json_errors_name_the_problem(document: Any, message: str) -> None:
    assert _json_error(document) == message


def _not_chain(depth: int) -> dict[str, Any]:
    """``depth`` nested operators: NOT … NOT (id = 'a')."""
    expr = op("=", P("id"), "a")
    for _ in range(depth - 1):
        expr = op("not", expr)
    return expr


def test_nesting_deeper_than_20_is_refused() -> None:
    assert parse_filter(_not_chain(20), "cql2-json") == _not_chain(20)
    assert _json_error(_not_chain(21)) == "filter nests deeper than 20 levels"
    text20 = "NOT (" * 19 + "id = 'a'" + ")" * 19
    assert parse_filter(text20, "cql2-text") == _not_chain(20)
    assert _text_error("NOT (" * 20 + "id = 'a'" + ")" * 20) == "filter nests deeper than 20 levels"
    with pytest.raises(FilterError, match="nests deeper than 20"):
        to_sql(_not_chain(21), ITEM_QUERYABLES)


def test_pathological_nesting_is_refused_before_the_parser_recurses() -> None:
    # Unchecked, the cql2 parser crashes the process (stack overflow) on these.
    assert _text_error("(" * 5000 + "id = 'a'" + ")" * 5000) == "filter nests deeper than 20 levels"
    assert _text_error("NOT " * 5000 + "id = 'a'") == "filter nests deeper than 20 levels"
    assert _text_error("id = " + "-" * 5000 + "1") == "filter nests deeper than 20 levels"
    deep: dict[str, Any] = op("=", P("id"), "a")
    for _ in range(10_000):
        deep = op("not", deep)
    assert _json_error(deep) == "filter nests deeper than 20 levels"
    assert _json_error("[" * 100_000 + "]" * 100_000).startswith("filter is longer than")
    # Refused by a bracket count before json.loads recurses into it.
    assert _json_error("[" * 15_000 + "]" * 15_000) == "filter nests deeper than 20 levels"
    assert _json_error('{"op": "not", "args": [' * 1_000 + "1" + "]}" * 1_000) == (
        "filter nests deeper than 20 levels"
    )
    brackets_in_a_string = '{"op": "=", "args": [{"property": "id"}, "' + "[{" * 200 + '\\""]}'
    assert parse_filter(brackets_in_a_string, "cql2-json")["args"][1] == "[{" * 200 + '"'


@pytest.mark.parametrize("operator", ["=", "<>", "<", ">=", "+", "*", "LIKE", "AND", "OR", "DIV"])
def test_long_operator_chains_are_refused_before_the_parser_sees_them(operator: str) -> None:
    # Unchecked, cql2 0.6.0 overflows its stack (SIGSEGV, the whole process) at ~4,000 operators:
    # "1 = 1 = … = 1" is about 16 kB.
    chain = f" {operator} ".join(["1"] * 4_000)
    assert _text_error(chain) == f"filter has more than {MAX_OPERATORS} operators"
    short = f" {operator} ".join(["1"] * (MAX_OPERATORS + 2))
    assert _text_error(short) == f"filter has more than {MAX_OPERATORS} operators"


def test_signs_in_value_lists_are_not_counted_as_operators() -> None:
    values = ", ".join(str(-i) for i in range(1, MAX_IN_VALUES + 1))
    parsed = parse_filter(f'"xray:object_count" IN ({values})', "cql2-text")
    assert parsed["args"][1] == [-i for i in range(1, MAX_IN_VALUES + 1)]


def test_like_patterns_and_text_are_bounded() -> None:
    pattern = "%a" * (MAX_LIKE_PATTERN // 2) + "%"
    assert _text_error(f"\"xray:scanner\" LIKE '{pattern}'") == (
        f"a LIKE pattern is longer than {MAX_LIKE_PATTERN} characters"
    )
    assert parse_filter(f"\"xray:scanner\" LIKE '{pattern[:-2]}'", "cql2-text")
    assert _text_error("id = '" + "a" * MAX_TEXT_LENGTH + "'") == (
        f"filter is longer than {MAX_TEXT_LENGTH} characters"
    )
    long_json = op("=", P("id"), "a" * MAX_TEXT_LENGTH)
    assert _json_error(long_json) == f"filter is longer than {MAX_TEXT_LENGTH} characters"


def test_lone_surrogates_are_refused() -> None:
    assert _text_error("id = '\ud800'") == (
        "filter contains a lone UTF-16 surrogate (not valid Unicode)"
    )
    assert _json_error({"op": "=", "args": [{"property": "id"}, "\udfff"]}) == (
        "filter contains a lone UTF-16 surrogate (not valid Unicode)"
    )
    assert _json_error({"op": "=", "args": [{"property": "id"}, "a"], "\ud800": 1}) == (
        "filter contains a lone UTF-16 surrogate (not valid Unicode)"
    )


def test_more_than_200_nodes_is_refused() -> None:
    def ors(n: int) -> dict[str, Any]:  # 1 + 3n nodes
        return op("or", *(op("=", P("id"), f"i{i}") for i in range(n)))

    assert parse_filter(ors(66), "cql2-json") == ors(66)
    assert _json_error(ors(67)) == "filter has more than 200 nodes"
    assert _text_error(" OR ".join(f"id = 'i{i}'" for i in range(67))) == (
        "filter has more than 200 nodes"
    )


def test_in_lists_of_more_than_500_values_are_refused(engine: Engine) -> None:
    values = [f"v{i}" for i in range(MAX_IN_VALUES)] + ["a01"]
    assert _json_error(op("in", P("id"), values)) == (
        "a list has 501 values; at most 500 are allowed"
    )
    assert ids(engine, parse_filter(op("in", P("id"), values[1:]), "cql2-json")) == keys("a01")
    codes = ["9302"] * 501
    assert _json_error(op("a_overlaps", P("label:classes"), codes)) == (
        "a list has 501 values; at most 500 are allowed"
    )


def test_filter_lang_and_crs_parameters() -> None:
    assert check_filter_lang(None) == "cql2-text"
    assert check_filter_lang(None, default="cql2-json") == "cql2-json"
    assert check_filter_lang("cql2-json") == "cql2-json"
    with pytest.raises(FilterError, match="filter-lang must be 'cql2-text' or 'cql2-json'"):
        check_filter_lang("cql-text")
    with pytest.raises(FilterError, match="filter-lang"):
        parse_filter("id = 'a'", "ecql")
    check_filter_crs(None)
    check_filter_crs(CRS84)
    with pytest.raises(FilterError, match=re.escape(f"only {CRS84} is supported")):
        check_filter_crs("http://www.opengis.net/def/crs/EPSG/0/4326")
    with pytest.raises(FilterError, match="a cql2-text filter must be a string"):
        parse_filter({"op": "=", "args": []}, "cql2-text")


TEXT_PIECES = [
    *"()'\",.-+*/%_\\<>=! ", "AND ", "OR ", "NOT ", "LIKE ", "IN ", "BETWEEN ", "IS NULL",
    "TIMESTAMP(", "DATE(", "INTERVAL(", "CASEI(", "A_CONTAINS(", "T_AFTER(", "S_INTERSECTS(",
    "datetime", "id", '"sec:level"', '"label:classes"', "'R1'", "'2024-01-01'", "'..'",
    "'2024-01-01T00:00:00Z'", "1", "2.5", "TRUE", "POINT(1 2)", "\u00e9", "\x00",
]  # fmt: skip
JSON_WORDS = st.sampled_from(
    ["id", "datetime", "label:classes", "sec:level", "R1", "9302", "2024-01-01", "..", "=", "in",
     "like", "and", "not", "a_contains", "t_during", "casei", "2024-01-01T00:00:00Z"]
)  # fmt: skip
JSON_KEYS = st.sampled_from(
    ["op", "args", "property", "interval", "timestamp", "date", "bbox", "type", "coordinates"]
)
json_documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | JSON_WORDS,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(JSON_KEYS, c, max_size=3),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(TEXT_PIECES), max_size=25).map("".join))
def test_any_text_is_a_filter_or_a_filter_error(text: str) -> None:
    message = ""
    try:
        parse_filter(text, "cql2-text")
    except FilterError as exc:
        message = str(exc)
    assert "\n" not in message


@settings(max_examples=300, deadline=None)
@given(document=json_documents)
def test_any_json_is_a_filter_or_a_filter_error(document: Any) -> None:
    message = ""
    try:
        parse_filter(document, "cql2-json")
        parse_filter(json.dumps(document), "cql2-json")
    except FilterError as exc:
        message = str(exc)
    assert "\n" not in message


def test_parse_filter_without_queryables_checks_syntax_only() -> None:
    assert parse_filter("foo = 1", "cql2-text", queryables=None) == op("=", P("foo"), 1.0)
    with pytest.raises(FilterError, match="unknown queryable 'foo'"):
        to_sql(op("=", P("foo"), 1), ITEM_QUERYABLES)


# --------------------------------------------------------------------------------------------
# PostgreSQL: the SQL compiles, values stay parameters


@pytest.mark.parametrize(
    "text",
    [
        '"xray:modality" = \'ct\' AND "xray:object_count" >= 3',
        '"xray:object_count" < 2.5',
        "CASEI(\"xray:scanner\") LIKE CASEI('Ras%') OR NOT id LIKE 'a\\_%'",
        "A_EQUALS(\"label:classes\", ('9302', '2402')) OR \"label:classes\" = '8471'",
        "A_CONTAINEDBY(\"label:classes\", ('9302'))",
        "T_DURING(datetime, INTERVAL('2024-01-01', '..')) AND \"sec:level\" <= 'R2'",
        "id IN ('a', 'b') AND \"xray:container_type\" IS NULL AND \"xray:synthetic\" = false",
    ],
)
def test_postgresql_sql_compiles_with_bound_values(text: str) -> None:
    query = select(ItemRow.id).where(to_sql(parse_filter(text, "cql2-text"), ITEM_QUERYABLES))
    for dialect in (postgresql.psycopg.dialect(), postgresql.psycopg2.dialect()):
        compiled = query.compile(dialect=dialect)
        sql = str(compiled)
        assert "WHERE" in sql
        for literal_text in re.findall(r"'([^']*)'", text):
            assert f"'{literal_text}'" not in sql
    pg = str(query.compile(dialect=postgresql.psycopg.dialect()))
    if "LIKE" in text:
        assert "ESCAPE '\\'" in pg
        assert "GLOB" not in pg
    if "label:classes" in text:
        assert "item_classes.collection_id = items.collection_id" in pg
        assert "item_classes.item_id = items.id" in pg


LIKE_CASES = [
    (document, expected) for _text, document, expected in CASES
    if isinstance(document, dict) and document.get("op") == "like"
    and "property" in document["args"][0]
]  # fmt: skip


@pytest.mark.parametrize(("document", "expected"), LIKE_CASES)
def test_the_postgresql_like_pattern_selects_the_same_scans(
    engine: Engine, document: dict[str, Any], expected: set[str]
) -> None:
    """The pattern bound for PostgreSQL's LIKE … ESCAPE, run by SQLite's case-sensitive LIKE."""
    query = select(ItemRow.id).where(to_sql(document, ITEM_QUERYABLES))
    (pattern,) = query.compile(dialect=postgresql.psycopg.dialect()).params.values()
    column = ITEM_QUERYABLES[document["args"][0]["property"]].column
    like = select(ItemRow.collection_id, ItemRow.id).where(column.like(pattern, escape="\\"))
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA case_sensitive_like = ON")
        try:
            found = {f"{c}/{i}" for c, i in connection.execute(like)}
        finally:
            connection.exec_driver_sql("PRAGMA case_sensitive_like = OFF")
    assert found == expected


def test_sortables_compile_for_postgresql() -> None:
    query = select(ItemRow.id).order_by(*(c.desc() for c in SORTABLES.values()))
    sql = str(query.compile(dialect=postgresql.psycopg.dialect()))
    assert "items.level DESC" in sql
    assert "items.datetime DESC" in sql


# --------------------------------------------------------------------------------------------
# Model check: random filters, SQL result == pure-Python evaluation

Truth = bool | None  # None: unknown (a comparison with null)
END_OF_DAY = time(23, 59, 59, 999_999)
STRING_FIELDS = {
    "id": lambda r: r.key.split("/")[1],
    "collection": lambda r: r.key.split("/")[0],
    "xray:modality": lambda r: r.modality,
    "xray:conveyance": lambda r: r.conveyance,
    "xray:container_type": lambda r: r.container_type,
    "xray:energy_profile": lambda r: r.energy_profile,
    "xray:scanner": lambda r: r.scanner,
    "xray:source_format": lambda r: r.source_format,
    "xray:inspection_outcome": lambda r: r.outcome,
}


def _field(row: Row, name: str) -> Any:
    if name in STRING_FIELDS:
        return STRING_FIELDS[name](row)
    return {
        "datetime": row.when, "sec:level": row.level, "xray:synthetic": row.synthetic,
        "xray:object_count": row.object_count, "label:classes": frozenset(row.classes),
    }[name]  # fmt: skip


def _value(row: Row, node: Any) -> Any:
    """Evaluate an operand: a property, CASEI(...), or a literal (levels become ranks)."""
    if isinstance(node, dict) and "property" in node:
        return _field(row, node["property"])
    if isinstance(node, dict) and node.get("op") == "casei":
        inner = _value(row, node["args"][0])
        return None if inner is None else inner.lower()
    if isinstance(node, str) and re.fullmatch(r"R[0-4]", node):
        return int(node[1])
    return node


def _bounds(literal: Any) -> tuple[datetime | None, datetime | None]:
    """A temporal literal as [begin, end]; a date covers its day."""
    if "timestamp" in literal:
        instant = datetime.fromisoformat(literal["timestamp"])
        return instant, instant
    if "date" in literal:
        d = date.fromisoformat(literal["date"])
        return datetime.combine(d, time.min, UTC), datetime.combine(d, END_OF_DAY, UTC)
    begin, end = literal["interval"]
    return (
        None if begin == ".." else _bounds(_literal_for(begin))[0],
        None if end == ".." else _bounds(_literal_for(end))[1],
    )


def _literal_for(text: str) -> dict[str, str]:
    return {"date": text} if len(text) == 10 else {"timestamp": text}


def _like(value: str, pattern: str) -> bool:
    regex, chars = "", iter(pattern)
    for char in chars:
        if char == "\\":
            regex += re.escape(next(chars))
        else:
            regex += {"%": ".*", "_": "."}.get(char, re.escape(char))
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _compare(name: str, left: Any, right: Any) -> Truth:
    if left is None or right is None:
        return None
    if isinstance(left, datetime) and isinstance(right, str):  # a plain RFC 3339 string
        right = _literal_for(right)
    if isinstance(right, dict):  # datetime against a timestamp or a date
        begin, end = _bounds(right)
        assert begin is not None
        assert end is not None
        return {
            "=": begin <= left <= end, "<>": not begin <= left <= end, "<": left < begin,
            "<=": left <= end, ">": left > end, ">=": left >= begin,
        }[name]  # fmt: skip
    if isinstance(left, frozenset):  # label:classes = code
        return right in left
    return {
        "=": left == right, "<>": left != right, "<": left < right,
        "<=": left <= right, ">": left > right, ">=": left >= right,
    }[name]  # fmt: skip


def _temporal(name: str, t: datetime, literal: Any) -> bool:
    begin, end = _bounds(literal)
    after_begin = begin is None or t >= begin
    before_end = end is None or t <= end
    if name == "t_after":
        return end is not None and t > end
    if name == "t_before":
        return begin is not None and t < begin
    if name == "t_during":
        return (begin is None or t > begin) and (end is None or t < end)
    if name == "t_equals":
        return begin == end == t
    if name == "t_intersects":
        return after_begin and before_end
    assert name == "t_disjoint"
    return not (after_begin and before_end)


def evaluate(row: Row, node: Any) -> Truth:
    """Three-valued evaluation of a CQL2 JSON filter on one row."""
    if isinstance(node, bool):
        return node
    name, args = node["op"], node["args"]
    if name == "and":
        values = [evaluate(row, a) for a in args]
        return False if False in values else (None if None in values else True)
    if name == "or":
        values = [evaluate(row, a) for a in args]
        return True if True in values else (None if None in values else False)
    if name == "not":
        inner = evaluate(row, args[0])
        return None if inner is None else not inner
    left = _value(row, args[0])
    if name == "isNull":
        return left is None
    if name in ("=", "<>", "<", "<=", ">", ">="):
        return _compare(name, left, _value(row, args[1]))
    if name == "between":
        low, high = _value(row, args[1]), _value(row, args[2])
        lower, upper = _compare(">=", left, low), _compare("<=", left, high)
        return None if None in (lower, upper) else bool(lower and upper)
    if name == "in":
        if left is None:
            return None
        return any(_compare("=", left, _value(row, v)) for v in args[1])
    if name == "like":
        return None if left is None else _like(left, _value(row, args[1]))
    if name.startswith("t_"):
        return _temporal(name, left, args[1])
    codes = frozenset(args[1])
    return {
        "a_contains": left >= codes, "a_containedBy": left <= codes,
        "a_overlaps": bool(left & codes), "a_equals": left == codes,
    }[name]  # fmt: skip


COMPARISONS = ("=", "<>", "<", "<=", ">", ">=")
INSTANTS = sorted(
    {r.datetime for r in ROWS}
    | {"2024-01-01T00:00:00.000001Z", "2024-07-04T12:00:00.250000Z", "2025-01-01T00:00:00Z"}
)
DAYS = ("2023-12-31", "2024-01-01", "2024-01-02", "2024-02-01", "2024-07-04", "2024-12-31")
CODES = ("9302", "2402", "8471", "8703", "930200", "1234")
LIKE_PATTERNS = (
    "%", "_", "a%", "A%", "%1", "y\\_1", "y_1", "Rapiscan%", "rapiscan%", "%HI-SCAN%",
    "Acme 100\\%%", "Acme 100%", "%\\\\%", "4_G1", "%R%", "AS&E %", "___", "b0_",
)  # fmt: skip
ENUM_PROPS = (
    "xray:modality", "xray:conveyance", "xray:energy_profile", "xray:source_format",
    "xray:inspection_outcome",
)  # fmt: skip


def _enum_values(name: str) -> tuple[str, ...]:
    enum = ITEM_QUERYABLES[name].enum
    assert enum is not None
    return enum


temporal_value = st.one_of(
    st.sampled_from(INSTANTS).map(ts),
    st.sampled_from(DAYS).map(day),
)
interval_bound = st.sampled_from(("..", *DAYS, *INSTANTS))


@st.composite
def intervals(draw: st.DrawFn) -> dict[str, list[str]]:
    a, b = draw(interval_bound), draw(interval_bound)
    key = lambda t: (0, "") if t == ".." else (1, _bounds(_literal_for(t))[0])  # noqa: E731
    if a != ".." and b != ".." and key(a) > key(b):
        a, b = b, a
    return interval(a, b)


def _enum_comparison(name: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda o, v: op(o, P(name), v), st.sampled_from(COMPARISONS),
        st.sampled_from(_enum_values(name)),
    )  # fmt: skip


leaves = st.one_of(
    st.sampled_from(ENUM_PROPS).flatmap(_enum_comparison),
    st.builds(lambda o, v: op(o, P("xray:container_type"), v), st.sampled_from(COMPARISONS),
              st.sampled_from(("45G1", "42R1", "22G1", "45R1", "42G1", "ZZZZ", "0"))),
    st.just(op("isNull", P("xray:container_type"))),
    st.builds(lambda o, v: op(o, P("xray:object_count"), v), st.sampled_from(COMPARISONS),
              st.sampled_from((-1, 0, 1, 2, 2.5, 3, 5, 7.5, 8, 100))),
    st.builds(lambda o, v: op(o, P("sec:level"), v), st.sampled_from(COMPARISONS),
              st.sampled_from(("R0", "R1", "R2", "R3", "R4"))),
    st.builds(lambda o, v: op(o, P("xray:synthetic"), v), st.sampled_from(("=", "<>")),
              st.booleans()),
    st.builds(lambda o, v: op(o, P("id"), v), st.sampled_from(COMPARISONS),
              st.sampled_from(("a01", "a05", "b10", "x1", "y_1", "z"))),
    st.builds(lambda v: op("in", P("id"), v),
              st.lists(st.sampled_from(("a01", "a07", "b12", "x1", "yz1", "q")), max_size=4)),
    st.builds(lambda v: op("in", P("xray:object_count"), v),
              st.lists(st.sampled_from((0, 1, 2, 2.5, 7)), min_size=1, max_size=3)),
    st.builds(lambda p, v: op("like", P(p), v),
              st.sampled_from(("id", "xray:scanner", "xray:container_type")),
              st.sampled_from(LIKE_PATTERNS)),
    st.builds(lambda v: op("like", casei(P("xray:scanner")), casei(v)),
              st.sampled_from(LIKE_PATTERNS)),
    st.builds(lambda o, v: op(o, casei(P("xray:scanner")), casei(v)), st.sampled_from(("=", "<>")),
              st.sampled_from((RAPISCAN, "RAPISCAN EAGLE M60", ZBV))),
    st.builds(lambda lo, hi: op("between", P("xray:object_count"), lo, hi),
              st.sampled_from((0, 1, 2.5, 4)), st.sampled_from((1, 3, 5.5, 8))),
    st.builds(lambda lo, hi: op("between", P("sec:level"), lo, hi),
              st.sampled_from(("R0", "R1", "R2")), st.sampled_from(("R1", "R3", "R4"))),
    st.builds(lambda o, v: op(o, P("datetime"), v), st.sampled_from(COMPARISONS), temporal_value),
    st.builds(lambda lo, hi: op("between", P("datetime"), lo, hi), temporal_value, temporal_value),
    st.builds(lambda v: op("in", P("datetime"), v), st.lists(temporal_value, max_size=3)),
    st.builds(lambda o, v: op(o, P("datetime"), v),
              st.sampled_from(("t_after", "t_before", "t_during", "t_equals", "t_intersects",
                               "t_disjoint")),
              st.one_of(temporal_value, intervals())),
    st.builds(lambda o, v: op(o, P("label:classes"), v),
              st.sampled_from(("a_contains", "a_containedBy", "a_overlaps", "a_equals")),
              st.lists(st.sampled_from(CODES), max_size=4)),
    st.builds(lambda v: op("=", P("label:classes"), v), st.sampled_from(CODES)),
)  # fmt: skip

filters = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(lambda a: op("not", a), children),
        st.builds(lambda a: op("and", *a), st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda a: op("or", *a), st.lists(children, min_size=2, max_size=3)),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=filters)
def test_sql_agrees_with_a_python_evaluation(engine: Engine, expr: dict[str, Any]) -> None:
    expected = {r.key for r in ROWS if evaluate(r, expr) is True}
    parsed = parse_filter(expr, "cql2-json")
    assert ids(engine, parsed) == expected
    # The same filter written as cql2-text by the cql2 library selects the same scans
    # (cql2-text cannot write an empty list).
    if "[]" not in json.dumps(expr):
        text = cql2.parse_json(json.dumps(expr)).to_text()
        assert ids(engine, parse_filter(text, "cql2-text")) == expected
    query = select(ItemRow.id).where(to_sql(parsed, ITEM_QUERYABLES))
    assert "WHERE" in str(query.compile(dialect=postgresql.psycopg.dialect()))


_EVALUABLE = {
    *COMPARISONS, "isNull", "between", "in", "like", "t_after", "t_before", "t_during",
    "t_equals", "t_intersects", "t_disjoint", "a_contains", "a_containedBy", "a_overlaps",
    "a_equals",
}  # fmt: skip


def _evaluable(node: Any) -> bool:
    """Whether ``evaluate`` covers this filter: the property (or CASEI of it) comes first."""
    if isinstance(node, bool):
        return True
    if not isinstance(node, dict) or "op" not in node:
        return False
    if node["op"] in ("and", "or", "not"):
        return all(_evaluable(a) for a in node["args"])
    first = node["args"][0]
    leading_property = isinstance(first, dict) and ("property" in first or "op" in first)
    return node["op"] in _EVALUABLE and leading_property


def _single_leaves() -> Iterator[dict[str, Any]]:
    """Every one-operator filter over small domains of values (the model check's leaves)."""
    temporal = [ts(t) for t in INSTANTS] + [day(d) for d in DAYS]
    bounds = ("..", *DAYS, *INSTANTS[::4])
    spans = [interval(a, b) for a in bounds for b in bounds if _ordered(a, b)]
    code_sets = [[]] + [[c] for c in CODES] + [[a, b] for a in CODES for b in CODES if a < b]
    for o in COMPARISONS:
        for name in ENUM_PROPS:
            yield from (op(o, P(name), v) for v in _enum_values(name))
        yield from (op(o, P("xray:container_type"), v) for v in ("45G1", "42R1", "ZZZZ", "0"))
        yield from (op(o, P("xray:object_count"), v) for v in (-1, 0, 1, 2, 2.5, 7.5, 8, 100))
        yield from (op(o, P("sec:level"), f"R{n}") for n in range(5))
        yield from (op(o, P("id"), v) for v in ("a01", "b10", "x1", "y_1", "z"))
        yield from (op(o, P("datetime"), v) for v in temporal)
    for o in ("t_after", "t_before", "t_during", "t_equals", "t_intersects", "t_disjoint"):
        yield from (op(o, P("datetime"), v) for v in temporal + spans)
    for o in ("a_contains", "a_containedBy", "a_overlaps", "a_equals"):
        yield from (op(o, P("label:classes"), codes) for codes in code_sets)
    for name in ("id", "xray:scanner", "xray:container_type"):
        yield from (op("like", P(name), pattern) for pattern in LIKE_PATTERNS)
    yield from (op("like", casei(P("xray:scanner")), casei(p)) for p in LIKE_PATTERNS)
    yield from (op("between", P("datetime"), a, b) for a in temporal[::3] for b in temporal[::3])
    yield from (op("between", P("xray:object_count"), a, b) for a in (0, 1.5, 3) for b in (2, 8))
    yield from (op("=", P("label:classes"), c) for c in CODES)
    yield from (op("=", P("xray:synthetic"), b) for b in (True, False))
    yield op("isNull", P("xray:container_type"))


def _ordered(a: str, b: str) -> bool:
    if ".." in (a, b):
        return True
    begin, end = _bounds(_literal_for(a))[0], _bounds(_literal_for(b))[1]
    assert begin is not None
    assert end is not None
    return begin <= end


def test_every_single_operator_filter_agrees_with_the_python_evaluation(engine: Engine) -> None:
    leaves = list(_single_leaves())
    assert len(leaves) > 1000
    wrong = [
        (leaf, got, expected)
        for leaf in leaves
        if (got := ids(engine, leaf)) != (expected := {r.key for r in ROWS if evaluate(r, leaf)})
    ]
    assert wrong == []


def test_the_python_evaluation_agrees_with_the_hand_written_cases() -> None:
    checked = 0
    for text, document, expected in CASES:
        if _evaluable(document):
            assert {r.key for r in ROWS if evaluate(r, document) is True} == expected, text
            checked += 1
    assert checked >= len(CASES) - 8


def test_dates_are_utc_days() -> None:
    begin, end = _bounds(day("2024-01-01"))
    assert begin == datetime(2024, 1, 1, tzinfo=UTC)
    assert end == datetime(2024, 1, 2, tzinfo=UTC) - timedelta(microseconds=1)
