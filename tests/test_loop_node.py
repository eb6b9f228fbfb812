"""The loop (map) node: a body of nodes run once per item, against the fake OpenAI server on 127.0.0.1.

Concurrency is observed where it matters, at the provider: the fake counts the streams open at once.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from flowai.errors import GraphError, NodeError
from flowai.providers.router import Router
from flowai.runs.engine import Engine
from flowai.runs.events import LoopProgress, NodeFinished, NodeStarted, RunFailed, StreamDelta
from flowai.runs.manager import event_record, stored_handle
from flowai.runs.progress import Stage, node_fractions, progress
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from tests.sse import parse

REGISTRY = default_registry()


def looped(items: str = "{{in.xs}}", body: list[dict] | None = None, edges: list[dict] | None = None, **loop) -> dict:
    """input(xs: json) -> loop lp [body] -> output {{lp.results}}; body default: one LLM echoing the item."""
    body = body or [
        {
            "id": "llm",
            "type": "llm",
            "parent": "lp",
            "config": {"model": "echo", "prompt": "shot {{lp.index}}: {{lp.item}}"},
        }
    ]
    return {
        "format": "flowai/1",
        "name": "loop",
        "nodes": [
            {"id": "in", "type": "input", "config": {"fields": [{"name": "xs", "type": "json"}]}},
            {"id": "lp", "type": "loop", "config": {"items": items, **loop}},
            *body,
            {"id": "out", "type": "output", "config": {"value": "{{lp.results}}"}},
        ],
        "edges": [{"source": "in", "target": "lp"}, {"source": "lp", "target": "out"}, *(edges or [])],
    }


@pytest.fixture
async def gateway(fake_openai):
    async with httpx.AsyncClient(timeout=10) as client:
        yield Router.from_env({"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake_openai.url}, client)


async def run(doc: dict, run_input: dict, services=None) -> tuple[object, list]:
    events: list = []
    output = await Engine(services).run(compile_graph(doc, REGISTRY), run_input, events.append)
    return output, events


async def test_twenty_items_at_concurrency_four_never_exceed_four_and_keep_order(gateway, fake_openai):
    body = [{"id": "llm", "type": "llm", "parent": "lp", "config": {"model": "slow-0.1", "prompt": "shot {{lp.item}}"}}]
    items = [f"s{i}" for i in range(20)]
    output, events = await run(looped(body=body, concurrency=4), {"xs": items}, gateway)

    assert output == [f"shot s{i}" for i in range(20)]  # in item order, whatever order they ended in
    assert fake_openai.max_in_flight == 4  # four at once, never more
    assert len(fake_openai.requests) == 20
    started = [e.item for e in events if isinstance(e, NodeStarted) and e.node == "llm"]
    assert sorted(started) == list(range(20))
    finished = {e.item: e.outputs["text"] for e in events if isinstance(e, NodeFinished) and e.node == "llm"}
    assert finished == {i: f"shot s{i}" for i in range(20)}
    assert {e.item for e in events if isinstance(e, StreamDelta)} == set(range(20))  # deltas say their item
    last = [e for e in events if isinstance(e, LoopProgress)][-1]
    assert (last.node, last.done, last.total, last.failed) == ("lp", 20, 20, 0)
    loop_done = next(e for e in events if isinstance(e, NodeFinished) and e.node == "lp")
    assert loop_done.item is None and loop_done.outputs["count"] == 20 and loop_done.outputs["errors"] == []


async def test_concurrency_one_runs_items_one_after_another(gateway, fake_openai):
    body = [{"id": "llm", "type": "llm", "parent": "lp", "config": {"model": "slow-0.05", "prompt": "{{lp.item}}"}}]
    output, _ = await run(looped(body=body, concurrency=1), {"xs": ["a", "b", "c"]}, gateway)
    assert output == ["a", "b", "c"] and fake_openai.max_in_flight == 1


def failing_body() -> list[dict]:
    """Item i uses the model named by the item: ``error-500`` fails at the provider."""
    return [{"id": "llm", "type": "llm", "parent": "lp", "config": {"model": "{{lp.item}}", "prompt": "n{{lp.index}}"}}]


async def test_failing_item_fails_the_loop_naming_its_index(gateway):
    doc = looped(body=failing_body(), concurrency=1)
    with pytest.raises(NodeError) as caught:
        await run(doc, {"xs": ["echo", "echo", "error-500", "echo"]}, gateway)
    err = caught.value
    assert err.node_id == "lp" and "Item 2" in err.message and "llm" in err.message
    assert err.detail["index"] == 2 and err.detail["node"] == "llm" and err.detail["code"] == 50002


async def test_failing_item_is_reported_in_the_run_error_event(gateway):
    events: list = []
    graph = compile_graph(looped(body=failing_body(), concurrency=2), REGISTRY)
    with pytest.raises(NodeError):
        await Engine(gateway).run(graph, {"xs": ["echo", "error-500", "echo"]}, events.append)
    failed = events[-1]
    assert isinstance(failed, RunFailed) and failed.node == "lp" and failed.detail["index"] == 1
    assert any(getattr(e, "item", None) == 1 and e.kind == "node_failed" for e in events)


async def test_collected_errors_keep_the_other_items(gateway):
    doc = looped(body=failing_body(), concurrency=3, on_error="collect")
    _, events = await run(doc, {"xs": ["echo", "error-500", "echo", "error-500"]}, gateway)
    outputs = next(e.outputs for e in events if isinstance(e, NodeFinished) and e.node == "lp")
    assert outputs["results"] == ["n0", None, "n2", None]
    assert [(e["index"], e["node"], e["code"]) for e in outputs["errors"]] == [(1, "llm", 50002), (3, "llm", 50002)]
    assert all(e["message"] for e in outputs["errors"]) and outputs["count"] == 4
    last = [e for e in events if isinstance(e, LoopProgress)][-1]
    assert (last.done, last.total, last.failed) == (4, 4, 2)


async def test_a_non_list_is_one_item_and_null_is_none():
    body = [{"id": "t", "type": "template", "parent": "lp", "config": {"template": "<{{lp.index}}:{{lp.item}}>"}}]
    output, _ = await run(looped(body=body), {"xs": "just one"})
    assert output == ["<0:just one>"]
    output, _ = await run(looped(body=body), {"xs": {"a": 1}})
    assert output == ['<0:{"a":1}>']
    output, _ = await run(looped(body=body), {"xs": None})
    assert output == []


async def test_result_template_body_chain_and_upstream_values():
    """Body nodes chain through edges, see the item's fields, the index and nodes upstream of the loop."""
    doc = looped(
        body=[
            {"id": "a", "type": "template", "parent": "lp", "config": {"template": "{{lp.item.name}}@{{in.xs}}"}},
            {"id": "b", "type": "template", "parent": "lp", "config": {"template": "[{{a.text}}]"}},
        ],
        edges=[
            {"source": "a", "target": "b"},
            {"source": "lp", "source_port": "index", "target": "c", "target_port": "template"},
        ],
        result="{{b.text}}#{{c.text}}",
    )
    doc["nodes"].insert(3, {"id": "c", "type": "template", "parent": "lp", "config": {}})
    doc["nodes"][0]["config"]["fields"].append({"name": "tag", "type": "string", "default": "T"})
    doc["nodes"][2]["config"]["template"] = "{{lp.item.name}}@{{in.tag}}"
    output, _ = await run(doc, {"xs": [{"name": "x"}, {"name": "y"}]})
    assert output == ["[x@T]#0", "[y@T]#1"]


