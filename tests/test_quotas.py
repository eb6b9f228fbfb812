"""Quotas and usage in the database: they survive a restart, reset at the configured zone's
midnight, and concurrent calls never overspend them (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timezone

import pytest

from flowai.errors import ProviderError
from flowai.platform import Platform
from flowai.providers.base import ChatRequest, Scope
from flowai.providers.config import Quota
from tests.fakes.flaky_openai import flaky  # noqa: F401  (fixture)
from tests.fakes.openai_server import pieces
from tests.pg import fresh_database
from tests.router_kit import FAST_RETRY, env_for, with_config

REQUEST = ChatRequest(messages=[{"role": "user", "content": "count me"}])
TOKENS = len("count me") + len(pieces("count me"))  # the fake counts prompt characters and deltas


async def chat(platform: Platform, workflow_id: str | None = None) -> dict:
    async with platform.router.chat(REQUEST, scope=Scope(workflow_id=workflow_id)) as stream:
        text = "".join([c.content or "" async for c in stream])
    assert text == "count me"
    return stream.usage()


@pytest.fixture
def two(flaky, settings):  # noqa: F811
    primary, backup = flaky(), flaky()
    return primary, backup, with_config(settings, env_for(groq=primary, mistral=backup))


async def test_quota_survives_a_restart(two):
    primary, backup, settings = two
    first = Platform(settings)
    first.provider_admin.set_quota("groq", period="day", limit=2, unit="calls")
    assert [(await chat(first))["provider"] for _ in range(2)] == ["groq", "groq"]
    await first.http.aclose()

    again = Platform(settings)  # a new process on the same database
    groq = next(p for p in again.provider_admin.providers() if p["name"] == "groq")
    assert groq["quota"] == {"period": "day", "limit": 2.0, "unit": "calls"}
    assert groq["usage"]["calls"] == 2 and groq["remaining"] == 0
    assert groq["usage"]["tokens"] == 2 * TOKENS
    usage = await chat(again)
    assert usage["provider"] == "mistral" and "quota exhausted" in usage["fallbacks"][0]["reason"]
    assert primary.hits == 2
    await again.http.aclose()


async def test_quota_resets_at_midnight_of_the_configured_zone(two):
    primary, backup, settings = two
    platform = Platform(settings)
    admin = platform.provider_admin
    admin.set_timezone("Asia/Shanghai")  # UTC+8: 15:59:59 UTC is 23:59:59 there
    admin.set_quota("groq", period="day", limit=1, unit="calls")
    admin.set_quota("mistral", period="month", limit=1, unit="calls")
    platform.ledger.now = lambda: datetime(2025, 1, 31, 15, 59, 59, tzinfo=UTC)
    assert (await chat(platform))["provider"] == "groq"
    assert (await chat(platform))["provider"] == "mistral"  # groq's day is used up
    with pytest.raises(ProviderError) as caught:
        await chat(platform)  # both used up
    assert "groq quota exhausted" in caught.value.message and "mistral quota exhausted" in caught.value.message

    platform.ledger.now = lambda: datetime(2025, 1, 31, 16, 0, 1, tzinfo=UTC)  # Feb 1st, 00:00:01 there
    assert (await chat(platform))["provider"] == "groq"  # a new day
    assert (await chat(platform))["provider"] == "mistral"  # and a new month

    platform.ledger.now = lambda: datetime(2025, 2, 1, 17, 0, 0, tzinfo=UTC)  # Feb 2nd there
    assert (await chat(platform))["provider"] == "groq"
    with pytest.raises(ProviderError):
        await chat(platform)  # mistral's month is still used up
    days = {(r["day"], r["provider"]): r["calls"] for r in admin.usage_by_day(days=30)}
    assert days[("2025-02-01", "groq")] == 1 and days[("2025-02-02", "groq")] == 1
    await platform.http.aclose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, settings):
    if request.param == "sqlite":
        yield settings.database_url
        return
    with fresh_database() as url:
        yield url


async def test_concurrent_calls_never_overspend_a_quota(flaky, settings, database_url):  # noqa: F811
    only = flaky()
    settings = replace(with_config(settings, env_for(groq=only)), database_url=database_url)
    a, b = Platform(settings), Platform(settings)  # two processes sharing the database
    a.provider_admin.set_quota("groq", period="day", limit=7, unit="calls")

    async def attempt(platform: Platform) -> str:
        try:
            return (await chat(platform))["provider"]
        except ProviderError as exc:
            assert "quota exhausted" in exc.message
            return "refused"

    results = await asyncio.gather(*(attempt(p) for p in [a, b] * 12))
    assert results.count("groq") == 7 and results.count("refused") == 17
    assert only.hits == 7  # exactly K calls reached the provider
    assert a.ledger.used("groq")["calls"] == 7
    for p in (a, b):
        await p.http.aclose()
        p.db.dispose()


async def test_failed_calls_give_their_reservation_back(flaky, settings):  # noqa: F811
    only = flaky(script=["500", "500"])
    platform = Platform(with_config(settings, env_for(groq=only)))
    platform.provider_admin.set_quota("groq", period="day", limit=1, unit="calls")
    with pytest.raises(ProviderError):
        await chat(platform)
    assert platform.ledger.used("groq")["calls"] == 0
    assert (await chat(platform))["provider"] == "groq"
    used = platform.ledger.used("groq")
    assert used["calls"] == 1
    assert next(r for r in platform.provider_admin.usage_by_day() if r["provider"] == "groq")["failures"] == 1
    await platform.http.aclose()


async def test_token_quota_counts_real_tokens(flaky, settings):  # noqa: F811
    primary, backup = flaky(), flaky()
    platform = Platform(with_config(settings, env_for(groq=primary, mistral=backup), FAST_RETRY))
    platform.provider_config.set_quota("groq", Quota("day", 2 * TOKENS - 1, "tokens"))
    assert (await chat(platform))["provider"] == "groq"
    assert platform.ledger.used("groq")["tokens"] == TOKENS
    assert (await chat(platform))["provider"] == "groq"  # TOKENS - 1 left: the estimate (2) still fits
    assert platform.ledger.used("groq")["tokens"] == 2 * TOKENS  # real tokens counted: over the limit now
    usage = await chat(platform)
    assert usage["provider"] == "mistral"
    assert usage["fallbacks"][0]["reason"] == f"groq quota exhausted ({2 * TOKENS - 1} tokens per day)."
    await platform.http.aclose()


async def test_a_cancelled_call_gives_its_reservation_back(flaky, settings):  # noqa: F811
    only = flaky(script=["slow:5"])
    platform = Platform(with_config(settings, env_for(groq=only)))
    platform.provider_admin.set_quota("groq", period="day", limit=1, unit="calls")
    task = asyncio.create_task(chat(platform))
    for _ in range(200):
        if only.hits:
            break
        await asyncio.sleep(0.01)
    assert only.hits == 1 and platform.ledger.used("groq")["calls"] == 1  # reserved while in flight
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert platform.ledger.used("groq")["calls"] == 0
    assert await only.await_disconnects(1)  # the upstream request was closed
    await platform.http.aclose()
