"""How often one grant may be served: a bound on what a grant holder can make the node write.

Every request under a grant is audited in its own entry (``transfer.service``), so without a
bound one holder could append entries as fast as the node answers (one-byte ranges: ~120 a
second). :class:`GrantThrottle` counts the requests of each signature-verified grant (by
``jti``) in a moving window — the ``limits`` library, in memory — and refuses the excess with
:class:`~transfer.errors.TooManyRequests` (429 and ``Retry-After``) before any work and before
any audit entry. Refusals are not audited: that would be the flood again. Forged tokens never
reach it (they are refused, unaudited, before their claims are believed).

The default, 3000 requests a minute, is far above what ``clearance pull`` needs for large
objects and slows a pull of very many small ones at worst to 50 objects a second; ``clearance
pull`` waits out a 429 as ``Retry-After`` says, so it never fails on the bound. The count is per
API process: N replicas allow N times the rate (a shared ``limits`` storage would make it one).
Issue 14 replaces the entry per request with one per batch of ranges or per object session; the
bound then limits those requests still, and stays as it is.
"""

from __future__ import annotations

from access import RateWindow
from transfer.errors import TooManyRequests

__all__ = ["DEFAULT_GRANT_RATE", "GrantThrottle"]

DEFAULT_GRANT_RATE = "3000/minute"


class GrantThrottle:
    def __init__(self, rate: str = DEFAULT_GRANT_RATE) -> None:
        self._window = RateWindow(rate)

    def charge(self, jti: str) -> None:
        """Count one request under grant ``jti``; :class:`TooManyRequests` past the bound."""
        if self._window.hit(jti):
            return
        wait = self._window.retry_after(jti)
        raise TooManyRequests(
            f"too many requests under this grant (at most {self._window.rate}); "
            f"retry after {wait} s",
            retry_after=wait,
        )
