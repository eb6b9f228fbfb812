"""Stages: validation in flowai/1, progress per stage as fractions 0..1, WebSocket stage events."""

from __future__ import annotations

import json

from websockets.sync.client import connect

from flowai.runs.events import NodeFinished, NodeStarted
from flowai.runs.progress import node_fractions, node_states, progress, stage_plan
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from tests.graphs import issues
from tests.test_background_runs import env, llm_chain, run_status, until  # noqa: F401  (env: fixture)


def staged(doc: dict, stages: list[dict]) -> dict:
    return {**doc, "stages": stages}


TWO = [{"id": "script", "label": "剧本", "nodes": ["a", "b"]}, {"id": "edit", "label": "Edit", "nodes": ["c"]}]


def test_stages_are_validated_with_located_issues():
    doc = llm_chain("echo", "echo", "echo")
    assert compile_graph(staged(doc, TWO), default_registry()).doc.stages[0].label == "剧本"
    bad = staged(
        doc,
        [
            {"id": "script", "nodes": ["a", "ghost"]},
            {"id": "script", "nodes": ["b"]},
            {"id": "video", "nodes": ["a"]},
        ],
    )
    found = issues(bad)
    assert {"message": "Stage 'script' names unknown node 'ghost'.", "node": None, "edge": None,
            "field": "stages.0.nodes.1"} in found  # fmt: skip
    assert any(i["field"] == "stages.1.id" and "Duplicate stage id 'script'" in i["message"] for i in found)
    assert any(
        i["node"] == "a" and i["field"] == "stages.2.nodes.0" and "in stages 'script' and 'video'" in i["message"]
        for i in found
    )
    malformed = issues(staged(doc, [{"id": "bad id!", "nodes": []}]))  # found when the document is parsed
    assert [i["field"] for i in malformed] == ["stages.0.id"] and "stage id" in malformed[0]["message"]


def test_progress_is_a_fraction_per_stage():
    graph = compile_graph(staged(llm_chain("echo", "echo", "echo"), TWO), default_registry())
    plan = stage_plan(graph)
    assert [(s.id, s.nodes, s.drawn) for s in plan] == [
        ("in", ("in",), False),
        ("script", ("a", "b"), True),
        ("edit", ("c",), True),
        ("out", ("out",), False),
    ]
    states = {"in": "completed", "a": "completed", "b": "running"}
    p = progress(plan, states, "running", {"b": 0.5})
    assert p["current_stage"] == "script" and p["stage_progress"] == 0.75
    assert p["overall_progress"] == round((1 + 1 + 0.5) / 5, 4)
    by_id = {s["stage"]: s for s in p["stages"]}
    assert by_id["script"] == {"stage": "script", "status": "running", "progress": 0.75, "label": "剧本",
                               "nodes": ["a", "b"]}  # fmt: skip
    assert by_id["edit"]["status"] == "pending" and by_id["edit"]["progress"] == 0.0
    assert by_id["in"]["label"] == "开始" and by_id["in"]["status"] == "completed"
    done = progress(plan, dict.fromkeys(graph.nodes, "completed"), "completed")
    assert done["overall_progress"] == 1.0 and all(s["progress"] == 1.0 for s in done["stages"])
    assert done["current_stage"] is None and done["stage_progress"] is None
    failed = progress(plan, {"in": "completed", "a": "completed", "b": "failed"}, "failed")
    assert {s["stage"]: s["status"] for s in failed["stages"]}["script"] == "failed"
    for one in (p, done, failed):
        figures = [one["overall_progress"], *(s["progress"] for s in one["stages"])]
        assert all(0.0 <= f <= 1.0 for f in figures)


def test_without_stages_each_node_is_its_own_stage():
    graph = compile_graph(llm_chain("echo"), default_registry())
    p = progress(stage_plan(graph), {"in": "completed", "a": "running"}, "running")
    assert p["stages"] == [
        {"stage": "in", "status": "completed", "progress": 1.0},
        {"stage": "a", "status": "running", "progress": 0.0},
        {"stage": "out", "status": "pending", "progress": 0.0},
    ]
    assert p["overall_progress"] == round(1 / 3, 4) and p["current_stage"] == "a" and p["stage_progress"] == 0.0


def test_a_node_may_report_its_own_fraction():
    class ItemsDone:  # what a loop node reports as its items end
        def __init__(self, node: str, progress: float):
            self.node, self.progress = node, progress

    events = [NodeStarted("a", "A", "llm"), ItemsDone("a", 0.25), ItemsDone("a", 0.5)]
    assert node_fractions(events) == {"a": 0.5} and node_states(events) == {"a": "running"}
    assert node_fractions([NodeFinished("a", "A", "llm", 0.1, {})]) == {}


def test_progress_endpoint_and_websocket_report_stages(env):  # noqa: F811
    api, client, _fake, token = env
    wf = api.publish(staged(llm_chain("slow-0.3", "echo", "echo"), TWO))
    run_id = client.post("/runs", json={"workflow_id": wf, "input": {"输入": "x"}}).json()["data"]["run_id"]
    ws_url = api.url.replace("http", "ws") + f"/api/v1/runs/{run_id}/ws?token={token}"
    messages = []
    with connect(ws_url) as ws:
        while True:
            try:
                messages.append(json.loads(ws.recv(timeout=10)))
            except Exception:
                break
    ended = [(m["type"], m["data"]["stage"]) for m in messages if m["type"].startswith("stage_")]
    assert ("stage_completed", "script") in ended and ("stage_completed", "edit") in ended
    assert ended.count(("stage_completed", "script")) == 1
    script = next(m["data"] for m in messages if m["type"] == "stage_completed" and m["data"]["stage"] == "script")
    assert script == {"stage": "script", "label": "剧本", "status": "completed", "nodes": ["a", "b"]}
    assert messages[-1]["type"] == "workflow_completed"
    figures = [
        f
        for m in messages
        if m["type"] == "progress"
        for f in (m["data"]["overall_progress"], *(s["progress"] for s in m["data"]["stages"]))
    ]
    assert figures and all(0.0 <= f <= 1.0 for f in figures)
    until(lambda: run_status(client, run_id) == "completed")
    data = client.get(f"/runs/{run_id}/progress").json()["data"]
    assert data["overall_progress"] == 1.0 and [s["stage"] for s in data["stages"]] == ["in", "script", "edit", "out"]
    assert all(s["progress"] == 1.0 and s["status"] == "completed" for s in data["stages"])


def test_websocket_reports_a_failed_stage(env):  # noqa: F811
    api, client, _fake, token = env
    wf = api.publish(staged(llm_chain("slow-0.3", "error-500", "echo"), TWO))
    run_id = client.post("/runs", json={"workflow_id": wf, "input": {"输入": "x"}}).json()["data"]["run_id"]
    with connect(api.url.replace("http", "ws") + f"/api/v1/runs/{run_id}/ws?token={token}") as ws:
        messages = []
        while True:
            try:
                messages.append(json.loads(ws.recv(timeout=10)))
            except Exception:
                break
    failed = [m["data"] for m in messages if m["type"] == "stage_failed"]
    assert [(f["stage"], f["status"], f["node"], f["code"]) for f in failed] == [("script", "failed", "b", 50002)]
    assert messages[-1]["type"] == "workflow_failed"
