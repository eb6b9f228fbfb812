"""2. Critical-path efficiency: 50 parallel ``llm`` nodes, each on an upstream answering after
300 ms, joined by one template. Wall time / 300 ms: 1.00 is perfect overlap.

The engine runs in-process with the real provider router (``Router.from_env``)
against bench/fake_upstream.py in its own process. The first run opens 50 connections (cold);
the figure is the median of the warm runs after it.

The floor under it is measured in the same run: the same 50 streamed calls made straight with the
same HTTP client (no engine, no router), read line by line. What the engine adds is the
difference between the two.
"""

from __future__ import annotations

import asyncio
import time

from bench import Figure, at_most, fake_upstream, median, workdir
from flowai.net.httpclient import make_client
from flowai.providers.router import Router
from flowai.runs.engine import Engine
from flowai.workflows.graph import compile_graph
from nodes import default_registry

WIDTH = 50
DELAY_MS = 300
REPEATS = 5
TARGET = 1.10


def document(width: int = WIDTH, delay_ms: int = DELAY_MS) -> dict:
    nodes = [{"id": "in", "type": "input", "config": {"fields": [{"name": "q", "type": "string"}]}}]
    edges = []
    for i in range(width):
        nodes.append(
            {"id": f"llm{i}", "type": "llm", "config": {"model": f"delay-{delay_ms}", "prompt": f"{i}: {{{{in.q}}}}"}}
        )
        edges.append({"source": "in", "target": f"llm{i}"})
        edges.append({"source": f"llm{i}", "target": "join"})
    nodes.append(
        {
            "id": "join",
            "type": "template",
            "config": {"template": " ".join(f"{{{{llm{i}.text}}}}" for i in range(width))},
        }
    )
    nodes.append({"id": "out", "type": "output", "config": {"value": "{{join.text}}"}})
    edges.append({"source": "join", "target": "out"})
    return {"format": "flowai/1", "name": "critical path", "nodes": nodes, "edges": edges}


async def _measure(base_url: str) -> list[float]:
    graph = compile_graph(document(), default_registry())
    async with make_client() as client:  # the client flowai.platform.Platform uses in production
        engine = Engine(Router.from_env({"OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": base_url}, client))
        times = []
        for _ in range(REPEATS + 1):
            events: list = []
            t0 = time.perf_counter()
            output = await engine.run(graph, {"q": "x"}, events.append)
            times.append(time.perf_counter() - t0)
            assert output == " ".join(["ok"] * WIDTH), output
        return times


async def _bare_call(client, url: str, i: int) -> None:
    body = {"model": f"delay-{DELAY_MS}", "messages": [{"role": "user", "content": f"{i}: x"}], "stream": True}
    async with client.stream("POST", url, json=body, headers={"Authorization": "Bearer sk-bench"}) as answer:
        answer.raise_for_status()
        async for _line in answer.aiter_lines():
            pass


async def _measure_bare(base_url: str) -> list[float]:
    url = base_url + "/chat/completions"
    async with make_client() as client:
        times = []
        for _ in range(REPEATS + 1):
            t0 = time.perf_counter()
            await asyncio.gather(*(_bare_call(client, url, i) for i in range(WIDTH)))
            times.append(time.perf_counter() - t0)
        return times


def run() -> list[Figure]:
    with workdir("critical") as tmp, fake_upstream(tmp) as upstream:
        times = asyncio.run(_measure(upstream.url + "/v1"))
        bare = asyncio.run(_measure_bare(upstream.url + "/v1"))
    cold, warm = times[0] / (DELAY_MS / 1000), [t / (DELAY_MS / 1000) for t in times[1:]]
    ratio = median(warm)
    floor = median([t / (DELAY_MS / 1000) for t in bare[1:]])
    return [
        Figure(
            "critical_path",
            f"{WIDTH} parallel llm, wall/{DELAY_MS}ms",
            ratio,
            "x",
            f"<= {TARGET:.2f}",
            at_most(ratio, TARGET),
            note=f"warm median of {REPEATS} ({min(warm):.3f}..{max(warm):.3f}); "
            f"first run with {WIDTH} new connections: {cold:.3f}",
        ),
        Figure(
            "critical_path",
            f"{WIDTH} parallel calls, bare HTTP client, wall/{DELAY_MS}ms",
            floor,
            "x",
            note=f"the floor: the same streamed calls straight with the same client; FlowAI adds {ratio - floor:+.3f}",
        ),
    ]
