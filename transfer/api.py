"""HTTP routes of the transfer service; thin: each verifies the grant and calls the service.

    GET /transfer/holdings/{holding}/manifest                   signed manifest + covered ids
    GET /transfer/holdings/{holding}/objects/{object_id}/header header for the grant's key
    GET /transfer/holdings/{holding}/objects/{object_id}/body   body: Range → 206, none → 200;
                                                                S3 store → 302 presigned URL
    GET /transfer/holdings/{holding}/objects/{object_id}        the whole Crypt4GH file

Object ids contain a slash only in theory (the manifest allows '/'-separated ids; ours never
have one), so the path parameter is a plain segment. Formats: docs/transfer.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from access.grants import Grant
from transfer.http import requires_download_grant, transfer_service
from transfer.service import iterate

__all__ = ["router"]

router = APIRouter(prefix="/transfer")

_OCTETS = "application/octet-stream"
GrantDep = Annotated[Grant, Depends(requires_download_grant)]


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


@router.get("/holdings/{holding}/objects/{object_id}/body")
def body(request: Request, holding: str, object_id: str, grant: GrantDep) -> Response:
    """The object's ciphertext body; one byte range with ``Range`` (206)."""
    answer = transfer_service(request).body(grant, object_id, request.headers.get("range"))
    if answer.redirect is not None:
        first_last = answer.range
        content = {
            "url": answer.redirect,
            "range": None if first_last is None else f"bytes={first_last[0]}-{first_last[1]}",
        }
        headers = {**answer.headers, "Location": answer.redirect}
        return JSONResponse(content, status_code=302, headers=headers)
    assert answer.chunks is not None
    return StreamingResponse(
        iterate(answer.chunks),
        status_code=answer.status,
        media_type=_OCTETS,
        headers=answer.headers,
    )


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
