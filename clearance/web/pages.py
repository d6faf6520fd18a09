"""What every page shares: the signed-in principal (decided on the node like an API route),
the form check (CSRF before anything else), and rendering a template.

A page route declares its one policy with ``Depends(page(Action.X))`` (or
``Depends(anyone)`` for the sign-in page and static files); ``tests/clearance/web`` walks the
route table and fails on a page that declares none, as the API's authorization matrix does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from access import (
    NODE,
    Action,
    AuthenticationError,
    Directory,
    PermissionDenied,
    Principal,
    decide,
)
from access.route_policy import ROUTE_POLICY_ATTR
from clearance.node import Node
from clearance.web.forms import Form, read_form
from clearance.web.session import SessionCodec, WebSession, csrf_matches

__all__ = [
    "SignedIn",
    "anyone",
    "checked_form",
    "codec_of",
    "csrf_refused",
    "node_of",
    "page",
    "render",
    "sign_in_needed",
]


def sign_in_needed() -> AuthenticationError:
    """No valid session: every AuthenticationError a page raises is answered by a redirect to
    the sign-in page (``clearance.web.errors``). The node side defines no error classes of its
    own (tests/test_error_tree.py): the access package's errors, with their codes, are used."""
    return AuthenticationError("sign in first", code="sign-in-needed")


def csrf_refused() -> PermissionDenied:
    return PermissionDenied("the form's CSRF token is missing or wrong", code="csrf-refused")


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    session: WebSession


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def codec_of(request: Request) -> SessionCodec:
    codec: SessionCodec = request.app.state.codec
    return codec


def _signed_in(request: Request) -> SignedIn:
    session = codec_of(request).read(request)
    if session is None:
        raise sign_in_needed()
    node = node_of(request)
    directory: Directory = node.directory
    try:
        principal = directory.authenticate(session.token, audience=node.settings.node_id)
    except Exception:
        raise sign_in_needed() from None
    request.state.signed_in = SignedIn(principal, session)
    return request.state.signed_in  # type: ignore[no-any-return]


def page(action: Action) -> Callable[[Request], SignedIn]:
    """A page's policy: a signed-in user whose roles allow ``action`` on the node."""

    def dependency(request: Request) -> SignedIn:
        signed = _signed_in(request)
        decision = decide(signed.principal, NODE, action, node_of(request).clock.now())
        if not decision.allowed:
            raise PermissionDenied(
                f"not allowed: {decision.reason.value}", code=decision.reason.value
            )
        return signed

    setattr(dependency, ROUTE_POLICY_ATTR, action)
    return dependency


def anyone(request: Request) -> SignedIn | None:
    """The policy of a page anyone may open (it shows nothing of any holding)."""
    session = codec_of(request).read(request)
    if session is None:
        return None
    try:
        return _signed_in(request)
    except AuthenticationError:
        return None


setattr(anyone, ROUTE_POLICY_ATTR, "public")


async def checked_form(request: Request, signed: SignedIn) -> Form:
    """The posted form, after its CSRF token matched the session's (before any work)."""
    form = await read_form(request)
    if not csrf_matches(signed.session.csrf, form.get("csrf")):
        raise csrf_refused()
    return form


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    environment: Environment = request.app.state.templates
    signed: SignedIn | None = getattr(request.state, "signed_in", None)
    body = environment.get_template(template).render(
        me=signed.principal if signed else None,
        csrf=signed.session.csrf if signed else "",
        path=request.url.path,
        **context,
    )
    return HTMLResponse(body, status_code=status)
