"""Login flood control: rate limits per client address and per account, and a bound on hashing.

Every login attempt costs one scrypt verification (16 MiB, tens of milliseconds), so a flood of
guesses starves the node. Before any hashing, an attempt must pass:

- the per-address limit (every attempt from the address counts);
- the per-account limit (failed attempts on that account name count: a user who logs in now and
  then is never limited by their own successes). Unknown names are counted exactly like known
  ones, so the limiter's answer reveals nothing about which accounts exist;
- a free hashing slot (``concurrency`` verifications at once; an attempt that finds none is
  refused at once rather than queued behind the others).

A refusal is ``TooManyRequests`` (429) with the seconds after which to retry. The counters are
in memory (the ``limits`` package, moving window): per API replica, reset by a restart; the
operator guide says to add a per-address limit at the reverse proxy as well.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from access.errors import AuthenticationError, TooManyRequests

__all__ = ["LoginThrottle", "RateWindow", "parse_rate"]

T = TypeVar("T")
_MAX_KEY = 256  # an account name longer than any real one is still counted, under this prefix


def parse_rate(text: str) -> RateLimitItem:
    """A rate in the ``limits`` notation (``3000/minute``, ``50 per 1 second``); ValueError."""
    try:
        item = parse(text)
    except ValueError:
        item = None
    if item is None or item.amount < 1:
        raise ValueError(f"rate {text!r} is not like '3000/minute' or '50 per 1 second'")
    return item


class RateWindow:
    """One rate, counted per key in a moving window in memory (the ``limits`` package): the
    one rate-limit primitive of the node (login attempts here, grant requests in
    ``transfer.throttle``)."""

    def __init__(self, rate: str) -> None:
        self.rate = parse_rate(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, key: str) -> bool:
        """Count one event for ``key``; False when that is over the rate (not counted then)."""
        return bool(self._limiter.hit(self.rate, key))

    def test(self, key: str) -> bool:
        """Whether one more event for ``key`` would be within the rate (counts nothing)."""
        return bool(self._limiter.test(self.rate, key))

    def retry_after(self, key: str) -> int:
        """Whole seconds until ``key`` may try again (at least 1)."""
        reset = self._limiter.get_window_stats(self.rate, key).reset_time
        return max(1, math.ceil(reset - time.time()))


class LoginThrottle:
    def __init__(self, per_account: str, per_address: str, concurrency: int) -> None:
        self._account = RateWindow(per_account)
        self._address = RateWindow(per_address)
        if concurrency < 1:
            raise ValueError("login concurrency must be at least 1")
        self._hashing = threading.BoundedSemaphore(concurrency)

    def attempt(self, account: str, address: str, verify: Callable[[], T]) -> T:
        """``verify()`` (the password check) if the limits allow it now, else 429."""
        account = account[:_MAX_KEY]
        if not self._address.hit(address):
            raise _refusal(self._address, address, "from this address")
        if not self._account.test(account):
            raise _refusal(self._account, account, "for this account")
        if not self._hashing.acquire(blocking=False):
            raise TooManyRequests(
                "too many logins are being checked at once; retry shortly",
                code="login-busy",
                retry_after=1,
            )
        try:
            return verify()
        except AuthenticationError:
            self._account.hit(account)
            raise
        finally:
            self._hashing.release()


def _refusal(window: RateWindow, key: str, where: str) -> TooManyRequests:
    wait = window.retry_after(key)
    return TooManyRequests(
        f"too many login attempts {where}; retry after {wait} s",
        code="login-rate-limited",
        retry_after=wait,
    )
