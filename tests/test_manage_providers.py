"""The providers part of the management API over real HTTP: admin-only changes, secrets never
answered, priorities, quotas, connection tests, workflow budgets."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.fakes.flaky_openai import flaky  # noqa: F401  (fixture)
from tests.manage_client import data, error, other_account, signed_in
from tests.router_kit import llm_doc, serving

SECRET = "sk-manage-SECRET-9876543210"


@pytest.fixture
def api_and_fake(flaky, settings):  # noqa: F811
    fake = flaky(api_key=SECRET)
    with serving(replace(settings, env={"GROQ_BASE_URL": fake.url})) as api:
        yield api, fake


def by_name(items: list[dict]) -> dict[str, dict]:
    return {p["name"]: p for p in items}


def test_admin_stores_a_key_that_is_never_answered(api_and_fake):
    api, fake = api_and_fake
    admin = signed_in(api)
    listed = data(admin.get("/providers"))
    assert len(listed["items"]) == 19 and listed["timezone"] == "UTC"
    assert listed["priorities"]["image"] == ["stability", "replicate", "deepinfra", "huggingface", "fireworks"]
    groq = by_name(listed["items"])["groq"]
    assert groq["configured"] is False and groq["base_url"] == fake.url and groq["env"] == ["GROQ_API_KEY"]

    r = admin.put("/providers/groq/credentials", json={"api_key": SECRET})
    groq = data(r)
    assert SECRET not in r.text
    assert (groq["configured"], groq["source"], groq["masked_key"]) == (True, "ui", "sk-…3210")
    r = admin.get("/providers")
    assert SECRET not in r.text and by_name(data(r)["items"])["groq"]["masked_key"] == "sk-…3210"

    tested = data(admin.post("/providers/groq/test"))
    assert tested["ok"] is True and tested["name"] == "groq"
    data(admin.put("/providers/groq/credentials", json={"api_key": "sk-wrong-000000000"}))
    tested = data(admin.post("/providers/groq/test"))
    assert tested["ok"] is False and "401" in tested["message"]

    groq = data(admin.delete("/providers/groq/credentials"))
    assert groq["configured"] is False and groq["masked_key"] is None


def test_only_admins_change_settings_and_others_see_no_masked_keys(api_and_fake):
    api, _ = api_and_fake
    data(signed_in(api).put("/providers/groq/credentials", json={"api_key": SECRET}))
    other = other_account(api)
    assert by_name(data(other.get("/providers"))["items"])["groq"]["masked_key"] is None
    error(other.put("/providers/groq/credentials", json={"api_key": "x"}), 403, 40301)
    error(other.delete("/providers/groq/credentials"), 403, 40301)
    error(other.put("/providers/priorities/text", json={"providers": ["openai"]}), 403, 40301)
    error(other.put("/providers/groq/quota", json={"period": "day", "limit": 1}), 403, 40301)
    error(other.post("/providers/groq/test"), 403, 40301)
    error(other.put("/providers/timezone", json={"timezone": "UTC"}), 403, 40301)
    error(signed_in(api).__class__(base_url=f"{api.url}/api/v1").get("/providers"), 401, 40101)


def test_priorities_quota_timezone_and_usage(api_and_fake):
    api, _ = api_and_fake
    admin = signed_in(api)
    moved = data(admin.put("/providers/priorities/tts", json={"providers": ["elevenlabs"]}))
    assert moved == {"task": "tts", "providers": ["elevenlabs", "playht"]}
    assert data(admin.get("/providers/priorities"))["tts"] == ["elevenlabs", "playht"]
    error(admin.put("/providers/priorities/tts", json={"providers": ["groq"]}), 400, 40001)
    error(admin.put("/providers/priorities/video", json={"providers": []}), 400, 40001)

    groq = data(admin.put("/providers/groq/quota", json={"period": "month", "limit": 100, "unit": "tokens"}))
    assert groq["quota"] == {"period": "month", "limit": 100.0, "unit": "tokens"} and groq["remaining"] == 100
    error(admin.put("/providers/groq/quota", json={"period": "week", "limit": 1}), 400, 40001)
    assert data(admin.put("/providers/groq/quota", json={"limit": None}))["quota"] is None
    error(admin.put("/providers/nope/quota", json={"limit": 1}), 404, 40402)

    assert data(admin.put("/providers/timezone", json={"timezone": "Asia/Shanghai"})) == {"timezone": "Asia/Shanghai"}
    error(admin.put("/providers/timezone", json={"timezone": "Asia/Atlantis"}), 400, 40001)
    usage = data(admin.get("/providers/usage", params={"days": 7}))  # issue 15 added health and alerts
    assert usage["items"] == [] and usage["alerts"] == [] and set(usage["health"]) == {"hour", "day", "week"}


def test_workflow_budget_for_its_owner(api_and_fake):
    api, _ = api_and_fake
    admin = signed_in(api)
    wf = api.publish(llm_doc())
    answer = data(admin.get(f"/workflows/{wf}/budget"))
    assert answer == {"workflow_id": wf, "daily_usd": None, "spent_today": 0.0, "timezone": "UTC"}
    assert data(admin.put(f"/workflows/{wf}/budget", json={"daily_usd": 2.5}))["daily_usd"] == 2.5
    assert api.platform.provider_admin.budget(wf) == 2.5
    error(admin.put(f"/workflows/{wf}/budget", json={"daily_usd": -1}), 400, 40001)
    error(admin.get("/workflows/nope/budget"), 404, 40402)

    mallory = other_account(api)
    error(mallory.get(f"/workflows/{wf}/budget"), 403, 40301)
    error(mallory.put(f"/workflows/{wf}/budget", json={"daily_usd": 100}), 403, 40301)
    assert data(admin.put(f"/workflows/{wf}/budget", json={"daily_usd": None}))["daily_usd"] is None
