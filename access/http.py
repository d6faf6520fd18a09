"""FastAPI dependencies that authenticate the caller and ask ``decide()`` about the route.

Every route declares what it needs with ``Depends(requires(Action.X))`` or ``Depends(public)``;
the authorization-matrix test walks the app's route table and fails on a route that declares
neither. The node's services are found on ``app.state`` (set by the composition root).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from access.clock import Clock
from access.directory import Directory
from access.errors import AuthenticationError, PermissionDenied
from access.policy import NODE, Action, Principal, decide

__all__ = ["ROUTE_POLICY_ATTR", "bearer_token", "policy_of", "public", "requires", "sessions_of"]

ROUTE_POLICY_ATTR = "__clearance_policy__"


def sessions_of(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("missing bearer token", code="token-missing")
    return token.strip()


def requires(action: Action) -> Callable[[Request], Principal]:
    """A dependency: the authenticated principal, allowed ``action`` on the node."""

    def dependency(request: Request) -> Principal:
        directory: Directory = request.app.state.directory
        clock: Clock = request.app.state.clock
        principal = directory.authenticate(
            bearer_token(request), audience=request.app.state.settings.node_id
        )
        decision = decide(principal, NODE, action, clock.now())
        if not decision.allowed:
            raise PermissionDenied(f"not allowed: {decision.reason}", code=decision.reason.value)
        request.state.principal = principal
        return principal

    setattr(dependency, ROUTE_POLICY_ATTR, action)
    return dependency


def public() -> None:
    """A dependency that marks a route as open to anyone (it reveals nothing about holdings)."""


setattr(public, ROUTE_POLICY_ATTR, "public")


def policy_of(dependency: Any) -> Action | str | None:
    return getattr(dependency, ROUTE_POLICY_ATTR, None)