async def test_delay_spaces_item_starts():
    body = [{"id": "t", "type": "template", "parent": "lp", "config": {"template": "{{lp.item}}"}}]
    t0 = time.perf_counter()
    output, _ = await run(looped(body=body, concurrency=4, delay=0.15), {"xs": [1, 2, 3]})
    assert output == ["1", "2", "3"] and time.perf_counter() - t0 >= 0.3


async def test_cancelling_the_run_closes_the_items_upstream_requests(gateway, fake_openai):
    body = [{"id": "llm", "type": "llm", "parent": "lp", "config": {"model": "drip-40-50", "prompt": "x"}}]
    graph = compile_graph(looped(body=body, concurrency=2), REGISTRY)
    events: list = []
    task = asyncio.create_task(Engine(gateway).run(graph, {"xs": [1, 2, 3, 4]}, events.append))
    deadline = time.monotonic() + 3
    while fake_openai.in_flight < 2:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await fake_openai.await_disconnects(2, timeout=2.0)
    assert len(fake_openai.requests) == 2  # items 3 and 4 never started


async def test_pause_gate_holds_body_nodes():
    """A paused run blocks at the gate before each node starts: the nodes inside a loop too."""
    opened = asyncio.Event()
    passed = 0

    async def gate() -> None:  # lets the input and the loop node start, then holds
        nonlocal passed
        passed += 1
        if passed > 2:
            await opened.wait()

    body = [{"id": "t", "type": "template", "parent": "lp", "config": {"template": "{{lp.item}}"}}]
    graph = compile_graph(looped(body=body), REGISTRY)
    events: list = []
    task = asyncio.create_task(Engine().run(graph, {"xs": [1, 2]}, events.append, gate=gate))
    await asyncio.sleep(0.05)
    assert any(isinstance(e, NodeStarted) and e.node == "lp" for e in events)
    assert not any(isinstance(e, NodeStarted) and e.node == "t" for e in events)
    opened.set()
    assert await task == ["1", "2"]


