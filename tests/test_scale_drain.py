"""SIGTERM drains a process of a scaled deployment (README, "Running at scale"): a worker takes no
new job and hands its run back to the queue — finished nodes written, the other worker goes on
from there, no finished node's provider call made again — and an API replica lets an open
stream finish before it stops. One ``flowai api`` and two ``flowai worker`` processes on a
throwaway PostgreSQL database; every process is stopped by its PID."""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import httpx
from sqlalchemy import create_engine, text

from tests.conftest import free_port
from tests.pg import fresh_database
from tests.proc import Served, flowai
from tests.test_scale_out import CHAIN, DRIP, PASSWORD, Worker, _imported, _prompts, _sse, _wait


def test_sigterm_hands_a_workers_run_back_and_lets_a_stream_finish(tmp_path, fake_openai):
    with fresh_database() as url:
        env = {
            "FLOWAI_DATABASE_URL": url,
            "FLOWAI_WORKER_LEASE": "3",
            "FLOWAI_DRAIN_SECONDS": "20",
            "OPENAI_API_KEY": fake_openai.api_key,
            "OPENAI_BASE_URL": fake_openai.url,
        }
        flowai(tmp_path, "user", "create", "--username", "admin", "--password", PASSWORD, "--admin", **env)
        chain, drip = (_imported(tmp_path, doc, env) for doc in (CHAIN, DRIP))
        key = flowai(tmp_path, "key", "create", "--name", "k", "--rate-limit", "0", **env).stdout.split()[-1]
        db = create_engine(url)
        api = Served(tmp_path, "api", port=free_port(), **env)
        workers = [Worker(tmp_path, env, n) for n in range(2)]
        try:
            api.wait_ready("/v1/api/ready", timeout=180)
            for worker in workers:
                worker.wait_ready(timeout=180)
            r = httpx.post(
                f"{api.url}/v1/api/workflow/run/{chain}",
                headers={"X-API-KEY": key},
                json={"input": {"x": "drain"}, "async": True},
                timeout=60,
            )
            run_id = r.json()["run_id"]

            def second_node_called():
                with db.connect() as c:
                    runner = c.execute(text("SELECT runner FROM runs WHERE id = :r"), {"r": run_id}).scalar()
                return runner if "b a drain" in _prompts(fake_openai) else None

            runner = _wait(second_node_called, 30, "the second node's call")
            stopping = next(w for w in workers if runner.endswith(f":{w.proc.pid}"))
            stopping.proc.send_signal(signal.SIGTERM)
            assert stopping.proc.wait(timeout=30) == 0  # drained, not killed
            assert "handed back to the queue" in stopping.log.read_text()

            def ended():
                with db.connect() as c:
                    return c.execute(
                        text("SELECT status, output, runner FROM runs WHERE id = :r AND status = 'completed'"),
                        {"r": run_id},
                    ).first()

            row = _wait(ended, 40, "the run finished by the other worker")
            other = next(w for w in workers if w is not stopping)
            assert row.output == "c b a drain" and row.runner.endswith(f":{other.proc.pid}")
            prompts = _prompts(fake_openai)
            assert prompts.count("a drain") == 1 and prompts.count("c b a drain") == 1
            assert prompts.count("b a drain") <= 2  # stopped mid-call: made again, once

            frames: list = []

            def stream() -> None:
                with httpx.stream(
                    "POST",
                    f"{api.url}/v1/api/workflow/run/{drip}",
                    headers={"X-API-KEY": key},
                    json={"input": {"x": "last"}, "stream": True},
                    timeout=60,
                ) as answer:
                    frames.extend(_sse(answer.iter_lines()))

            reader = threading.Thread(target=stream)
            reader.start()
            _wait(lambda: fake_openai.streams_opened and "last" in _prompts(fake_openai), 30, "the stream")
            api.proc.send_signal(signal.SIGTERM)  # mid-stream
            reader.join(timeout=40)
            assert frames and frames[-1][1] == "output", frames[-3:]  # the open stream finished
            assert api.proc.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once drained
        finally:
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
