"""The access workflow in the browser: a researcher asks, stewards decide (R3: two of them),
the researcher sees the grant; refusal, revocation, withdrawal; CSRF on the decision forms."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.clearance.web.conftest import (
    Site,
    axe,
    no_horizontal_scroll,
    shoot,
    sign_in,
    sign_out,
)


def _ask(page: Page, site: Site, holding: str, mode: str, purpose: str, days: str = "30") -> str:
    page.goto(f"{site.url}/ui/holdings/{holding}")
    form = page.locator("#request-form")
    form.get_by_label(mode, exact=False).first.check()
    form.get_by_label("Purpose", exact=True).fill(purpose)
    form.get_by_label("Days").fill(days)
    form.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/ui/requests/req-*?done=created")
    assert page.get_by_role("status").inner_text().startswith("Your request was sent")
    return page.url.split("/ui/requests/")[1].split("?")[0]


def _pending(page: Page, request_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f'section.pending[data-request="{request_id}"]')


def test_researcher_requests_steward_approves_researcher_sees_the_grant(
    page: Page, site: Site
) -> None:
    sign_in(page, site, "gbr.researcher")
    request_id = _ask(page, site, "NLD-cargo", "download", "Train a cargo detector")
    assert page.locator(".state").inner_text() == "submitted"
    shoot(page, "request")
    assert axe(page) == []
    sign_out(page)

    sign_in(page, site, "nld.steward")
    page.goto(f"{site.url}/ui/review")
    card = _pending(page, request_id)
    assert "gbr.researcher" in card.inner_text()
    assert card.locator(".precheck").inner_text() == "allowed"
    assert int(card.locator(".selects").inner_text()) == 4  # the holding's four scans
    shoot(page, "review-queue")
    assert axe(page) == []
    card.get_by_label("Shorten to (days, optional)").fill("10")
    card.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/ui/review?done=approved")
    assert _pending(page, request_id).count() == 0
    page.goto(f"{site.url}/ui/issued")
    row = page.locator("#issued tbody tr").filter(has_text="gbr.researcher")
    assert row.locator(".grant-status").inner_text() == "valid"
    shoot(page, "grants-issued")
    assert axe(page) == []
    sign_out(page)

    sign_in(page, site, "gbr.researcher")
    page.goto(f"{site.url}/ui/requests")
    assert page.locator(f'tr[data-request="{request_id}"] .state').inner_text() == "granted"
    shoot(page, "my-requests")
    page.goto(f"{site.url}/ui/grants")
    grant = page.locator("section.grant").filter(has_text="NLD-cargo")
    assert grant.locator(".grant-status").inner_text() == "valid"
    command = grant.locator("pre.command").inner_text()
    assert command.startswith("C4GH_PASSPHRASE=... clearance pull " + request_id)
    assert f"--url {site.url}" in command
    shoot(page, "my-grants")
    assert axe(page) == []


def test_r3_needs_a_second_steward(page: Page, site: Site) -> None:
    sign_in(page, site, "gbr.researcher")
    page.goto(f"{site.url}/ui/holdings/USA-reefer")
    assert page.locator("#mode-download").is_disabled()  # enclave-only: evaluation alone
    request_id = _ask(page, site, "USA-reefer", "evaluation", "Score a reefer anomaly model")
    sign_out(page)

    sign_in(page, site, "usa.steward1")
    page.goto(f"{site.url}/ui/review")
    _pending(page, request_id).get_by_role("button", name="Approve").click()
    page.wait_for_url("**/ui/review?done=approved")
    assert _pending(page, request_id).count() == 0  # decided by me: not mine to decide again
    page.goto(f"{site.url}/ui/requests/{request_id}")
    assert page.locator(".state").inner_text() == "under-review"
    assert page.locator(".approvals").inner_text() == "usa.steward1"
    sign_out(page)

    sign_in(page, site, "usa.steward2")
    page.goto(f"{site.url}/ui/review")
    card = _pending(page, request_id)
    assert "a second steward must approve" in card.locator(".second-approval").inner_text()
    shoot(page, "review-second-approval")
    card.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/ui/review?done=approved")
    page.goto(f"{site.url}/ui/requests/{request_id}")
    assert page.locator(".state").inner_text() == "granted"
    assert page.locator(".approvals").inner_text() == "usa.steward1, usa.steward2"


def test_refusal_with_a_reason_reaches_the_researcher(page: Page, site: Site) -> None:
    sign_in(page, site, "gbr.researcher")
    request_id = _ask(page, site, "NLD-cargo", "evaluation", "Benchmark", days="5")
    sign_out(page)
    sign_in(page, site, "nld.steward")
    page.goto(f"{site.url}/ui/review")
    card = _pending(page, request_id)
    card.get_by_label("Reason for refusal").fill("Not during the audit period")
    card.get_by_role("button", name="Refuse").click()
    page.wait_for_url("**/ui/review?done=refused")
    sign_out(page)
    sign_in(page, site, "gbr.researcher")
    page.goto(f"{site.url}/ui/requests/{request_id}")
    assert page.locator(".state").inner_text() == "refused"
    assert "Not during the audit period" in page.locator("main").inner_text()


def test_a_decision_posted_without_its_csrf_token_is_refused(page: Page, site: Site) -> None:
    sign_in(page, site, "gbr.researcher")
    request_id = _ask(page, site, "NLD-cargo", "download", "CSRF probe")
    sign_out(page)
    sign_in(page, site, "nld.steward")
    for form in ({"reason": "x"}, {"reason": "x", "csrf": "not-the-token"}):
        answer = page.request.post(f"{site.url}/ui/review/{request_id}/approve", form=form)
        assert answer.status == 403 and "CSRF" in answer.text()
        answer = page.request.post(f"{site.url}/ui/review/{request_id}/refuse", form=form)
        assert answer.status == 403
    page.goto(f"{site.url}/ui/requests/{request_id}")
    assert page.locator(".state").inner_text() == "submitted"  # nothing was done
    assert page.locator(".approvals").count() == 0


def test_revocation_and_withdrawal(page: Page, site: Site) -> None:
    sign_in(page, site, "gbr.researcher")
    kept = _ask(page, site, "NLD-cargo", "download", "To be revoked")
    withdrawn = _ask(page, site, "NLD-cargo", "download", "To be withdrawn")
    page.get_by_role("button", name="Withdraw this request").click()
    page.wait_for_url(f"**/ui/requests/{withdrawn}?done=withdrawn")
    assert page.locator(".state").inner_text() == "withdrawn"
    sign_out(page)
    sign_in(page, site, "nld.steward")
    page.goto(f"{site.url}/ui/review")
    assert _pending(page, withdrawn).count() == 0
    _pending(page, kept).get_by_role("button", name="Approve").click()
    page.wait_for_url("**/ui/review?done=approved")
    page.goto(f"{site.url}/ui/requests/{kept}")
    jti = page.locator(".grant-id").inner_text()
    page.goto(f"{site.url}/ui/issued")
    row = page.locator(f'tr[data-grant="{jti}"]')
    row.get_by_label("Reason").fill("Project ended")
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_url("**/ui/issued?done=revoked")
    assert page.locator(f'tr[data-grant="{jti}"] .grant-status').inner_text() == "revoked"


def test_the_queue_is_readable_on_a_phone(page: Page, site: Site) -> None:
    sign_in(page, site, "gbr.researcher")
    _ask(page, site, "NLD-cargo", "download", "Phone check")
    sign_out(page)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "nld.steward")
    page.goto(f"{site.url}/ui/review")
    assert no_horizontal_scroll(page)
    shoot(page, "review-queue-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert no_horizontal_scroll(page)
