"""Browsers can use the API: CORS for configured origins only, preflight answered, and a page in
Debian's Chromium (pytest-playwright) that searches a node cross-origin with a bearer token."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from clearance.http.app import create_app
from clearance.node import Node
from clearance.settings import Settings, cors_origins
from tests.catalog.seeded import Seeded
from tests.helpers.server import serve

PAGE = Path(__file__).parent / "cors_page"
BROWSER = "https://stac-browser.example"


def _with_origins(node: Node, *origins: str) -> Node:
    settings = dataclasses.replace(node.settings, cors_origins=origins)
    return dataclasses.replace(node, settings=settings)


def _preflight(client: TestClient, origin: str) -> dict[str, str]:
    answer = client.options("/search", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})  # fmt: skip
    return {k.lower(): v for k, v in answer.headers.items()} | {"status": str(answer.status_code)}


def test_no_origin_is_allowed_by_default(seeded: Seeded) -> None:
    with TestClient(create_app(seeded.node)) as client:
        headers = _preflight(client, BROWSER)
        assert "access-control-allow-origin" not in headers
        plain = client.get("/", headers={"Origin": BROWSER})
        assert "access-control-allow-origin" not in plain.headers


def test_a_configured_origin_gets_its_preflight_and_answers(seeded: Seeded) -> None:
    with TestClient(create_app(_with_origins(seeded.node, BROWSER))) as client:
        headers = _preflight(client, BROWSER)
        assert headers["status"] == "200"
        assert headers["access-control-allow-origin"] == BROWSER
        assert "authorization" in headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in headers  # never cookies cross-origin
        other = _preflight(client, "https://evil.example")
        assert other["status"] == "400" and "access-control-allow-origin" not in other
        refused = client.get("/search", headers={"Origin": BROWSER})  # no token: a 401 ...
        assert refused.status_code == 401
        assert refused.headers["access-control-allow-origin"] == BROWSER  # ... it can read


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", ()), ("*", ("*",)), ("https://a.example, http://b.example:8080",
                               ("https://a.example", "http://b.example:8080"))],
)  # fmt: skip
def test_origins_setting(text: str, expected: tuple[str, ...]) -> None:
    assert cors_origins(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "*,https://a.example",
        "https://a.example/path",
        "a.example",
        "ftp://a.example",
        "https://a.example:99999x",
    ],
)
def test_bad_origins_are_refused_at_start(text: str) -> None:
    with pytest.raises(ValueError, match="CLEARANCE_CORS_ORIGINS"):
        Settings.from_env({"CLEARANCE_CORS_ORIGINS": text, "CLEARANCE_DATA": "/tmp/x"})


def _static_site() -> FastAPI:
    site = FastAPI()
    site.mount("/", StaticFiles(directory=PAGE, html=True), name="page")
    return site


@pytest.fixture(scope="module")
def sites(seeded: Seeded) -> Iterator[tuple[str, str, str]]:
    """(allowed page origin, another page origin, node URL allowing only the first)."""
    with serve(_static_site()) as allowed, serve(_static_site()) as other:  # noqa: SIM117
        # the node's allowed origin is the first page server's, known once it runs
        with serve(create_app(_with_origins(seeded.node, allowed))) as node_url:
            yield allowed, other, node_url


def test_a_page_on_an_allowed_origin_searches_cross_origin(
    seeded: Seeded, sites: tuple[str, str, str], page: Page
) -> None:
    allowed, _, node_url = sites
    page.goto(f"{allowed}/index.html#node={node_url}&token={seeded.tokens['nld']}")
    expect(page.locator("#status")).to_have_text("HTTP 200, 13 items", timeout=15_000)
    shown = set(page.locator("#results li").all_text_contents())
    expected = {f"{h}/{s['id']}" for h in ("NLD-cargo", "GBR-parcel") for s in seeded.scans(h)}
    assert shown == expected  # what nld may see, and nothing of the hidden holding


def test_a_page_on_another_origin_is_blocked_by_the_browser(
    seeded: Seeded, sites: tuple[str, str, str], page: Page
) -> None:
    _, other, node_url = sites
    page.goto(f"{other}/index.html#node={node_url}&token={seeded.tokens['nld']}")
    expect(page.locator("#status")).to_have_text("blocked: TypeError", timeout=15_000)
    assert page.locator("#results li").count() == 0
