"""tests/test_run_api.py again, on the local PostgreSQL (a fresh database at schema head per test)."""

from __future__ import annotations

import pytest

from flowai.settings import Settings
from tests.pg import fresh_database
from tests.test_run_api import *  # noqa: F403  (the same tests, collected here with this module's settings)

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(tmp_path):
    with fresh_database() as url:
        yield Settings(home=tmp_path, database_url=url, secret_key="test-secret", disconnect_grace=0.0, env={})


def test_the_platform_is_on_postgres(api):
    assert api.platform.db.dialect.name == "postgresql"


async def test_every_run_of_a_burst_is_recorded_with_its_events(api):
    """300 runs, 16 at a time, each with text in several scripts: every one in ``runs`` with its events."""
    import asyncio

    import httpx
    from sqlalchemy import func, select

    from flowai.demo import HELLO
    from storage.db import session
    from storage.models import Run

    wf, key = api.publish(HELLO), api.key(rate_limit=0)
    limit = asyncio.Semaphore(16)

    async def one(client: httpx.AsyncClient, n: int) -> str:
        async with limit:
            r = await client.post(f"/v1/api/workflow/run/{wf}", json={"input": {"输入": f"第{n}次 ✓ ünï"}})
            assert r.status_code == 200, r.text
            return r.headers["x-run-id"]

    async with httpx.AsyncClient(base_url=api.url, headers={"X-API-KEY": key}, timeout=60) as client:
        ids = await asyncio.gather(*(one(client, n) for n in range(300)))
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        with session(api.platform.db) as s:
            done = s.exec(select(func.count()).select_from(Run).where(Run.id.in_(ids), Run.status == "completed")).one()
        if done[0] == 300 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)
    assert done[0] == 300
    with session(api.platform.db) as s:
        run = s.get(Run, ids[123])
        assert run.input == {"输入": "第123次 ✓ ünï"} and run.events and run.events[-1]


def test_rate_limit_is_429_with_retry_after(api):
    """As in tests/test_run_api.py, with the limiter every replica shares: a sliding window counter
    (flowai/scale/counters.py). Three a minute, three used: a run fits once the previous window's
    hits, weighted by how much of it the sliding window still covers, leave room for one — a third
    of the way into the next window. So Retry-After is the rest of this minute plus 20 s (up to 80,
    not 60: the test failed on its own limiter whenever it ran in a minute's first 20 s)."""
    import time

    from flowai.demo import HELLO
    from tests.test_run_api import post

    wf, key = api.publish(HELLO), api.key(rate_limit=3)
    started = time.time()
    codes = [post(api, wf, {"input": {"输入": "x"}}, key).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    asked = time.time()
    r = post(api, wf, {"input": {"输入": "x"}}, key)
    answered = time.time()
    assert r.json()["code"] == 42901
    retry = int(r.headers["retry-after"])
    if int(started // 60) == int(answered // 60):  # the burst inside one fixed window: the exact wait
        assert 60 - answered % 60 + 20 - 1 <= retry <= 60 - asked % 60 + 20 + 1
    else:
        assert 1 <= retry <= 80
    assert post(api, wf, {"input": {"输入": "x"}}, api.key(rate_limit=0)).status_code == 200
