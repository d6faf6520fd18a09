"""Sign-in and sign-out, the session cookie, the security headers, CSRF on every form, and
that every page route declares its one policy."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page

from access.route_policy import policy_of
from clearance.http.api_docs import api_routes
from clearance.http.app import create_app
from tests.clearance.web.conftest import Site, axe, shoot, sign_in, sign_out


def _page_routes(site: Site) -> list[tuple[str, object]]:
    app = create_app(site.seeded.node)
    ui = next(r for r in app.routes if getattr(r, "path", "") == "/ui")
    found = []
    for path, route in api_routes(ui.app.routes):  # type: ignore[attr-defined]
        policies = [policy_of(d.call) for d in route.dependant.dependencies]
        found.append((path, [p for p in policies if p is not None]))
    return found


def test_every_page_declares_exactly_one_policy(site: Site) -> None:
    routes = _page_routes(site)
    assert len(routes) > 10
    assert [(path, p) for path, p in routes if len(p) != 1] == []


def test_sign_in_shows_who_and_sign_out_ends_the_session(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/ui/review")
    assert "/ui/sign-in" in page.url  # not signed in: the sign-in page, then back
    shoot(page, "sign-in")
    assert axe(page) == []
    page.get_by_label("User name").fill("nld.steward")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("#sign-in-error").inner_text() == "User name or password is wrong."
    page.get_by_label("User name").fill("nld.steward")
    page.get_by_label("Password").fill("pw-nld.steward")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/ui/review")
    who = page.locator(".who").inner_text()
    assert "nld.steward" in who and "NLD" in who and "steward" in who and "R3" in who
    cookie = next(c for c in page.context.cookies() if c["name"] == "clearance_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/ui"
    copy = {"clearance_session": cookie["value"]}  # as if the cookie had been stolen
    assert httpx.get(f"{site.url}/ui/review", cookies=copy).status_code == 200
    sign_out(page)
    page.goto(f"{site.url}/ui/review")
    assert "/ui/sign-in" in page.url
    # Signing out ended the token inside the cookie, not only the browser's copy of it.
    replayed = httpx.get(f"{site.url}/ui/review", cookies=copy)
    assert replayed.status_code == 303 and "/ui/sign-in" in replayed.headers["location"]


def test_logins_are_audited_like_the_api(page: Page, site: Site) -> None:
    sign_in(page, site, "nld.auditor")
    page.goto(f"{site.url}/ui/audit?action=login&actor=nld.auditor")
    rows = page.locator("#audit tbody tr")
    assert rows.count() >= 1
    assert rows.last.get_attribute("data-action") == "login"


def test_every_answer_has_the_security_headers(site: Site) -> None:
    for path in ("/ui/sign-in", "/ui/holdings/NLD-cargo", "/ui/static/app.css", "/ui/nothing"):
        answer = httpx.get(site.url + path)
        csp = answer.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self';" in csp and "style-src 'self';" in csp
        assert "unsafe-inline" not in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
    page = httpx.get(site.url + "/ui/sign-in").text
    assert "<script>" not in page and " style=" not in page


def test_a_form_without_its_csrf_token_is_refused(page: Page, site: Site) -> None:
    sign_in(page, site, "nld.steward")
    for data in ({}, {"csrf": "forged"}):
        answer = page.request.post(f"{site.url}/ui/sign-out", form=data)
        assert answer.status == 403
        assert "CSRF" in answer.text()
    page.goto(f"{site.url}/ui/")
    assert page.locator(".who .user").inner_text() == "nld.steward"  # still signed in


def test_the_sign_in_form_needs_its_own_token(site: Site) -> None:
    answer = httpx.post(
        site.url + "/ui/sign-in", data={"username": "nld.steward", "password": "pw-nld.steward"}
    )
    assert answer.status_code == 403
    assert "clearance_session" not in answer.cookies


def test_next_never_leaves_the_site(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/ui/sign-in?next=//example.org/x")
    page.get_by_label("User name").fill("nld.researcher")
    page.get_by_label("Password").fill("pw-nld.researcher")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/ui/")
