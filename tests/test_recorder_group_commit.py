"""The run recorder's group commit, on SQLite and on the local PostgreSQL (skipped if unreachable):
a finished run's future settles once its batch is committed, a row the database refuses loses
only itself, and background runs' rows (start, nodes as they finish, status, end) fold right."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from flowai.access.users import Users
from flowai.runs.manager import RUNNER
from storage import queries
from storage.db import make_engine, session
from storage.ids import new_id
from storage.models import ApiKey
from storage.recorder import RunRecorder
from tests.pg import fresh_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
        yield engine
        engine.dispose()
        return
    with fresh_database() as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def owner(db):
    return Users(db).create(username="alice", password="password-9").id


def _complete(run_id: str, owner: int, **more) -> dict:
    return {
        "id": run_id,
        "workflow_id": "w" * 32,
        "version": 1,
        "owner_id": owner,
        "source": "api",
        "status": "completed",
        "input": {"输入": "在吗?"},
        "output": "在呢",
        "events": [{"kind": "output", "output": "在呢", "total_time": 0.01}],
        "runner": RUNNER,
        "created_at": queries.utcnow(),
        "finished_at": queries.utcnow(),
        "total_time": 0.01,
        **more,
    }


def _node(run_id: str, node_id: str, status: str = "completed", **more) -> dict:
    return {"run_id": run_id, "node_id": node_id, "type": "template", "status": status, **more}


async def test_a_finished_run_settles_when_its_batch_is_committed(db, owner):
    recorder = RunRecorder(db)
    recorder.start()
    try:
        ids = [uuid.uuid4().hex for _ in range(200)]
        futures = [
            recorder.finished(_complete(rid, owner), [_node(rid, "in", outputs={"输入": "x"})], inserted=False)
            for rid in ids
        ]
        assert all(isinstance(f, asyncio.Future) for f in futures)
        for rid, future in zip(ids, futures, strict=True):
            assert rid not in await future
            with session(db) as s:  # settled means committed: visible to any other connection
                assert queries.get_run(s, run_id=rid).status == "completed"
        assert recorder.batches < len(ids)  # runs handed over together shared commits
        with session(db) as s:
            assert queries.run_nodes(s, run_id=ids[-1])[0].outputs == {"输入": "x"}
            assert queries.get_run(s, run_id=ids[0]).events[0]["kind"] == "output"
    finally:
        await recorder.close()


async def test_a_refused_row_loses_only_itself_and_says_so(db, owner):
    recorder = RunRecorder(db)
    recorder.start()
    try:
        first = uuid.uuid4().hex
        assert first not in await recorder.finished(_complete(first, owner), [], inserted=False)
        twin, good = _complete(first, owner), uuid.uuid4().hex  # the same id again: the database refuses it
        refused = recorder.finished(twin, [], inserted=False)
        kept = recorder.finished(_complete(good, owner), [], inserted=False)
        assert first in await refused
        assert good not in await kept
        unstorable = uuid.uuid4().hex  # JSON cannot hold a set: refused at hand-over
        assert unstorable in await recorder.finished(_complete(unstorable, owner, output={1, 2}), [], inserted=False)
        later = uuid.uuid4().hex  # and the recorder goes on writing
        assert later not in await recorder.finished(_complete(later, owner), [], inserted=False)
        with session(db) as s:
            assert queries.get_run(s, run_id=good) is not None and queries.get_run(s, run_id=later) is not None
            assert queries.get_run(s, run_id=unstorable) is None
    finally:
        await recorder.close()


async def test_background_run_rows_fold_in_order(db, owner):
    recorder = RunRecorder(db)
    recorder.start()
    try:
        run_id = uuid.uuid4().hex
        start = _complete(run_id, owner, status="pending", output=None, events=None, finished_at=None, total_time=None)
        recorder.started({**start, "source": "background"})
        recorder.status(run_id, {"status": "running", "runner": "host:1"})
        recorder.node(_node(run_id, "a", status="running"))
        recorder.node(_node(run_id, "a", time_spend=0.5, outputs={"text": "A"}))
        await recorder.flush()
        with session(db) as s:
            assert queries.get_run(s, run_id=run_id).status == "running"
            assert queries.run_nodes(s, run_id=run_id)[0].status == "completed"
        recorder.status(run_id, {"status": "paused"})
        done = recorder.finished(
            {"id": run_id, "status": "completed", "output": "AB", "finished_at": queries.utcnow()},
            [
                _node(run_id, "a", status="reused", outputs={"text": "stale"}),  # never overwrites a stored row
                _node(run_id, "b", time_spend=0.25, outputs={"text": "B"}),
                _node(run_id, "c", status="reused", outputs={"text": "C"}),  # added where none exists
            ],
        )
        assert run_id not in await done
        with session(db) as s:
            run = queries.get_run(s, run_id=run_id)
            assert (run.status, run.output, run.runner, run.source) == ("completed", "AB", "host:1", "background")
            nodes = {n.node_id: n for n in queries.run_nodes(s, run_id=run_id)}
        assert {k: (n.status, n.outputs) for k, n in nodes.items()} == {
            "a": ("completed", {"text": "A"}),
            "b": ("completed", {"text": "B"}),
            "c": ("reused", {"text": "C"}),
        }
        assert nodes["a"].time_spend == 0.5
    finally:
        await recorder.close()


async def test_key_use_is_written(db, owner):
    from flowai.access.keys import Keys

    _secret, key = Keys(db, "s").create(owner_id=owner, name="k")
    recorder = RunRecorder(db)
    recorder.start()
    try:
        when = queries.utcnow()
        recorder.key_used(key.id, when)
        await recorder.flush()
        with session(db) as s:
            stored = s.get(ApiKey, key.id).last_used_at
        assert stored.replace(tzinfo=None) == when.replace(tzinfo=None)
    finally:
        await recorder.close()


def _log_restarts(wal) -> int:
    """SQLite's count of write-ahead log restarts: the checkpoint sequence number in the log's
    header (bytes 12-15), which goes up each time writing starts again at the top of the file."""
    with open(wal, "rb") as f:
        return int.from_bytes(f.read(16)[12:16], "big")


async def test_the_write_ahead_log_restarts_under_a_steady_stream_of_commits(tmp_path):
    """A passive checkpoint beside a writer that never pauses copies the log but never to its end,
    so SQLite never wrote from the top of the log again: under a sustained load it grew ~45 MB a
    second (3 GB after a minute) and every commit got slower. Now the writer finishes each
    checkpoint right after one of its commits, and the log restarts."""
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    owner = Users(engine).create(username="alice", password="password-9").id
    wal = tmp_path / "db.sqlite-wal"
    recorder = RunRecorder(engine, checkpoint_every=0.05)
    recorder.start()
    try:
        loop = asyncio.get_running_loop()
        in_flight: list[asyncio.Future] = []
        first = None
        deadline = loop.time() + 2.0
        while loop.time() < deadline:  # runs finishing all the time, as under a load: 20 every ms or so
            for _ in range(20):
                rid = new_id()
                nodes = [_node(rid, n, outputs={"text": "x" * 200}) for n in ("in", "t", "out")]
                in_flight.append(recorder.finished(_complete(rid, owner), nodes, inserted=False))
            if first is None and wal.exists() and wal.stat().st_size >= 32:
                first = _log_restarts(wal)
            await asyncio.sleep(0.001)
        for future in in_flight:
            assert not await future
        assert first is not None
        restarts = _log_restarts(wal) - first
        assert restarts >= 5, f"the log restarted {restarts} times in 2 s of commits ({recorder.batches} batches)"
    finally:
        await recorder.close()
        engine.dispose()
