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
    "CRYPT4GH_TYPE",
    "GRANT_ROLE",
    "OPENAPI_MEDIA_TYPE",
    "STAC_VERSION",
    "collection_links",
    "collection_out",
    "extension_url",
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
#: What an asset href serves: the file in a Crypt4GH container (GA4GH), for the grantee's key.
#: There is no registered media type for Crypt4GH; the profile names the specification.
CRYPT4GH_TYPE = (
    'application/octet-stream; profile="https://samtools.github.io/hts-specs/crypt4gh.pdf"'
)
GRANT_ROLE = "grant-required"  # an asset role: the href answers only to a grant's token
#: Our extensions' canonical identifiers, as stored; served under the deployment's base URL.
CANONICAL_EXTENSIONS = "https://clearance.example/stac/"
EXTENSIONS_PATH = "/stac/extensions/"


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


def extension_url(url: str, schema_base: str) -> str:
    """A stored extension identifier as this deployment names it (others are left alone)."""
    if url.startswith(CANONICAL_EXTENSIONS):
        return schema_base.rstrip("/") + EXTENSIONS_PATH + url[len(CANONICAL_EXTENSIONS) :]
    return url


def _asset_out(base: str, asset: Any) -> Any:
    if not isinstance(asset, dict) or not str(asset.get("href", "")).startswith("/transfer/"):
        return asset
    shown = {**asset, "href": base + asset["href"], "type": CRYPT4GH_TYPE}
    if "type" in asset:
        shown["xray:plaintext_type"] = asset["type"]
    shown["roles"] = [*asset.get("roles", []), GRANT_ROLE]
    return shown


def _out(base: str, schema_base: str, document: dict[str, Any]) -> dict[str, Any]:
    out = {**document, "stac_version": STAC_VERSION}
    if isinstance(document.get("stac_extensions"), list):
        out["stac_extensions"] = [extension_url(str(u), schema_base)
                                  for u in document["stac_extensions"]]  # fmt: skip
    if isinstance(document.get("assets"), dict):
        out["assets"] = {k: _asset_out(base, a) for k, a in document["assets"].items()}
    return out


def collection_out(
    base: str, document: dict[str, Any], schema_base: str | None = None
) -> dict[str, Any]:
    out = _out(base, schema_base or base, document)
    out["links"] = collection_links(base, str(document["id"]))
    if out.get("license") in _DEPRECATED_LICENCES:
        out["license"] = "other"
    return out


def item_out(base: str, document: dict[str, Any], schema_base: str | None = None) -> dict[str, Any]:
    out = _out(base, schema_base or base, document)
    out["links"] = item_links(base, str(document["collection"]), str(document["id"]))
    return out
