"""The enclave routes' policy dependencies (one per route: the action on the node, decided
before the body is read) and the service they call. The holding- and evaluation-level decision
follows in :class:`models.evaluation_store.EvaluationStore`, which answers every refusal on a
holding with the one 404 a missing holding gets."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from access import Action, Principal
from access.route_policy import requires
from models.evaluation_store import EvaluationStore

__all__ = [
    "MayEnclavePolicy",
    "MayEvaluate",
    "MayReadEvaluation",
    "MayReadLeaderboard",
    "MayReviewEvaluation",
    "evaluation_store",
]

MayEvaluate = Annotated[Principal, Depends(requires(Action.EVALUATE))]
MayReadEvaluation = Annotated[Principal, Depends(requires(Action.EVALUATION_READ))]
MayReviewEvaluation = Annotated[Principal, Depends(requires(Action.EVALUATION_REVIEW))]
MayReadLeaderboard = Annotated[Principal, Depends(requires(Action.LEADERBOARD_READ))]
MayEnclavePolicy = Annotated[Principal, Depends(requires(Action.ENCLAVE_POLICY))]


def evaluation_store(request: Request) -> EvaluationStore:
    store: EvaluationStore = request.app.state.node.evaluations
    return store