def test_item_progress_counts_items():
    events = [NodeStarted("lp", "lp", "loop"), LoopProgress("lp", 0, 4), LoopProgress("lp", 3, 4)]
    plan = [Stage(n, n, (n,), False) for n in ("in", "lp", "out")]
    report = progress(plan, {"in": "completed", "lp": "running"}, "running", node_fractions(events))
    assert report["current_stage"] == "lp" and report["stage_progress"] == 0.75
    assert [s["progress"] for s in report["stages"]] == [1.0, 0.75, 0.0]
    assert report["overall_progress"] == round(1.75 / 3, 4)


def test_stored_events_keep_item_only_inside_loops():
    outside = event_record(NodeStarted("in", "in", "input"))
    inside = event_record(NodeStarted("t", "t", "template", item=3))
    assert "item" not in outside and inside["item"] == 3

    class Row:  # the columns stored_handle reads from a runs row
        id, workflow_id, version, owner_id, key_id, source, input = "r", "w", 1, 1, None, "api", {}
        callback_url, status, output, error = None, "completed", None, None
        events = [outside, inside, event_record(LoopProgress("lp", 1, 2))]

    handle = stored_handle(Row())
    assert handle.events[1] == NodeStarted("t", "t", "template", item=3)
    assert handle.events[2] == LoopProgress("lp", 1, 2)


# validation ------------------------------------------------------------------------------------


def problems(doc: dict) -> list[dict]:
    with pytest.raises(GraphError) as caught:
        compile_graph(doc, REGISTRY)
    return caught.value.issues


TEMPLATE = {"id": "t", "type": "template", "parent": "lp", "config": {"template": "{{lp.item}}"}}


def test_a_valid_loop_compiles_into_a_body():
    graph = compile_graph(looped(body=[TEMPLATE]), REGISTRY)
    assert list(graph.nodes) == ["in", "lp", "out"] and list(graph.bodies["lp"].nodes) == ["t"]


@pytest.mark.parametrize(
    ("edge", "words"),
    [
        ({"source": "t", "source_port": "text", "target": "out", "target_port": "value"}, "inside loop 'lp'"),
        ({"source": "in", "source_port": "xs", "target": "t", "target_port": "template"}, "inside loop 'lp'"),
        ({"source": "in", "target": "t"}, "inside loop 'lp'"),
        ({"source": "lp", "source_port": "results", "target": "t", "target_port": "template"}, "item or index"),
        ({"source": "lp", "target": "t"}, "item or index"),
    ],
)
def test_edges_may_not_cross_the_container(edge, words):
    doc = looped(body=[TEMPLATE], edges=[edge])
    [issue] = problems(doc)
    assert issue["edge"] == 2 and "crosses the boundary of a loop" in issue["message"] and words in issue["message"]


def test_item_port_outside_the_loop_is_refused():
    doc = looped(
        body=[TEMPLATE], edges=[{"source": "lp", "source_port": "item", "target": "out", "target_port": "value"}]
    )
    [issue] = problems(doc)
    assert issue["edge"] == 2 and "item and index reach only the nodes inside the loop" in issue["message"]


def test_templates_respect_the_container():
    outside = looped(body=[TEMPLATE])
    outside["nodes"][-1]["config"]["value"] = "{{t.text}}"  # the output names a node inside the loop
    [issue] = problems(outside)
    assert issue["node"] == "out" and "inside loop 'lp'" in issue["message"]

    own_results = looped(body=[{**TEMPLATE, "config": {"template": "{{lp.results}}"}}])
    [issue] = problems(own_results)
    assert issue["node"] == "t" and "port 'results'" in issue["message"]

    item_outside = looped(body=[TEMPLATE])
    item_outside["nodes"][-1]["config"]["value"] = "{{lp.item}}"
    [issue] = problems(item_outside)
    assert issue["node"] == "out" and "port 'item'" in issue["message"]

    result_upstream = looped(body=[TEMPLATE], result="{{in.xs}}")
    [issue] = problems(result_upstream)
    assert issue["node"] == "lp" and issue["field"] == "config.result" and "rendered for each item" in issue["message"]


