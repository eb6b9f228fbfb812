"""Issue 15, items 4 and 5: failure-rate monitoring (health per window, /metrics scraped with
prometheus-client's parser, alerts to a webhook) and the weekly free-quota report, against a
flaky OpenAI-compatible fake and a real webhook receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from flowai.errors import ProviderError
from flowai.platform import Platform
from flowai.providers.base import ChatRequest
from flowai.providers.scheduler import Scheduler
from tests.conftest import ThreadServer
from tests.fakes.flaky_openai import flaky  # noqa: F401  (fixture)
from tests.manage_client import data, signed_in
from tests.router_kit import FAST_RETRY, env_for, llm_doc, run, serving, with_config


@dataclass
class Receiver:
    """A webhook receiver: records every JSON body; answers 500 to the first ``fail_first`` posts."""

    fail_first: int = 0
    bodies: list[dict] = field(default_factory=list)
    attempts: int = 0
    url: str = ""

    def app(self) -> Starlette:
        async def hook(request: Request) -> JSONResponse:
            self.attempts += 1
            if self.attempts <= self.fail_first:
                return JSONResponse({"error": "down"}, status_code=500)
            self.bodies.append(await request.json())
            return JSONResponse({"ok": True})

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@contextmanager
def receiving(fail_first: int = 0):
    receiver = Receiver(fail_first=fail_first)
    with ThreadServer(receiver.app()) as server:
        receiver.url = f"{server.url}/hook"
        yield receiver


def alerts_toml(webhook: str, **extra) -> str:
    lines = [f'webhook = "{webhook}"', "failure_rate = 0.5", "min_calls = 3"]
    lines += [f"{k} = {v!r}".replace("'", '"') for k, v in extra.items()]
    return FAST_RETRY + "\n[alerts]\n" + "\n".join(lines) + "\n"


def metric(families: dict, name: str, **labels) -> float:
    for sample in families[name].samples:
        if sample.name in (name, name + "_total") and all(sample.labels.get(k) == v for k, v in labels.items()):
            return sample.value
    raise AssertionError(f"no sample {name} {labels}")


def test_health_per_window_and_metrics_scraped(flaky, settings):  # noqa: F811
    fake = flaky(script=["500", "500", "429:0", "ok", "ok", "400"])
    with serving(with_config(settings, env_for(groq=fake))) as api:
        wf = api.publish(llm_doc())
        codes = [run(api, wf).json().get("code", 0) for _ in range(4)]
        assert codes == [50002, 0, 0, 50002]  # 500 twice; 429 then ok; ok; 400 (the request's fault)

        usage = data(signed_in(api).get("/providers/usage"))
        hour = usage["health"]["hour"]["groq"]
        assert (hour["calls"], hour["ok"], hour["failures"]) == (6, 2, 4)
        assert hour["success_rate"] == pytest.approx(2 / 6, abs=1e-3)
        assert hour["errors"] == {"bad_request": 1, "rate_limited": 1, "server": 2}
        assert hour["p50"] is not None and hour["p95"] >= hour["p50"] > 0
        assert usage["health"]["week"]["groq"]["calls"] == 6
        assert usage["items"][0]["provider"] == "groq"  # the per-day ledger rows stay

        r = httpx.get(f"{api.url}/metrics", timeout=30)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        families = {f.name: f for f in text_string_to_metric_families(r.text)}
        calls = "flowai_provider_calls"
        assert metric(families, calls, provider="groq", task="text", outcome="ok") == 2
        assert metric(families, calls, provider="groq", task="text", outcome="server") == 2
        assert metric(families, calls, provider="groq", task="text", outcome="rate_limited") == 1
        latency = families["flowai_provider_call_duration_seconds"]
        count = next(s for s in latency.samples if s.name.endswith("_count") and s.labels["provider"] == "groq")
        assert count.value == 6
        inf = next(s for s in latency.samples if s.name.endswith("_bucket") and s.labels["le"] == "+Inf")
        assert inf.value == 6
        ratio = metric(families, "flowai_provider_success_ratio", provider="groq", window="hour")
        assert ratio == pytest.approx(1 / 3, abs=1e-3)
        assert metric(families, "flowai_runs_finished", status="completed") == 2
        assert metric(families, "flowai_runs_finished", status="failed") == 2
        runs = families["flowai_run_duration_seconds"]
        assert next(s for s in runs.samples if s.name.endswith("_count")).value == 4
        assert metric(families, "flowai_run_queue_depth") == 0
        assert metric(families, "flowai_runs_running") == 0
        # the default thresholds: 50% failures over the last hour with at least 5 calls
        assert [(a["kind"], a["provider"]) for a in usage["alerts"]] == [("failure_rate", "groq")]
        assert metric(families, "flowai_provider_alerts_active") == 1


def test_metrics_token(settings):
    with serving(replace(settings, metrics_token="scrape-me")) as api:
        assert httpx.get(f"{api.url}/metrics", timeout=30).status_code == 401
        r = httpx.get(f"{api.url}/metrics", headers={"Authorization": "Bearer scrape-me"}, timeout=30)
        assert r.status_code == 200 and "flowai_run_queue_depth" in r.text


async def chat(platform: Platform) -> bool:
    try:
        async with platform.router.chat(ChatRequest(messages=[{"role": "user", "content": "hi"}])) as stream:
            async for _ in stream:
                pass
        return True
    except ProviderError:
        return False


async def test_failure_rate_alert_goes_to_the_webhook_once_with_retries(flaky, settings):  # noqa: F811
    fake = flaky(script=["500", "500", "500", "500", "ok"])
    with receiving(fail_first=1) as hook:
        s = replace(with_config(settings, env_for(groq=fake), alerts_toml(hook.url)), allow_private_urls=True)
        platform = Platform(s)
        platform.alerts.retry_wait = 0.01
        try:
            assert [await chat(platform) for _ in range(3)] == [False, False, True]  # 2 x (500, retry 500), ok
            alerts = platform.provider_admin.active_alerts()
            assert [a["kind"] for a in alerts] == ["failure_rate"]
            assert alerts[0]["provider"] == "groq" and alerts[0]["failure_rate"] == 0.8 and alerts[0]["calls"] == 5
            new = await platform.alerts.check()
            assert len(new) == 1
            assert hook.attempts == 2  # the first post got a 500 and was retried
            assert hook.bodies[0]["type"] == "alert" and hook.bodies[0]["alerts"][0]["provider"] == "groq"
            assert "80%" in hook.bodies[0]["alerts"][0]["message"]
            assert await platform.alerts.check() == []  # still active: not sent again
            assert hook.attempts == 2
        finally:
            await platform.http.aclose()


async def test_webhook_refuses_private_targets_unless_allowed(flaky, settings):  # noqa: F811
    fake = flaky(script=["500", "500", "500", "500"])
    with receiving() as hook:
        platform = Platform(with_config(settings, env_for(groq=fake), alerts_toml(hook.url)))
        platform.alerts.retry_wait = 0.01
        try:
            await chat(platform)
            await chat(platform)
            assert len(await platform.alerts.check()) == 1
            assert hook.attempts == 0  # 127.0.0.1 is private: the SSRF check stopped every attempt
        finally:
            await platform.http.aclose()


async def test_weekly_report_on_schedule_with_an_injected_clock(flaky, settings):  # noqa: F811
    fake = flaky()
    with receiving() as hook:
        toml = alerts_toml(hook.url, quota_warn=0.5) + '\n[quotas.groq]\nperiod = "month"\nlimit = 4\nunit = "calls"\n'
        s = replace(with_config(settings, env_for(groq=fake), toml), allow_private_urls=True)
        platform = Platform(s)
        clock = [datetime(2026, 12, 6, 23, 0, tzinfo=UTC)]  # a Sunday; reports go out on Mondays at 09:00
        scheduler = Scheduler(platform.alerts, now=lambda: clock[0], interval=3600)
        platform.scheduler = platform.provider_admin.scheduler = scheduler
        try:
            assert await chat(platform) and await chat(platform)
            await scheduler.tick()
            assert [b["type"] for b in hook.bodies] == ["alert"]  # half the quota used: quota_warn = 0.5
            assert hook.bodies[0]["alerts"][0]["kind"] == "quota"
            assert scheduler.last_report() is None

            clock[0] = datetime(2026, 12, 7, 9, 0, 30, tzinfo=UTC)
            await scheduler.tick()
            report = hook.bodies[-1]
            assert report["type"] == "weekly_report" and report["report"]["week"] == "2026-W50"
            groq = next(p for p in report["report"]["providers"] if p["provider"] == "groq")
            assert (groq["used"], groq["remaining"], groq["quota"]["limit"]) == (2, 2, 4)
            assert groq["week"]["calls"] == 2 and groq["week"]["success_rate"] == 1.0
            assert platform.provider_admin.weekly_report()["last"]["week"] == "2026-W50"

            clock[0] += timedelta(hours=5)
            await scheduler.tick()
            assert len(hook.bodies) == 2  # once a week

            clock[0] = datetime(2026, 12, 14, 9, 1, tzinfo=UTC)
            await scheduler.tick()
            assert hook.bodies[-1]["report"]["week"] == "2026-W51" and len(hook.bodies) == 3
        finally:
            await platform.http.aclose()


async def test_started_scheduler_checks_alerts_by_itself(flaky, settings):  # noqa: F811
    fake = flaky(script=["500", "500", "500", "500", "500", "500"])
    with receiving() as hook:
        s = replace(with_config(settings, env_for(groq=fake), alerts_toml(hook.url)), allow_private_urls=True)
        platform = Platform(s)
        platform.scheduler.interval = 0.05
        try:
            for _ in range(3):
                await chat(platform)
            platform.scheduler.start()
            for _ in range(300):
                if hook.bodies:
                    break
                await asyncio.sleep(0.05)
            assert hook.bodies and hook.bodies[0]["alerts"][0]["failure_rate"] == 1.0
        finally:
            await platform.scheduler.stop()
            await platform.http.aclose()


def test_windows_persist_across_processes_and_restarts(settings):
    from flowai.providers.monitor import CallStats
    from storage.db import make_engine
    from storage.provider_store import DbProviderStore

    db = DbProviderStore(make_engine(settings.database_url))
    now = [1_800_000_000.0]
    before = CallStats(db, clock=lambda: now[0], runner="host:1")  # a process that has since stopped
    for outcome in ("ok", "ok", "server", "timeout"):
        before.observe("groq", "text", outcome, 0.2)
    now[0] += 2 * 3600  # two hours later
    before.observe("groq", "text", "ok", 0.02)
    assert before.flush() == 2 and before.flush() == 0  # two slots written, then nothing new

    after = CallStats(db, clock=lambda: now[0], runner="host:2")  # the restarted process
    after.observe("groq", "text", "rate_limited", 1.5)
    after.observe("mistral", "text", "ok", 0.1)
    hour, day = after.window(3600), after.window(86400)
    assert (hour["groq"]["calls"], hour["groq"]["errors"]) == (2, {"rate_limited": 1})
    assert (day["groq"]["calls"], day["groq"]["ok"]) == (6, 3)
    assert day["groq"]["errors"] == {"rate_limited": 1, "server": 1, "timeout": 1}
    assert 0.1 <= day["groq"]["p50"] <= 0.25 and day["groq"]["p95"] >= 1.0
    assert day["mistral"]["success_rate"] == 1.0

    now[0] += 8 * 86400  # a week and a day later: everything is out of every window, and pruned
    after.flush()
    assert after.window(7 * 86400) == {}
    assert CallStats(db, clock=lambda: now[0], runner="host:3").window(30 * 86400) == {}
