"""HTTP routes of the access package: log in and out, and the administrations' published keys
(JWKS)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response

from access.directory import Directory
from access.errors import InvalidInput, NotFound
from access.guard import GuardedRoute, body_limit
from access.policy import Action, Principal
from access.route_policy import bearer_token, public, requires
from access.throttle import LoginThrottle
from access.vocabulary import parse_admin_code

__all__ = ["router"]

router = APIRouter(route_class=GuardedRoute)
#: A login body is two short strings; the cap leaves room for JSON escapes.
_LOGIN_BODY_MAX = 8 << 10
_MAX_NAME = 256


def _directory(request: Request) -> Directory:
    directory: Directory = request.app.state.directory
    return directory


@router.post("/auth/login", dependencies=[Depends(public)])
@body_limit(lambda request: _LOGIN_BODY_MAX)
def login(request: Request, body: Annotated[Any, Body()] = None) -> dict[str, Any]:
    """Exchange a user name and password for a bearer token."""
    if not isinstance(body, dict) or set(body) != {"username", "password"}:
        raise InvalidInput('login body must be {"username": ..., "password": ...}')
    username, password = body["username"], body["password"]
    if not isinstance(username, str) or not isinstance(password, str) or len(password) > 1024:
        raise InvalidInput("username and password must be strings")
    if len(username) > _MAX_NAME:
        raise InvalidInput(f"username must be at most {_MAX_NAME} characters")
    throttle: LoginThrottle = request.app.state.login_throttle
    # The client address as the server saw it; behind a proxy, uvicorn's --forwarded-allow-ips.
    address = request.client.host if request.client is not None else "unknown"
    audience = request.app.state.settings.node_id
    token = throttle.attempt(
        username, address, lambda: _directory(request).login(username, password, audience=audience)
    )
    return {"access_token": token, "token_type": "Bearer"}


@router.post("/auth/logout", status_code=204)
def logout(
    request: Request,
    principal: Annotated[Principal, Depends(requires(Action.CATALOG_READ))],
) -> Response:
    """End the caller's token now: every later request with it is refused (401,
    ``token-revoked``) until it expires. Any signed-in user may (like ``/auth/whoami``)."""
    del principal  # authenticated and allowed above; revoke_token checks the token again
    audience = request.app.state.settings.node_id
    _directory(request).revoke_token(bearer_token(request), audience=audience)
    return Response(status_code=204)


@router.get("/.well-known/jwks.json", dependencies=[Depends(public)])
def jwks(request: Request) -> dict[str, Any]:
    """Public signing keys of every administration registered on this node."""
    return _directory(request).jwks()


@router.get("/administrations/{admin}/jwks.json", dependencies=[Depends(public)])
def admin_jwks(request: Request, admin: str) -> dict[str, Any]:
    try:
        code = parse_admin_code(admin)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    keys = _directory(request).jwks(code)
    if not keys["keys"]:
        raise NotFound(f"no administration {code}")
    return keys


@router.get("/auth/whoami")
def whoami(
    principal: Annotated[Principal, Depends(requires(Action.CATALOG_READ))],
) -> dict[str, Any]:
    return {
        "user": principal.user,
        "administration": principal.admin,
        "roles": sorted(principal.roles),
        "clearance": principal.clearance.name,
    }
