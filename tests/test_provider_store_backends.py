"""The provider store's upserts and counters, the same on SQLite and the local PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from storage.db import make_engine
from storage.provider_store import DbProviderStore
from tests.pg import fresh_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
        yield DbProviderStore(engine)
        engine.dispose()
        return
    with fresh_database() as url:
        engine = make_engine(url)
        yield DbProviderStore(engine)
        engine.dispose()


def test_settings_and_credentials_are_replaced_not_duplicated(store):
    store.put_setting(key="priorities:text", value=["groq", "openai"])
    store.put_setting(key="priorities:text", value={"nested": [1, 2.5, None, True, "中文"]})
    store.put_setting(key="timezone", value="Asia/Shanghai")
    assert store.settings() == {
        "priorities:text": {"nested": [1, 2.5, None, True, "中文"]},
        "timezone": "Asia/Shanghai",
    }
    store.put_credential(name="groq", api_key="token-1", base_url=None, options=None)
    store.put_credential(name="groq", api_key="token-2", base_url="https://example.test/v1", options=None)
    assert [(c["name"], c["api_key"], c["base_url"]) for c in store.credentials()] == [
        ("groq", "token-2", "https://example.test/v1")
    ]


def test_usage_counters_add_up_under_concurrent_writers(store):
    def add() -> None:
        for _ in range(10):
            store.add_usage(
                provider="groq",
                periods={"2026-12-06": {"calls": 1.0, "tokens": 2.5}, "2026-12": {"calls": 1.0}},
                spend=("wf1", "2026-12-06", 0.25),
            )

    threads = [threading.Thread(target=add) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    usage = store.usage(periods=["2026-12-06"])["groq"]
    assert usage["calls"] == 40 and usage["tokens"] == 100
    assert store.usage(periods=["2026-12"])["groq"]["calls"] == 40
    assert store.workflow_spend(workflow_id="wf1", day="2026-12-06") == 10.0


def test_budgets_and_spend_holds(store):
    store.put_budget(workflow_id="wf1", daily_usd=1.5)
    store.put_budget(workflow_id="wf1", daily_usd=2.0)
    assert store.budget(workflow_id="wf1") == 2.0
    # admitted while some of the budget is left (the running total below the limit)
    assert store.hold_spend(workflow_id="wf1", day="2026-12-06", amount=1.5, limit=2.0)
    assert store.hold_spend(workflow_id="wf1", day="2026-12-06", amount=1.0, limit=2.0)
    assert not store.hold_spend(workflow_id="wf1", day="2026-12-06", amount=0.1, limit=2.0)
    store.release_spend(workflow_id="wf1", day="2026-12-06", amount=1.0)
    assert store.workflow_spend(workflow_id="wf1", day="2026-12-06") == 1.5
    store.put_budget(workflow_id="wf1", daily_usd=None)
    assert store.budget(workflow_id="wf1") is None


def test_call_slots_are_replaced_per_runner_and_pruned(store):
    slot = 5_900_000  # unix time // 300 of these years
    row = {
        "runner": "host:1",
        "provider": "groq",
        "slot": slot,
        "outcomes": {"ok": 1},
        "latency": [1, 0],
        "latency_sum": 0.2,
    }
    store.put_call_slots(rows=[row])
    store.put_call_slots(rows=[{**row, "outcomes": {"ok": 3, "server": 1}}, {**row, "slot": slot + 1}])
    found = store.call_slots(since=slot, exclude_runner="host:2")
    assert sorted((r["slot"], r["outcomes"]["ok"]) for r in found) == [(slot, 3), (slot + 1, 1)]
    assert store.call_slots(since=slot, exclude_runner="host:1") == []
    store.delete_call_slots(before=slot + 1)
    assert [r["slot"] for r in store.call_slots(since=0, exclude_runner="x")] == [slot + 1]
