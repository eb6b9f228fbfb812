"""The router's fallback matrix through the published run API, against real HTTP fakes.

Two OpenAI-compatible providers of the text priority list (groq first, then mistral) point
at two flaky fakes; each test scripts what the primary answers.
"""

from __future__ import annotations

import time

import pytest

from tests.clock import Clock
from tests.fakes.flaky_openai import flaky  # noqa: F401  (fixture)
from tests.fakes.openai_server import pieces
from tests.router_kit import FAST_RETRY, QUESTION, env_for, llm_doc, run, run_stream, serving, with_config


@pytest.fixture
def pair(flaky, settings):  # noqa: F811
    """(primary fake, fallback fake, settings for a platform on them)."""
    primary, backup = flaky(), flaky()
    return primary, backup, with_config(settings, env_for(groq=primary, mistral=backup))


def served_by(body: dict) -> dict:
    return body["usage"]["llm"]


def test_429_with_retry_after_is_honoured_when_no_other_provider_is_left(pair):
    """Pinned to the primary, a Retry-After within the cap is waited out and the call sent again.
    (With another candidate left it moves on at once: tests/test_security_providers.py, case 20.)"""
    primary, backup, settings = pair
    primary.script = ["429:0.6"]
    with serving(settings) as api:
        wf = api.publish(llm_doc(provider="groq"))
        t0 = time.perf_counter()
        r = run(api, wf, detail=True)
        elapsed = time.perf_counter() - t0
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["output"] == QUESTION
    assert primary.hits == 2 and backup.hits == 0  # one retry after the Retry-After wait
    assert elapsed >= 0.6
    usage = served_by(body)
    assert usage["provider"] == "groq" and usage["fallbacks"] == []


def test_retry_after_beyond_the_cap_moves_on_at_once(pair):
    primary, backup, settings = pair
    primary.script = ["429:30"]  # the cap is 5 s
    with serving(settings) as api:
        wf = api.publish(llm_doc())
        t0 = time.perf_counter()
        r = run(api, wf, detail=True)
        elapsed = time.perf_counter() - t0
    assert r.status_code == 200 and r.json()["output"] == QUESTION
    assert (primary.hits, backup.hits) == (1, 1)
    assert elapsed < 3
    assert served_by(r.json())["provider"] == "mistral"


def test_500_is_retried_then_falls_back(pair):
    primary, backup, settings = pair
    primary.script = ["500", "500"]
    with serving(settings) as api:
        wf = api.publish(llm_doc())
        r = run(api, wf, detail=True)
    assert r.status_code == 200 and r.json()["output"] == QUESTION
    assert (primary.hits, backup.hits) == (2, 1)
    assert [(f["provider"], f["status"]) for f in served_by(r.json())["fallbacks"]] == [("groq", 500)]


def test_a_retry_at_the_same_provider_can_succeed(pair):
    primary, backup, settings = pair
    primary.script = ["500"]
    with serving(settings) as api:
        wf = api.publish(llm_doc())
        r = run(api, wf, detail=True)
    assert r.status_code == 200 and r.json()["output"] == QUESTION
    assert (primary.hits, backup.hits) == (2, 0)
    assert served_by(r.json())["provider"] == "groq" and served_by(r.json())["fallbacks"] == []


def test_timeout_falls_back(pair):
    primary, backup, settings = pair
    primary.default = "slow:5"
    (settings.home / "providers.toml").write_text(
        FAST_RETRY.replace("retries = 1", "retries = 0") + "timeout = 0.4\n", encoding="utf-8"
    )
    with serving(settings) as api:
        wf = api.publish(llm_doc())
        t0 = time.perf_counter()
        r = run(api, wf, detail=True)
        elapsed = time.perf_counter() - t0
    assert r.status_code == 200 and r.json()["output"] == QUESTION
    assert 0.4 <= elapsed < 3
    assert (primary.hits, backup.hits) == (1, 1)
    assert served_by(r.json())["fallbacks"] == [
        {"provider": "groq", "status": None, "error": "unavailable", "reason": "groq did not answer within 0.4 s."}
    ]
    assert primary.wait_disconnects(1)  # the slow request was closed, not left running


def test_exhausted_quota_skips_the_provider_without_calling_it(pair):
    primary, backup, settings = pair
    (settings.home / "providers.toml").write_text(
        FAST_RETRY + '\n[quotas.groq]\nperiod = "day"\nlimit = 1\n', encoding="utf-8"
    )
    with serving(settings) as api:
        wf = api.publish(llm_doc())
        first, second = run(api, wf, detail=True), run(api, wf, detail=True)
    assert served_by(first.json())["provider"] == "groq"
    assert served_by(second.json())["provider"] == "mistral"
    assert (primary.hits, backup.hits) == (1, 1)  # no second call reached groq
    assert served_by(second.json())["fallbacks"] == [
        {
            "provider": "groq",
            "status": None,
            "error": "quota_exhausted",
            "reason": "groq quota exhausted (1 calls per day).",
        }
    ]


