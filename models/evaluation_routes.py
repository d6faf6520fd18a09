"""HTTP routes of the evaluation enclave: submit and read evaluations, receipts, the steward's
review queue and decisions, a holding's leaderboard and enclave policy. Thin: each calls the
store (:mod:`models.evaluation_store`) under the route's one policy
(:mod:`models.evaluation_route_policy`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from access.guard import GuardedRoute
from models.errors import InvalidEvaluation
from models.evaluation import NewEvaluation
from models.evaluation_route_policy import (
    MayEnclavePolicy,
    MayEvaluate,
    MayReadEvaluation,
    MayReadLeaderboard,
    MayReviewEvaluation,
    evaluation_store,
)

__all__ = ["router"]

router = APIRouter(route_class=GuardedRoute, tags=["enclave"])
JsonBody = Annotated[Any, Body()]
_REASON_MAX = 2000


@router.post("/evaluations", status_code=201)
def submit_evaluation(request: Request, who: MayEvaluate, body: JsonBody = None) -> dict[str, Any]:
    new = NewEvaluation.from_json(body)
    return evaluation_store(request).submit(who, new).as_json()


@router.get("/evaluations")
def my_evaluations(request: Request, who: MayReadEvaluation) -> dict[str, Any]:
    return {"evaluations": evaluation_store(request).mine(who)}


@router.get("/evaluations/{evaluation_id}")
def show_evaluation(request: Request, evaluation_id: str, who: MayReadEvaluation) -> dict[str, Any]:
    return evaluation_store(request).get(who, evaluation_id)


@router.get("/evaluations/{evaluation_id}/receipt")
def evaluation_receipt(
    request: Request, evaluation_id: str, who: MayReadEvaluation
) -> dict[str, Any]:
    return evaluation_store(request).receipt(who, evaluation_id)


@router.get("/reviews/evaluations")
def review_queue(request: Request, who: MayReviewEvaluation) -> dict[str, Any]:
    pending = evaluation_store(request).queue(who)
    return {"pending": len(pending), "evaluations": pending}


def _decision(body: Any) -> tuple[bool, str]:
    if not isinstance(body, dict) or set(body) - {"decision", "reason"}:
        raise InvalidEvaluation('body must be {"decision": "approve" | "refuse", "reason": text}')
    decision, reason = body.get("decision"), body.get("reason", "")
    if decision not in ("approve", "refuse"):
        raise InvalidEvaluation("decision must be approve or refuse")
    if not isinstance(reason, str) or len(reason) > _REASON_MAX:
        raise InvalidEvaluation(f"reason must be text of at most {_REASON_MAX} characters")
    if decision == "refuse" and not reason.strip():
        raise InvalidEvaluation("a refusal needs a reason")
    return decision == "approve", reason


@router.post("/evaluations/{evaluation_id}/review")
def review_evaluation(
    request: Request, evaluation_id: str, who: MayReviewEvaluation, body: JsonBody = None
) -> dict[str, Any]:
    approve, reason = _decision(body)
    return evaluation_store(request).review(who, evaluation_id, approve, reason)


@router.get("/holdings/{holding_id}/leaderboard")
def leaderboard(request: Request, holding_id: str, who: MayReadLeaderboard) -> dict[str, Any]:
    return evaluation_store(request).leaderboard(who, holding_id)


@router.get("/holdings/{holding_id}/enclave-policy")
def enclave_policy(request: Request, holding_id: str, who: MayEnclavePolicy) -> dict[str, Any]:
    return evaluation_store(request).policy(who, holding_id).as_json()


@router.put("/holdings/{holding_id}/enclave-policy")
def set_enclave_policy(
    request: Request, holding_id: str, who: MayEnclavePolicy, body: JsonBody = None
) -> dict[str, Any]:
    return evaluation_store(request).set_policy(who, holding_id, body).as_json()
