"""A 200 means the run is recorded: SIGKILL the server in the middle of a sustained load, restart
it, and every run that was answered 200 is in the database, complete.

To make the moment of the kill one where writing lags (as it does on a busy disk, or behind a
backup holding the database), the test holds SQLite's write lock for the last second before the
kill: runs go on finishing, and a server that answered before its runs were stored would answer
runs it then loses."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from flowai.demo import HELLO
from storage.db import make_engine
from tests.conftest import free_port
from tests.proc import Served, flowai

CLIENTS = 16
LOCK_AT = 300  # runs answered before the write lock is taken (the load is in full swing by then)
LOCKED = 1.0  # seconds the write lock is held before the SIGKILL
LOAD_LIMIT = 30.0  # seconds: the load never runs longer than this (the kill comes far sooner)


async def _load(url: str, key: str, server: Served, database: Path) -> tuple[dict[str, dict], int]:
    """Post runs from CLIENTS connections until the server dies; the 200 answers by run id, and
    how many requests were still unanswered when it died."""
    answered: dict[str, dict] = {}
    cut_off = 0
    locked = asyncio.Event()
    deadline = time.monotonic() + LOAD_LIMIT
    body = {"input": {"输入": "在吗?"}}

    async def client() -> None:
        nonlocal cut_off
        async with httpx.AsyncClient(headers={"X-API-KEY": key}, timeout=10) as http:
            while time.monotonic() < deadline:
                try:
                    r = await http.post(url, json=body)
                except httpx.TransportError:  # the server is gone
                    cut_off += 1
                    return
                assert r.status_code == 200, r.text
                answered[r.headers["x-run-id"]] = r.json()
                if len(answered) == LOCK_AT:
                    locked.set()

    async def kill() -> None:
        await asyncio.wait_for(locked.wait(), LOAD_LIMIT)
        lock = sqlite3.connect(database, timeout=10, isolation_level=None)
        try:
            lock.execute("BEGIN IMMEDIATE")  # the server's writes wait behind this
            await asyncio.sleep(LOCKED)
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait(timeout=10)
        finally:
            lock.close()

    await asyncio.gather(kill(), *(client() for _ in range(CLIENTS)))
    return answered, cut_off


def test_every_run_answered_200_survives_a_sigkill_under_load(tmp_path):
    doc = tmp_path / "hello.json"
    doc.write_text(json.dumps(HELLO, ensure_ascii=False))
    wf = flowai(tmp_path, "workflow", "import", str(doc), "--publish").stdout.split()[-1]
    key = flowai(tmp_path, "key", "create", "--name", "load", "--rate-limit", "0").stdout.split()[-1]
    port = free_port()
    server = Served(tmp_path, "api", port=port)
    try:
        server.wait_ready(path="/v1/api/nothing")
        url = f"{server.url}/v1/api/workflow/run/{wf}"
        answered, cut_off = asyncio.run(_load(url, key, server, tmp_path / "flowai.db"))
        assert server.proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        server.stop()
    assert len(answered) >= LOCK_AT, "too few runs answered before the kill to say anything"
    assert cut_off > 0, "the kill landed after the load: nothing was in flight"

    restarted = Served(tmp_path, "api", port=port)  # recovers the dead process's runs on start
    try:
        restarted.wait_ready(path="/v1/api/nothing")
        some = next(iter(answered))
        status = httpx.get(f"{restarted.url}/v1/api/workflow/runs/{some}", headers={"X-API-KEY": key}).json()
        assert status["status"] == "completed" and status["output"] == answered[some]["output"]
    finally:
        restarted.stop()

    db = make_engine(f"sqlite:///{tmp_path / 'flowai.db'}")
    try:
        with db.connect() as c:
            stored = dict(c.execute(text("SELECT id, status FROM runs")).all())
            nodes = c.execute(text("SELECT run_id, count(*) FROM run_nodes GROUP BY run_id")).all()
    finally:
        db.dispose()
    missing = [run_id for run_id in answered if run_id not in stored]
    assert not missing, f"{len(missing)} of {len(answered)} runs answered 200 are not in the database"
    assert {stored[run_id] for run_id in answered} == {"completed"}
    per_run = dict(nodes)
    assert all(per_run.get(run_id) == 3 for run_id in answered)  # input, template, output
