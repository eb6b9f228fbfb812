"""Brute-force throttling: failed sign-ins and API-key attempts counted in moving windows.

Two counters, each a moving window: per client address (every answer 401 on the APIs, every
wrong password in the UI) and per account name (wrong passwords, whatever address they come
from). Once a counter is full, further attempts are refused with 429 and ``Retry-After`` until
the window has room again, and the lockout is logged once (per process) at WARNING, naming the
address or account but never the secret tried.

The counts live in a :class:`flowai.access.limiter.Limiter`: this process's memory by default,
PostgreSQL in a scaled deployment (``flowai.scale.counters.PgLimiter``), so that an attacker
spreading guesses over several replicas gets no more of them than against one.

With a shared counter, a clean answer ("not locked out") for an address is kept for ``clean_for``
seconds (1 by default), so the lockout check every API request makes is not a database
round trip each time: a lockout reached through another replica holds here at most that much
later; one reached through this process holds at once.

Wrong API keys are not counted per key prefix: anyone who has seen a prefix could then lock
that key out of production traffic, and the 32 random characters after it are not guessable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flowai.errors import RateLimitedError

from .limiter import Limiter, LocalLimiter

log = logging.getLogger("flowai.security")


class Throttle:
    def __init__(
        self,
        *,
        per_address: int = 60,
        per_account: int = 10,
        account_minutes: int = 5,
        counter: Limiter | None = None,
        clean_for: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._counter: Limiter = counter or LocalLimiter()
        # an address's clean answer from a shared counter, kept: (scope, who) -> until when (the local
        # counter answers from memory, and sign-in's per-account check is rare)
        self._clean_for = 0.0 if counter is None or isinstance(counter, LocalLimiter) else clean_for
        self._clean: dict[tuple[str, str], float] = {}
        self.clock = clock
        self._windows = {  # scope -> (failures allowed, per seconds)
            "address": (max(1, per_address), 60),
            "account": (max(1, per_account), 60 * max(1, account_minutes)),
        }
        self._locked: dict[tuple[str, str], float] = {}  # lockouts already logged, until when

    async def retry_after(self, scope: str, who: str) -> int | None:
        """Seconds until ``who`` may try again, or None while it is not locked out."""
        keep = self._clean_for if scope == "address" else 0.0
        if keep and self._clean.get((scope, who), 0.0) > self.clock():
            return None
        limit, seconds = self._windows[scope]
        retry = await self._counter.peek(_key(scope, who), limit, seconds)
        if retry is None and keep:
            now = self.clock()
            if len(self._clean) > 10_000:
                self._clean = {k: v for k, v in self._clean.items() if v > now}
            self._clean[(scope, who)] = now + keep
        return retry

    async def check(self, scope: str, who: str) -> None:
        """Raise RateLimitedError (429, ``Retry-After``) while ``who`` is locked out."""
        retry = await self.retry_after(scope, who)
        if retry is not None:
            raise RateLimitedError(f"Too many failed attempts; retry in {retry} s.", retry_after=retry)

    async def failed(self, scope: str, who: str, *, what: str) -> None:
        """Count one failed attempt; log the lockout when this one fills the window."""
        limit, seconds = self._windows[scope]
        self._clean.pop((scope, who), None)
        await self._counter.hit(_key(scope, who), limit, seconds, exact=True)
        retry = await self.retry_after(scope, who)
        if retry is None:
            return  # room left in the window
        now = self.clock()
        if self._locked.get((scope, who), 0) > now:
            return
        self._locked[(scope, who)] = now + retry
        if len(self._locked) > 10_000:
            self._locked = {k: v for k, v in self._locked.items() if v > now}
        log.warning("locked out %s %r for %d s after %d failed %s", scope, who[:100], retry, limit, what)


def _key(scope: str, who: str) -> str:
    return f"throttle:{scope}:{who[:150]}"
