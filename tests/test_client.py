"""``flowai.client`` against a served FlowAI: standard, streaming resumed after a dropped connection,
async runs, a batch with a failing item, retries on 429 (``Retry-After``) and 5xx, typed errors."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from flowai.client import (
    AsyncFlowAI,
    AuthError,
    ErrorEvent,
    FlowAI,
    InputError,
    MsgEvent,
    NotFoundError,
    OutputEvent,
    RateLimitedError,
    StreamEvent,
)
from flowai.demo import HELLO
from tests.conftest import start_api
from tests.fakes.replicate_server import fake_replicate  # noqa: F401 (fixture)
from tests.net_proxies import CuttingProxy, Gateway
from tests.test_background_runs import llm_chain, until
from tests.test_examples import served  # noqa: F401 (fixture: a FlowAI over the fake Replicate)

HI = {"输入": "在吗?"}
ANSWER = "在呢。你说的是：在吗?"


@pytest.fixture
def api(settings, fake_openai):
    """A served FlowAI whose LLM nodes use the fake OpenAI; a dropped stream waits 10 s for a reconnect."""
    env = {"OPENAI_API_KEY": fake_openai.api_key, "OPENAI_BASE_URL": fake_openai.url}
    server, api = start_api(replace(settings, disconnect_grace=10.0, env=env))
    with server:
        yield api


def test_run_returns_output_and_typed_errors(api):
    wf, key = api.publish(HELLO), api.key()
    with FlowAI(api.url, key, max_retries=0) as fai:
        result = fai.run(wf, HI)
        assert result.output == ANSWER and result.total_time >= 0 and len(result.run_id) == 32
        assert fai.run(wf, HI, version=1, detail=True).usage == {}
        with pytest.raises(InputError) as bad:
            fai.run(wf, {"输入": 5})
        assert bad.value.code == 40001 and bad.value.status == 400 and "string" in bad.value.message
        with pytest.raises(NotFoundError):
            fai.run("0" * 32, HI)
    with FlowAI(api.url, "fai_wrong", max_retries=0) as fai, pytest.raises(AuthError) as denied:
        fai.run(wf, HI)
    assert denied.value.code == 40101


def test_stream_resumes_after_the_connection_drops(api):
    wf, key = api.publish(llm_chain("drip-12-80")), api.key()
    port = int(api.url.rsplit(":", 1)[1])
    with CuttingProxy(port, marker=b"event: stream", after=3) as proxy, FlowAI(proxy.url, key) as fai:
        events = list(fai.stream(wf, {"输入": "x"}))
    assert proxy.cuts == 1 and len(proxy.requests) == 2
    resumed = proxy.requests[1].lower()
    assert resumed.startswith(b"get /v1/api/workflow/runs/") and b"\r\nlast-event-id: " in resumed
    assert [e.id for e in events] == list(range(1, len(events) + 1))  # nothing lost, nothing twice
    assert isinstance(events[0], MsgEvent) and events[0].type == "start"
    assert isinstance(events[-1], OutputEvent)
    text = "".join(e.content for e in events if isinstance(e, StreamEvent))
    assert text == events[-1].output and text.count("t") == 12


def test_stream_yields_the_error_event_last(api):
    wf, key = api.publish(llm_chain("error-500")), api.key()
    with FlowAI(api.url, key) as fai:
        events = list(fai.stream(wf, {"输入": "x"}))
    assert isinstance(events[-1], ErrorEvent) and events[-1].code == 50002 and events[-1].node == "a"


async def test_async_client_run_async_wait_and_stream(api):
    wf, key = api.publish(llm_chain("drip-3-50")), api.key()
    async with AsyncFlowAI(api.url, key) as fai:
        run_id = await fai.run_async(wf, {"输入": "x"})
        assert (await fai.status(run_id)).run_id == run_id
        result = await fai.wait(run_id, timeout=60)
        assert result.run_id == run_id and result.output == "t0 t1 t2 "
        replay = [e async for e in fai.events(run_id)]
        assert isinstance(replay[-1], OutputEvent) and replay[-1].output == result.output
        streamed = [e async for e in fai.stream(wf, {"输入": "y"})]
        assert streamed[-1].output == "t0 t1 t2 "
        failing = await fai.run_async(api.publish(llm_chain("error-500")), {"输入": "x"})
        with pytest.raises(Exception) as failed:
            await fai.wait(failing, timeout=60)
        assert getattr(failed.value, "code", None) == 50002


def test_batch_reports_each_item_and_a_failing_one_alone(api):
    wf, key = api.publish(HELLO), api.key()
    progress = []
    inputs = [{"输入": "a"}, {"输入": 5}, {"输入": "c"}, {"输入": "d"}]
    with FlowAI(api.url, key) as fai:
        results = fai.batch(wf, inputs, concurrency=2, on_progress=lambda d, t, r: progress.append((d, t, r.index)))
    assert [r.index for r in results] == [1, 2, 3, 4]
    assert [r.success for r in results] == [True, False, True, True]
    assert results[0].output == "在呢。你说的是：a" and results[0].files == [] and results[0].error is None
    assert isinstance(results[1].error, InputError) and results[1].output is None
    assert sorted(p[0] for p in progress) == [1, 2, 3, 4] and {p[1] for p in progress} == {4}


def test_429_is_retried_after_retry_after_and_5xx_with_backoff(api):
    wf, key = api.publish(HELLO), api.key()
    script = [(429, {"Retry-After": "1"}), (503, {})]
    with Gateway(api.url, script) as gateway, FlowAI(gateway.url, key, backoff=0.1) as fai:
        started = time.monotonic()
        assert fai.run(wf, HI).output == ANSWER
    times = [t for t, _, _ in gateway.seen]
    assert len(times) == 3 and times[1] - times[0] >= 1.0  # waited as Retry-After said
    assert times[1] - started < 10
    keys = [k for _, _, k in gateway.seen]
    assert all(keys) and len(set(keys)) == 3  # each answered attempt is a new run


def test_the_servers_own_rate_limit_is_a_typed_error(api):
    wf, key = api.publish(HELLO), api.key(rate_limit=1)
    with FlowAI(api.url, key, max_retry_after=5) as fai:
        fai.run(wf, HI)
        started = time.monotonic()
        with pytest.raises(RateLimitedError) as limited:
            fai.run(wf, HI)  # the key's window resets in ~60 s: longer than max_retry_after, not waited
    assert time.monotonic() - started < 5
    assert limited.value.code == 42901 and 0 < limited.value.retry_after <= 60


def test_the_client_imports_without_the_server(tmp_path):
    code = (
        "import sys; import flowai.client; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('storage', 'nodes', 'nicegui', 'fastapi', "
        "'starlette', 'sqlmodel', 'sqlalchemy', 'pydantic') or m in ('flowai.errors', 'flowai.settings')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, env={"PYTHONPATH": str(_root())})


def _root():
    from tests.proc import ROOT

    return ROOT


def test_sync_client_works_inside_a_running_event_loop(api):
    wf, key = api.publish(HELLO), api.key()

    async def inside() -> str:
        with FlowAI(api.url, key) as fai:  # as in a notebook: the sync client has its own loop
            return fai.run(wf, HI).output

    assert asyncio.run(inside()) == ANSWER


def test_batch_max_retries_overrides_the_clients(api):
    wf, key = api.publish(HELLO), api.key()
    with Gateway(api.url, [(503, {}), (503, {})]) as gateway, FlowAI(gateway.url, key, backoff=0.05) as fai:
        (failed,) = fai.batch(wf, [HI], max_retries=0)
        assert not failed.success and failed.error.status == 503 and len(gateway.seen) == 1
        (passed,) = fai.batch(wf, [HI], max_retries=2)
        assert passed.success and passed.output == ANSWER and len(gateway.seen) == 3


def test_the_readme_walk_through_runs_as_written(api, tmp_path):
    wf, key = api.publish(HELLO), api.key()
    readme = (_root() / "README.md").read_text(encoding="utf-8")
    block = readme.split("The same calls with the Python client", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    code = block.replace("http://127.0.0.1:8080", api.url).replace("<id>", wf).replace("<key>", key)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(_root())}
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [ANSWER, ANSWER, "True 在呢。你说的是：a None", "True 在呢。你说的是：b None"]


def test_a_lost_answer_is_retried_with_the_same_idempotency_key_and_runs_once(api):
    from flowai.runs.history import RunHistory

    wf, key = api.publish(HELLO), api.key()
    port = int(api.url.rsplit(":", 1)[1])
    with CuttingProxy(port, marker=b"HTTP/1.1", after=1, forward_last=False) as proxy, FlowAI(proxy.url, key) as fai:
        result = fai.run(wf, HI)
    assert proxy.cuts == 1 and len(proxy.requests) == 2 and result.output == ANSWER
    first, second = (
        next(line for line in r.split(b"\r\n") if line.lower().startswith(b"idempotency-key")) for r in proxy.requests
    )
    assert first == second
    history = RunHistory(api.platform.db)
    assert until(lambda: history.page(owner_id=api.owner_id)[1]) == 1  # one run (recorded in the background)


def test_batch_downloads_files_and_refuses_names_leaving_the_folder(served, tmp_path):
    items = [{"prompt": "a", "name": "fox"}, {"prompt": "b", "name": "../../escape"}]
    with FlowAI(served["FLOWAI_URL"], served["FLOWAI_API_KEY"]) as fai:
        wf, out = served["FLOWAI_WORKFLOW_ID"], tmp_path / "out"
        ok, bad = fai.batch(wf, items, out=out, name_template="{input.name}.{ext}")
        assert ok.success and ok.files == [str(tmp_path / "out" / "fox.png")]
        assert (tmp_path / "out" / "fox.png").read_bytes().startswith(b"\x89PNG")
        assert not bad.success and isinstance(bad.error, InputError) and "leaves the folder" in bad.error.message
        assert not (tmp_path.parent / "escape.png").exists()
        (path,) = fai.download(ok.output, tmp_path / "plain")
        assert path.suffix == ".png" and path.read_bytes() == (tmp_path / "out" / "fox.png").read_bytes()
