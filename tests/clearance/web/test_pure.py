"""The web room's pure parts, without a browser: sessions and CSRF, forms, the who-has matrix,
the hit-rate curve and the material classes."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from fastapi import Request, Response
from itsdangerous import URLSafeTimedSerializer

from access import InvalidInput, Level
from catalog import WhoHasRow
from clearance.web import curves, scan_render, whohas_view
from clearance.web.forms import MAX_FORM_BYTES, Form, read_form
from clearance.web.session import COOKIE, SessionCodec, csrf_matches, load_session_key


def _request(cookies: dict[str, str] | None = None, body: bytes = b"",
             content_type: str = "application/x-www-form-urlencoded") -> Request:  # fmt: skip
    header = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())
    sent = False

    async def receive() -> dict[str, object]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/ui/x",
        "scheme": "https",
        "server": ("node", 443),
        "query_string": b"",
        "headers": [(b"cookie", header.encode()), (b"content-type", content_type.encode())],
    }
    return Request(scope, receive)  # fmt: skip


def test_a_session_round_trips_and_a_tampered_or_foreign_cookie_is_no_session(
    tmp_path: Path,
) -> None:
    key = load_session_key(tmp_path)
    assert (
        load_session_key(tmp_path) == key
        and (tmp_path / "web-session.key").stat().st_mode & 0o777 == 0o600
    )
    codec = SessionCodec(key)
    response = Response()
    codec.start(_request(), response, "the-token")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie
    assert "Path=/ui" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    session = codec.read(_request({COOKIE: value}))
    assert session is not None and session.token == "the-token" and len(session.csrf) > 30
    assert codec.read(_request({COOKIE: value[:-2] + "xx"})) is None
    foreign = URLSafeTimedSerializer(b"another node's key" * 2, salt="clearance.web.session")
    assert codec.read(_request({COOKIE: foreign.dumps({"t": "x", "c": "y"})})) is None
    assert not csrf_matches(session.csrf, None) and not csrf_matches(session.csrf, "")
    assert csrf_matches(session.csrf, session.csrf)


def test_forms_are_bounded_and_fields_single() -> None:
    form = _form(_request(body=b"a=1&b=x+y&c="))
    assert (form.get("a"), form.text("b"), form.whole("c"), form.whole("a")) == (
        "1",
        "x y",
        None,
        1,
    )
    with pytest.raises(InvalidInput):
        _form(_request(body=b"a=1&a=2"))
    with pytest.raises(InvalidInput):
        _form(_request(body=b"a=" + b"x" * MAX_FORM_BYTES))
    with pytest.raises(InvalidInput):
        _form(_request(body=b"{}", content_type="application/json"))
    with pytest.raises(InvalidInput):
        _form(_request(body=b"n=12a")).whole("n")


def _form(request: Request) -> Form:
    """``read_form`` on a thread of its own (the browser tests' sync API holds this thread's
    event loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read_form(request)).result()


def _row(admin: str, code: str, images: int | str, exact: bool) -> WhoHasRow:
    return WhoHasRow(admin, code, f"class {code}", "cargo", Level.R2, "download", 1, images,
                     images, exact)  # fmt: skip


def test_exact_cells_add_up_and_controlled_ones_never() -> None:
    rows = [_row("NLD", "9302", 3, True), _row("NLD", "9302", 4, True),
            _row("USA", "9302", 20, False), _row("USA", "9302", "<10", False)]  # fmt: skip
    grid = whohas_view.matrix(rows)
    assert grid.cells[("NLD", "9302")].exact == 7
    assert grid.cells[("USA", "9302")].controlled == [20, "<10"]
    assert not grid.cells[("USA", "9302")].has_exact
    (bar,) = whohas_view.bars(rows)
    assert (bar.exact, bar.controlled) == (7, 2)
    assert whohas_view.filter_rows(rows, level="R3") == []


def test_the_curve_uses_released_operating_points_only() -> None:
    assert curves.curve(None) is None
    assert curves.curve({"values": {"map50": {"value": 0.4}}}) is None
    drawn = curves.curve({"values": {"hit_rate_far1": {"value": 0.5},
                                     "hit_rate_far5": {"value": None}}})  # fmt: skip
    assert drawn is not None and drawn.points == [(0.01, 0.5)]
    assert len(drawn.polyline.split()) == 3 and len(drawn.marks) == 1


def test_materials_are_classed_by_their_attenuation_ratio() -> None:
    shape = (40, 40)
    open_beam = np.full(shape, 60000, dtype=np.uint16)

    def through(mu_high: float, mu_low: float) -> tuple[np.ndarray, np.ndarray]:
        high, low = open_beam.copy(), open_beam.copy()
        high[10:30, 10:30] = int(60000 * np.exp(-mu_high))
        low[10:30, 10:30] = int(60000 * np.exp(-mu_low))
        return high, low

    for (mu_high, ratio), expected in (((1.0, 1.25), 1), ((1.0, 2.0), 2), ((0.5, 3.2), 3)):
        high, low = through(mu_high, mu_high * ratio)
        classes = scan_render.classify(high, low, "tube")
        assert classes[20, 20] == expected and classes[0, 0] == 0
    high, low = through(1.0, 1.22)
    assert scan_render.classify(high, low, "linac")[20, 20] == 3
    assert scan_render.material(high, low, "linac").startswith(b"\x89PNG")
    assert scan_render.grey(high).startswith(b"\x89PNG")
