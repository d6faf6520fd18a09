"""Who has what, the holdings and a holding's page; and a viewer of a non-releasable
administration finds no trace of a restricted holding on any page."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlparse

import httpx
from playwright.sync_api import Page

from tests.catalog.seeded import HIDDEN
from tests.clearance.web.conftest import (
    Site,
    axe,
    no_horizontal_scroll,
    shoot,
    sign_in,
    sign_out,
)


def test_who_has_what_matrix_chart_and_filters(page: Page, site: Site) -> None:
    sign_in(page, site, "gbr.researcher")
    page.goto(f"{site.url}/ui/whohas")
    admins = page.locator("#matrix thead th.num").all_inner_texts()
    api = httpx.get(
        f"{site.url}/whohas",
        headers={"Authorization": f"Bearer {site.seeded.tokens['gbr']}"},
    ).json()["rows"]
    assert admins == sorted({r["administration"] for r in api}) == ["GBR", "NLD", "USA"]
    # Each exact cell is the sum of the API's exact rows for it (the same disclosure rule).
    for row in (r for r in api if r["counts"] == "exact"):
        cell = page.locator(
            f'#matrix td[data-admin="{row["administration"]}"][data-hs="{row["hs_code"]}"]'
        )
        expected = sum(
            r["images"] for r in api
            if r["counts"] == "exact" and r["administration"] == row["administration"]
            and r["hs_code"] == row["hs_code"]
        )  # fmt: skip
        assert cell.inner_text().split("+")[0].split()[0] == str(expected)
    bars = page.locator("#chart .bar-row")
    assert bars.count() == len({r["hs_code"] for r in api})
    assert float(page.locator("#chart rect.bar").first.get_attribute("width") or 0) > 0
    assert no_horizontal_scroll(page)
    shoot(page, "who-has-what")
    assert axe(page) == []
    page.get_by_label("Scan site").select_option("NLRTM")  # NLD-cargo's port
    page.get_by_role("button", name="Filter").click()
    assert page.locator("#matrix thead th.num").all_inner_texts() == ["NLD"]
    page.get_by_label("Scan site").select_option("")
    page.get_by_label("Level").select_option("R1")
    page.get_by_role("button", name="Filter").click()
    assert page.locator("#matrix thead th.num").all_inner_texts() == ["GBR"]
    link = page.locator("#matrix td a").first
    link.click()
    page.wait_for_url("**/ui/holdings?owner=GBR&hs=*")
    assert page.locator("#holdings li").all_inner_texts()[0].find("GBR-parcel") >= 0


def test_a_holding_page(page: Page, site: Site) -> None:
    sign_in(page, site, "gbr.researcher")
    page.goto(f"{site.url}/ui/holdings")
    shoot(page, "holdings")
    assert axe(page) == []
    page.get_by_role("link", name="NLD-cargo scans").click()
    badges = page.locator("#badges").inner_text()
    for text in ("NLD", "R2 SENSITIVE", "Dep. Vertrouwelijk", "REL TO GBR, USA", "download"):
        assert text in badges
    assert page.locator("#classes tbody tr").count() >= 1
    assert page.locator("#items tbody tr").count() == 4
    assert page.locator("#site-map circle.site").count() >= 1
    assert page.locator("#request-form").is_visible()
    shoot(page, "holding")
    assert axe(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert no_horizontal_scroll(page)
    shoot(page, "holding-phone")


def test_a_discover_only_viewer_gets_controlled_counts_and_no_items(page: Page, site: Site) -> None:
    sign_in(page, site, "can.researcher")  # NLD-cargo: R2, REL TO GBR, USA; discovery partners
    page.goto(f"{site.url}/ui/holdings/NLD-cargo")
    assert page.locator("#items").count() == 0
    assert "not released" in page.locator("#items-withheld").inner_text()
    counts = page.locator("#classes tbody td.num").all_inner_texts()
    assert counts and all(c == "<10" or int(c) % 10 == 0 for c in counts)  # controlled
    assert page.locator("#request-form").count() == 0  # not releasable to CAN: no form
    assert "not-releasable" in page.locator("main").inner_text()
    page.goto(f"{site.url}/ui/whohas")
    nld = page.locator('#matrix td[data-admin="NLD"]').all_inner_texts()
    assert any("*" in c for c in nld)  # controlled cells are marked, never summed
    shoot(page, "holding-discover-only")
    assert axe(page) == []


def test_the_owner_sees_its_scans_and_no_request_form(page: Page, site: Site) -> None:
    sign_in(page, site, "nld.researcher")
    page.goto(f"{site.url}/ui/holdings/NLD-cargo")
    assert page.locator("#items tbody tr").count() == 4
    assert page.locator("#request-form").count() == 0  # nobody requests their own holding


def _crawl(page: Page, site: Site, start: list[str]) -> dict[str, str]:
    """Every /ui page reachable from ``start`` by links and GET forms (no sign-out)."""
    seen: dict[str, str] = {}
    todo = deque(start)
    while todo and len(seen) < 80:
        url = todo.popleft()
        if url in seen:
            continue
        page.goto(url)
        seen[url] = page.content()
        for href in page.locator("a[href]").evaluate_all("els => els.map(e => e.href)"):
            target = urljoin(url, href).split("#")[0]
            same_site = urlparse(target).netloc == urlparse(site.url).netloc
            if same_site and "/ui/" in target and "/ui/static/" not in target:
                todo.append(target)
    return seen


def test_a_non_releasable_viewer_sees_no_trace_of_a_restricted_holding(
    page: Page, site: Site
) -> None:
    # Activity on the hidden holding that pages could leak: a request, a decision, audit entries.
    sign_in(page, site, "gbr.researcher")
    page.goto(f"{site.url}/ui/holdings/{HIDDEN}")
    page.locator("#purpose").fill("Reefer anomalies")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/ui/requests/req-*")
    sign_out(page)
    sign_in(page, site, "usa.steward1")
    page.goto(f"{site.url}/ui/review")
    page.get_by_role("button", name="Approve").first.click()
    sign_out(page)

    for viewer in ("nld.researcher", "nld.steward", "nld.auditor"):
        sign_in(page, site, viewer)
        direct = [
            f"{site.url}/ui/holdings/{HIDDEN}",
            f"{site.url}/ui/holdings?owner=USA",
            f"{site.url}/ui/holdings?q=reefer",
            f"{site.url}/ui/audit?holding={HIDDEN}",
            f"{site.url}/ui/whohas?level=R3",
        ]
        pages = _crawl(page, site, [f"{site.url}/ui/", *direct])
        assert len(pages) >= 5
        for url, html in pages.items():
            html = re.sub(r'value="[^"]*"', "", html)  # the probes' own words, echoed in forms
            assert HIDDEN not in html and "reefer" not in html.lower(), (viewer, url)
        hidden = page.request.get(f"{site.url}/ui/holdings/{HIDDEN}")
        missing = page.request.get(f"{site.url}/ui/holdings/USA-nothing-here")
        assert hidden.status == missing.status == 404
        assert hidden.text() == missing.text()  # the same page, byte for byte
        assert "There is nothing here, or nothing you may see." in missing.text()
        page.goto(f"{site.url}/ui/whohas")
        assert "USA" not in page.locator("#matrix thead").inner_text()
        sign_out(page)