def test_all_providers_down_is_50002_with_each_reason(pair):
    primary, backup, settings = pair
    primary.default, backup.default = "500", "429:0"
    with serving(settings) as api:
        wf = api.publish(llm_doc())
        r = run(api, wf)
    assert r.status_code == 502, r.text
    body = r.json()
    assert body["code"] == 50002 and body["message"].startswith("Every provider able to serve this node failed")
    attempts = body["detail"]["attempts"]
    assert [(a["provider"], a["status"]) for a in attempts] == [("groq", 500), ("mistral", 429)]
    assert "The server had an error" in attempts[0]["reason"] and "Rate limit" in attempts[1]["reason"]
    assert "Traceback" not in r.text


def test_failure_after_the_first_delta_is_an_error_event_without_a_switch(pair):
    primary, backup, settings = pair
    primary.script = ["drop:2"]
    with serving(settings) as api:
        wf = api.publish(llm_doc())
        events = run_stream(api, wf)
    streamed = [d["Content"] for name, d in events if name == "stream"]
    assert streamed == pieces(QUESTION)[:2]
    name, error = events[-1]
    assert name == "error" and error["Node"] == "llm" and error["code"] == 50002
    assert "groq" in error["message"]
    assert not any(name == "output" for name, _ in events)
    assert (primary.hits, backup.hits) == (1, 0)  # no silent switch to the fallback


def test_a_400_from_the_primary_ends_the_call_without_fallback(pair):
    primary, backup, settings = pair
    primary.script = ["400"]
    with serving(settings) as api:
        wf = api.publish(llm_doc())
        r = run(api, wf)
    assert r.status_code == 502
    body = r.json()
    assert body["code"] == 50002 and body["message"] == (
        "groq answered HTTP 400: Invalid value for 'temperature' (invalid_request_error)."
    )
    assert (primary.hits, backup.hits) == (1, 0)  # neither retried nor passed on


def test_detail_shows_provider_tokens_cost_and_fallbacks(pair):
    primary, backup, settings = pair
    primary.script = ["500", "500"]
    with serving(settings) as api:
        wf = api.publish(llm_doc(model="echo"))
        r = run(api, wf, detail=True)
    body = r.json()
    assert body["output"] == QUESTION and body["run_id"]
    usage = served_by(body)
    assert usage["provider"] == "mistral" and usage["model"] == "echo" and usage["task"] == "text"
    assert usage["prompt_tokens"] == len(QUESTION) and usage["completion_tokens"] == len(pieces(QUESTION))
    expected = (len(QUESTION) * 0.2 + len(pieces(QUESTION)) * 0.6) / 1e6  # mistral's list price in the catalog
    assert usage["cost"] == pytest.approx(expected)
    assert usage["cache_hit"] is False
    assert [f["provider"] for f in usage["fallbacks"]] == ["groq"]


def test_a_pinned_provider_is_used_even_when_first_in_line_is_healthy(pair):
    primary, backup, settings = pair
    with serving(settings) as api:
        wf = api.publish(llm_doc(provider="mistral"))
        r = run(api, wf, detail=True)
    assert served_by(r.json())["provider"] == "mistral"
    assert (primary.hits, backup.hits) == (0, 1)


def test_cool_down_skips_a_failing_provider_then_returns_to_it(flaky, settings):  # noqa: F811
    primary, backup = flaky(default="500"), flaky()
    toml = FAST_RETRY.replace("retries = 1", "retries = 0").replace(
        "cooldown_failures = 1000", "cooldown_failures = 2\ncooldown_seconds = 1"
    )
    with serving(with_config(settings, env_for(groq=primary, mistral=backup), toml)) as api:
        api.platform.router.clock = clock = Clock()
        wf = api.publish(llm_doc())
        for _ in range(2):
            assert run(api, wf).status_code == 200
        assert primary.hits == 2
        cooling = {p["name"]: p["cooling_down_until"] for p in api.platform.provider_admin.providers()}
        assert cooling["groq"] is not None and cooling["groq"] > time.time() and cooling["mistral"] is None
        r = run(api, wf, detail=True)
        assert served_by(r.json())["provider"] == "mistral"
        (skipped,) = served_by(r.json())["fallbacks"]
        assert (skipped["provider"], skipped["status"]) == ("groq", None)
        assert skipped["reason"].startswith("groq is cooling down after 2 failures (")
        assert primary.hits == 2  # skipped while cooling down
        clock.advance(1.1)
        primary.default = "ok"
        r = run(api, wf, detail=True)
        assert served_by(r.json())["provider"] == "groq" and primary.hits == 3
        assert {p["name"]: p["cooling_down_until"] for p in api.platform.provider_admin.providers()}["groq"] is None
