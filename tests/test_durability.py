"""Crash safety and batches, with real processes: SIGKILL mid-run, restart, nothing lost."""

from __future__ import annotations

import json
import signal

import httpx

from flowai.demo import HELLO
from storage import queries
from storage.db import make_engine, session
from tests.conftest import free_port
from tests.proc import Served, flowai
from tests.test_background_runs import llm_chain, until


def _import(home, doc) -> str:
    path = home / "wf.json"
    path.write_text(json.dumps(doc, ensure_ascii=False))
    return flowai(home, "workflow", "import", str(path), "--publish").stdout.split()[-1]


def _run(db, run_id):
    with session(db) as s:
        return queries.get_run(s, run_id=run_id), {n.node_id: n.status for n in queries.run_nodes(s, run_id=run_id)}


def test_sigkill_mid_run_then_restart_resumes_and_loses_nothing(tmp_path, fake_openai):
    provider = {"OPENAI_API_KEY": fake_openai.api_key, "OPENAI_BASE_URL": fake_openai.url}
    hello, chain = _import(tmp_path, HELLO), _import(tmp_path, llm_chain("drip-3-200", "slow-2"))
    stream_wf = _import(tmp_path, llm_chain("drip-40-100"))
    key = flowai(tmp_path, "key", "create", "--name", "k").stdout.split()[-1]
    db = make_engine(f"sqlite:///{tmp_path / 'flowai.db'}")

    api = Served(tmp_path, "api", port=free_port(), **provider)
    api.wait_ready(path="/v1/api/nothing")
    try:
        done = httpx.post(
            f"{api.url}/v1/api/workflow/run/{hello}", headers={"X-API-KEY": key}, json={"input": {"输入": "before"}}
        )
        assert done.status_code == 200
        background = httpx.post(
            f"{api.url}/v1/api/workflow/run/{chain}",
            headers={"X-API-KEY": key},
            json={"input": {"输入": "x"}, "async": True},
        ).json()["run_id"]
        with httpx.stream(
            "POST",
            f"{api.url}/v1/api/workflow/run/{stream_wf}",
            headers={"X-API-KEY": key},
            json={"input": {"输入": "x"}, "stream": True},
        ) as streaming:
            client_run = streaming.headers["x-run-id"]
            until(lambda: _run(db, background)[1].get("a") == "completed", timeout=15)
            until(lambda: _run(db, client_run)[0] is not None, timeout=5)  # recorded as running
            api.proc.send_signal(signal.SIGKILL)
            api.proc.wait(timeout=10)
    finally:
        api.stop()
    assert _run(db, background)[0].status == "running"

    restarted = Served(tmp_path, "api", port=free_port(), **provider)
    restarted.wait_ready(path="/v1/api/nothing")
    try:
        final = until(
            lambda: (
                (
                    s := httpx.get(
                        f"{restarted.url}/v1/api/workflow/runs/{background}", headers={"X-API-KEY": key}
                    ).json()
                )["status"]
                in ("completed", "failed")
                and s
            ),
            timeout=20,
        )
        assert final["status"] == "completed" and final["output"] == "b:t0 t1 t2 "  # b resumed from a's stored text
        models = [r["model"] for r in fake_openai.requests]
        assert models.count("drip-3-200") == 1  # node a finished before the kill: not run again
        run, _ = _run(db, client_run)
        assert run.status == "failed" and "server stopped" in run.error["message"]
        earlier, nodes = _run(db, done.headers["x-run-id"])
        assert earlier.status == "completed" and earlier.output == "在呢。你说的是：before" and len(nodes) == 3
        again = httpx.post(
            f"{restarted.url}/v1/api/workflow/run/{hello}",
            headers={"X-API-KEY": key},
            json={"input": {"输入": "after"}},
        )
        assert again.status_code == 200  # the key and the published version survived
    finally:
        restarted.stop()


def test_batch_of_200_never_exceeds_its_concurrency(tmp_path, fake_openai):
    provider = {"OPENAI_API_KEY": fake_openai.api_key, "OPENAI_BASE_URL": fake_openai.url}
    wf = _import(tmp_path, llm_chain("slow-0.05"))  # open long enough for 8 calls to overlap
    lines = [json.dumps({"输入": f"n{i}"}, ensure_ascii=False) for i in range(200)]
    lines[57] = "{not json"
    (tmp_path / "inputs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = flowai(
        tmp_path,
        "batch",
        wf,
        str(tmp_path / "inputs.jsonl"),
        "--concurrency",
        "8",
        "--out",
        str(tmp_path / "out"),
        check=False,
        **provider,
    )
    assert proc.returncode == 1, proc.stderr  # one line failed
    assert "199 completed, 1 failed" in proc.stderr
    results = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert len(results) == 200 and [r["line"] for r in results] == list(range(1, 201))
    assert results[57]["status"] == "failed" and results[57]["error"]["code"] == 40001
    assert results[0]["output"] == "a:n0" and (tmp_path / "out" / "outputs" / "200.json").exists()
    assert 1 < fake_openai.max_in_flight <= 8
    assert len(fake_openai.requests) == 199
