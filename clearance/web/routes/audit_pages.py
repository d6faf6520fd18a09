"""The auditor's pages: the audit log with filters (``AuditReader.page``: every entry decided
on its own, entries naming a holding the auditor may not discover withheld) and the chain
verification."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from access import Action, AuditQuery, InvalidInput
from clearance.web.pages import SignedIn, node_of, page, render

__all__ = ["router"]

router = APIRouter()
MayAudit = Annotated[SignedIn, Depends(page(Action.AUDIT_READ))]
_FILTERS = ("actor", "action", "holding", "since", "until")


@router.get("/audit")
def audit_log(request: Request, signed: MayAudit) -> Response:
    given = {k: request.query_params.get(k, "").strip()[:80] for k in (*_FILTERS, "after")}
    params = {k: v for k, v in given.items() if v}
    error = ""
    try:
        query = AuditQuery.from_params({**params, "limit": "50"})
    except InvalidInput as exc:
        error, query = str(exc), AuditQuery(limit=50)
    result = node_of(request).audit_reader.page(signed.principal, query)
    next_link = None
    if result.next_after is not None:
        kept = {k: v for k, v in params.items() if k != "after"}
        next_link = "/ui/audit?" + urlencode({**kept, "after": str(result.next_after)})
    return render(request, "audit.html", entries=result.entries, chosen=given, error=error,
                  next_link=next_link)  # fmt: skip


@router.get("/audit/verify")
def audit_verify(request: Request, signed: MayAudit) -> Response:
    report = node_of(request).audit_reader.verify()
    return render(request, "audit_verify.html", report=report)
