"""Contract tests of the published run API (docs/run-api.md) over real HTTP."""

from __future__ import annotations

import copy

import httpx
import pytest

from flowai.demo import HELLO, LLM_CHAT, PARALLEL
from storage import queries
from storage.db import session
from tests.clock import Clock
from tests.sse import parse
from tests.wait import wait_until

RUN = "/v1/api/workflow/run/"


def post(api, wf_id, body, key=None, **kw):
    headers = {"X-API-KEY": key} if key else {}
    headers.update(kw.pop("headers", {}))
    content = body if isinstance(body, (bytes, str)) else None
    return httpx.post(
        api.url + RUN + wf_id,
        json=None if content is not None else body,
        content=content,
        headers=headers,
        timeout=30,
        **kw,
    )


def wait_for_run(platform, run_id, status=None, timeout=5.0):
    def recorded():
        with session(platform.db) as s:
            run = queries.get_run(s, run_id=run_id)
            if run is not None and (status is None or run.status == status):
                return run, queries.run_nodes(s, run_id=run_id)
        return None

    return wait_until(recorded, timeout, message=f"run {run_id} not recorded with status {status}")


# --- the standard answer ---------------------------------------------------------------------


def test_json_answer_shape_and_header(api):
    wf, key = api.publish(HELLO), api.key()
    r = post(api, wf, {"input": {"输入": "在吗?"}}, key)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["output", "total_time"]
    assert body["output"] == "在呢。你说的是：在吗?"
    assert isinstance(body["total_time"], float) and 0 <= body["total_time"] < 5
    assert "在呢".encode() in r.content  # UTF-8, not \u-escaped
    run, nodes = wait_for_run(api.platform, r.headers["x-run-id"], "completed")
    assert run.output == body["output"] and run.input == {"输入": "在吗?"} and run.source == "api"
    assert {n.node_id: n.status for n in nodes} == {"in": "completed", "reply": "completed", "out": "completed"}


