"""A researcher's models and evaluations (with the receipt verified on the node and the
hit-rate-versus-false-alarm curve of released values), and a holding's leaderboard. The data
is the enclave's own store, read as the API reads it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from access import Action, InvalidInput, holding_id_owner
from clearance.web.curves import curve
from clearance.web.pages import SignedIn, checked_form, node_of, page, render
from clearance.web.receipts import check_receipt

__all__ = ["router"]

router = APIRouter()
MayReadEvaluations = Annotated[SignedIn, Depends(page(Action.EVALUATION_READ))]
MayReadLeaderboard = Annotated[SignedIn, Depends(page(Action.LEADERBOARD_READ))]
MayReviewEvaluations = Annotated[SignedIn, Depends(page(Action.EVALUATION_REVIEW))]


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


@router.get("/evaluation-reviews")
def evaluation_reviews(request: Request, signed: MayReviewEvaluations) -> Response:
    """Evaluations of the steward's holdings awaiting review, each with exactly what it would
    release (the store shows ``would_release`` to the owner's stewards only)."""
    waiting = node_of(request).evaluations.queue(signed.principal)
    done = request.query_params.get("done", "")
    notice = {"released": "The values were released.", "refused": "The release was refused."}
    return render(request, "evaluation_reviews.html", waiting=waiting,
                  notice=notice.get(done, ""))  # fmt: skip


@router.post("/evaluation-reviews/{evaluation_id}/{decision}")
async def review_evaluation(
    request: Request, evaluation_id: str, decision: str, signed: MayReviewEvaluations
) -> Response:
    form = await checked_form(request, signed)
    if decision not in ("release", "refuse"):
        raise InvalidInput("the decision is release or refuse")
    approve = decision == "release"
    await run_in_threadpool(
        node_of(request).evaluations.review,
        signed.principal, evaluation_id, approve, form.text("reason"),
    )  # fmt: skip
    done = "released" if approve else "refused"
    return RedirectResponse(f"/ui/evaluation-reviews?done={done}", status_code=303)
