"""The engine's inline path: nodes whose code never awaits run without a task of their own, and
whatever around them does wait (a paused run's gate) still works."""

from __future__ import annotations

import asyncio

from flowai.demo import HELLO
from flowai.runs.engine import Engine, never_waits
from flowai.workflows.graph import compile_graph
from nodes import default_registry

REGISTRY = default_registry()
RUN_INPUT = {"输入": "在吗?"}
EXPECTED = "在呢。你说的是：在吗?"


def test_which_node_types_never_wait():
    assert all(never_waits(REGISTRY.get(t)) for t in ("input", "template", "output"))
    assert not any(never_waits(REGISTRY.get(t)) for t in ("llm", "http", "loop"))


def test_a_run_of_nodes_that_never_wait_creates_no_task():
    graph = compile_graph(HELLO, REGISTRY)
    events: list = []

    async def main():
        loop = asyncio.get_running_loop()
        created: list = []

        def factory(loop, coro, **kw):
            created.append(coro)
            return asyncio.Task(coro, loop=loop, **kw)

        loop.set_task_factory(factory)
        try:
            output = await Engine().run(graph, RUN_INPUT, events.append)
        finally:
            loop.set_task_factory(None)
        return output, created

    output, created = asyncio.run(main())
    assert output == EXPECTED
    assert created == []
    kinds = [(e.kind, getattr(e, "node", None)) for e in events]
    assert kinds == [
        ("start", "in"),
        ("start_node", "in"),
        ("finish_node", "in"),
        ("start_node", "reply"),
        ("finish_node", "reply"),
        ("start_node", "out"),
        ("finish_node", "out"),
        ("output", None),
    ], kinds


def test_a_paused_gate_moves_the_rest_of_an_inline_node_into_a_task():
    graph = compile_graph(HELLO, REGISTRY)
    events: list = []

    async def main():
        opened = asyncio.Event()
        calls = 0

        async def gate() -> None:
            nonlocal calls
            calls += 1
            if calls == 2:  # paused before the template node starts
                await opened.wait()

        run = asyncio.create_task(Engine().run(graph, RUN_INPUT, events.append, gate=gate))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not run.done()
        assert [e.kind for e in events] == ["start", "start_node", "finish_node"]
        opened.set()
        return await asyncio.wait_for(run, 10)

    assert asyncio.run(main()) == EXPECTED
    assert [e.kind for e in events][-2:] == ["finish_node", "output"]


def test_a_paused_inline_node_is_cancelled_with_its_run():
    graph = compile_graph(HELLO, REGISTRY)

    async def main():
        never = asyncio.Event()

        async def gate() -> None:
            await never.wait()

        run = asyncio.create_task(Engine().run(graph, RUN_INPUT, lambda e: None, gate=gate))
        for _ in range(5):
            await asyncio.sleep(0)
        run.cancel()
        try:
            await run
        except asyncio.CancelledError:
            return "cancelled"
        return "finished"

    assert asyncio.run(main()) == "cancelled"
