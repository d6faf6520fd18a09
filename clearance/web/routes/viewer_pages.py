"""The scan viewer, for the owning administration's own users: the page (with the scan's COCO
boxes as a list the script draws), and the images it shows (grey high / low energy, material
pseudo-colour). See ``clearance.web.scans`` for who may see what."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from access import Action, NotFound
from catalog import who_has
from clearance.web import scan_render
from clearance.web.pages import SignedIn, node_of, page, render
from clearance.web.scans import own_scan

__all__ = ["router"]

router = APIRouter()
MayReadItems = Annotated[SignedIn, Depends(page(Action.READ_ITEMS))]
VIEWS = ("high", "low", "material")


@router.get("/scans/{holding_id}/{item_id}")
def scan_page(request: Request, holding_id: str, item_id: str, signed: MayReadItems) -> Response:
    node, who = node_of(request), signed.principal
    own = own_scan(node, who, holding_id, item_id)
    item, scan = own.item, own.scan
    with node.sessions() as session:
        names = {r.hs_code: r.class_name for r in who_has(session, who, holding_id)}
    with node.sessions.begin() as session:
        node.audit.append(session, actor=who.user, admin=who.admin, action="scan.view",
                          resource=f"holding:{holding_id}", decision="allow",
                          reason="owner's own scan", details={"item": item_id})  # fmt: skip
    boxes = [(o.hs_code, names.get(o.hs_code, ""), o.bbox) for o in scan.objects]
    return render(request, "scan.html", holding=holding_id, item=item, boxes=boxes,
                  width=scan.width, height=scan.height, has_low=scan.low is not None)  # fmt: skip


@router.get("/scans/{holding_id}/{item_id}/{view}.png")
async def scan_image(
    request: Request, holding_id: str, item_id: str, view: str, signed: MayReadItems
) -> Response:
    if view not in VIEWS:
        raise NotFound("not found")
    node, who = node_of(request), signed.principal
    own = await run_in_threadpool(own_scan, node, who, holding_id, item_id)
    profile = str(own.item.get("properties", {}).get("xray:energy_profile", "tube"))
    high, low = own.scan.high, own.scan.low
    if view != "high" and low is None:
        raise NotFound("not found")
    if view == "high":
        body = await run_in_threadpool(scan_render.grey, high)
    elif view == "low":
        assert low is not None
        body = await run_in_threadpool(scan_render.grey, low)
    else:
        assert low is not None
        body = await run_in_threadpool(scan_render.material, high, low, profile)
    return Response(body, media_type="image/png", headers={"Cache-Control": "no-store"})
