"""A researcher's models and evaluations (with the receipt verified on the node and the
hit-rate-versus-false-alarm curve of released values), and a holding's leaderboard. The data
is the enclave's own store, read as the API reads it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from access import Action, holding_id_owner
from clearance.web.curves import curve
from clearance.web.pages import SignedIn, node_of, page, render
from clearance.web.receipts import check_receipt

__all__ = ["router"]

router = APIRouter()
MayReadEvaluations = Annotated[SignedIn, Depends(page(Action.EVALUATION_READ))]
MayReadLeaderboard = Annotated[SignedIn, Depends(page(Action.LEADERBOARD_READ))]


@router.get("/evaluations")
def my_evaluations(request: Request, signed: MayReadEvaluations) -> Response:
    node, who = node_of(request), signed.principal
    models = [m for m in node.models.list(who, node.clock.now()) if m.submitter == who.user]
    evaluations = node.evaluations.mine(who)
    return render(request, "evaluations.html", models=models, evaluations=evaluations)


@router.get("/evaluations/{evaluation_id}")
def evaluation(request: Request, evaluation_id: str, signed: MayReadEvaluations) -> Response:
    node, who = node_of(request), signed.principal
    shown = node.evaluations.get(who, evaluation_id)
    check = None
    if shown["has_receipt"]:
        receipt = node.evaluations.receipt(who, evaluation_id)
        check = check_receipt(node, holding_id_owner(shown["holding"]), receipt)
    return render(request, "evaluation.html", e=shown, check=check,
                  curve=curve(shown["released"]))  # fmt: skip


@router.get("/evaluations/{evaluation_id}/receipt.json")
def receipt(request: Request, evaluation_id: str, signed: MayReadEvaluations) -> Response:
    """The signed receipt as stored, for the page's own check and for download."""
    document = node_of(request).evaluations.receipt(signed.principal, evaluation_id)
    return JSONResponse(document)


@router.get("/leaderboards/{holding_id}")
def leaderboard(request: Request, holding_id: str, signed: MayReadLeaderboard) -> Response:
    board = node_of(request).evaluations.leaderboard(signed.principal, holding_id)
    return render(request, "leaderboard.html", board=board)
