"""A researcher's models and evaluations: a real enclave run on a holding the researcher may
only evaluate, its released values, the hit-rate-versus-false-alarm curve drawn from them, the
receipt verified in the page, and the holding's leaderboard."""

from __future__ import annotations

import base64
import json

import pytest
from playwright.sync_api import Page, Route

from access import Conditions, Mode, NewRequest, PurposeCode
from clearance.enclave import enclave_runner
from models import Worker
from models.evaluation import NewEvaluation, Split
from tests.clearance.web.conftest import Site, axe, shoot, sign_in
from tests.models import onnx_builders

HOLDING = "NLD-cargo"


@pytest.fixture(scope="module")
def released(site: Site) -> str:
    node = site.seeded.node
    researcher = node.directory.user("gbr.researcher").principal()
    steward = node.directory.user("nld.steward").principal()
    new = NewRequest(HOLDING, "score", PurposeCode.MODEL_EVALUATION, Mode.EVALUATION, 30)
    asked = node.requests.create(researcher, new)
    grant = node.requests.approve(steward, asked.id, Conditions(), "ok").grant
    assert grant is not None
    node.evaluations.set_policy(steward, HOLDING, {"min_count": 1})  # a four-scan holding
    card = onnx_builders.card_for("object-detection")
    model = node.models.submit(researcher, onnx_builders.detector(), card, node.clock.now()).id
    spec = {"metrics": ["map50", "hit_rate_far1", "hit_rate_far5"], "bootstrap_samples": 20}
    evaluation = node.evaluations.submit(
        researcher, NewEvaluation(model, HOLDING, Split.ALL, spec, grant)
    ).id
    assert Worker(node.jobs, enclave_runner(node), node.clock, "web-test").run_once()
    shown = node.evaluations.get(researcher, evaluation)
    assert shown["state"] == "released", shown
    return evaluation


def test_evaluations_receipt_curve_and_leaderboard(page: Page, site: Site, released: str) -> None:
    sign_in(page, site, "gbr.researcher")
    page.goto(f"{site.url}/ui/evaluations")
    assert page.locator("#models tbody tr").count() == 1
    row = page.locator(f'#evaluations tr[data-evaluation="{released}"]')
    assert row.locator(".state").inner_text() == "released"
    shoot(page, "evaluations")
    assert axe(page) == []
    row.get_by_role("link", name=released).click()
    assert page.locator("#evaluation-state").inner_text() == "released"
    assert page.locator('#released tr[data-metric="map50"]').count() == 1
    check = page.locator("#receipt-check")
    assert check.inner_text().startswith("Signature verified by the node: issued by NLD")
    browser = page.locator('#receipt-browser[data-verified="yes"]')  # WebCrypto, in the page
    assert browser.inner_text().startswith("Verified in this browser too: signed by NLD")
    values = site.seeded.node.evaluations.get(
        site.seeded.node.directory.user("gbr.researcher").principal(), released
    )["released"]["values"]
    drawn = [v for k, v in values.items() if k.startswith("hit_rate_far")]
    if any(v["value"] is not None for v in drawn):
        points = page.locator("#curve circle.point")
        assert points.count() == sum(v["value"] is not None for v in drawn)
        assert len(page.locator("#curve polyline").get_attribute("points").split()) >= 3  # type: ignore[union-attr]
    shoot(page, "evaluation")
    assert axe(page) == []
    page.get_by_role("link", name="leaderboard").click()
    assert page.locator("#leaderboard tbody tr").count() >= 1
    shoot(page, "leaderboard")
    assert axe(page) == []


def test_the_page_refuses_a_receipt_changed_on_the_way(
    page: Page, site: Site, released: str
) -> None:
    """One released value changed in the payload: the browser's own check fails."""
    sign_in(page, site, "gbr.researcher")
    url = f"{site.url}/ui/evaluations/{released}/receipt.json"

    def tamper(route: Route) -> None:
        envelope = route.fetch().json()
        statement = json.loads(base64.b64decode(envelope["payload"]))
        statement["predicate"]["released"]["values"]["map50"]["value"] = 0.99
        envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
        route.fulfill(json=envelope)

    page.route(url, tamper)
    page.goto(f"{site.url}/ui/evaluations/{released}")
    result = page.locator('#receipt-browser[data-verified="no"]')
    assert "does NOT verify in this browser: the signature does not verify" in result.inner_text()


def test_a_steward_releases_an_evaluation_held_for_review(
    page: Page, site: Site, released: str
) -> None:
    node = site.seeded.node
    researcher = node.directory.user("gbr.researcher").principal()
    steward = node.directory.user("nld.steward").principal()
    node.evaluations.set_policy(steward, HOLDING, {"manual_review": True})
    first = node.evaluations.get(researcher, released)
    spec = {"metrics": ["map50"], "bootstrap_samples": 20}
    grant = next(g["jti"] for g in node.grants.grants(researcher)
                 if g["holding"] == HOLDING and "evaluate" in g["operations"])  # fmt: skip
    held = node.evaluations.submit(
        researcher, NewEvaluation(first["model_id"], HOLDING, Split.ALL, spec, grant)
    ).id
    assert Worker(node.jobs, enclave_runner(node), node.clock, "web-test").run_once()
    assert node.evaluations.get(researcher, held)["state"] == "awaiting-review"

    sign_in(page, site, "nld.steward")
    page.goto(f"{site.url}/ui/evaluation-reviews")
    card = page.locator(f'section.pending-evaluation[data-evaluation="{held}"]')
    assert card.locator('.would-release li[data-metric="map50"]').count() == 1
    shoot(page, "evaluation-reviews")
    assert axe(page) == []
    answer = page.request.post(f"{site.url}/ui/evaluation-reviews/{held}/release", form={})
    assert answer.status == 403  # no CSRF token: refused, nothing released
    assert node.evaluations.get(researcher, held)["state"] == "awaiting-review"
    card.get_by_role("button", name="Release").click()
    page.wait_for_url("**/ui/evaluation-reviews?done=released")
    assert page.locator(f'section[data-evaluation="{held}"]').count() == 0
    assert node.evaluations.get(researcher, held)["state"] == "released"


def test_another_researcher_never_sees_the_evaluation(
    page: Page, site: Site, released: str
) -> None:
    sign_in(page, site, "usa.analyst")
    answer = page.goto(f"{site.url}/ui/evaluations/{released}")
    assert answer is not None and answer.status == 404
    answer = page.goto(f"{site.url}/ui/leaderboards/{HOLDING}")  # no live evaluate grant
    assert answer is not None and answer.status == 404