def test_parents_must_be_top_level_loops():
    nested = looped(
        body=[
            {"id": "inner", "type": "loop", "parent": "lp", "config": {"items": "{{lp.item}}"}},
            {"id": "t", "type": "template", "parent": "inner", "config": {"template": "x"}},
        ]
    )
    found = problems(nested)
    assert any(i["node"] == "inner" and i["field"] == "parent" and "do not nest" in i["message"] for i in found)

    not_a_loop = looped(body=[TEMPLATE, {"id": "u", "type": "template", "parent": "in", "config": {}}])
    [issue] = problems(not_a_loop)
    assert issue == {
        "message": "Node 'u' is inside 'in', a input node; only a loop node holds other nodes.",
        "node": "u",
        "edge": None,
        "field": "parent",
    }

    missing = looped(body=[TEMPLATE, {"id": "u", "type": "template", "parent": "nowhere", "config": {}}])
    assert problems(missing)[0]["field"] == "parent"

    empty = looped(body=[{"id": "u", "type": "template", "config": {}}])
    [issue] = problems(empty)
    assert issue["node"] == "lp" and "no nodes inside it" in issue["message"]

    output_inside = looped(body=[TEMPLATE])
    output_inside["nodes"][-1]["parent"] = "lp"
    found = problems(output_inside)
    assert any(i["node"] == "out" and "stays outside every loop" in i["message"] for i in found)


@pytest.mark.parametrize("bad", [{"concurrency": 0}, {"concurrency": 33}, {"on_error": "ignore"}, {"delay": -1}])
def test_loop_settings_are_checked(bad):
    found = problems(looped(body=[TEMPLATE], **bad))
    assert found[0]["node"] == "lp" and found[0]["field"].startswith("config.")


# through the published run API ----------------------------------------------------------------

SHOTS = '{"shots": [{"title": "Dawn"}, {"title": "Storm"}, {"title": "Calm"}]}'


def shot_list_flow() -> dict:
    """novel -> LLM answers a shot list (JSON) -> json picks shots -> loop: an LLM per shot -> output."""
    return {
        "format": "flowai/1",
        "name": "shots",
        "nodes": [
            {"id": "in", "type": "input", "config": {"fields": [{"name": "novel", "type": "string"}]}},
            {"id": "script", "type": "llm", "config": {"model": "echo", "prompt": SHOTS}},
            {"id": "pick", "type": "json", "config": {"value": "{{script.text}}", "path": "shots"}},
            {"id": "lp", "type": "loop", "config": {"concurrency": 2, "result": "{{draw.text}}"}},
            {
                "id": "draw",
                "type": "llm",
                "parent": "lp",
                "config": {"model": "echo", "prompt": "Shot {{lp.index}}: {{lp.item.title}} ({{in.novel}})"},
            },
            {"id": "out", "type": "output", "config": {"value": "{{lp.results}}"}},
        ],
        "edges": [
            {"source": "in", "target": "script"},
            {"source": "script", "target": "pick"},
            {"source": "pick", "source_port": "value", "target": "lp", "target_port": "items"},
            {"source": "lp", "source_port": "results", "target": "out", "target_port": "value"},
        ],
    }


def test_loop_over_an_llm_shot_list_through_the_run_api_with_sse(api_with_openai):
    api = api_with_openai
    wf, key = api.publish(shot_list_flow()), api.key()
    url = f"{api.url}/v1/api/workflow/run/{wf}"
    expected = ["Shot 0: Dawn (N)", "Shot 1: Storm (N)", "Shot 2: Calm (N)"]

    r = httpx.post(url, json={"input": {"novel": "N"}}, headers={"X-API-KEY": key}, timeout=30)
    assert r.status_code == 200 and r.json()["output"] == expected

    r = httpx.post(url, json={"input": {"novel": "N"}, "stream": True}, headers={"X-API-KEY": key}, timeout=30)
    frames = parse(r.text)
    assert frames[-1].event == "output" and frames[-1].json["output"] == expected
    msgs = [f for f in frames if f.event == "msg"]
    body = [f.json for f in msgs if f.json["Node"] == "draw"]
    assert sorted((m["Type"], m["Item"]) for m in body) == sorted(
        [("start_node", i) for i in range(3)] + [("finish_node", i) for i in range(3)]
    )
    outer = [f for f in msgs if f.json["Node"] != "draw"]
    assert all(f.keys == ["Node", "Msg", "Type", "Data"] for f in outer)  # unchanged outside the loop
    deltas = [f.json for f in frames if f.event == "stream"]
    assert {d["Item"] for d in deltas if d["Node"] == "draw"} == {0, 1, 2}
    assert all("Item" not in d for d in deltas if d["Node"] == "script")
    text = {i: "".join(d["Content"] for d in deltas if d["Node"] == "draw" and d["Item"] == i) for i in range(3)}
    assert text == dict(enumerate(expected))
