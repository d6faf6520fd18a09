"""FastAPI dependencies that authenticate the caller and ask ``decide()`` about the route.

Every route declares what it needs with ``Depends(requires(Action.X))``,
``Depends(requires_on(Action.X, load))`` (the action decided on the resource ``load`` finds for
the request, before the route does any work) or ``Depends(public)``; the authorization-matrix
test walks the app's route table and fails on a route that declares none. The node's services
are found on ``app.state`` (set by the composition root).

A policy dependency is made with ``policy_dependency``: ``access.guard.GuardedRoute`` runs it
before the request body is read, and its answer is kept on the request so that FastAPI's own
call of the same dependency (after the body) reuses it instead of verifying twice.
``requires_on`` holds ``requires(action)`` as its sub-dependency, so the caller is known and
allowed the action on the node before the body is read; only then does ``load`` look at the
(bounded) body.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from access.clock import Clock
from access.directory import Directory
from access.errors import AuthenticationError, PermissionDenied
from access.policy import NODE, Action, Principal, Resource, decide

__all__ = [
    "ROUTE_POLICY_ATTR",
    "bearer_token",
    "is_guard",
    "policy_dependency",
    "policy_of",
    "public",
    "requires",
    "requires_on",
    "sessions_of",
]

ROUTE_POLICY_ATTR = "__clearance_policy__"
_GUARD_ATTR = "__clearance_guard__"
_ANSWERS = "clearance.policy_answers"  # scope key: dependency -> its answer for this request
T = TypeVar("T")


def sessions_of(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("missing bearer token", code="token-missing")
    return token.strip()


def policy_dependency(marker: object) -> Callable[[Callable[[Request], T]], Callable[[Request], T]]:
    """Mark ``check(request)`` as a route policy, answered at most once per request."""

    def wrap(check: Callable[[Request], T]) -> Callable[[Request], T]:
        @functools.wraps(check)
        def dependency(request: Request) -> T:
            answers: dict[object, Any] = request.scope.setdefault(_ANSWERS, {})
            if dependency not in answers:
                answers[dependency] = check(request)
            answer: T = answers[dependency]
            return answer

        setattr(dependency, ROUTE_POLICY_ATTR, marker)
        setattr(dependency, _GUARD_ATTR, True)
        return dependency

    return wrap


def is_guard(dependency: Any) -> bool:
    """Whether ``dependency`` is a policy check that must run before the body is read."""
    return getattr(dependency, _GUARD_ATTR, False) is True


def _allow(
    request: Request, principal: Principal, action: Action, resource: Resource, hint: str = ""
) -> None:
    clock: Clock = request.app.state.clock
    decision = decide(principal, resource, action, clock.now())
    if not decision.allowed:
        reason = decision.reason.value
        raise PermissionDenied(f"not allowed: {reason}{hint}", code=reason)
    request.state.principal = principal


def requires(action: Action) -> Callable[[Request], Principal]:
    """A dependency: the authenticated principal, allowed ``action`` on the node."""

    @policy_dependency(action)
    def dependency(request: Request) -> Principal:
        directory: Directory = request.app.state.directory
        principal = directory.authenticate(
            bearer_token(request), audience=request.app.state.settings.node_id
        )
        _allow(request, principal, action, NODE)
        return principal

    return dependency


ResourceLoader = Callable[[Request], Awaitable[Resource]]


def requires_on(
    action: Action, load: ResourceLoader, hint: Callable[[Principal], str] | None = None
) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the authenticated principal, allowed ``action`` on the node (before the
    body is read) and then on the resource ``load(request)`` finds (e.g. the holding a body
    names), before the route runs.

    ``load`` runs only for a caller whose role may do ``action`` at all; it must answer alike
    for what the caller may not discover and what does not exist (``decide()`` then does too).
    Its own errors (a malformed resource key) propagate as they are. ``hint(principal)`` is
    appended to a refusal on the resource: it may speak of the caller, never of the resource.
    """
    gate = requires(action)

    # A default, not ``Annotated``: with postponed annotations FastAPI could not resolve the
    # local ``gate`` from the annotation's text.
    async def dependency(request: Request, principal: Principal = Depends(gate)) -> Principal:  # noqa: B008
        resource = await load(request)
        _allow(request, principal, action, resource, hint(principal) if hint else "")
        return principal

    setattr(dependency, ROUTE_POLICY_ATTR, action)
    return dependency


def public() -> None:
    """A dependency that marks a route as open to anyone (it reveals nothing about holdings)."""


setattr(public, ROUTE_POLICY_ATTR, "public")


def policy_of(dependency: Any) -> Action | str | None:
    return getattr(dependency, ROUTE_POLICY_ATTR, None)
