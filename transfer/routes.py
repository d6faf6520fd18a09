"""HTTP routes of the transfer service; thin: each verifies the grant and calls the service.

    GET /transfer/holdings/{holding}/manifest                   signed manifest + covered ids
    GET /transfer/holdings/{holding}/objects/{object_id}/header header for the grant's key
    POST /transfer/holdings/{holding}/headers                   {"objects": [ids]} → the headers
                                                                of up to 60 objects, base64
    GET /transfer/holdings/{holding}/objects/{object_id}/body   body: Range → 206, none → 200;
                                                                S3 store → 302 presigned URL
    GET /transfer/holdings/{holding}/objects/{object_id}        the whole Crypt4GH file

Object ids contain a slash only in theory (the manifest allows '/'-separated ids; ours never
have one), so the path parameter is a plain segment. Formats: docs/transfer.md.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from access import Grant
from access.guard import GuardedRoute, body_limit
from transfer.errors import InvalidObjectList
from transfer.ranges import content_range
from transfer.route_policy import requires_download_grant, transfer_service
from transfer.service import (
    MAX_HEADERS,
    BodyPlan,
    FullBody,
    PresignedBody,
    iterate,
    object_id_list,
)

__all__ = ["body_head", "router"]

router = APIRouter(prefix="/transfer", route_class=GuardedRoute)

_OCTETS = "application/octet-stream"
GrantDep = Annotated[Grant, Depends(requires_download_grant)]
# A batch request body: MAX_HEADERS ids of a few hundred bytes at most, with room to spare.
_MAX_BATCH_BODY = MAX_HEADERS * 512


@router.get("/holdings/{holding}/manifest")
def manifest(request: Request, holding: str, grant: GrantDep) -> dict[str, Any]:
    """The holding version's signed manifest (JWS), the object ids the grant covers, and the
    STAC documents of the granted items."""
    return transfer_service(request).manifest(grant)


@router.get("/holdings/{holding}/objects/{object_id}/header")
def header(request: Request, holding: str, object_id: str, grant: GrantDep) -> Response:
    """The object's Crypt4GH header, re-encrypted to the grant's recipient key."""
    data = transfer_service(request).header(grant, object_id)
    return Response(data, media_type=_OCTETS, headers={"Cache-Control": "no-store"})


@router.post("/holdings/{holding}/headers")
@body_limit(lambda request: _MAX_BATCH_BODY)
async def headers(request: Request, holding: str, grant: GrantDep) -> Response:
    """The headers of several objects (``{"objects": [ids]}``), each re-encrypted to the grant's
    recipient key, as ``{"headers": {id: base64}}``. The body is read only once the grant
    verified, and validated here (400 ``invalid-object-list``) rather than by FastAPI."""
    object_ids = object_id_list(await _objects_field(request))
    found = await run_in_threadpool(transfer_service(request).headers, grant, object_ids)
    encoded = {i: base64.b64encode(h).decode("ascii") for i, h in found.items()}
    return JSONResponse({"headers": encoded}, headers={"Cache-Control": "no-store"})


async def _objects_field(request: Request) -> Any:
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > _MAX_BATCH_BODY:
            raise InvalidObjectList(f"request body over {_MAX_BATCH_BODY} bytes")
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise InvalidObjectList('request body must be JSON: {"objects": [ids]}') from None
    if not isinstance(payload, dict) or "objects" not in payload:
        raise InvalidObjectList('request body must be a JSON object {"objects": [ids]}')
    return payload["objects"]


@router.get("/holdings/{holding}/objects/{object_id}/body")
def body(request: Request, holding: str, object_id: str, grant: GrantDep) -> Response:
    """The object's ciphertext body; one byte range with ``Range`` (206)."""
    plan = transfer_service(request).body(grant, object_id, request.headers.get("range"))
    status, headers = body_head(plan)
    if isinstance(plan, PresignedBody):
        asked = plan.range
        content = {
            "url": plan.url,
            "range": None if asked is None else f"bytes={asked.first}-{asked.last}",
        }
        return JSONResponse(content, status_code=status, headers=headers)
    return StreamingResponse(
        iterate(plan.chunks), status_code=status, media_type=_OCTETS, headers=headers
    )


def body_head(plan: BodyPlan) -> tuple[int, dict[str, str]]:
    """The status code and headers that answer a body request the service planned ``plan``."""
    if isinstance(plan, PresignedBody):
        return 302, {"Cache-Control": "no-store", "Location": plan.url}
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "no-store"}
    if isinstance(plan, FullBody):
        return 200, {**headers, "Content-Length": str(plan.size)}
    part = plan.range
    headers["Content-Length"] = str(part.length)
    headers["Content-Range"] = content_range(part.first, part.last, part.size)
    return 206, headers


@router.get("/holdings/{holding}/objects/{object_id}")
def whole_file(request: Request, holding: str, object_id: str, grant: GrantDep) -> Response:
    """The whole object as a Crypt4GH file for the grant's key (header, then body)."""
    whole = transfer_service(request).whole_file(grant, object_id)

    def stream() -> Any:
        yield whole.header
        yield from iterate(whole.chunks)

    return StreamingResponse(
        stream(),
        media_type=_OCTETS,
        headers={"Content-Length": str(whole.size), "Cache-Control": "no-store"},
    )
