"""1. Engine overhead: µs per node of ``Engine().run`` on 1,000 template nodes, in-process.

Two shapes, each compiled once and run several times (median reported):
- chain: input -> t0 -> t1 -> ... -> t999 -> output, each template ``{{t<i-1>.text}}``;
- fan-out/fan-in: input -> f0..f998 (each ``{{in.q}}``) -> join (all 999 texts) -> output.
Per node = run time / every node executed (the 1,000 templates plus input and output).
"""

from __future__ import annotations

import asyncio
import time

from bench import Figure, below, median
from flowai.runs.engine import Engine
from flowai.workflows.graph import compile_graph
from nodes import default_registry

N = 1000
REPEATS = 9
TARGET_US = 30.0


def _input() -> dict:
    return {"id": "in", "type": "input", "config": {"fields": [{"name": "q", "type": "string"}]}}


def chain(n: int = N) -> dict:
    nodes = [_input()]
    edges = []
    prev, port = "in", "q"
    for i in range(n):
        nodes.append({"id": f"t{i}", "type": "template", "config": {"template": f"{{{{{prev}.{port}}}}}"}})
        edges.append({"source": prev, "target": f"t{i}"})
        prev, port = f"t{i}", "text"
    nodes.append({"id": "out", "type": "output", "config": {"value": f"{{{{{prev}.text}}}}"}})
    edges.append({"source": prev, "target": "out"})
    return {"format": "flowai/1", "name": "chain", "nodes": nodes, "edges": edges}


def fan(n: int = N) -> dict:
    nodes = [_input()]
    edges = []
    width = n - 1
    for i in range(width):
        nodes.append({"id": f"f{i}", "type": "template", "config": {"template": "{{in.q}}"}})
        edges.append({"source": "in", "target": f"f{i}"})
        edges.append({"source": f"f{i}", "target": "join"})
    nodes.append(
        {"id": "join", "type": "template", "config": {"template": "".join(f"{{{{f{i}.text}}}}" for i in range(width))}}
    )
    nodes.append({"id": "out", "type": "output", "config": {"value": "{{join.text}}"}})
    edges.append({"source": "join", "target": "out"})
    return {"format": "flowai/1", "name": "fan", "nodes": nodes, "edges": edges}


async def _time_runs(graph, repeats: int) -> list[float]:
    engine = Engine()
    times = []
    for i in range(repeats + 1):
        events: list = []
        t0 = time.perf_counter()
        await engine.run(graph, {"q": "x"}, events.append)
        elapsed = time.perf_counter() - t0
        if i:  # the first run warms caches up
            times.append(elapsed)
    return times


def run() -> list[Figure]:
    figures = []
    registry = default_registry()
    for shape, doc in (("chain", chain()), ("fan-out/fan-in", fan())):
        t0 = time.perf_counter()
        graph = compile_graph(doc, registry)
        compile_ms = (time.perf_counter() - t0) * 1000
        times = asyncio.run(_time_runs(graph, REPEATS))
        nodes = len(graph.nodes)
        per_node = median(times) / nodes * 1e6
        figures.append(
            Figure(
                "engine",
                f"{shape}, per node",
                per_node,
                "µs",
                f"< {TARGET_US:g} µs",
                below(per_node, TARGET_US),
                note=f"{nodes} nodes, median of {REPEATS} runs ({median(times) * 1000:.1f} ms a run, "
                f"min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}); "
                f"compiled once in {compile_ms:.0f} ms",
            )
        )
    return figures
