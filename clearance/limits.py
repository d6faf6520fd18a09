"""The node's request limits, from the environment (all optional; the defaults are safe).

``CLEARANCE_JSON_BODY_MAX_BYTES``    cap of a JSON request body (default 65536)
``CLEARANCE_SEARCH_BODY_MAX_BYTES``  cap of a POST /search or /aggregate body (default 1 MiB)
``CLEARANCE_BODY_TIMEOUT_S``         longest wait for the next chunk of a body (default 30)
``CLEARANCE_HEADER_MAX_BYTES``       largest request head, line and headers (default 16384)
``CLEARANCE_HEADER_TIMEOUT_S``       longest wait for a request head to arrive whole (default 10)
``CLEARANCE_KEEP_ALIVE_S``           idle keep-alive connection lifetime (default 5)
``CLEARANCE_MAX_CONCURRENCY``        connections + requests at once, past it 503 (default 256)
``CLEARANCE_SHUTDOWN_GRACE_S``       grace for running requests on shutdown (default 30)
``CLEARANCE_LOGIN_RATE_ACCOUNT``     failed logins per account name (default "10/minute")
``CLEARANCE_LOGIN_RATE_ADDRESS``     login attempts per client address (default "30/minute")
``CLEARANCE_LOGIN_CONCURRENCY``      password checks at once, past it 429 (default 2)

Upload parts are capped by the upload part size (``transfer.uploads.store.UploadLimits.max_part``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from access import parse_rate

if TYPE_CHECKING:  # the server side, imported when a server starts: client commands stay light
    from access import LoginThrottle
    from access.guard import BodyLimits

__all__ = ["RequestLimits", "rate_setting", "whole_setting"]


@dataclass(frozen=True)
class RequestLimits:
    json_body_max: int = 64 << 10
    search_body_max: int = 1 << 20
    body_timeout_s: int = 30
    header_max: int = 16 << 10
    header_timeout_s: int = 10
    keep_alive_s: int = 5
    max_concurrency: int = 256
    shutdown_grace_s: int = 30
    login_rate_account: str = "10/minute"
    login_rate_address: str = "30/minute"
    login_concurrency: int = 2

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RequestLimits:
        d = cls()
        limits = cls(
            json_body_max=whole_setting(env, "CLEARANCE_JSON_BODY_MAX_BYTES", d.json_body_max),
            search_body_max=whole_setting(
                env, "CLEARANCE_SEARCH_BODY_MAX_BYTES", d.search_body_max
            ),
            body_timeout_s=whole_setting(env, "CLEARANCE_BODY_TIMEOUT_S", d.body_timeout_s),
            header_max=whole_setting(env, "CLEARANCE_HEADER_MAX_BYTES", d.header_max),
            header_timeout_s=whole_setting(env, "CLEARANCE_HEADER_TIMEOUT_S", d.header_timeout_s),
            keep_alive_s=whole_setting(env, "CLEARANCE_KEEP_ALIVE_S", d.keep_alive_s),
            max_concurrency=whole_setting(env, "CLEARANCE_MAX_CONCURRENCY", d.max_concurrency),
            shutdown_grace_s=whole_setting(env, "CLEARANCE_SHUTDOWN_GRACE_S", d.shutdown_grace_s),
            login_rate_account=rate_setting(
                env, "CLEARANCE_LOGIN_RATE_ACCOUNT", d.login_rate_account
            ),
            login_rate_address=rate_setting(
                env, "CLEARANCE_LOGIN_RATE_ADDRESS", d.login_rate_address
            ),
            login_concurrency=whole_setting(
                env, "CLEARANCE_LOGIN_CONCURRENCY", d.login_concurrency
            ),
        )
        return limits

    def body_limits(self) -> BodyLimits:
        from access.guard import BodyLimits

        return BodyLimits(self.json_body_max, self.search_body_max, float(self.body_timeout_s))

    def login_throttle(self) -> LoginThrottle:
        from access import LoginThrottle

        return LoginThrottle(
            self.login_rate_account, self.login_rate_address, self.login_concurrency
        )

    def uvicorn_options(self) -> dict[str, Any]:
        """Server-side limits for ``uvicorn.Config`` (uvicorn has no deadline for a request head
        of its own: ``clearance.http.head_timeout`` adds one to its h11 protocol)."""
        from clearance.http.head_timeout import head_timeout_protocol

        return {
            "http": head_timeout_protocol(self.header_timeout_s),
            "h11_max_incomplete_event_size": self.header_max,
            "timeout_keep_alive": self.keep_alive_s,
            "limit_concurrency": self.max_concurrency,
            "timeout_graceful_shutdown": self.shutdown_grace_s,
        }


def whole_setting(env: Mapping[str, str], name: str, default: int) -> int:
    """A positive whole number from the environment (``default`` when unset); ValueError."""
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} must be a positive whole number, got {text!r}")
    return int(text)


def rate_setting(env: Mapping[str, str], name: str, default: str) -> str:
    """A rate in the ``limits`` notation from the environment (``default`` when unset)."""
    text = env.get(name, "").strip() or default
    try:
        parse_rate(text)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    return text
