"""Spatial search: ``bbox`` and ``intersects`` as SQL conditions on the items' site columns.

An item's geometry is the point of its scan site and nothing else (``catalog.sites``), so the
set of points an item can have is the shipped site table. Both spatial parameters are therefore
decided exactly and without the database: ``intersects`` by shapely against every site point,
``bbox`` by comparing the site points with the box (west > east crosses the antimeridian), and
the condition is ``site IN (those sites)`` — no PostGIS needed, the same on SQLite and
PostgreSQL, and the index ``ix_items_site_datetime`` (site, datetime, collection_id, id) serves a
place-and-time search in date order. Items without a place (null site) match no spatial
condition, as SQL comparisons with NULL are never true.

A query geometry is bounded (vertices, nesting) and checked (GeoJSON types, finite WGS 84
coordinates, closed rings, OGC validity) before shapely builds it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import shapely
from shapely.errors import GEOSException, ShapelyError
from shapely.geometry import Point, shape
from shapely.validation import explain_validity
from sqlalchemy import ColumnElement, false

from catalog.errors import InvalidQuery
from catalog.sites import SITES
from catalog.tables import ItemRow

__all__ = [
    "MAX_VERTICES",
    "bbox_condition",
    "intersects_condition",
    "parse_geometry",
    "sites_in_bbox",
]

MAX_VERTICES = 10_000
_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
          "GeometryCollection"}  # fmt: skip
_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
          "MultiPolygon": 3}  # fmt: skip


def sites_in_bbox(bbox: Sequence[float]) -> list[str]:
    """The sites whose point lies in ``bbox`` (west > east: across the antimeridian)."""
    half = len(bbox) // 2
    west, south, east, north = bbox[0], bbox[1], bbox[half], bbox[half + 1]

    def inside(lon: float, lat: float) -> bool:
        across = lon >= west or lon <= east
        return south <= lat <= north and (west <= lon <= east if west <= east else across)

    return sorted(c for c, s in SITES.items() if inside(s.lon, s.lat))


def bbox_condition(bbox: Sequence[float]) -> ColumnElement[bool]:
    """``bbox`` as validated by ``catalog.params`` (4 numbers, or 6 with elevation)."""
    codes = sites_in_bbox(bbox)
    return ItemRow.site.in_(codes) if codes else false()


def intersects_condition(geometry: shapely.Geometry) -> ColumnElement[bool]:
    codes = sorted(c for c, s in SITES.items() if geometry.intersects(Point(s.lon, s.lat)))
    return ItemRow.site.in_(codes) if codes else false()


def _positions(coordinates: Any, depth: int, where: str, count: list[int]) -> None:
    """Check nested coordinate arrays iteratively; count positions against the cap."""
    stack = [(coordinates, depth)]
    while stack:
        value, level = stack.pop()
        if not isinstance(value, list):
            raise InvalidQuery(f"{where}: coordinates must be nested arrays")
        if level == 0:
            _position(value, where)
            count[0] += 1
            if count[0] > MAX_VERTICES:
                raise InvalidQuery(f"{where}: more than {MAX_VERTICES} positions")
            continue
        stack.extend((v, level - 1) for v in value)


def _position(value: list[Any], where: str) -> None:
    if len(value) not in (2, 3) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
    ):
        raise InvalidQuery(f"{where}: a position is 2 or 3 finite numbers")
    if not (-180 <= value[0] <= 180 and -90 <= value[1] <= 90):
        raise InvalidQuery(f"{where}: longitude/latitude out of range (WGS 84 degrees)")


def _check(geometry: Any, count: list[int]) -> None:
    stack = [(geometry, 0)]
    while stack:
        node, level = stack.pop()
        if not isinstance(node, dict) or node.get("type") not in _TYPES:
            names = ", ".join(sorted(_TYPES))
            raise InvalidQuery(f"intersects: expected a GeoJSON geometry ({names})")
        kind = node["type"]
        if kind == "GeometryCollection":
            members = node.get("geometries")
            if not isinstance(members, list) or level >= 4:
                raise InvalidQuery("intersects: a GeometryCollection needs a 'geometries' array")
            stack.extend((m, level + 1) for m in members)
        else:
            _positions(node.get("coordinates"), _DEPTH[kind], f"intersects ({kind})", count)
            if kind in ("Polygon", "MultiPolygon"):
                _rings(node["coordinates"], kind)


def _rings(coordinates: list[Any], kind: str) -> None:
    polygons = [coordinates] if kind == "Polygon" else coordinates
    for polygon in polygons:
        if not polygon:
            raise InvalidQuery(f"intersects ({kind}): a polygon needs an exterior ring")
        for ring in polygon:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise InvalidQuery(
                    f"intersects ({kind}): a ring is closed (last position = first) "
                    "and has at least 4 positions"
                )


def parse_geometry(value: Any) -> shapely.Geometry:
    """A GeoJSON geometry (a dict, or JSON text from a GET query) as a valid shapely geometry."""
    if isinstance(value, str):
        if len(value) > 1_000_000:
            raise InvalidQuery("intersects: the geometry is larger than 1 MB")
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidQuery("intersects: not valid JSON") from None
    _check(value, [0])
    try:
        geometry = shape(value)
    except (ShapelyError, GEOSException, ValueError, TypeError, IndexError) as exc:
        raise InvalidQuery(f"intersects: not a valid geometry ({_short(exc)})") from None
    if not geometry.is_valid:
        raise InvalidQuery(f"intersects: not a valid geometry ({explain_validity(geometry)})")
    return geometry


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]