def test_curl_default_form_content_type_is_read_as_json(api):
    """FlowAI's documented curl call sends application/x-www-form-urlencoded."""
    wf, key = api.publish(HELLO), api.key()
    r = post(
        api,
        wf,
        '{"input":{"输入":"在吗?"}}'.encode(),
        key,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["output"] == "在呢。你说的是：在吗?"


def test_template_syntax_in_user_input_is_never_evaluated(api):
    wf, key = api.publish(HELLO), api.key()
    r = post(api, wf, {"input": {"输入": "{{in.输入}} $开始.输入 {{reply.text}}"}}, key)
    assert r.json()["output"] == "在呢。你说的是：{{in.输入}} $开始.输入 {{reply.text}}"


# --- the SSE stream --------------------------------------------------------------------------


def test_sse_events_in_order_with_exact_keys(api):
    wf, key = api.publish(HELLO), api.key()
    r = post(api, wf, {"input": {"输入": "在吗?"}, "stream": True}, key)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["x-run-id"]
    frames = [f for f in parse(r.text) if f.event]
    assert [f.event for f in frames] == ["msg"] * 7 + ["output"]
    assert [int(f.id) for f in frames] == list(range(1, 9))
    start = frames[0]
    assert start.keys == ["Node", "Msg", "Type", "Data"]
    assert start.json == {"Node": "in", "Msg": "start", "Type": "start", "Data": {"输入": "在吗?"}}
    types = [(f.json["Type"], f.json["Node"]) for f in frames[1:7]]
    assert types == [
        ("start_node", "in"),
        ("finish_node", "in"),
        ("start_node", "reply"),
        ("finish_node", "reply"),
        ("start_node", "out"),
        ("finish_node", "out"),
    ]
    assert frames[1].json["Msg"] == "Start node 开始, type input" and frames[1].json["Data"] is None
    assert frames[2].json["Msg"] == "Finish node 开始, type input"
    assert list(frames[2].json["Data"]) == ["time_spend"]
    assert frames[-1].keys == ["output", "total_time"]
    assert frames[-1].json["output"] == "在呢。你说的是：在吗?"
    assert "在呢" in r.text  # raw UTF-8 in the stream


def test_parallel_branches_interleave(api):
    wf, key = api.publish(PARALLEL), api.key()
    r = post(api, wf, {"input": {"输入": "hi", "name": "Ann"}, "stream": True}, key)
    frames = [f.json for f in parse(r.text) if f.event == "msg"]
    order = [(f["Type"], f["Node"]) for f in frames]
    join_start = order.index(("start_node", "join"))
    assert order.index(("finish_node", "greet")) < join_start and order.index(("finish_node", "echo")) < join_start
    assert parse(r.text)[-1].json["output"] == "Hello, Ann! You said: hi"


def test_llm_stream_content_concatenates_to_output(api_with_openai):
    doc = copy.deepcopy(LLM_CHAT)
    doc["nodes"][1]["config"]["model"] = "echo"
    wf, key = api_with_openai.publish(doc), api_with_openai.key()
    r = post(api_with_openai, wf, {"input": {"输入": "say this back"}, "stream": True}, key)
    frames = [f for f in parse(r.text) if f.event]
    stream = [f for f in frames if f.event == "stream"]
    assert len(stream) > 1
    assert stream[0].keys == ["Content", "Node", "Reasoning"]
    assert all(f.json["Node"] == "llm" for f in stream)
    assert "".join(f.json["Content"] for f in stream) == frames[-1].json["output"]
    assert frames[-1].event == "output"


def test_ping_comments_and_ids_keep_long_streams_open(settings, fake_openai):
    from dataclasses import replace

    from tests.conftest import start_api

    server, api = start_api(
        replace(
            settings, ping_interval=1, env={"OPENAI_API_KEY": fake_openai.api_key, "OPENAI_BASE_URL": fake_openai.url}
        )
    )
    with server:
        doc = copy.deepcopy(LLM_CHAT)
        doc["nodes"][1]["config"]["model"] = "slow-1.8"  # answers after the first ping (at 1 s)
        wf, key = api.publish(doc), api.key()
        r = post(api, wf, {"input": {"输入": "hi"}, "stream": True}, key)
    frames = parse(r.text)
    assert any(f.comment == "ping" for f in frames)
    assert frames[-1].event == "output"


# --- Beyond FlowAI: version pinning, detail, replay ---------------------------------------------


def test_version_pins_a_published_or_older_version(api):
    api.platform.workflows.clock = clock = Clock()
    wf, key = api.publish(HELLO), api.key()
    v2 = copy.deepcopy(HELLO)
    v2["nodes"][1]["config"]["template"] = "v2: {{in.输入}}"
    api.platform.workflows.save(owner_id=api.owner_id, workflow_id=wf, document=v2)
    assert post(api, wf, {"input": {"输入": "x"}}, key).json()["output"] == "在呢。你说的是：x"  # v2 not published
    api.platform.workflows.publish(owner_id=api.owner_id, workflow_id=wf, version=2)
    clock.advance(1.1)  # the published-version cache lives 1 s
    assert post(api, wf, {"input": {"输入": "x"}}, key).json()["output"] == "v2: x"
    assert post(api, wf, {"input": {"输入": "x"}, "version": 1}, key).json()["output"] == "在呢。你说的是：x"
    r = post(api, wf, {"input": {"输入": "x"}, "version": 3}, key)
    assert r.status_code == 400 and r.json()["code"] == 40001


def test_detail_adds_run_id_and_usage(api_with_openai):
    doc = copy.deepcopy(LLM_CHAT)
    doc["nodes"][1]["config"]["model"] = "echo"
    wf, key = api_with_openai.publish(doc), api_with_openai.key()
    r = post(api_with_openai, wf, {"input": {"输入": "hello there"}, "detail": True}, key)
    body = r.json()
    assert body["run_id"] == r.headers["x-run-id"]
    usage = body["usage"]["llm"]
    assert usage["provider"] == "openai" and usage["total_tokens"] > 0
    assert usage["cache_hit"] is False and usage["fallbacks"] == []
    r = post(api_with_openai, wf, {"input": {"输入": "hello there"}, "detail": True, "stream": True}, key)
    out = parse(r.text)[-1]
    assert out.event == "output" and out.json["usage"]["llm"]["provider"] == "openai"


def test_events_replay_after_last_event_id(api):
    wf, key = api.publish(HELLO), api.key()
    r = post(api, wf, {"input": {"输入": "在吗?"}, "stream": True}, key)
    run_id, full = r.headers["x-run-id"], [f for f in parse(r.text) if f.event]
    replay = httpx.get(
        f"{api.url}/v1/api/workflow/runs/{run_id}/events", headers={"X-API-KEY": key, "Last-Event-ID": "3"}, timeout=10
    )
    assert replay.status_code == 200
    again = [f for f in parse(replay.text) if f.event]
    assert [(f.id, f.event, f.data) for f in again] == [(f.id, f.event, f.data) for f in full[3:]]
    other = api.platform.users.create(username="other", password="password-2")
    other_key, _ = api.platform.keys.create(owner_id=other.id, name="o")
    r = httpx.get(f"{api.url}/v1/api/workflow/runs/{run_id}/events", headers={"X-API-KEY": other_key})
    assert r.status_code == 404 and r.json()["code"] == 40401


# --- every error row ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        (b"not json", None),
        (b"", None),
        ({"inputs": {"输入": "x"}}, "inputs"),
        ({"stream": True}, "input"),
        ({"input": "text"}, "input"),
        ({"input": {}}, "输入"),
        ({"input": {"输入": 5}}, "输入"),
        ({"input": {"输入": "x" * 2001}}, "输入"),
        ({"input": {"输入": "x", "extra": 1}}, "extra"),
        ({"input": {"输入": "x"}, "stream": "yes"}, "stream"),
        ([1, 2], None),
    ],
)
def test_bad_input_is_400(api, body, field):
    wf, key = api.publish(HELLO), api.key()
    r = post(api, wf, body, key)
    assert r.status_code == 400, r.text
    err = r.json()
    assert set(err) == {"code", "message", "detail"} and err["code"] == 40001
    assert err["message"].endswith(".") and "Traceback" not in r.text
    if field:
        assert field in err["detail"]


