"""The STAC API 1.0 routes of the catalogue (core, collections, features, item search, filter,
sort, fields, free text, aggregation) and the who-has-what endpoint.

Routes are thin: they parse, call a service with the caller's principal, and add links.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response

from access import Action, Principal
from access.guard import GuardedRoute, body_limit, limits_of
from access.route_policy import public, requires, sessions_of
from catalog import browse, collection_search, extension_schemas, params
from catalog.aggregate import AGGREGATIONS, run_aggregation
from catalog.conformance import CONFORMANCE
from catalog.errors import NotFound
from catalog.fields import apply_fields
from catalog.links import (
    GEOJSON,
    OPENAPI_MEDIA_TYPE,
    QUERYABLES_REL,
    SCHEMA,
    STAC_VERSION,
    collection_out,
    item_out,
    root_url,
)
from catalog.paging import PagingKey
from catalog.queryables import queryables_document
from catalog.search import Page, SearchRequest, run_search
from catalog.whohas import who_has

__all__ = ["router"]

router = APIRouter(route_class=GuardedRoute)
Reader = Annotated[Principal, Depends(requires(Action.CATALOG_READ))]


class GeoJSONResponse(JSONResponse):
    """Items and item collections (STAC API: ``application/geo+json``)."""

    media_type = GEOJSON


class SchemaResponse(JSONResponse):
    """Queryables (OGC API Features part 3: ``application/schema+json``)."""

    media_type = SCHEMA


@router.get("/", dependencies=[Depends(public)])
def landing(request: Request) -> dict[str, Any]:
    base = root_url(request)

    def link(rel: str, href: str, type_: str = "application/json", **kw: str) -> dict[str, str]:
        return {"rel": rel, "href": base + href, "type": type_, **kw}

    return {
        "type": "Catalog",
        "stac_version": STAC_VERSION,
        "id": "clearance",
        "title": "Clearance catalogue node",
        "description": "Annotated X-ray holdings of partner customs administrations.",
        "conformsTo": CONFORMANCE,
        "links": [
            link("self", "/"),
            link("root", "/"),
            link("conformance", "/conformance"),
            link("data", "/collections"),
            link("search", "/search", "application/geo+json", method="GET"),
            link("search", "/search", "application/geo+json", method="POST"),
            link("http://www.opengis.net/def/rel/ogc/1.0/queryables", "/queryables",
                 "application/schema+json"),
            link("aggregate", "/aggregate", method="GET"),
            link("aggregations", "/aggregations"),
            link("service-desc", "/api", OPENAPI_MEDIA_TYPE, title="OpenAPI description"),
            link("service-doc", "/api.html", "text/html", title="API documentation"),
        ],
    }  # fmt: skip


@router.get(
    "/stac/extensions/{name}/{version}/schema.json",
    dependencies=[Depends(public)],
    response_class=SchemaResponse,
)
def extension_schema(request: Request, name: str, version: str) -> Response:
    """Our STAC extension schemas (``xray``, ``sec``), for validators and STAC Browser labels."""
    schema = extension_schemas.extension_schema(name, version, schema_base(request))
    if schema is None:
        raise NotFound(f"no extension schema {name[:40]!r} {version[:20]!r}")
    body = json.dumps(schema, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=SCHEMA, headers=headers)


@router.get("/conformance", dependencies=[Depends(public)])
def conformance() -> dict[str, Any]:
    return {"conformsTo": CONFORMANCE}


@router.get("/collections")
def collections(request: Request, principal: Reader) -> dict[str, Any]:
    """The holdings the caller may discover; with collection-search parameters, those matching."""
    query = dict(request.query_params)
    search = params.collection_search_from_get(query)
    with sessions_of(request)() as session:
        page = collection_search.run_collection_search(
            session, principal, search, paging_of(request)
        )
    base = root_url(request)
    links = [
        {"rel": "self", "href": str(request.url), "type": "application/json"},
        {"rel": "root", "href": f"{base}/", "type": "application/json"},
        {"rel": QUERYABLES_REL, "href": f"{base}/collection-queryables", "type": SCHEMA,
         "title": "Queryables of collection search"},
    ]  # fmt: skip
    if page.next_token is not None:
        next_query = urlencode({**query, "token": page.next_token})
        links.append({"rel": "next", "href": f"{base}/collections?{next_query}",
                      "type": "application/json"})  # fmt: skip
    shown = [collection_out(base, browse.as_seen(d, sees), schema_base(request))
             for d, sees in page.rows]  # fmt: skip
    return {"collections": shown, "links": links, "numberMatched": page.matched,
            "numberReturned": len(shown)}  # fmt: skip


@router.get("/collection-queryables", response_class=SchemaResponse)
def collection_queryables_document(request: Request, principal: Reader) -> dict[str, Any]:
    del principal  # the same for everyone; the route still needs a caller
    return collection_search.collection_queryables(root_url(request))


@router.get("/collections/{collection_id}")
def collection(request: Request, collection_id: str, principal: Reader) -> dict[str, Any]:
    with sessions_of(request)() as session:
        document = browse.get_collection(session, principal, collection_id)
    return collection_out(root_url(request), document, schema_base(request))


@router.get("/collections/{collection_id}/items", response_class=GeoJSONResponse)
def collection_items(request: Request, collection_id: str, principal: Reader) -> dict[str, Any]:
    query = dict(request.query_params)
    with sessions_of(request)() as session:
        browse.get_collection(session, principal, collection_id)  # same 404 as a missing one
        search = params.from_get({**query, "collections": collection_id})
        page = run_search(session, principal, search, paging_of(request))
    base = f"{root_url(request)}/collections/{collection_id}/items"
    return _feature_collection(request, page, search, _get_next(base, query, page))


@router.get("/collections/{collection_id}/items/{item_id}", response_class=GeoJSONResponse)
def item(request: Request, collection_id: str, item_id: str, principal: Reader) -> dict[str, Any]:
    with sessions_of(request)() as session:
        document = browse.get_item(session, principal, collection_id, item_id)
    return item_out(root_url(request), document, schema_base(request))


@router.get("/search", response_class=GeoJSONResponse)
def search_get(request: Request, principal: Reader) -> dict[str, Any]:
    query = dict(request.query_params)
    search = params.from_get(query)
    with sessions_of(request)() as session:
        page = run_search(session, principal, search, paging_of(request))
    return _feature_collection(
        request, page, search, _get_next(f"{root_url(request)}/search", query, page)
    )


@router.post("/search", response_class=GeoJSONResponse)
@body_limit(lambda request: limits_of(request).search)
def search_post(
    request: Request, principal: Reader, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    search = params.from_post(body if body is not None else {})
    with sessions_of(request)() as session:
        page = run_search(session, principal, search, paging_of(request))
    next_link = {
        "rel": "next",
        "href": f"{root_url(request)}/search",
        "type": GEOJSON,
        "method": "POST",
        "body": params.to_post_body(body or {}, page.next_token or ""),
        "merge": False,
    }
    return _feature_collection(request, page, search, next_link)


@router.get("/queryables", response_class=SchemaResponse)
def queryables(request: Request, principal: Reader) -> dict[str, Any]:
    del principal  # the document is the same for everyone; the route still needs a caller
    return queryables_document(root_url(request), None)


@router.get("/collections/{collection_id}/queryables", response_class=SchemaResponse)
def collection_queryables(
    request: Request, collection_id: str, principal: Reader
) -> dict[str, Any]:
    with sessions_of(request)() as session:
        browse.get_collection(session, principal, collection_id)
    return queryables_document(root_url(request), collection_id)


@router.get("/aggregations")
def aggregations(request: Request, principal: Reader) -> dict[str, Any]:
    del principal
    return {
        "aggregations": [{"name": n, "data_type": a.data_type} for n, a in AGGREGATIONS.items()],
        "links": [{"rel": "self", "href": f"{root_url(request)}/aggregations"}],
    }


@router.get("/aggregate")
def aggregate_get(request: Request, principal: Reader) -> dict[str, Any]:
    query = dict(request.query_params)
    names = query.pop("aggregations", "")
    return _aggregate(request, principal, params.from_get(query), names)


@router.post("/aggregate")
@body_limit(lambda request: limits_of(request).search)
def aggregate_post(
    request: Request, principal: Reader, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    body = body if body is not None else {}
    if not isinstance(body, dict):
        body = {"__invalid__": True}
    names = body.pop("aggregations", []) if isinstance(body, dict) else []
    return _aggregate(request, principal, params.from_post(body), names)


@router.get("/whohas")
def whohas(request: Request, principal: Reader) -> dict[str, Any]:
    with sessions_of(request)() as session:
        rows = who_has(session, principal)
    return {"as": principal.admin, "rows": [r.as_json() for r in rows]}


def _aggregate(
    request: Request, principal: Principal, search: SearchRequest, names: Any
) -> dict[str, Any]:
    with sessions_of(request)() as session:
        results = run_aggregation(session, principal, search, names)
    return {
        "type": "AggregationCollection",
        "aggregations": results,
        "links": [{"rel": "self", "href": str(request.url)}],
    }


def schema_base(request: Request) -> str:
    """Where this deployment names our extension schemas (default: the node's own URL)."""
    configured: str | None = request.app.state.settings.schema_base_url
    return configured or root_url(request)


def paging_of(request: Request) -> PagingKey:
    paging: PagingKey = request.app.state.paging
    return paging


def _get_next(base: str, query: dict[str, str], page: Page) -> dict[str, Any]:
    next_query = {**query, "token": page.next_token or ""}
    return {
        "rel": "next",
        "href": f"{base}?{urlencode(next_query)}",
        "type": "application/geo+json",
    }


def _feature_collection(
    request: Request, page: Page, search: SearchRequest, next_link: dict[str, Any]
) -> dict[str, Any]:
    base = root_url(request)
    features = [
        apply_fields(
            item_out(base, d, schema_base(request)),
            search.fields_include,
            search.fields_exclude,
        )
        for d in page.items
    ]
    links: list[dict[str, Any]] = [
        {"rel": "self", "href": str(request.url), "type": GEOJSON},
        {"rel": "root", "href": f"{base}/", "type": "application/json"},
    ]
    if page.has_next:
        links.append(next_link)
    counts = {} if page.matched is None else {"numberMatched": page.matched}
    return {
        "type": "FeatureCollection",
        "features": features,
        **counts,
        "numberReturned": len(features),
        "links": links,
    }
