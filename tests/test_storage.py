"""Storage through the services, on SQLite and on the local PostgreSQL (skipped if unreachable)."""

from __future__ import annotations

import asyncio
import copy
import threading
import uuid

import pytest
from sqlalchemy import text
from sqlmodel import select

from flowai.access.keys import Keys
from flowai.access.users import Users
from flowai.demo import HELLO
from flowai.errors import AuthError, ConflictError, GraphError
from flowai.runs.manager import RUNNER
from flowai.workflows.store import Workflows
from nodes import default_registry
from storage import queries
from storage.db import make_engine, session
from storage.models import ApiKey, Run, WorkflowVersion
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
    return Users(db).acting_admin().id


def test_sqlite_uses_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    with engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_versions_are_immutable_and_numbered(db, owner):
    wfs = Workflows(db, default_registry())
    wf, v1 = wfs.create(owner_id=owner, document=HELLO, message="first")
    changed = copy.deepcopy(HELLO)
    changed["nodes"][1]["config"]["template"] = "v2 {{in.输入}}"
    v2 = wfs.save(owner_id=owner, workflow_id=wf.id, document=changed, base_version=1, message="second")
    assert (v1.number, v2.number) == (1, 2)
    versions = wfs.versions(owner_id=owner, workflow_id=wf.id)
    assert [(v.number, v.message) for v in versions] == [(2, "second"), (1, "first")]
    assert (
        wfs.version(owner_id=owner, workflow_id=wf.id, number=1).document["nodes"][1]["config"]["template"]
        == HELLO["nodes"][1]["config"]["template"]
    )
    assert wfs.export(owner_id=owner, workflow_id=wf.id, version=1)["nodes"][0]["label"] == "开始"


def test_stale_base_version_is_a_conflict(db, owner):
    wfs = Workflows(db, default_registry())
    wf, _ = wfs.create(owner_id=owner, document=HELLO)
    wfs.save(owner_id=owner, workflow_id=wf.id, document=HELLO, base_version=1)
    with pytest.raises(ConflictError) as exc:
        wfs.save(owner_id=owner, workflow_id=wf.id, document=HELLO, base_version=1)
    assert exc.value.status == 409 and exc.value.detail == {"current_version": 2}


def test_concurrent_saves_never_lose_a_version(db, owner):
    wfs = Workflows(db, default_registry())
    wf, _ = wfs.create(owner_id=owner, document=HELLO)
    errors = []

    def save():
        try:
            wfs.save(owner_id=owner, workflow_id=wf.id, document=HELLO)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=save) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    numbers = sorted(v.number for v in wfs.versions(owner_id=owner, workflow_id=wf.id))
    assert errors == [] and numbers == list(range(1, 10))  # the row lock serialises the writers


def test_invalid_document_stores_nothing(db, owner):
    wfs = Workflows(db, default_registry())
    wf, _ = wfs.create(owner_id=owner, document=HELLO)
    bad = copy.deepcopy(HELLO)
    bad["edges"].append({"source": "out", "target": "in"})  # a cycle
    with pytest.raises(GraphError):
        wfs.save(owner_id=owner, workflow_id=wf.id, document=bad)
    with pytest.raises(GraphError):
        wfs.create(owner_id=owner, document=bad)
    with session(db) as s:
        assert len(s.exec(select(WorkflowVersion)).all()) == 1
    assert wfs.list(owner_id=owner)[1] == 1


def test_publish_and_draft_publish(db, owner):
    wfs = Workflows(db, default_registry())
    wf, _ = wfs.create(owner_id=owner, document=HELLO)
    assert wfs.published(wf.id) == (owner, None)
    assert wfs.publish(owner_id=owner, workflow_id=wf.id) == 1  # the draft equals v1: no new version
    assert wfs.published(wf.id) == (owner, 1)
    assert wfs.compiled(wf.id, 1).input_node.id == "in"
    assert wfs.get(owner_id=owner, workflow_id=wf.id).published_version == 1


def test_api_keys_are_stored_only_as_hmac(db, owner):
    keys = Keys(db, "server-secret")
    secret, key = keys.create(owner_id=owner, name="k", rate_limit=5, workflows=["abc"])
    with session(db) as s:
        row = s.get(ApiKey, key.id)
        dump = " ".join(str(v) for v in row.model_dump().values())
    assert secret not in dump and secret[len(key.prefix) + 1 :] not in dump
    assert secret.startswith(row.prefix) and len(row.key_hash) == 64
    info = keys.authenticate(secret)
    assert info.owner_id == owner and info.rate_limit == 5 and info.allows("abc") and not info.allows("xyz")
    keys.revoke(owner_id=owner, key_id=key.id)
    with pytest.raises(AuthError):
        keys.authenticate(secret)
    with pytest.raises(AuthError):
        Keys(db, "another-secret").authenticate(secret)


def _run_row(run_id: str, owner: int) -> dict:
    return {
        "id": run_id,
        "workflow_id": "w" * 32,
        "version": 1,
        "owner_id": owner,
        "key_id": None,
        "source": "api",
        "status": "running",
        "input": {"输入": "在吗?"},
        "runner": RUNNER,
        "created_at": queries.utcnow(),
    }


