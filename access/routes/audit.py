"""HTTP routes for auditors: search the audit log, export it as JSON lines, verify the chain.

Each route needs ``AUDIT_READ`` on the node; every entry is then decided on its own
(``access.audit_view``): an auditor reads what concerns their administration, and entries that
name a holding they may not discover are withheld.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from access.audit_view import AuditQuery
from access.audit_view_store import AuditReader
from access.errors import InvalidInput
from access.guard import GuardedRoute
from access.policy import Action, Principal
from access.route_policy import requires

__all__ = ["router"]

router = APIRouter(prefix="/audit", route_class=GuardedRoute)
MayAuditRead = Annotated[Principal, Depends(requires(Action.AUDIT_READ))]


def _reader(request: Request) -> AuditReader:
    reader: AuditReader = request.app.state.audit_reader
    return reader


def _query(request: Request) -> AuditQuery:
    params = request.query_params
    repeated = sorted(k for k in params if len(params.getlist(k)) > 1)
    if repeated:
        raise InvalidInput(f"parameter {repeated[0]!r} given more than once")
    return AuditQuery.from_params(dict(params))


@router.get("/entries")
def search_entries(request: Request, who: MayAuditRead) -> dict[str, Any]:
    """Entries that concern your administration, oldest first; follow ``next`` for more."""
    query = _query(request)
    page = _reader(request).page(who, query)
    links = [{"rel": "self", "href": str(request.url)}]
    if page.next_after is not None:
        next_query = urlencode(query.with_after(page.next_after).params())
        links.append({"rel": "next", "href": str(request.url.replace(query=next_query))})
    return {"entries": page.entries, "next_after": page.next_after, "links": links}


@router.get("/export")
def export_entries(request: Request, who: MayAuditRead) -> StreamingResponse:
    """Every entry the query selects that you may read, as JSON lines."""
    query = _query(request)
    reader = _reader(request)

    def lines() -> Iterator[bytes]:
        for entry in reader.export(who, query):
            yield (json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n").encode()

    headers = {"Content-Disposition": 'attachment; filename="audit.jsonl"'}
    return StreamingResponse(lines(), media_type="application/x-ndjson", headers=headers)


@router.get("/verify")
def verify_chain(request: Request, who: MayAuditRead) -> dict[str, Any]:
    """Check every entry, link, checkpoint and the signed head of the whole log."""
    if request.query_params:
        raise InvalidInput("verify takes no parameters")
    return _reader(request).verify().as_json()
