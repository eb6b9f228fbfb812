"""Branching: the condition node picks the first matching case; nodes reached only through
branches not taken are skipped (recorded, never run); a join after two branches runs once."""

from __future__ import annotations

import httpx
import pytest

from flowai.errors import NodeError
from flowai.runs.engine import Engine, RunState
from flowai.runs.events import NodeSkipped, NodeStarted
from storage import queries
from storage.db import session
from tests.graphs import Graph, compile_doc, find_issue, issues
from tests.sse import parse
from tests.wait import wait_until


def routed() -> Graph:
    """in.kind → cond: vip | starts with "test" | else → one template each → a join → out."""
    return (
        Graph()
        .input(kind="string")
        .node(
            "cond",
            "condition",
            "分流",
            value="{{in.kind}}",
            cases=[{"operator": "equals", "value": "vip"}, {"operator": "starts_with", "value": "test"}],
        )
        .template("a", "VIP: {{cond.case_1}}")
        .template("b", "Test: {{cond.case_2}}")
        .template("c", "Other")
        .node("join", "template", template="{{a.text}}{{b.text}}{{c.text}}")
        .output("{{join.text}}")
        .edge("in", "cond")
        .edge("cond", "a", "case_1")
        .edge("cond", "b", "case_2")
        .edge("cond", "c", "else")
        .edge("a", "join")
        .edge("b", "join")
        .edge("c", "join")
        .edge("join", "out")
    )


async def run(doc: dict, kind: str):
    events = []
    state = RunState()
    output = await Engine().run(compile_doc(doc), {"kind": kind}, events.append, state=state)
    started = [e.node for e in events if isinstance(e, NodeStarted)]
    skipped = [e.node for e in events if isinstance(e, NodeSkipped)]
    return output, started, skipped


@pytest.mark.parametrize(
    "kind,output,ran,skipped",
    [
        ("vip", "VIP: vip", "a", {"b", "c"}),
        ("testing", "Test: testing", "b", {"a", "c"}),
        ("other", "Other", "c", {"a", "b"}),
        ("VIP", "Other", "c", {"a", "b"}),  # equals is exact
    ],
)
async def test_first_match_wins_and_the_rest_is_skipped(kind, output, ran, skipped):
    got, started, skipped_nodes = await run(routed().doc, kind)
    assert got == output
    assert ran in started and not (set(started) & skipped) and set(skipped_nodes) == skipped
    assert started.count("join") == 1


async def test_skipping_spreads_and_a_lone_output_of_a_skipped_branch_gives_none():
    doc = (
        Graph()
        .input(kind="string")
        .node("cond", "condition", value="{{in.kind}}", cases=[{"operator": "is_empty"}])
        .template("a", "empty")
        .template("a2", "{{a.text}}!")
        .output("{{a2.text}}")
        .edge("in", "cond")
        .edge("cond", "a", "case_1")
        .edge("a", "a2")
        .edge("a2", "out")
    ).doc
    assert (await run(doc, ""))[0] == "empty!"
    output, started, skipped = await run(doc, "x")
    assert output is None and skipped == ["a", "a2", "out"] and "a" not in started


async def test_numbers_and_bad_numbers():
    doc = (
        Graph()
        .input(kind="string")
        .node("cond", "condition", value="{{in.kind}}", cases=[{"operator": "gte", "value": "10"}])
        .output({"big": "{{cond.case_1}}", "branch": "{{cond.branch}}"})
        .edge("in", "cond")
        .edge("cond", "out")
    ).doc
    assert (await run(doc, "12.5"))[0] == {"big": "12.5", "branch": "case_1"}
    assert (await run(doc, "3"))[0] == {"big": None, "branch": "else"}
    with pytest.raises(NodeError, match="not a number"):
        await run(doc, "ten")


def test_validation_of_branch_edges():
    doc = routed().edge("cond", "c", "case_7").doc
    issue = find_issue(issues(doc), node="cond")
    assert "no branch 'case_7'" in issue["message"]
    bad = routed().doc
    bad["nodes"][1]["config"]["cases"] = []
    assert any("cases" in (i.get("field") or "") or "cases" in i["message"] for i in issues(bad))


def test_over_the_run_api_stream_bytes_stay_flowai_and_skips_are_recorded(api):
    wf, key = api.publish(routed().doc), api.key(rate_limit=0)
    r = httpx.post(
        f"{api.url}/v1/api/workflow/run/{wf}",
        headers={"X-API-KEY": key},
        json={"input": {"kind": "vip"}, "stream": True},
        timeout=30,
    )
    frames = parse(r.text)
    assert frames[-1].event == "output" and frames[-1].json["output"] == "VIP: vip"
    types = {f.json.get("Type") for f in frames if f.event == "msg"}
    assert types == {"start", "start_node", "finish_node"}  # no new message types for FlowAI clients
    run_id = r.headers["x-run-id"]

    def recorded():
        with session(api.platform.db) as s:
            rows = {n.node_id: n.status for n in queries.run_nodes(s, run_id=run_id)}
        return rows if rows.get("out") == "completed" else None

    rows = wait_until(recorded, message="the run's nodes were not recorded")
    assert rows["b"] == rows["c"] == "skipped" and rows["a"] == "completed", rows


@pytest.mark.parametrize(
    "kind,answer",
    [("vip", "Welcome back, valued member."), ("newcomer", "Welcome! Here is how to start."), ("x", "Hello.")],
)
def test_the_route_demo_uses_flowai_label_references(api, kind, answer):
    from flowai.demo import ROUTE

    wf, key = api.publish(ROUTE), api.key(rate_limit=0)
    r = httpx.post(
        f"{api.url}/v1/api/workflow/run/{wf}",
        headers={"X-API-KEY": key},
        json={"input": {"userType": kind}},
        timeout=30,
    )
    assert r.status_code == 200 and r.json()["output"] == answer, r.text
