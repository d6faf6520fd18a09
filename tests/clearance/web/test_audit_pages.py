"""The auditor's pages: the log with filters, withheld entries, and the chain verification."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.clearance.web.conftest import Site, axe, shoot, sign_in, sign_out


def test_the_audit_log_with_filters_and_verification(page: Page, site: Site) -> None:
    sign_in(page, site, "nld.steward")  # leaves a login entry of NLD's
    sign_out(page)
    sign_in(page, site, "nld.auditor")
    page.goto(f"{site.url}/ui/audit")
    rows = page.locator("#audit tbody tr")
    assert rows.count() >= 2
    actions = rows.evaluate_all("rs => rs.map(r => r.dataset.action)")
    assert "publish" in " ".join(actions) or "login" in actions
    shoot(page, "audit-log")
    assert axe(page) == []
    page.get_by_label("Actor").fill("nld.steward")
    page.get_by_label("Action (prefix*)").fill("login")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/ui/audit?actor=nld.steward&action=login*")
    assert rows.count() >= 1
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.action)")) == {"login"}
    assert all("nld.steward" in t for t in rows.all_inner_texts())
    page.get_by_label("Since").fill("yesterday")
    page.get_by_role("button", name="Filter").click()
    assert "since" in page.get_by_role("alert").inner_text()  # a bad filter is said, not a 500
    page.get_by_role("link", name="Verify the whole chain").click()
    assert page.locator("#verify-result").inner_text().startswith("The chain is intact")
    assert int(page.locator("#verify-entries").inner_text()) > 0
    shoot(page, "audit-verify")
    assert axe(page) == []


def test_only_auditors_open_the_log(page: Page, site: Site) -> None:
    sign_in(page, site, "nld.researcher")
    answer = page.goto(f"{site.url}/ui/audit")
    assert answer is not None and answer.status == 403
    assert "role-lacks-action" in page.locator("#error-message").inner_text()
    assert page.get_by_role("link", name="Audit log").count() == 0