def test_auth_errors_are_401(api):
    wf, key = api.publish(HELLO), api.key()
    for headers in ({}, {"X-API-KEY": "fai_nope_nope"}, {"X-API-KEY": key + "x"}):
        r = httpx.post(api.url + RUN + wf, json={"input": {"输入": "x"}}, headers=headers)
        assert r.status_code == 401 and r.json()["code"] == 40101
    r = httpx.post(api.url + RUN + wf + f"?x-api-key={key}", json={"input": {"输入": "x"}})
    assert r.status_code == 401  # never accepted as a query parameter
    key_id = api.platform.keys.list(owner_id=api.owner_id)[0].id
    api.platform.keys.revoke(owner_id=api.owner_id, key_id=key_id)
    r = post(api, wf, {"input": {"输入": "x"}}, key)
    assert r.status_code == 401 and r.json()["code"] == 40101


def test_auth_runs_before_the_body_is_parsed(api):
    wf = api.publish(HELLO)
    r = httpx.post(api.url + RUN + wf, content=b"{broken", headers={})
    assert r.status_code == 401


def test_scoped_key_gets_403_other_accounts_get_404(api):
    wf, other_wf = api.publish(HELLO), api.publish(PARALLEL)
    scoped = api.key(workflows=[other_wf])
    r = post(api, wf, {"input": {"输入": "x"}}, scoped)
    assert r.status_code == 403 and r.json()["code"] == 40301
    assert post(api, other_wf, {"input": {"输入": "x"}}, scoped).status_code == 200
    stranger = api.platform.users.create(username="stranger", password="password-1")
    stranger_key, _ = api.platform.keys.create(owner_id=stranger.id, name="s")
    r = post(api, wf, {"input": {"输入": "x"}}, stranger_key)
    assert r.status_code == 404 and r.json()["code"] == 40401


