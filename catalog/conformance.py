"""Conformance classes this node implements (pystac-client recognises the v1.0.x ones)."""

from __future__ import annotations

__all__ = ["CONFORMANCE"]

_STAC = "https://api.stacspec.org/v1.0.0"
_OGC = "http://www.opengis.net/spec"

CONFORMANCE = [
    f"{_STAC}/core",
    f"{_STAC}/collections",
    f"{_STAC}/ogcapi-features",
    f"{_STAC}/item-search",
    f"{_STAC}/item-search#fields",
    f"{_STAC}/item-search#sort",
    f"{_STAC}/item-search#filter",
    f"{_STAC}/ogcapi-features#fields",
    f"{_STAC}/ogcapi-features#sort",
    "https://api.stacspec.org/v1.0.0-rc.1/item-search#free-text",
    "https://api.stacspec.org/v1.0.0-rc.1/collection-search",
    "https://api.stacspec.org/v1.0.0-rc.1/collection-search#free-text",
    "https://api.stacspec.org/v1.0.0-rc.1/collection-search#filter",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/simple-query",
    "https://api.stacspec.org/v0.3.0/aggregation",
    f"{_OGC}/ogcapi-features-1/1.0/conf/core",
    f"{_OGC}/ogcapi-features-1/1.0/conf/oas30",
    f"{_OGC}/ogcapi-features-1/1.0/conf/geojson",
    f"{_OGC}/ogcapi-features-3/1.0/conf/filter",
    f"{_OGC}/ogcapi-features-3/1.0/conf/features-filter",
    f"{_OGC}/cql2/1.0/conf/cql2-text",
    f"{_OGC}/cql2/1.0/conf/cql2-json",
    f"{_OGC}/cql2/1.0/conf/basic-cql2",
    f"{_OGC}/cql2/1.0/conf/advanced-comparison-operators",
    f"{_OGC}/cql2/1.0/conf/case-insensitive-comparison",
    f"{_OGC}/cql2/1.0/conf/temporal-functions",
    f"{_OGC}/cql2/1.0/conf/array-functions",
    f"{_OGC}/cql2/1.0/conf/property-property",
]
