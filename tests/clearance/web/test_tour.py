"""Every page, as the user it is for: no serious axe-core violation, no horizontal scrolling at
1280 px nor on a 390 px phone, and the keyboard alone signs in and reaches the content."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.clearance.web.conftest import Site, axe, no_horizontal_scroll, shoot, sign_in

PAGES = [
    ("gbr.researcher", "/ui/", "home"),
    ("gbr.researcher", "/ui/whohas", "who-has-what"),
    ("gbr.researcher", "/ui/holdings", "holdings"),
    ("gbr.researcher", "/ui/holdings/NLD-cargo", "holding"),
    ("gbr.researcher", "/ui/requests", "my-requests"),
    ("gbr.researcher", "/ui/grants", "my-grants"),
    ("gbr.researcher", "/ui/evaluations", "evaluations"),
    ("nld.steward", "/ui/review", "review-queue"),
    ("nld.steward", "/ui/issued", "grants-issued"),
    ("nld.steward", "/ui/evaluation-reviews", "evaluation-reviews"),
    ("nld.auditor", "/ui/audit", "audit-log"),
    ("nld.researcher", "/ui/scans/NLD-cargo/NLD-C-000001", "scan-viewer"),
    ("nld.researcher", "/ui/holdings/USA-reefer", "not-found"),
]


@pytest.mark.parametrize(("user", "path", "name"), PAGES, ids=[p[2] for p in PAGES])
def test_each_page_is_accessible_and_fits(
    page: Page, site: Site, user: str, path: str, name: str
) -> None:
    sign_in(page, site, user)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(site.url + path)
        if name == "scan-viewer":
            page.wait_for_selector('#viewer[data-drawn="high"]')
        assert no_horizontal_scroll(page), (path, width)
        assert axe(page) == [], (path, width)
        if width == 390:
            shoot(page, f"{name}-phone")
        elif name in ("home", "not-found"):
            shoot(page, name)


def test_the_keyboard_alone_signs_in_and_skips_to_the_content(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/ui/sign-in")
    assert page.evaluate("document.activeElement.id") == "username"  # autofocus
    page.keyboard.type("nld.steward")
    page.keyboard.press("Tab")
    page.keyboard.type("pw-nld.steward")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/ui/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    focusable = page.locator("main a, main button, main input, main select, main textarea")
    assert focusable.count() > 0
