"""HTTP routes of resumable uploads: publish a holding from another machine.

    POST   /uploads                   {"size", "sha256", "holding"} → 201, a session (Location,
                                      Upload-Offset)
    GET    /uploads                   the caller's sessions
    GET    /uploads/{upload_id}       one session as JSON; Upload-Offset, -Length, -Expires
    PATCH  /uploads/{upload_id}       one part: Upload-Offset + Content-Digest (RFC 9530) → 204
    POST   /uploads/{upload_id}/complete   publish options → the publish result
    DELETE /uploads/{upload_id}       → 204

Every route needs ``catalog:holding:publish``; a session is its creator's alone. Creating a
session and completing one decide PUBLISH on the holding the body names before any work (no
session, no part, no unpacking when refused): ``decide()`` answers a non-owner ``not-owner``
whether the id is stored, hidden or free, and a new id must name its owner (``NLD-...``), so
no administration can squat or probe another's ids. HEAD on a session answers like GET
without the body (the ``Upload-Offset`` headers; an error has no JSON reason there, so clients
use GET).

The part body is spooled (memory, then the node's work folder past 8 MiB) while it is counted
against what the session can still take, then checked against its digest and stored by
``transfer.uploads.store``. Its size is refused from ``Content-Length`` before a byte is read.
"""

from __future__ import annotations

import tempfile
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from access import Action, Principal, Resource
from access.guard import GuardedRoute, body_limit
from access.route_policy import requires, requires_on
from catalog import HOLDING_ID, CatalogHoldings
from clearance.node import Node
from clearance.publishing.upload import PublishOptions, complete_upload
from transfer import InvalidUpload, UploadTooLarge
from transfer.uploads import (
    DIGEST_HEADER,
    OFFSET_HEADER,
    Upload,
    UploadStore,
    parse_content_digest,
    parse_offset,
)

__all__ = ["router"]

router = APIRouter(prefix="/uploads", route_class=GuardedRoute)
Publisher = Annotated[Principal, Depends(requires(Action.PUBLISH))]


async def _named_holding(request: Request) -> Resource:
    """The holding the JSON body's ``holding`` names, as PUBLISH is decided on it."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    holding = body.get("holding") if isinstance(body, dict) else None
    if not isinstance(holding, str) or not HOLDING_ID.fullmatch(holding):
        raise InvalidUpload(
            "holding is required: the id to publish under, '<your administration>-<name>' "
            "(1–128 of A-Z a-z 0-9 . _ -)"
        )
    holdings = CatalogHoldings(request.app.state.sessions)
    return await run_in_threadpool(holdings.publish_target, holding)


def _id_rule(who: Principal) -> str:
    return f" (holdings of {who.admin} are published under ids that start with '{who.admin}-')"


#: Allowed PUBLISH on the holding the body names (see the module docstring).
HoldingPublisher = Annotated[
    Principal, Depends(requires_on(Action.PUBLISH, _named_holding, _id_rule))
]
JsonBody = Annotated[Any, Body()]
_SPOOL = 8 << 20

#: The part's headers and raw body, for the OpenAPI document (the route reads them itself).
_PART_OPENAPI: dict[str, Any] = {
    "parameters": [
        {"name": OFFSET_HEADER, "in": "header", "required": True,
         "schema": {"type": "integer", "minimum": 0},
         "description": "Byte offset of the part; must equal the session's offset (else 409)."},
        {"name": DIGEST_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
         "description": "RFC 9530: sha-256=:<base64 SHA-256 of the body>: (else 400)."},
    ],
    "requestBody": {
        "required": True,
        "content": {"application/offset+octet-stream": {
            "schema": {"type": "string", "format": "binary"}}},
    },
}  # fmt: skip


def _store(request: Request) -> UploadStore:
    store: UploadStore = request.app.state.uploads
    return store


def _json(store: UploadStore, upload: Upload) -> dict[str, Any]:
    return {**upload.as_json(), "max_part": store.limits.max_part}


def _headers(upload: Upload) -> dict[str, str]:
    return {
        OFFSET_HEADER: str(upload.received),
        "Upload-Length": str(upload.size),
        "Upload-Expires": format_datetime(upload.expires_at, usegmt=True),
        "Cache-Control": "no-store",
    }


@router.post("", status_code=201)
def create_upload(request: Request, who: HoldingPublisher, body: JsonBody = None) -> JSONResponse:
    if not isinstance(body, dict) or set(body) != {"size", "sha256", "holding"}:
        raise InvalidUpload(
            'body must be {"size": <archive bytes>, "sha256": "<hex>", "holding": "<id>"}'
        )
    store = _store(request)
    upload = store.create(who, body["size"], body["sha256"])
    headers = {**_headers(upload), "Location": f"/uploads/{upload.id}"}
    return JSONResponse(_json(store, upload), status_code=201, headers=headers)


@router.get("")
def list_uploads(request: Request, who: Publisher) -> dict[str, Any]:
    store = _store(request)
    return {"uploads": [_json(store, u) for u in store.mine(who)]}


@router.get("/{upload_id}")
def show_upload(request: Request, upload_id: str, who: Publisher) -> JSONResponse:
    store = _store(request)
    upload = store.get(who, upload_id)
    return JSONResponse(_json(store, upload), headers=_headers(upload))


@router.patch("/{upload_id}", status_code=204, openapi_extra=_PART_OPENAPI)
@body_limit(lambda request: _store(request).limits.max_part)
async def append_part(request: Request, upload_id: str, who: Publisher) -> Response:
    offset = parse_offset(request.headers.get(OFFSET_HEADER))
    sha256 = parse_content_digest(request.headers.get(DIGEST_HEADER))
    store = _store(request)
    room = await run_in_threadpool(store.room, who, upload_id, offset)  # 409 before any byte
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > room:
        raise UploadTooLarge(f"the part has {length} bytes; this upload takes at most {room} now")
    spool, size = await _spool(request, room, store)
    with spool:
        upload = await run_in_threadpool(store.append, who, upload_id, offset, spool, size, sha256)
    return Response(status_code=204, headers=_headers(upload))


async def _spool(request: Request, room: int, store: UploadStore) -> tuple[Any, int]:
    """The request body in a spooled temporary file, refused as soon as it exceeds ``room``."""
    store.work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Not a with-block: the caller owns the spool once it is returned.
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL, dir=str(store.work_dir))  # noqa: SIM115
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > room:
                raise UploadTooLarge(f"the part is larger than the {room} bytes it may carry")
            spool.write(chunk)  # memory up to _SPOOL; a short local write after that
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool, size


@router.post("/{upload_id}/complete")
def complete(
    request: Request, upload_id: str, who: HoldingPublisher, body: JsonBody = None
) -> dict[str, Any]:
    node: Node = request.app.state.node
    return complete_upload(node, who, upload_id, PublishOptions.from_json(body))


@router.delete("/{upload_id}", status_code=204)
def delete_upload(request: Request, upload_id: str, who: Publisher) -> Response:
    _store(request).delete(who, upload_id)
    return Response(status_code=204)
