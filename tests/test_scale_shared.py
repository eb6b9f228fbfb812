"""What processes on one PostgreSQL share besides the queue: rate-limit counters (one atomic
upsert per hit) and provider cool-downs (LISTEN/NOTIFY), tested with two platforms — two
processes' worth of state — on a throwaway database; the in-process limiter for SQLite too."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, text

from flowai.access.limiter import LocalLimiter
from flowai.access.throttle import Throttle
from flowai.errors import ProviderError, RateLimitedError
from flowai.platform import Platform
from flowai.providers.base import ChatRequest
from flowai.providers.replicate_budget import Budget
from flowai.scale.counters import PgLimiter
from flowai.scale.notify import Notifier
from storage.db import make_engine
from tests.clock import Clock
from tests.fakes.flaky_openai import flaky  # noqa: F401  (fixture)
from tests.pg import PG_ADMIN_URL, fresh_database
from tests.router_kit import env_for, with_config

COOL_ON_FIRST_FAILURE = """
[retry]
retries = 0
cooldown_failures = 1
cooldown_seconds = 60
"""


async def test_a_limit_holds_across_processes_sharing_postgres():
    with fresh_database() as url:
        make_engine(url).dispose()  # the schema, counters table included
        limiters = [PgLimiter(url) for _ in range(3)]  # three replicas
        for limiter in limiters:
            await limiter.open()
        try:
            answers = await asyncio.gather(*(limiters[i % 3].hit("key:1", 60, 60) for i in range(90)))
            assert answers.count(None) == 60  # 60 a minute in all, not 60 each
            refused = [a for a in answers if a is not None]
            assert len(refused) == 30 and all(1 <= a <= 60 for a in refused)
            assert await limiters[0].hit("key:2", 60, 60) is None  # another key has its own count
        finally:
            for limiter in limiters:
                await limiter.close()


async def test_bursts_on_both_sides_of_a_window_edge_do_not_admit_twice_the_limit():
    """A fixed window would admit 10 at the end of one window and 10 more at the start of the next;
    the sliding window counter admits about the limit across the edge, and says how long to wait."""
    seconds, limit = 4, 10
    with fresh_database() as url:
        make_engine(url).dispose()
        limiters = [PgLimiter(url) for _ in range(2)]
        for limiter in limiters:
            await limiter.open()
        try:
            await _until_in_window(seconds, 0.7, 0.8)
            late = await asyncio.gather(*(limiters[i % 2].hit("key:edge", limit, seconds) for i in range(limit)))
            await _until_in_window(seconds, 0.02, 0.2)
            early = await asyncio.gather(*(limiters[i % 2].hit("key:edge", limit, seconds) for i in range(limit)))
        finally:
            for limiter in limiters:
                await limiter.close()
    admitted = late.count(None) + early.count(None)
    assert late.count(None) == limit and admitted <= limit + 3, (late, early)
    assert all(1 <= retry <= seconds for retry in early if retry is not None)


async def test_a_refused_hits_retry_after_is_when_it_fits_again():
    """A burst early in a window fills it; the answer's Retry-After (which may pass the window's
    end: the burst is taken as spread over the window) is honest — a hit a second before it is
    still refused, a hit at it is admitted."""
    seconds, limit = 4, 3
    with fresh_database() as url:
        make_engine(url).dispose()
        limiter = PgLimiter(url)
        await limiter.open()
        try:
            await _until_in_window(seconds, 0.02, 0.1)
            assert [await limiter.hit("key:burst", limit, seconds) for _ in range(limit)] == [None] * limit
            refused_at, retry = time.time(), await limiter.hit("key:burst", limit, seconds)
            assert retry is not None and seconds < retry <= seconds + seconds // limit + 1
            await asyncio.sleep(max(0.0, refused_at + retry - 1.2 - time.time()))
            assert await limiter.hit("key:burst", limit, seconds) is not None
            await asyncio.sleep(max(0.0, refused_at + retry - time.time()))
            assert await limiter.hit("key:burst", limit, seconds) is None
        finally:
            await limiter.close()


async def _until_in_window(seconds: int, start: float, end: float) -> None:
    """Sleep until the current ``seconds``-long window (aligned as the limiter's) is between
    ``start`` and ``end`` of its length; the next such moment after the current one."""
    while True:
        at = time.time() / seconds % 1
        await asyncio.sleep(((start - at) % 1) * seconds)
        if start <= time.time() / seconds % 1 <= end:
            return


async def test_failed_sign_ins_are_counted_across_processes():
    """Guesses spread over replicas are throttled as if sent to one: three wrong passwords through
    one process lock the account out in another, and the lockout says how long it lasts."""
    with fresh_database() as url:
        make_engine(url).dispose()
        limiters = [PgLimiter(url) for _ in range(2)]
        for limiter in limiters:
            await limiter.open()
        try:
            one, other = (Throttle(per_account=3, counter=limiter) for limiter in limiters)
            for _ in range(3):
                await other.check("account", "admin")
                await one.failed("account", "admin", what="passwords")
            with pytest.raises(RateLimitedError) as refused:
                await other.check("account", "admin")
            assert 1 <= refused.value.retry_after <= 300
            await other.check("account", "someone else")  # another account has its own count
            await other.check("address", "127.0.0.1")  # and addresses theirs
        finally:
            for limiter in limiters:
                await limiter.close()


class CountingLimiter(PgLimiter):
    """The PostgreSQL limiter, counting its lockout look-ups (each a query)."""

    peeks = 0

    async def peek(self, key: str, limit: int, seconds: int) -> int | None:
        self.peeks += 1
        return await super().peek(key, limit, seconds)


async def test_the_lockout_check_asks_the_database_once_a_second_per_clean_address():
    """Every API request checks its address's lockout: with a shared counter a clean answer is kept
    for a second, so 50 requests cost one query (sign-in's per-account check is not kept); a lockout
    reached through another replica holds here within that second, one reached here at once."""
    clock = Clock()
    with fresh_database() as url:
        make_engine(url).dispose()
        limiters = [CountingLimiter(url) for _ in range(2)]
        for limiter in limiters:
            await limiter.open()
        try:
            here, there = (Throttle(per_address=3, counter=limiter, clock=clock) for limiter in limiters)
            for _ in range(50):
                await here.check("address", "10.0.0.7")
            assert limiters[0].peeks == 1
            for _ in range(3):
                await there.failed("address", "10.0.0.7", what="authentications")
            await here.check("address", "10.0.0.7")  # the clean answer of a moment ago still holds
            clock.advance(1.1)
            with pytest.raises(RateLimitedError):
                await here.check("address", "10.0.0.7")
            await here.check("address", "10.0.0.8")
            for _ in range(3):
                await here.failed("address", "10.0.0.8", what="authentications")
            with pytest.raises(RateLimitedError):  # a lockout reached here holds at once
                await here.check("address", "10.0.0.8")
        finally:
            for limiter in limiters:
                await limiter.close()


async def test_the_local_limiter_is_a_moving_window():
    limiter = LocalLimiter()
    assert [await limiter.hit("k", 2, 60) for _ in range(2)] == [None, None]
    retry = await limiter.hit("k", 2, 60)
    assert retry is not None and 1 <= retry <= 60


@pytest.mark.postgres
async def test_a_cool_down_started_in_one_process_holds_in_the_others(flaky, settings):  # noqa: F811
    failing = flaky(script=["500"])
    with fresh_database() as url:
        settings = replace(with_config(settings, env_for(groq=failing), COOL_ON_FIRST_FAILURE), database_url=url)
        a, b = Platform(settings), Platform(settings)
        for p in (a, b):
            await p.startup()
        try:
            assert b.router.cooling_until("groq") is None
            with pytest.raises(ProviderError):
                async with a.router.chat(ChatRequest(messages=[{"role": "user", "content": "hi"}])) as stream:
                    [c async for c in stream]
            assert a.router.cooling_until("groq") is not None
            for _ in range(100):
                if b.router.cooling_until("groq") is not None:
                    break
                await asyncio.sleep(0.05)
            until = b.router.cooling_until("groq")
            assert until is not None and abs(until - a.router.cooling_until("groq")) < 2
            with pytest.raises(ProviderError) as refused:  # b does not call the provider at all
                async with b.router.chat(ChatRequest(messages=[{"role": "user", "content": "hi"}])) as stream:
                    [c async for c in stream]
            assert "cooling down" in refused.value.message and "another process" in refused.value.message
            assert failing.hits == 1
        finally:
            for p in (a, b):
                await p.shutdown()
                p.db.dispose()


async def test_an_exact_limit_is_a_moving_window_across_processes():
    with fresh_database() as url:
        make_engine(url).dispose()
        limiters = [PgLimiter(url) for _ in range(3)]
        for limiter in limiters:
            await limiter.open()
        try:
            answers = await asyncio.gather(*(limiters[i % 3].hit("replicate", 6, 2, exact=True) for i in range(10)))
            assert answers.count(None) == 6 and all(1 <= a <= 2 for a in answers if a is not None)
            await asyncio.sleep(2.1)  # the window moved past every hit
            assert await limiters[1].hit("replicate", 6, 2, exact=True) is None
        finally:
            for limiter in limiters:
                await limiter.close()


async def test_replicate_budgets_of_two_processes_draw_from_one_pool():
    with fresh_database() as url:
        make_engine(url).dispose()
        limiter = PgLimiter(url)
        await limiter.open()
        first, second = Budget(2, 2), Budget(2, 2)  # one account's budget in two processes
        first.account = second.account = "replicate:create:acct"
        Budget.counter = limiter
        try:
            for _ in range(2):
                async with first.slot():
                    pass
            started = time.monotonic()
            async with second.slot():  # the other process already used the window
                waited = time.monotonic() - started
            assert waited >= 0.9 and second.waited == 1
        finally:
            Budget.counter = None
            await limiter.close()


async def test_notifications_survive_a_dropped_connection():
    with fresh_database() as url:
        got: list[str] = []
        listener, sender = Notifier(url), Notifier(url)
        listener.on("flowai_test", got.append)
        sender.on("flowai_other", lambda _: None)
        for n in (listener, sender):
            await n.start()
        try:
            sender.publish("flowai_test", "one")
            for _ in range(100):
                if got:
                    break
                await asyncio.sleep(0.05)
            assert got == ["one"]
            name = url.rsplit("/", 1)[1]
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:  # the database drops every connection (a restart, a network cut)
                c.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"), {"d": name}
                )
            admin.dispose()
            for _ in range(100):  # until both have reconnected
                sender.publish("flowai_test", "two")
                await asyncio.sleep(0.2)
                if "two" in got:
                    break
            assert "two" in got
        finally:
            for n in (listener, sender):
                await n.close()
