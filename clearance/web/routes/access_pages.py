"""The access workflow in pages: a researcher's requests and grants, the steward's queue
(approve with conditions and expiry, refuse with a reason, the second approval of R3) and the
grants a steward's administration issued (revocation). Every action is the API's service call."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from access import Action, Conditions, InvalidInput, NewRequest, Principal
from clearance.web.pages import SignedIn, checked_form, node_of, page, render

__all__ = ["router"]

router = APIRouter()
MayRequest = Annotated[SignedIn, Depends(page(Action.REQUEST_DOWNLOAD))]
MayRead = Annotated[SignedIn, Depends(page(Action.REQUEST_READ))]
MayWithdraw = Annotated[SignedIn, Depends(page(Action.REQUEST_WITHDRAW))]
MayReview = Annotated[SignedIn, Depends(page(Action.REVIEW))]
MayGrantRead = Annotated[SignedIn, Depends(page(Action.GRANT_READ))]
MayRevoke = Annotated[SignedIn, Depends(page(Action.GRANT_REVOKE))]

#: The notices a redirect may ask a page to show (fixed texts: nothing a link can inject).
NOTICES = {
    "created": "Your request was sent to the owning administration's stewards.",
    "withdrawn": "The request was withdrawn.",
    "approved": "Your approval was recorded.",
    "refused": "The request was refused.",
    "revoked": "The grant was revoked.",
}


def _notice(request: Request) -> str:
    return NOTICES.get(request.query_params.get("done", ""), "")


def _node_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


@router.post("/requests")
async def create_request(request: Request, signed: MayRequest) -> Response:
    form = await checked_form(request, signed)
    days = form.whole("duration_days")
    body: dict[str, Any] = {
        "holding": form.text("holding", 128),
        "purpose": form.text("purpose"),
        "purpose_code": form.get("purpose_code"),
        "mode": form.get("mode"),
        "duration_days": days if days is not None else 0,
    }
    item_filter = form.text("item_filter")
    if item_filter:
        body["item_filter"] = item_filter
    view = node_of(request).requests.create(signed.principal, NewRequest.from_json(body))
    return RedirectResponse(f"/ui/requests/{view.id}?done=created", status_code=303)


@router.get("/requests")
def my_requests(request: Request, signed: MayRead) -> Response:
    views = node_of(request).requests.mine(signed.principal)
    return render(request, "my_requests.html", requests=views, notice=_notice(request))


@router.get("/requests/{request_id}")
def show_request(request: Request, request_id: str, signed: MayRead) -> Response:
    view = node_of(request).requests.get(signed.principal, request_id)
    return render(request, "request.html", r=view, notice=_notice(request))


@router.post("/requests/{request_id}/withdraw")
async def withdraw(request: Request, request_id: str, signed: MayWithdraw) -> Response:
    await checked_form(request, signed)
    node_of(request).requests.withdraw(signed.principal, request_id)
    return RedirectResponse(f"/ui/requests/{request_id}?done=withdrawn", status_code=303)


def _pull_command(request: Request, who: Principal, grant: dict[str, Any]) -> str:
    return (
        f"C4GH_PASSPHRASE=... clearance pull {grant['request']} --url {_node_url(request)} "
        f"--key ~/.c4gh/{who.user}.sec --out ./{grant['holding']}"
    )


@router.get("/grants")
def my_grants(request: Request, signed: MayGrantRead) -> Response:
    who = signed.principal
    grants = [g for g in node_of(request).grants.grants(who) if g["subject"] == who.user]
    for grant in grants:
        if "download" in grant["operations"] and grant["status"] == "valid":
            grant["pull"] = _pull_command(request, who, grant)
    return render(request, "my_grants.html", grants=grants)


@router.get("/review")
def review_queue(request: Request, signed: MayReview) -> Response:
    pending = node_of(request).requests.queue(signed.principal)
    return render(request, "review.html", pending=pending, notice=_notice(request))


@router.post("/review/{request_id}/approve")
async def approve(request: Request, request_id: str, signed: MayReview) -> Response:
    form = await checked_form(request, signed)
    conditions: dict[str, Any] = {"evaluation_only": form.checked("evaluation_only")}
    if (days := form.whole("max_days")) is not None:
        conditions["max_days"] = days
    if item_filter := form.text("item_filter"):
        conditions["item_filter"] = item_filter
    node_of(request).requests.approve(
        signed.principal, request_id, Conditions.from_json(conditions), form.text("reason")
    )
    return RedirectResponse("/ui/review?done=approved", status_code=303)


@router.post("/review/{request_id}/refuse")
async def refuse(request: Request, request_id: str, signed: MayReview) -> Response:
    form = await checked_form(request, signed)
    reason = form.text("reason")
    if not reason:
        raise InvalidInput("a refusal needs a reason")
    node_of(request).requests.refuse(signed.principal, request_id, reason)
    return RedirectResponse("/ui/review?done=refused", status_code=303)


@router.get("/issued")
def issued(request: Request, signed: MayRevoke) -> Response:
    who = signed.principal
    grants = [g for g in node_of(request).grants.grants(who) if g["owner"] == who.admin]
    return render(request, "issued.html", grants=grants, notice=_notice(request))


@router.post("/issued/{jti}/revoke")
async def revoke(request: Request, jti: str, signed: MayRevoke) -> Response:
    form = await checked_form(request, signed)
    node_of(request).grants.revoke(signed.principal, jti, form.text("reason"))
    return RedirectResponse("/ui/issued?done=revoked", status_code=303)
