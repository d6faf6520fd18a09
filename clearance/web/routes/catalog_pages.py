"""Who has what, the list of holdings, and a holding's page (with its request-access form).

Everything comes from the catalogue's own reading functions, with the viewer's principal: a
holding the viewer may not discover is absent from every list and count and its page is the one
404 page (``clearance.web.errors``), the same as for a holding that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from access import NODE, Action, PurposeCode, decide
from catalog import (
    CatalogHoldings,
    NotFound,
    SearchRequest,
    get_collection,
    list_collections,
    run_search,
    who_has,
)
from clearance.web import site_map
from clearance.web.pages import SignedIn, node_of, page, render
from clearance.web.whohas_view import bars, filter_rows, matrix

__all__ = ["router"]

router = APIRouter()
Reader = Annotated[SignedIn, Depends(page(Action.CATALOG_READ))]
_ITEMS_PER_PAGE = 25


def _param(request: Request, name: str, limit: int = 64) -> str:
    return request.query_params.get(name, "").strip()[:limit]


@router.get("/whohas")
def whohas(request: Request, signed: Reader) -> Response:
    node, who = node_of(request), signed.principal
    site = _param(request, "site", 16)
    with node.sessions() as session:
        everything = who_has(session, who)
        documents = list_collections(session, who)
        at_site = [d["id"] for d in documents if site and site in _sites(d)]
        # A site narrows to the holdings with scans there (their whole counts: the statistics
        # fixed at publish time are per holding, never per site).
        chosen_rows = (
            [r for holding in at_site for r in who_has(session, who, holding)]
            if site
            else everything
        )
    chosen = {k: _param(request, k) for k in ("modality", "level", "handling")}
    rows = filter_rows(chosen_rows, **chosen)
    return render(
        request,
        "whohas.html",
        grid=matrix(rows),
        bars=bars(rows),
        chosen={**chosen, "site": site},
        modalities=sorted({r.modality for r in everything}),
        levels=sorted({r.level.name for r in everything}),
        handlings=sorted({r.handling for r in everything}),
        sites=sorted({s for d in documents for s in _sites(d)}),
        rows=rows,
    )


def _sites(document: dict[str, Any]) -> list[str]:
    found = document.get("summaries", {}).get("xray:site", [])
    return [str(s) for s in found] if isinstance(found, list) else []


def _matches(document: dict[str, Any], owner: str, hs: str, modality: str, q: str) -> bool:
    summaries = document.get("summaries", {})
    classes = {c for group in summaries.get("label:classes", []) for c in group.get("classes", [])}
    text = f"{document.get('id', '')} {document.get('title', '')} {document.get('description', '')}"
    return (
        (not owner or document.get("sec:owner") == owner)
        and (not hs or hs in {str(c) for c in classes})
        and (not modality or modality in summaries.get("xray:modality", []))
        and (not q or q.lower() in text.lower())
    )


@router.get("/holdings")
def holdings(request: Request, signed: Reader) -> Response:
    chosen = {k: _param(request, k) for k in ("owner", "hs", "modality", "q")}
    site = _param(request, "site", 16)
    with node_of(request).sessions() as session:
        documents = list_collections(session, signed.principal)
    shown = [d for d in documents if _matches(d, **chosen) and (not site or site in _sites(d))]
    return render(request, "holdings.html", holdings=shown, chosen={**chosen, "site": site})


@router.get("/holdings/{holding_id}")
def holding(request: Request, holding_id: str, signed: Reader) -> Response:
    node, who = node_of(request), signed.principal
    security = CatalogHoldings(node.sessions).security(holding_id, who.admin)
    if security is None:
        raise NotFound("not found")  # the one 404 page: hidden and missing alike
    now = node.clock.now()
    sees_items = decide(who, security, Action.READ_ITEMS, now).allowed
    q = _param(request, "q", 200)
    with node.sessions() as session:
        document = get_collection(session, who, holding_id)
        classes = who_has(session, who, holding_id)
        items = []
        if sees_items:
            search = SearchRequest(
                collections=(holding_id,), q=tuple(q.split()) if q else (), limit=_ITEMS_PER_PAGE
            )
            items = run_search(session, who, search, node.paging).items
    modes = {
        mode: decide(who, security, action, now)
        for mode, action in (("download", Action.REQUEST_DOWNLOAD),
                             ("evaluation", Action.REQUEST_EVALUATION))
    }  # fmt: skip
    sites = _sites(document)
    return render(
        request,
        "holding.html",
        h=document,
        classes=classes,
        items=items,
        sees_items=sees_items,
        q=q,
        modes=modes,
        purposes=[p.value for p in PurposeCode],
        may_request=decide(who, NODE, Action.REQUEST_DOWNLOAD, now).allowed,
        points=site_map.points(sites),
        graticule=site_map.graticule(),
        scanned_by_me=security.owner == who.admin,
    )
