"""STAC documents on their way out: links built from the request's base URL at response time,
asset hrefs made absolute, and stored values brought to the STAC version the node speaks.

Stored documents stay as they were published; everything that depends on where the node is
reached (or on the STAC version of the day) is added here, in one place, for every route.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request

__all__ = [
    "OPENAPI_MEDIA_TYPE",
    "STAC_VERSION",
    "collection_links",
    "collection_out",
    "item_links",
    "item_out",
    "root_url",
]

STAC_VERSION = "1.1.0"
JSON, GEOJSON, SCHEMA = "application/json", "application/geo+json", "application/schema+json"
OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"  # what /api serves
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
# STAC 1.1 deprecates these licence values for an SPDX id or "other" (with a licence link).
_DEPRECATED_LICENCES = {"proprietary", "various"}


def root_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _link(rel: str, href: str, type_: str = JSON, title: str | None = None) -> dict[str, Any]:
    link = {"rel": rel, "href": href, "type": type_}
    if title is not None:
        link["title"] = title
    return link


def collection_links(base: str, collection_id: str) -> list[dict[str, Any]]:
    here = f"{base}/collections/{quote(collection_id, safe='')}"
    return [
        _link("self", here, title=collection_id),
        _link("root", f"{base}/", title="Clearance catalogue node"),
        _link("parent", f"{base}/", title="Clearance catalogue node"),
        _link("items", f"{here}/items", GEOJSON, "Scans"),
        _link(QUERYABLES_REL, f"{here}/queryables", SCHEMA, "Queryables"),
    ]


def item_links(base: str, collection_id: str, item_id: str) -> list[dict[str, Any]]:
    collection = f"{base}/collections/{quote(collection_id, safe='')}"
    return [
        _link("self", f"{collection}/items/{quote(item_id, safe='')}", GEOJSON),
        _link("parent", collection, title=collection_id),
        _link("collection", collection, title=collection_id),
        _link("root", f"{base}/", title="Clearance catalogue node"),
    ]


def _absolute_assets(base: str, document: dict[str, Any]) -> dict[str, Any]:
    assets = document.get("assets")
    if not isinstance(assets, dict):
        return document
    absolute = {
        key: {**asset, "href": base + asset["href"]}
        if isinstance(asset, dict) and str(asset.get("href", "")).startswith("/")
        else asset
        for key, asset in assets.items()
    }
    return {**document, "assets": absolute}


def collection_out(base: str, document: dict[str, Any]) -> dict[str, Any]:
    out = {**document, "stac_version": STAC_VERSION,
           "links": collection_links(base, str(document["id"]))}  # fmt: skip
    if out.get("license") in _DEPRECATED_LICENCES:
        out["license"] = "other"
    return _absolute_assets(base, out)


def item_out(base: str, document: dict[str, Any]) -> dict[str, Any]:
    links = item_links(base, str(document["collection"]), str(document["id"]))
    return _absolute_assets(base, {**document, "stac_version": STAC_VERSION, "links": links})
