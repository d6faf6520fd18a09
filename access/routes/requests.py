"""HTTP routes of the access workflow: requests, the steward's review queue, grants, keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from access.errors import InvalidInput
from access.grant_service import GrantService
from access.guard import GuardedRoute
from access.policy import Action, Principal
from access.recipient_key_store import RecipientKeyStore
from access.request_service import RequestService
from access.request_states import Conditions, NewRequest
from access.route_policy import requires

__all__ = ["router"]

router = APIRouter(prefix="/access", route_class=GuardedRoute)
JsonBody = Annotated[Any, Body()]
#: The caller, allowed the action on the node (each route's one policy).
MayGrantRead = Annotated[Principal, Depends(requires(Action.GRANT_READ))]
MayGrantRevoke = Annotated[Principal, Depends(requires(Action.GRANT_REVOKE))]
MayGrantTokenRead = Annotated[Principal, Depends(requires(Action.GRANT_TOKEN_READ))]
MayKeysRegister = Annotated[Principal, Depends(requires(Action.KEYS_REGISTER))]
MayRequestDownload = Annotated[Principal, Depends(requires(Action.REQUEST_DOWNLOAD))]
MayRequestRead = Annotated[Principal, Depends(requires(Action.REQUEST_READ))]
MayRequestWithdraw = Annotated[Principal, Depends(requires(Action.REQUEST_WITHDRAW))]
MayReview = Annotated[Principal, Depends(requires(Action.REVIEW))]


def _requests(request: Request) -> RequestService:
    service: RequestService = request.app.state.requests
    return service


def _grants(request: Request) -> GrantService:
    service: GrantService = request.app.state.grants
    return service


def _recipient_keys(request: Request) -> RecipientKeyStore:
    store: RecipientKeyStore = request.app.state.recipient_keys
    return store


def _object(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidInput("request body must be a JSON object")
    return body


def _reason(body: dict[str, Any], required: bool) -> str:
    reason = body.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 2000 or (required and not reason.strip()):
        raise InvalidInput(
            "reason must be text of at most 2000 characters"
            + (" and is required" if required else "")
        )
    return reason


@router.put("/keys/c4gh", status_code=204)
def register_key(request: Request, who: MayKeysRegister, body: JsonBody = None) -> None:
    data = _object(body)
    if set(data) != {"public_key"} or not isinstance(data["public_key"], str):
        raise InvalidInput('body must be {"public_key": "<base64 X25519 public key>"}')
    _recipient_keys(request).register(who, data["public_key"])


@router.post("/requests", status_code=201)
def create_request(
    request: Request,
    who: MayRequestDownload,
    body: JsonBody = None,
) -> dict[str, Any]:
    return _requests(request).create(who, NewRequest.from_json(body)).as_json()


@router.get("/requests")
def list_requests(request: Request, who: MayRequestRead) -> dict[str, Any]:
    return {"requests": [v.as_json() for v in _requests(request).mine(who)]}


@router.get("/requests/{request_id}")
def show_request(request: Request, request_id: str, who: MayRequestRead) -> dict[str, Any]:
    return _requests(request).get(who, request_id).as_json()


@router.post("/requests/{request_id}/withdraw")
def withdraw_request(request: Request, request_id: str, who: MayRequestWithdraw) -> dict[str, Any]:
    return _requests(request).withdraw(who, request_id).as_json()


@router.get("/review")
def review_queue(request: Request, who: MayReview) -> dict[str, Any]:
    pending = _requests(request).queue(who)
    return {"pending": len(pending), "requests": [v.as_json() for v in pending]}


@router.post("/requests/{request_id}/approve")
def approve_request(
    request: Request,
    request_id: str,
    who: MayReview,
    body: JsonBody = None,
) -> dict[str, Any]:
    data = _object(body)
    unknown = sorted(set(data) - {"conditions", "reason"})
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}")
    conditions = Conditions.from_json(data.get("conditions"))
    return _requests(request).approve(who, request_id, conditions, _reason(data, False)).as_json()


@router.post("/requests/{request_id}/refuse")
def refuse_request(
    request: Request,
    request_id: str,
    who: MayReview,
    body: JsonBody = None,
) -> dict[str, Any]:
    data = _object(body)
    return _requests(request).refuse(who, request_id, _reason(data, True)).as_json()


@router.get("/grants")
def list_grants(request: Request, who: MayGrantRead) -> dict[str, Any]:
    return {"grants": _grants(request).grants(who)}


@router.get("/grants/{jti}")
def grant_token(request: Request, jti: str, who: MayGrantTokenRead) -> dict[str, Any]:
    return {"jti": jti, "token": _grants(request).grant_token(who, jti)}


@router.post("/grants/{jti}/revoke")
def revoke_grant(
    request: Request,
    jti: str,
    who: MayGrantRevoke,
    body: JsonBody = None,
) -> dict[str, Any]:
    data = _object(body)
    return _grants(request).revoke(who, jti, _reason(data, False)).as_json()
