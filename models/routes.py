"""HTTP routes of the model registry: submit, list, show, share."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from access import Action, Clock, InvalidInput, Principal
from access.guard import GuardedRoute, body_limit
from access.route_policy import requires, requires_on
from models.errors import AdmissionRefused
from models.route_policy import model_cap, model_registry, model_resource

__all__ = ["router"]

router = APIRouter(prefix="/models", route_class=GuardedRoute)
JsonBody = Annotated[Any, Body()]
MaySubmit = Annotated[Principal, Depends(requires(Action.MODEL_SUBMIT))]
MayList = Annotated[Principal, Depends(requires(Action.MODEL_READ))]
MayRead = Annotated[Principal, Depends(requires_on(Action.MODEL_READ, model_resource))]
MayShare = Annotated[Principal, Depends(requires_on(Action.MODEL_SHARE, model_resource))]


def _now(request: Request) -> Any:
    clock: Clock = request.app.state.clock
    return clock.now()


def _onnx_bytes(text: object, max_bytes: int) -> bytes:
    if not isinstance(text, str):
        raise InvalidInput('"onnx" must be the model file as base64 text')
    if len(text) > (max_bytes + 2) // 3 * 4:  # before decoding: the gate's first rule
        raise AdmissionRefused("model-too-large", f"the model is over {max_bytes} bytes")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput('"onnx" is not valid base64') from None


@router.post("", status_code=201)
@body_limit(model_cap)
def submit_model(request: Request, who: MaySubmit, body: JsonBody = None) -> dict[str, Any]:
    if not isinstance(body, dict) or set(body) != {"card", "onnx"}:
        raise InvalidInput('body must be {"card": {...}, "onnx": "<base64 of the ONNX file>"}')
    registry = model_registry(request)
    data = _onnx_bytes(body["onnx"], registry.limits.max_bytes)
    return registry.submit(who, data, body["card"], _now(request)).as_json()


@router.get("")
def list_models(request: Request, who: MayList) -> dict[str, Any]:
    records = model_registry(request).list(who, _now(request))
    return {"models": [{k: v for k, v in r.as_json().items() if k != "item"} for r in records]}


@router.get("/{model_id}")
def show_model(request: Request, model_id: str, who: MayRead) -> dict[str, Any]:
    return dict(model_registry(request).get(who, model_id, _now(request)).item)


@router.post("/{model_id}/shares")
def share_model(
    request: Request, model_id: str, who: MayShare, body: JsonBody = None
) -> dict[str, Any]:
    if not isinstance(body, dict) or set(body) != {"admins"}:
        raise InvalidInput('body must be {"admins": ["GBR", ...]}')
    record = model_registry(request).share(who, model_id, body["admins"], _now(request))
    return {k: v for k, v in record.as_json().items() if k != "item"}
