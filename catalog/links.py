"""Link objects of STAC responses, built from the request's base URL at response time."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request

__all__ = ["collection_links", "item_links", "root_url"]


def root_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _link(rel: str, href: str, type_: str = "application/json") -> dict[str, Any]:
    return {"rel": rel, "href": href, "type": type_}


def collection_links(base: str, collection_id: str) -> list[dict[str, Any]]:
    here = f"{base}/collections/{quote(collection_id, safe='')}"
    return [
        _link("self", here),
        _link("root", f"{base}/"),
        _link("parent", f"{base}/"),
        _link("items", f"{here}/items", "application/geo+json"),
        _link("http://www.opengis.net/def/rel/ogc/1.0/queryables", f"{here}/queryables",
              "application/schema+json"),
    ]  # fmt: skip


def item_links(base: str, collection_id: str, item_id: str) -> list[dict[str, Any]]:
    collection = f"{base}/collections/{quote(collection_id, safe='')}"
    return [
        _link("self", f"{collection}/items/{quote(item_id, safe='')}", "application/geo+json"),
        _link("parent", collection),
        _link("collection", collection),
        _link("root", f"{base}/"),
    ]
