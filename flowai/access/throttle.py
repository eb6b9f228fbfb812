"""Brute-force throttling: failed sign-ins and API-key attempts counted in moving windows.

Two counters, each a moving window (the ``limits`` package): per client address (every
answer 401 on the APIs, every wrong password in the UI) and per account name (wrong
passwords, whatever address they come from). Once a counter is full, further attempts are
refused with 429 and ``Retry-After`` until the window has room again, and the lockout is
logged once at WARNING, naming the address or account but never the secret tried.

Wrong API keys are not counted per key prefix: anyone who has seen a prefix could then lock
that key out of production traffic, and the 32 random characters after it are not guessable.
"""

from __future__ import annotations

import logging
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from flowai.errors import RateLimitedError

log = logging.getLogger("flowai.security")


class Throttle:
    def __init__(self, *, per_address: int = 60, per_account: int = 10, account_minutes: int = 5):
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._items = {
            "address": RateLimitItemPerMinute(max(1, per_address)),
            "account": RateLimitItemPerMinute(max(1, per_account), max(1, account_minutes)),
        }
        self._locked: dict[tuple[str, str], float] = {}  # lockouts already logged, until when

    def retry_after(self, scope: str, who: str) -> int | None:
        """Seconds until ``who`` may try again, or None while it is not locked out."""
        item = self._items[scope]
        if self._limiter.test(item, scope, who):
            return None
        reset = self._limiter.get_window_stats(item, scope, who).reset_time
        return max(1, int(reset - time.time() + 0.999))

    def check(self, scope: str, who: str) -> None:
        """Raise RateLimitedError (429, ``Retry-After``) while ``who`` is locked out."""
        retry = self.retry_after(scope, who)
        if retry is not None:
            raise RateLimitedError(f"Too many failed attempts; retry in {retry} s.", retry_after=retry)

    def failed(self, scope: str, who: str, *, what: str) -> None:
        """Count one failed attempt; log the lockout when this one fills the window."""
        item = self._items[scope]
        self._limiter.hit(item, scope, who)
        if self._limiter.test(item, scope, who):
            return  # room left in the window
        now = time.monotonic()
        if self._locked.get((scope, who), 0) > now:
            return
        retry = self.retry_after(scope, who) or 60
        self._locked[(scope, who)] = now + retry
        if len(self._locked) > 10_000:
            self._locked = {k: v for k, v in self._locked.items() if v > now}
        log.warning(
            "locked out %s %r for %d s after %d failed %s",
            scope,
            who[:100],
            retry,
            self._items[scope].amount,
            what,
        )
