"""Running at scale: three ``flowai api`` replicas and two ``flowai worker`` processes on loopback,
sharing one PostgreSQL database (tests/pg.py), with a fake OpenAI server counting calls per prompt.

One scenario, in order: 300 published runs spread across the replicas, each recorded once; a
key's limit enforced across all replicas together; an SSE stream replayed from another replica;
a background run paused on one replica and resumed on another; a worker SIGKILLed mid-run whose
run is taken over by the other worker from its last finished node, no finished node's provider
call made twice; then a node of that run regenerated through a replica, executed by a worker
from the stored outputs upstream of it. Every process is stopped by its PID.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from flowai.demo import HELLO
from flowai.workflows.builder import Graph, field
from tests.conftest import free_port
from tests.pg import fresh_database
from tests.proc import Served, flowai, flowai_env

PASSWORD = "correct horse battery"
LEASE = 3  # seconds without a heartbeat before a worker's runs are taken over
STEP = 1.5  # seconds each fake LLM call takes

CHAIN = (
    Graph("Three steps")
    .input(field("x", required=True))
    .node("a", "llm", "A", provider="auto", model=f"slow-{STEP}", prompt="a {{in.x}}")
    .node("b", "llm", "B", provider="auto", model=f"slow-{STEP}", prompt="b {{a.text}}")
    .node("c", "llm", "C", provider="auto", model=f"slow-{STEP}", prompt="c {{b.text}}")
    .output("{{c.text}}")
    .chain("in", "a", "b", "c", "out")
    .doc
)
DRIP = (
    Graph("Drip")
    .input(field("x", required=True))
    .node("llm", "llm", "LLM", provider="auto", model="drip-25-60", prompt="{{in.x}}")
    .output("{{llm.text}}")
    .chain("in", "llm", "out")
    .doc
)


class Worker:
    def __init__(self, home: Path, env: dict[str, str], n: int):
        self.log = home / f"worker{n}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flowai.cli", "worker"],
            env=flowai_env(home, **env),
            cwd=home,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while "worker ready" not in self.log.read_text():
            assert self.proc.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "worker did not start"
            time.sleep(0.1)


def _imported(home: Path, doc: dict, env: dict) -> str:
    path = home / f"{doc['name']}.json"
    path.write_text(json.dumps(doc))
    return flowai(home, "workflow", "import", str(path), "--publish", **env).stdout.split()[-1]


def _prompts(fake) -> list[str]:
    found = []
    for body in list(fake.requests):
        users = [m["content"] for m in body.get("messages", []) if m.get("role") == "user"]
        found.append(users[-1] if users else "")
    return found


def _sse(lines) -> list[tuple[str, str, str]]:
    """(id, event, data) of each SSE frame, until the output or error event."""
    frames, current = [], {}
    for line in lines:
        if line == "":
            if "data" in current:
                frames.append((current.get("id", ""), current.get("event", ""), current["data"]))
                if current.get("event") in ("output", "error") or '"event": "output"' in current["data"]:
                    return frames
            current = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            current[name] = value.strip()
    return frames


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_three_replicas_and_two_workers_share_one_postgres(tmp_path, fake_openai):
    with fresh_database() as url:
        env = {
            "FLOWAI_DATABASE_URL": url,
            "FLOWAI_WORKER_LEASE": str(LEASE),
            "OPENAI_API_KEY": fake_openai.api_key,
            "OPENAI_BASE_URL": fake_openai.url,
        }
        flowai(tmp_path, "user", "create", "--username", "admin", "--password", PASSWORD, "--admin", **env)
        hello, chain, drip = (_imported(tmp_path, doc, env) for doc in (HELLO, CHAIN, DRIP))
        key = flowai(tmp_path, "key", "create", "--name", "open", "--rate-limit", "0", **env).stdout.split()[-1]
        limited = flowai(tmp_path, "key", "create", "--name", "limited", "--rate-limit", "30", **env)
        limited_key = limited.stdout.split()[-1]
        db = create_engine(url)
        apis = [Served(tmp_path, "api", port=free_port(), **env) for _ in range(3)]
        workers = [Worker(tmp_path, env, n) for n in range(2)]
        try:
            for api in apis:
                api.wait_ready("/v1/api/ready", timeout=180)
            for worker in workers:
                worker.wait_ready(timeout=180)
            _spread_runs(apis, hello, key, db)
            _global_limit(apis, hello, limited_key)
            _replay_elsewhere(apis, drip, key)
            _pause_here_resume_there(apis, chain, fake_openai)
            killed = _worker_killed_mid_run(apis, workers, chain, key, db, fake_openai)
            _regenerated_by_a_worker(apis, workers, killed, db, fake_openai)
        finally:
            for api in apis:
                api.stop()
            for worker in workers:
                if worker.proc.poll() is None:
                    worker.proc.send_signal(signal.SIGTERM)
                    try:
                        worker.proc.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        worker.proc.kill()
                        worker.proc.wait()
            db.dispose()


def _spread_runs(apis, hello: str, key: str, db) -> None:
    async def go() -> list[httpx.Response]:
        limits = asyncio.Semaphore(24)
        async with httpx.AsyncClient(timeout=60) as client:

            async def one(i: int) -> httpx.Response:
                async with limits:
                    return await client.post(
                        f"{apis[i % 3].url}/v1/api/workflow/run/{hello}",
                        headers={"X-API-KEY": key},
                        json={"input": {"输入": f"n{i}"}},
                    )

            return await asyncio.gather(*(one(i) for i in range(300)))

    answers = asyncio.run(go())
    assert [r.status_code for r in answers] == [200] * 300
    assert [r.json()["output"] for r in answers] == [f"在呢。你说的是：n{i}" for i in range(300)]
    ids = {r.headers["x-run-id"] for r in answers}
    assert len(ids) == 300

    def recorded():
        with db.connect() as c:
            rows = c.execute(text("SELECT id, runner FROM runs WHERE workflow_id = :w"), {"w": hello}).all()
        return rows if len(rows) >= 300 else None

    rows = _wait(recorded, 20, "300 recorded runs")
    assert len(rows) == 300 and {r.id for r in rows} == ids  # each once
    assert len({r.runner for r in rows}) == 3  # executed by the three replicas


def _global_limit(apis, hello: str, key: str) -> None:
    if 60 - time.time() % 60 < 8:  # one fixed window for the whole burst
        time.sleep(60 - time.time() % 60 + 0.5)

    async def go() -> list[int]:
        async with httpx.AsyncClient(timeout=60) as client:
            answers = await asyncio.gather(
                *(
                    client.post(
                        f"{apis[i % 3].url}/v1/api/workflow/run/{hello}",
                        headers={"X-API-KEY": key},
                        json={"input": {"输入": "x"}},
                    )
                    for i in range(45)
                )
            )
        for r in answers:
            if r.status_code == 429:
                assert r.json()["code"] == 42901 and int(r.headers["retry-after"]) >= 1
        return [r.status_code for r in answers]

    codes = asyncio.run(go())
    assert codes.count(200) == 30 and codes.count(429) == 15  # 30 a minute across all three, not 90


def _replay_elsewhere(apis, drip: str, key: str) -> None:
    a, b = apis[0], apis[1]
    with httpx.Client(timeout=60) as client:
        with client.stream(
            "POST",
            f"{a.url}/v1/api/workflow/run/{drip}",
            headers={"X-API-KEY": key},
            json={"input": {"x": "replay"}, "stream": True},
        ) as first:
            run_id = first.headers["x-run-id"]
            lines = first.iter_lines()
            head = []
            for line in lines:  # the first two frames on replica A
                head.append(line)
                if sum(1 for x in head if x.startswith("id:")) == 2 and line == "":
                    break
            replay = client.get(
                f"{b.url}/v1/api/workflow/runs/{run_id}/events",
                headers={"X-API-KEY": key, "Last-Event-ID": "2"},
            )
            rest = _sse([*head, *lines])
    assert replay.status_code == 200, replay.text
    assert replay.headers["x-run-id"] == run_id
    replayed = _sse(replay.text.split("\n"))
    assert [f[0] for f in rest[:2]] == ["1", "2"]
    assert replayed == rest[2:]  # the same frames after id 2, from the other replica
    assert replayed[-1][1] == "output" or '"output"' in replayed[-1][2]
    assert len([f for f in replayed if "t1" in f[2]]) >= 1  # live deltas, relayed across processes


def _login(api) -> httpx.Client:
    r = httpx.post(f"{api.url}/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}, timeout=60)
    assert r.status_code == 200, r.text
    token = r.json()["data"]["access_token"]
    return httpx.Client(base_url=f"{api.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _pause_here_resume_there(apis, chain: str, fake) -> None:
    a, b, c = (_login(api) for api in apis)
    try:
        started = a.post("/runs", json={"workflow_id": chain, "input": {"x": "pause"}})
        assert started.status_code == 202, started.text
        run_id = started.json()["data"]["run_id"]
        _wait(lambda: "a pause" in _prompts(fake), 30, "the first node's call")
        paused = b.post(f"/runs/{run_id}/pause")
        assert paused.status_code == 200, paused.text
        assert paused.json()["data"]["status"] == "paused"
        time.sleep(STEP * 2.5)  # the running node finishes; no new one starts
        seen = c.get(f"/runs/{run_id}").json()["data"]
        assert seen["status"] == "paused"
        assert not any(p.startswith("c ") and p.endswith("pause") for p in _prompts(fake))
        resumed = c.post(f"/runs/{run_id}/resume")
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["data"]["status"] == "running"
        done = _wait(
            lambda: (d := a.get(f"/runs/{run_id}").json()["data"])["status"] in ("completed", "failed") and d,
            30,
            "the resumed run",
        )
        assert done["status"] == "completed" and done["output"] == "c b a pause"
    finally:
        for client in (a, b, c):
            client.close()


def _worker_killed_mid_run(apis, workers, chain: str, key: str, db, fake) -> str:
    r = httpx.post(
        f"{apis[2].url}/v1/api/workflow/run/{chain}",
        headers={"X-API-KEY": key},
        json={"input": {"x": "kill"}, "async": True},
        timeout=60,
    )
    assert r.status_code == 202, r.text
    run_id = r.json()["run_id"]

    def second_node_running():
        with db.connect() as c:
            rows = c.execute(text("SELECT node_id, status FROM run_nodes WHERE run_id = :r"), {"r": run_id}).all()
            nodes = dict(rows)
            runner = c.execute(text("SELECT runner FROM runs WHERE id = :r"), {"r": run_id}).scalar()
        return runner if nodes.get("a") == "completed" and "b a kill" in _prompts(fake) else None

    runner = _wait(second_node_running, 30, "the second node's call")
    pid = int(runner.rsplit(":", 1)[1])
    victim = next(w for w in workers if w.proc.pid == pid)
    os.kill(pid, signal.SIGKILL)
    victim.proc.wait()

    def ended():
        with db.connect() as c:
            row = c.execute(text("SELECT status, output, runner FROM runs WHERE id = :r"), {"r": run_id}).first()
        return row if row is not None and row.status in ("completed", "failed") else None

    row = _wait(ended, LEASE * 4 + STEP * 4 + 20, "the run taken over")
    assert row.status == "completed", row
    assert row.output == "c b a kill"
    survivor = next(w for w in workers if w is not victim)
    assert row.runner.endswith(f":{survivor.proc.pid}")  # finished by the other worker
    prompts = _prompts(fake)
    assert prompts.count("a kill") == 1  # finished before the kill: never called again
    assert prompts.count("c b a kill") == 1
    assert prompts.count("b a kill") <= 2  # in flight when its worker died: the one call that had no answer
    return run_id


def _regenerated_by_a_worker(apis, workers, run_id: str, db, fake) -> None:
    """A node regenerated through a replica goes on the queue like any background run: a worker
    executes it, the nodes upstream of it reused from their stored outputs, never called again."""
    client = _login(apis[0])
    try:
        r = client.post(f"/runs/{run_id}/nodes/b/regenerate", json={"config": {"prompt": "bb {{a.text}}"}})
        assert r.status_code == 202, r.text
        new_id = r.json()["data"]["run_id"]
        done = _wait(
            lambda: (d := client.get(f"/runs/{new_id}").json()["data"])["status"] in ("completed", "failed") and d,
            STEP * 4 + 30,
            "the regenerated run",
        )
        assert done["status"] == "completed" and done["output"] == "c bb a kill", done
    finally:
        client.close()
    with db.connect() as c:
        runner = c.execute(text("SELECT runner FROM runs WHERE id = :r"), {"r": new_id}).scalar()
        nodes = dict(c.execute(text("SELECT node_id, status FROM run_nodes WHERE run_id = :r"), {"r": new_id}).all())
    survivor = next(w for w in workers if w.proc.poll() is None)
    assert runner.endswith(f":{survivor.proc.pid}"), runner  # a worker, not the replica that was asked
    assert nodes == {"in": "reused", "a": "reused", "b": "completed", "c": "completed", "out": "completed"}, nodes
    prompts = _prompts(fake)
    assert prompts.count("a kill") == 1 and prompts.count("bb a kill") == 1 and prompts.count("c bb a kill") == 1
