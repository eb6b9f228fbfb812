"""The background run queue: bounded concurrency, fair across accounts, pause while queued."""

from __future__ import annotations

import asyncio

from flowai.runs.engine import Engine
from flowai.runs.manager import RunManager
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from nodes.base import Node, NodeConfig


class SlowNode(Node):
    type, title, group = "slow", "Slow", "logic"
    running = 0
    most = 0
    order: list[str] = []

    def output_ports(self, config):
        return {}

    async def run(self, ctx, config: NodeConfig):
        SlowNode.running += 1
        SlowNode.most = max(SlowNode.most, SlowNode.running)
        SlowNode.order.append(ctx.run_input["who"])
        await asyncio.sleep(0.05)
        SlowNode.running -= 1
        return {}


class NullRecorder:
    def started(self, run):
        pass

    def finished(self, run, nodes, *, inserted=True):
        pass

    def status(self, run_id, values):
        pass

    def node(self, record):
        pass

    async def flush(self):
        pass


def graph():
    registry = default_registry()
    registry._nodes["slow"] = SlowNode()
    return compile_graph(
        {
            "nodes": [
                {"id": "in", "type": "input", "config": {"fields": [{"name": "who"}]}},
                {"id": "s", "type": "slow"},
                {"id": "out", "type": "output", "config": {"value": "{{in.who}}"}},
            ],
            "edges": [{"source": "in", "target": "s"}, {"source": "s", "target": "out"}],
        },
        registry,
    )


async def test_queue_is_bounded_and_fair_across_accounts():
    SlowNode.running = SlowNode.most = 0
    SlowNode.order = []
    runs = RunManager(Engine(), NullRecorder(), max_concurrent=2)
    g = graph()
    heavy = [runs.submit(g, {"who": "heavy"}, workflow_id="w", version=1, owner_id=1) for _ in range(8)]
    light = [runs.submit(g, {"who": "light"}, workflow_id="w", version=1, owner_id=2) for _ in range(2)]
    await asyncio.gather(*(h.wait() for h in heavy + light))
    assert SlowNode.most == 2
    assert all(h.status == "completed" for h in heavy + light)
    # account 2 queued behind eight runs of account 1; once the first two slots free up, the queue
    # alternates between accounts, so its runs are the 4th and 6th to start (not the 9th and 10th)
    assert SlowNode.order[:6] == ["heavy", "heavy", "heavy", "light", "heavy", "light"]


async def test_a_run_paused_while_queued_waits_for_resume():
    SlowNode.order = []
    runs = RunManager(Engine(), NullRecorder(), max_concurrent=1)
    g = graph()
    first = runs.submit(g, {"who": "a"}, workflow_id="w", version=1, owner_id=1)
    second = runs.submit(g, {"who": "b"}, workflow_id="w", version=1, owner_id=1)
    runs.pause(second)
    await first.wait()
    await asyncio.sleep(0.1)
    assert second.status == "paused" and SlowNode.order == ["a"]
    runs.resume(second)
    await second.wait()
    assert second.status == "completed" and SlowNode.order == ["a", "b"]


class ListRecorder(NullRecorder):
    def __init__(self):
        self.finished_runs = []

    def finished(self, run, nodes, *, inserted=True):
        self.finished_runs.append((run["id"], run["status"]))


async def test_shutdown_leaves_background_runs_resumable_and_starts_no_queued_one():
    SlowNode.order = []
    recorder = ListRecorder()
    runs = RunManager(Engine(), recorder, max_concurrent=1)
    g = graph()
    running = runs.submit(g, {"who": "a"}, workflow_id="w", version=1, owner_id=1)
    queued = runs.submit(g, {"who": "b"}, workflow_id="w", version=1, owner_id=1)
    client = runs.start(g, {"who": "c"}, workflow_id="w", version=1, owner_id=1)
    await asyncio.sleep(0.01)
    await runs.shutdown()
    await asyncio.sleep(0.1)
    assert "b" not in SlowNode.order  # the freed slot did not start the queued run
    assert queued.task is None and running.status == "interrupted"
    assert recorder.finished_runs == [(client.id, "cancelled")]  # background runs stay 'running' in the db
