"""Sign-in, sign-out and the home page."""

from __future__ import annotations

import contextlib
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from access import Action, AuthenticationError, LoginThrottle, PermissionDenied
from clearance.web.forms import read_form
from clearance.web.pages import (
    SignedIn,
    anyone,
    checked_form,
    codec_of,
    node_of,
    page,
    render,
)
from clearance.web.session import csrf_matches

__all__ = ["router"]

router = APIRouter()
Anyone = Annotated[SignedIn | None, Depends(anyone)]
Reader = Annotated[SignedIn, Depends(page(Action.CATALOG_READ))]


def _next(target: str) -> str:
    """Only a page of this site: never another host (``//evil``) or scheme."""
    if target.startswith("/ui/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui/"


@router.get("/sign-in")
def sign_in_form(
    request: Request,
    signed: Anyone,
    next: str = "/ui/",
    failed: str = "",
) -> Response:
    if signed is not None:
        return RedirectResponse(_next(next), status_code=303)
    response = Response()
    token = codec_of(request).pre_token(request, response)
    error = "User name or password is wrong." if failed else ""
    shown = render(request, "sign_in.html", pre_csrf=token, next=_next(next), error=error)
    shown.raw_headers.extend(h for h in response.raw_headers if h[0] == b"set-cookie")
    return shown


@router.post("/sign-in")
async def sign_in(request: Request, signed: Anyone) -> Response:
    del signed  # signing in again replaces the session
    codec = codec_of(request)
    form = await read_form(request)
    if not csrf_matches(codec.pre_read(request) or "", form.get("csrf")):
        raise PermissionDenied(
            "The sign-in form expired or was not ours: open it again.", code="csrf-refused"
        )
    username, password = form.get("username")[:256], form.get("password")[:1024]
    node = node_of(request)
    throttle: LoginThrottle = request.app.state.login_throttle
    address = request.client.host if request.client is not None else "unknown"
    try:
        # The password hash is slow by design: off the event loop.
        token = await run_in_threadpool(
            throttle.attempt,
            username,
            address,
            lambda: node.directory.login(username, password, audience=node.settings.node_id),
        )
    except AuthenticationError:  # audited by the directory; the form again, with a fixed text
        target = quote(_next(form.get("next")), safe="")
        return RedirectResponse(f"/ui/sign-in?failed=1&next={target}", status_code=303)
    response = RedirectResponse(_next(form.get("next")), status_code=303)
    codec.start(request, response, token)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, signed: Reader) -> Response:
    await checked_form(request, signed)
    node = node_of(request)
    # The token itself is ended, not only the cookie: a copy of the cookie is refused too.
    with contextlib.suppress(AuthenticationError):  # ended meanwhile (another tab signed out)
        await run_in_threadpool(
            node.directory.revoke_token, signed.session.token, audience=node.settings.node_id
        )
    response = RedirectResponse("/ui/sign-in", status_code=303)
    codec_of(request).end(response)
    return response


@router.get("/")
def home(request: Request, signed: Reader) -> Response:
    return render(request, "home.html")
