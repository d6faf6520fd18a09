"""The model routes' policy dependencies and the registry they use.

``requires_on(Action.X, model_resource)``: the caller is authenticated and allowed ``X`` on the
node before the body is read, then ``model_resource`` finds the model in the path. A model the
caller may not see is a 404 exactly like a missing one (``ModelRegistry.get`` decides), so the
decision that follows on the found model only ever tells apart what the caller already sees
(a sharee asking to share: 403).
"""

from __future__ import annotations

from fastapi import Request

from access import Clock, ModelResource, Principal
from models.registry_store import ModelRegistry

__all__ = ["model_cap", "model_registry", "model_resource"]

_CARD_ALLOWANCE = 64 << 10  # the card and the JSON around the base64 text


def model_registry(request: Request) -> ModelRegistry:
    registry: ModelRegistry = request.app.state.models
    return registry


def model_cap(request: Request) -> int:
    """The body cap of a submission: the model cap as base64, plus room for the card."""
    return model_registry(request).limits.max_bytes * 4 // 3 + 4 + _CARD_ALLOWANCE


async def model_resource(request: Request) -> ModelResource:
    """The model in the path as a policy resource; ``ModelNotFound`` when the caller (already
    authenticated by the gate) may not see it, as when it does not exist."""
    who: Principal = request.state.principal
    clock: Clock = request.app.state.clock
    record = model_registry(request).get(who, str(request.path_params["model_id"]), clock.now())
    return ModelResource(record.owner, frozenset(record.shared_with))
