"""A seeded node served by a real uvicorn server, signed in from Debian's Chromium.

The node is the catalogue tests' three-administration seed (tests/catalog/seeded.py) on
PostgreSQL when the suite's server is there (``CLEARANCE_TEST_PG_URL``), else SQLite, with
stewards, auditors and researchers who sign in by password. Screenshots go to
docs/screenshots/; ``axe`` runs axe-core (tests/clearance/web/vendor) in the page.
"""

from __future__ import annotations

import base64
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

import access.directory
from access import Level, Role
from access.passwords import hash_password
from clearance.http.app import create_app
from tests.catalog.seeded import Seeded
from tests.conftest import SeededImages
from tests.helpers.server import serve

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"

#: name: (administration, roles, clearance). Passwords are ``pw-<name>``.
PEOPLE: dict[str, tuple[str, tuple[Role, ...], Level]] = {
    "gbr.researcher": ("GBR", (Role.RESEARCHER,), Level.R3),
    "nld.researcher": ("NLD", (Role.RESEARCHER,), Level.R2),
    "nld.steward": ("NLD", (Role.STEWARD,), Level.R3),
    "nld.auditor": ("NLD", (Role.AUDITOR,), Level.R3),
    "usa.steward1": ("USA", (Role.STEWARD,), Level.R3),
    "usa.steward2": ("USA", (Role.STEWARD,), Level.R3),
    "usa.auditor": ("USA", (Role.AUDITOR,), Level.R3),
    "usa.analyst": ("USA", (Role.RESEARCHER,), Level.R3),
    "can.researcher": ("CAN", (Role.RESEARCHER,), Level.R3),  # in no holding's REL TO
}


@dataclass(frozen=True)
class Site:
    url: str
    seeded: Seeded


@functools.cache
def _hashed_once(password: str) -> str:
    """``hash_password`` (production scrypt parameters, checked at every sign-in) made once per
    password per session instead of once per module: about 0.4 s each, nine people, seven
    modules. Used only while ``site`` adds its people; sign-ins verify for real."""
    return hash_password(password)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, seeded_images: SeededImages) -> Iterator[Site]:
    backend = "postgresql" if os.environ.get("CLEARANCE_TEST_PG_URL") else "sqlite"
    seeded: Seeded = seeded_images.copy(backend, tmp_path_factory.mktemp(f"web-{backend}"))
    node = seeded.node
    node.directory.add_administration("CAN", "CAN customs")
    with pytest.MonkeyPatch.context() as patch:  # each module's site: the session's hashes
        patch.setattr(access.directory, "hash_password", _hashed_once)
        for name, (admin, roles, clearance) in PEOPLE.items():
            node.directory.add_user(
                name, admin=admin, roles=roles, clearance=clearance, password=f"pw-{name}"
            )
    researcher = node.directory.user("gbr.researcher").principal()
    node.recipient_keys.register(researcher, base64.b64encode(bytes(range(1, 33))).decode())
    with serve(create_app(node)) as url:
        yield Site(url, seeded)
    node.engine.dispose()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    created = browser.new_context(viewport={"width": 1280, "height": 900})
    created.add_init_script(path=str(AXE))  # via the DevTools protocol: not subject to CSP
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    created = context.new_page()
    violations: list[str] = []
    created.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield created
    assert violations == [], "the page broke its Content-Security-Policy"


def sign_in(page: Page, site: Site, name: str) -> None:
    page.goto(f"{site.url}/ui/sign-in")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(f"pw-{name}")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/ui/**")
    assert page.locator(".who .user").inner_text() == name


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/ui/sign-in")


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def axe(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now."""
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ))  # fmt: skip