def test_unknown_and_unpublished_workflows_are_404(api):
    key = api.key()
    assert post(api, "0" * 32, {"input": {}}, key).json()["code"] == 40401
    assert post(api, "../../etc/passwd", {"input": {}}, key).status_code == 404
    draft, _ = api.platform.workflows.create(owner_id=api.owner_id, document=HELLO)
    r = post(api, draft.id, {"input": {"输入": "x"}}, key)
    assert r.status_code == 404 and r.json()["code"] == 40401


def test_oversized_body_is_413(settings):
    from dataclasses import replace

    from tests.conftest import start_api

    server, api = start_api(replace(settings, max_body_bytes=2048))
    with server:
        wf, key = api.publish(HELLO), api.key()
        r = post(api, wf, {"input": {"输入": "x" * 4000}}, key)
        assert r.status_code == 413 and r.json()["code"] == 40003

        def chunks():  # no Content-Length: the limit holds while streaming the body in
            for _ in range(10):
                yield b" " * 1000

        r = httpx.post(api.url + RUN + wf, content=chunks(), headers={"X-API-KEY": key})
        assert r.status_code == 413 and r.json()["code"] == 40003


def test_rate_limit_is_429_with_retry_after(api):
    wf, key = api.publish(HELLO), api.key(rate_limit=3)
    codes = [post(api, wf, {"input": {"输入": "x"}}, key).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    r = post(api, wf, {"input": {"输入": "x"}}, key)
    # A moving window (the embedded default) frees a hit within the minute; PostgreSQL's sliding
    # window counter takes a full window's hits as spread over it, so a burst early in a minute can
    # wait up to a minute plus a minute / limit (tests/test_scale_shared.py checks it is honest).
    longest = 60 if api.platform.db.dialect.name == "sqlite" else 60 + 60 // 3
    assert r.json()["code"] == 42901 and 1 <= int(r.headers["retry-after"]) <= longest
    assert post(api, wf, {"input": {"输入": "x"}}, api.key(rate_limit=0)).status_code == 200


def _llm_doc(model: str, **config) -> dict:
    doc = copy.deepcopy(LLM_CHAT)
    doc["nodes"][1]["config"].update(model=model, **config)
    return doc


def test_provider_failure_is_502_and_an_error_event(api_with_openai):
    api = api_with_openai
    wf, key = api.publish(_llm_doc("error-500")), api.key()
    r = post(api, wf, {"input": {"输入": "x"}}, key)
    assert r.status_code == 502
    err = r.json()
    assert err["code"] == 50002 and "500" in err["message"] and "Traceback" not in r.text
    r = post(api, wf, {"input": {"输入": "x"}, "stream": True}, key)
    last = parse(r.text)[-1]
    assert last.event == "error" and last.keys == ["Node", "code", "message"]
    assert last.json["Node"] == "llm" and last.json["code"] == 50002
    run, nodes = wait_for_run(api.platform, r.headers["x-run-id"], "failed")
    assert run.error["code"] == 50002 and {n.node_id: n.status for n in nodes}["llm"] == "failed"


def test_other_node_failure_is_500_without_a_trace(api_with_openai):
    api = api_with_openai
    wf, key = api.publish(_llm_doc("echo", json_output=True)), api.key()  # echo is not JSON
    r = post(api, wf, {"input": {"输入": "plain words"}}, key)
    assert r.status_code == 500
    assert r.json()["code"] == 50001 and "JSON" in r.json()["message"] and "Traceback" not in r.text


def test_no_provider_configured_is_502(api):
    wf, key = api.publish(LLM_CHAT), api.key()
    r = post(api, wf, {"input": {"输入": "x"}}, key)
    assert r.status_code == 502 and "OPENAI_API_KEY" in r.json()["message"]


def test_unknown_routes_answer_json(api):
    r = httpx.get(api.url + "/v1/api/nothing")
    assert r.status_code == 404 and r.json()["code"] == 40401
    r = httpx.get(api.url + RUN + "abc")
    assert r.status_code == 405 and r.json()["code"] == 40001
