"""An async run's 202 means the run is recorded, as a 200 does (issue 13: answered = recorded).

SQLite's write lock is held by another connection while the run is posted: the server cannot
commit, so it must not answer yet; once the lock is released the 202 comes, and the run's row is
in the database by the time the client reads it."""

from __future__ import annotations

import sqlite3
import threading
import time

import httpx

from flowai.demo import HELLO

HELD = 1.5  # seconds the write lock is held (well under SQLite's busy timeout)


def test_a_202_waits_for_the_runs_row_to_be_committed(api, settings):
    wf = api.publish(HELLO)
    key = api.key()
    database = settings.home / "flowai.db"
    answer: dict = {}

    def post() -> None:
        r = httpx.post(
            f"{api.url}/v1/api/workflow/run/{wf}",
            json={"input": {"输入": "在吗?"}, "async": True},
            headers={"X-API-KEY": key},
            timeout=30,
        )
        answer.update(status=r.status_code, body=r.json(), at=time.monotonic())

    lock = sqlite3.connect(database, timeout=10, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        client = threading.Thread(target=post)
        client.start()
        client.join(HELD)
        assert not answer, f"answered {answer.get('status')} while the run could not be written"
        released = time.monotonic()
        lock.execute("COMMIT")
    finally:
        lock.close()
    client.join(30)
    assert answer["status"] == 202 and answer["at"] >= released
    run_id = answer["body"]["run_id"]
    with sqlite3.connect(database) as reader:
        assert reader.execute("SELECT count(*) FROM runs WHERE id = ?", (run_id,)).fetchone() == (1,)
