"""Request limits from the environment: safe defaults, refused nonsense, handed to uvicorn."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearance.limits import RequestLimits
from clearance.settings import Settings


def test_defaults_are_bounded(tmp_path: Path) -> None:
    limits = Settings.from_env({"CLEARANCE_DATA": str(tmp_path)}).limits
    assert limits == RequestLimits()
    assert limits.json_body_max == 64 << 10 and limits.body_timeout_s == 30
    options = limits.uvicorn_options()
    assert options["h11_max_incomplete_event_size"] == 16 << 10
    assert options["limit_concurrency"] == 256
    assert options["timeout_keep_alive"] == 5


def test_values_from_the_environment(tmp_path: Path) -> None:
    env = {
        "CLEARANCE_DATA": str(tmp_path),
        "CLEARANCE_JSON_BODY_MAX_BYTES": "1024",
        "CLEARANCE_BODY_TIMEOUT_S": "5",
        "CLEARANCE_LOGIN_RATE_ADDRESS": "5 per second",
        "CLEARANCE_LOGIN_CONCURRENCY": "4",
    }
    limits = Settings.from_env(env).limits
    assert limits.body_limits().json == 1024 and limits.body_limits().timeout_s == 5.0
    assert limits.login_rate_address == "5 per second"
    assert limits.login_rate_account == "10/minute"
    assert limits.login_concurrency == 4


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CLEARANCE_LOGIN_RATE_ACCOUNT", "often"),
        ("CLEARANCE_LOGIN_RATE_ADDRESS", "10/fortnight"),
        ("CLEARANCE_BODY_TIMEOUT_S", "0"),
        ("CLEARANCE_JSON_BODY_MAX_BYTES", "-1"),
        ("CLEARANCE_MAX_CONCURRENCY", "lots"),
    ],
)
def test_nonsense_is_refused_at_start(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        RequestLimits.from_env({name: value})