async def test_recorder_batches_and_keeps_every_run(db, owner):
    recorder = RunRecorder(db)
    recorder.start()
    ids = [uuid.uuid4().hex for _ in range(50)]
    for rid in ids:
        recorder.started(_run_row(rid, owner))
    for rid in ids[:40]:  # most finish in the same batch; the rest after
        recorder.finished(
            {
                "id": rid,
                "status": "completed",
                "output": {"答": "好"},
                "total_time": 0.1,
                "finished_at": queries.utcnow(),
                "events": [{"kind": "start"}],
            },
            [
                {
                    "run_id": rid,
                    "node_id": "in",
                    "type": "input",
                    "status": "completed",
                    "time_spend": 0.001,
                    "outputs": {"输入": "在吗?"},
                }
            ],
        )
    await recorder.flush()
    for rid in ids[40:]:
        recorder.finished({"id": rid, "status": "failed", "error": {"code": 50002, "message": "x"}}, [])
    await recorder.close()
    with session(db) as s:
        runs = {r.id: r for r in s.exec(select(Run)).all()}
        assert len(runs) == 50
        assert runs[ids[0]].status == "completed" and runs[ids[0]].output == {"答": "好"}
        assert runs[ids[45]].status == "failed" and runs[ids[45]].error["code"] == 50002
        assert queries.run_nodes(s, run_id=ids[0])[0].outputs == {"输入": "在吗?"}


def test_runs_of_dead_processes_are_claimed_once(db, owner):
    with session(db) as s:
        dead = _run_row(uuid.uuid4().hex, owner) | {"runner": "somehost:999999"}
        live = _run_row(uuid.uuid4().hex, owner)
        queries.insert_runs(s, runs=[dead, live])
        s.commit()
        claimed = queries.claim_runs(s, runners=["somehost:999999"], runner="me:1")
        s.commit()
        assert [r.id for r in claimed] == [dead["id"]]
        assert queries.claim_runs(s, runners=["somehost:999999"], runner="other:2") == []  # taken already
        assert queries.get_run(s, run_id=dead["id"]).runner == "me:1"
        assert queries.get_run(s, run_id=live["id"]).runner == RUNNER


def test_owner_scoping(db, owner):
    wfs = Workflows(db, default_registry())
    other = Users(db).create(username="bob", password="password-9")
    wf, _ = wfs.create(owner_id=owner, document=HELLO)
    with pytest.raises(Exception) as exc:
        wfs.get(owner_id=other.id, workflow_id=wf.id)
    assert getattr(exc.value, "code", None) == 40401


def test_recorder_flush_without_task(db, owner):
    recorder = RunRecorder(db)
    recorder.started(_run_row("r" * 32, owner))
    asyncio.run(recorder.flush())
    with session(db) as s:
        assert queries.get_run(s, run_id="r" * 32) is not None


async def test_a_run_is_recorded_end_to_end(db, owner, tmp_path):
    """The whole platform on this database: run, events, per-node rows, non-ASCII and NUL-free JSON."""
    from flowai.platform import Platform
    from flowai.settings import Settings

    url = db.url.render_as_string(hide_password=False)
    platform = Platform(Settings(home=tmp_path, database_url=url, secret_key="s"))
    await platform.startup()
    try:
        wf, _ = platform.workflows.create(owner_id=owner, document=HELLO, publish=True)
        graph = platform.workflows.compiled(wf.id, 1)
        handle = platform.runs.start(graph, {"输入": "在吗?"}, workflow_id=wf.id, version=1, owner_id=owner)
        await handle.wait()
        await platform.recorder.flush()
    finally:
        await platform.shutdown()
    with session(db) as s:
        run = queries.get_run(s, run_id=handle.id)
        assert run.status == "completed" and run.output == "在呢。你说的是：在吗?"
        assert [e["kind"] for e in run.events][0] == "start" and run.events[-1]["kind"] == "output"
        assert {n.node_id for n in queries.run_nodes(s, run_id=handle.id)} == {"in", "reply", "out"}


async def test_one_unstorable_run_does_not_lose_the_rest_of_its_batch(db, owner):
    recorder = RunRecorder(db)
    good, bad = uuid.uuid4().hex, uuid.uuid4().hex
    recorder.finished({**_run_row(good, owner), "status": "completed", "output": "fine"}, [], inserted=False)
    recorder.finished({**_run_row(bad, owner), "status": "completed", "output": {1, 2}}, [], inserted=False)
    await recorder.flush()  # the set cannot be stored as JSON: only that run is lost, and logged
    with session(db) as s:
        assert queries.get_run(s, run_id=good).output == "fine"
        assert queries.get_run(s, run_id=bad) is None


def test_new_ids_are_32_hex_digits_in_the_order_they_were_made():
    """Time-ordered ids (UUID version 7): a new run's row lands at the end of the primary-key index,
    not on a random page (storage/ids.py)."""
    import uuid

    from storage.ids import new_id

    ids = [new_id() for _ in range(10_000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(len(i) == 32 and uuid.UUID(hex=i).version == 7 for i in ids[:100])
