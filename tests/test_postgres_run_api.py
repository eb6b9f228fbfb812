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
