"""The API's description: ``/api`` (OpenAPI 3, as the landing page's ``service-desc`` link says)
and ``/api.html`` (Swagger UI, served from the node: no CDN, no inline script).

FastAPI generates the document from the routes; this module adds what it cannot see: the bearer
security scheme (and which routes are public, from their declared policy), the STAC search
parameters the catalogue routes read from the query string themselves, and the error answers
every route can give (400, 401, 404, in the one error format of ``clearance.http.errors``).
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from access.guard import GuardedRoute
from access.route_policy import policy_of, public
from catalog import OPENAPI_MEDIA_TYPE

__all__ = ["api_routes", "describe", "install_api_docs"]

_ERROR = {"$ref": "#/components/schemas/Error"}
_ERRORS = {
    "400": "The request is malformed; the description names the parameter.",
    "401": "No valid bearer token (missing, expired, revoked or for another node).",
    "404": "Nothing there that the caller may see (the same answer as for nothing at all).",
}
_SEARCH_PARAMETERS: list[tuple[str, str, str]] = [
    ("collections", "string", "Comma-separated collection (holding) ids."),
    ("ids", "string", "Comma-separated item ids."),
    ("bbox", "string", "west,south,east,north (or 6 numbers with elevation), WGS 84."),
    ("intersects", "string", "A GeoJSON geometry (as JSON text)."),
    ("datetime", "string", "RFC 3339 instant or interval (start/end, '..' for open)."),
    ("limit", "integer", "Items per page (1 to 1000; more is treated as 1000)."),
    ("token", "string", "Paging token from a next link (opaque)."),
    ("filter", "string", "A CQL2 filter (text or JSON) over the queryables."),
    ("filter-lang", "string", "cql2-text or cql2-json."),
    ("filter-crs", "string", "Only http://www.opengis.net/def/crs/OGC/1.3/CRS84."),
    ("sortby", "string", "Comma-separated fields, '-' prefix for descending."),
    ("fields", "string", "Comma-separated fields to include ('-' prefix: exclude)."),
    ("q", "string", "Free-text terms, comma-separated (any of them)."),
]
_SEARCHES = {("/search", "get"), ("/collections/{collection_id}/items", "get")}
_ASSETS = "/api.html.d"


def _is_public(route: APIRoute) -> bool:
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if policy_of(dependant.call) == "public":
            return True
        stack.extend(dependant.dependencies)
    return False


def api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute with its full path (FastAPI keeps included routers as wrappers)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            yield prefix + route.path_format, route


def _operation_extras(document: dict[str, Any], app: FastAPI) -> None:
    public = {
        (path, method.lower())
        for path, route in api_routes(app.routes)
        if _is_public(route)
        for method in route.methods or ()
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if (path, method) in public:
                operation["security"] = []
            responses = operation.setdefault("responses", {})
            for status, text in _ERRORS.items():
                if status == "401" and (path, method) in public:
                    continue
                responses.setdefault(
                    status,
                    {"description": text,
                     "content": {"application/json": {"schema": _ERROR}}},
                )  # fmt: skip
            if (path, method) in _SEARCHES:
                known = {p["name"] for p in operation.get("parameters", [])}
                operation.setdefault("parameters", []).extend(
                    {"name": name, "in": "query", "required": False,
                     "schema": {"type": kind}, "description": text}
                    for name, kind, text in _SEARCH_PARAMETERS if name not in known
                )  # fmt: skip


def describe(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app`` (built once, then cached on the app)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token from POST /auth/login (or a grant, for transfer routes).",
    }
    components.setdefault("schemas", {})["Error"] = {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
    }
    document["security"] = [{"bearer": []}]
    _operation_extras(document, app)
    app.openapi_schema = document
    return document


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Clearance API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/clearance-init.js"></script>
</body>
</html>
"""
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/api`` and ``/api.html`` (the app is built with ``openapi_url=None``)."""

    app.openapi = lambda: describe(app)  # type: ignore[method-assign]
    router = APIRouter(route_class=GuardedRoute, dependencies=[Depends(public)])

    @router.get("/api", include_in_schema=False)
    def openapi() -> Response:
        return JSONResponse(describe(app), media_type=OPENAPI_MEDIA_TYPE)

    @router.get("/api.html", include_in_schema=False)
    def api_page() -> HTMLResponse:
        return HTMLResponse(_PAGE.format(assets=_ASSETS), headers={"Content-Security-Policy": _CSP})

    @router.get(f"{_ASSETS}/clearance-init.js", include_in_schema=False)
    def init_script() -> Response:
        script = resources.files("clearance.http").joinpath("api_init.js").read_bytes()
        return Response(script, media_type="text/javascript")

    app.include_router(router)
    app.mount(_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="api-assets")
