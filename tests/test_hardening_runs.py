"""Hardening of how runs are kept and retried, attacked over real HTTP (issue 12, findings 8 and 15).

- Finished runs kept in memory for replay are bounded by bytes, not only by count: a stream of
  runs with large inputs must not grow the server without limit; runs no longer kept are
  replayed from the database.
- Reusing an ``Idempotency-Key`` with a different request answers 422 / 40001 instead of
  silently returning the first run.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from flowai.demo import HELLO
from tests.conftest import free_port
from tests.proc import Served, flowai
from tests.sse import parse
from tests.wait import wait_until

RUN = "/v1/api/workflow/run/"
BIG = {
    "format": "flowai/1",
    "name": "echo a large text",
    "nodes": [
        {
            "id": "in",
            "type": "input",
            "config": {"fields": [{"name": "text", "type": "string", "max_length": 1_000_000}]},
        },
        {"id": "t", "type": "template", "config": {"template": "{{in.text}}"}},
        {"id": "out", "type": "output", "config": {"value": "{{t.text}}"}},
    ],
    "edges": [
        {"source": "in", "target": "t"},
        {"source": "t", "source_port": "text", "target": "out", "target_port": "value"},
    ],
}


def _rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmRSS")


def _wait_recorded(home: Path, count: int, timeout: float = 120) -> None:
    engine = create_engine(f"sqlite:///{home / 'flowai.db'}")

    def recorded() -> bool:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM runs WHERE finished_at IS NOT NULL")).scalar() >= count

    try:
        wait_until(recorded, timeout, 0.2, f"{count} runs were not recorded in {timeout} s")
    finally:
        engine.dispose()


def _serve(home: Path, document: dict) -> tuple[Served, str, str]:
    path = home / "wf.json"
    path.write_text(json.dumps(document))
    wf = flowai(home, "workflow", "import", str(path), "--publish").stdout.split()[-1]
    key = flowai(home, "key", "create", "--name", "k", "--rate-limit", "0").stdout.split()[-1]
    server = Served(home, "api", port=free_port())
    server.wait_ready(path="/v1/api/nothing", timeout=60)
    return server, wf, key


def test_kept_runs_are_bounded_by_bytes_and_replayed_from_the_database(tmp_path):
    server, wf, key = _serve(tmp_path, BIG)
    body = json.dumps({"input": {"text": "x" * 900_000}})
    try:
        with httpx.Client(base_url=server.url, headers={"X-API-KEY": key}, timeout=120) as client:
            first = client.post(RUN + wf, content=body)
            assert first.status_code == 200
            before = _rss_mb(server.proc.pid)
            for _ in range(120):
                r = client.post(RUN + wf, content=body)
                assert r.status_code == 200, r.text[:300]
            _wait_recorded(tmp_path, 121)  # what the recorder still holds to write is not what is kept
            grown = _rss_mb(server.proc.pid) - before
            # Kept by count alone (1,000 runs), each run holds ~2 MB here: ~260 MB after 120 runs.
            assert grown < 130, f"the server grew by {grown} MB over 120 runs"
            run_id = first.headers["x-run-id"]  # long evicted from memory: replayed from the database
            events = client.get(f"/v1/api/workflow/runs/{run_id}/events")
            assert events.status_code == 200
            frames = [f for f in parse(events.text) if f.event]
            assert frames[0].event == "msg" and frames[-1].event == "output"
            assert json.loads(frames[-1].data)["output"] == "x" * 900_000
            status = client.get(f"/v1/api/workflow/runs/{run_id}").json()
            assert status["status"] == "completed" and status["output"] == "x" * 900_000
    finally:
        server.stop()


@pytest.fixture
def hello(api):
    """The API in this process (a thread serving 127.0.0.1): nothing here is about a process."""
    return api, api.publish(HELLO), api.key(rate_limit=0)


def test_reusing_an_idempotency_key_with_another_body_is_422(hello):
    server, wf, key = hello
    headers = {"X-API-KEY": key, "Idempotency-Key": "order-7"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
        first = client.post(RUN + wf, json={"input": {"输入": "one"}})
        assert first.status_code == 200 and first.json()["output"] == "在呢。你说的是：one"
        for changed in (
            {"input": {"输入": "two"}},
            {"input": {"输入": "one "}},
        ):
            r = client.post(RUN + wf, json=changed)
            assert r.status_code == 422, r.text
            body = r.json()
            assert body["code"] == 40001 and "Idempotency-Key" in body["message"]
            assert set(body) == {"code", "message", "detail"}
            assert "x-run-id" not in r.headers
        # the same request again (presentation options aside) still answers for the first run
        again = client.post(RUN + wf, json={"input": {"输入": "one"}, "stream": True})
        assert again.status_code == 200 and again.headers["x-run-id"] == first.headers["x-run-id"]
        same = client.post(RUN + wf, content=json.dumps({"input": {"输入": "one"}, "version": 1}))
        assert same.headers["x-run-id"] == first.headers["x-run-id"]
        assert same.json()["output"] == "在呢。你说的是：one"
