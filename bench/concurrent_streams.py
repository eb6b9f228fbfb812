"""5. Concurrent streams: 1,000 simultaneous streaming runs on one ``flowai api`` process.

The upstream (bench/fake_upstream.py, model ``drip-100-100``) sends one delta every 100 ms for
10 s. An asyncio httpx client opens 1,000 streaming runs at once (input -> llm -> output, with
``"stream": true``) and reads each to its end. Reported: errors (a non-200 answer, a transport
error, a stream without its ``output`` event or with a wrong number of deltas), the server's RSS
growth (VmRSS from /proc/PID/status, sampled every 50 ms: peak minus the value just before the
load; target < 250 MB), its CPU (utime+stime) over the load, and the wall time of the batch
(10 s is the floor the upstream sets).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx

from bench import Figure, below, cpu_seconds, fake_upstream, flowai_api, raise_fd_limit, rss_bytes, workdir
from bench.streaming import document

STREAMS = 1000
SHARDS = 20
DELTAS, EVERY_MS = 100, 100
TARGET_RSS_MB = 250.0
MB = 1024 * 1024


async def _one(
    client: httpx.AsyncClient, url: str, key: str, errors: list[str], marks: list[tuple[float, float]] | None = None
) -> None:
    t0 = time.perf_counter()
    first = None
    try:
        async with client.stream(
            "POST", url, json={"input": {"q": "go"}, "stream": True}, headers={"X-API-KEY": key}
        ) as r:
            if r.status_code != 200:
                errors.append(f"HTTP {r.status_code}")
                await r.aread()
                return
            body = bytearray()
            async for chunk in r.aiter_bytes():
                if first is None and b"event: stream" in chunk:
                    first = time.perf_counter()
                body += chunk
    except httpx.HTTPError as exc:
        errors.append(type(exc).__name__)
        return
    if marks is not None and first is not None:
        marks.append((first - t0, time.perf_counter() - t0))
    if b"event: output" not in body:
        errors.append("no output event" + (" (error event)" if b"event: error" in body else ""))
    elif body.count(b"event: stream") != DELTAS:
        errors.append(f"{body.count(b'event: stream')} deltas")


async def _load(url: str, key: str, pid: int, upstream_pid: int) -> dict:
    # httpcore's pool costs O(connections x queued requests) per state change, so one client
    # holding 1,000 streams spends more CPU than the server it measures: 1,000 streams are
    # spread over SHARDS clients (each with room for all of its streams).
    per = -(-STREAMS // SHARDS)
    limits = httpx.Limits(max_connections=per + 10, max_keepalive_connections=per + 10)
    timeout = httpx.Timeout(120.0, connect=30.0, pool=60.0)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(limits=limits, timeout=timeout)) for _ in range(SHARDS)
        ]
        client = clients[0]
        warm: list[str] = []
        await asyncio.gather(*(_one(client, url, key, warm) for _ in range(5)))
        await asyncio.sleep(1.0)
        rss0, cpu0 = rss_bytes(pid), cpu_seconds(pid)
        up0, me0 = cpu_seconds(upstream_pid), time.process_time()
        peak = rss0
        done = asyncio.Event()

        async def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_bytes(pid))
                await asyncio.sleep(0.05)

        sampler = asyncio.create_task(sample())
        errors: list[str] = []
        marks: list[tuple[float, float]] = []
        t0 = time.perf_counter()
        async with asyncio.timeout(180):
            await asyncio.gather(*(_one(clients[i % SHARDS], url, key, errors, marks) for i in range(STREAMS)))
        wall = time.perf_counter() - t0
        done.set()
        await sampler
        cpu = cpu_seconds(pid) - cpu0
        up_cpu, client_cpu = cpu_seconds(upstream_pid) - up0, time.process_time() - me0
        await asyncio.sleep(2.0)
        after = rss_bytes(pid)
    return {
        "errors": errors,
        "warm_errors": warm,
        "rss0": rss0,
        "peak": peak,
        "after": after,
        "cpu": cpu,
        "wall": wall,
        "upstream_cpu": up_cpu,
        "client_cpu": client_cpu,
        "first": sorted(m[0] for m in marks),
        "ends": sorted(m[1] for m in marks),
    }


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]


def run() -> list[Figure]:
    raise_fd_limit(4 * STREAMS + 1024)  # inherited by the servers started below
    with (
        workdir("streams") as tmp,
        fake_upstream(tmp) as upstream,
        flowai_api(
            tmp, document(f"drip-{DELTAS}-{EVERY_MS}"), OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=upstream.url + "/v1"
        ) as server,
    ):
        m = asyncio.run(_load(server.run_url, server.key, server.pid, upstream.pid))
    growth = (m["peak"] - m["rss0"]) / MB
    kinds: dict[str, int] = {}
    for e in m["errors"]:
        kinds[e] = kinds.get(e, 0) + 1
    return [
        Figure(
            "concurrent_streams",
            f"{STREAMS} streams, errors",
            len(m["errors"]),
            "",
            "0",
            len(m["errors"]) == 0,
            note=", ".join(f"{k}: {v}" for k, v in kinds.items())
            + (f"; warm-up errors {m['warm_errors']}" if m["warm_errors"] else ""),
        ),
        Figure(
            "concurrent_streams",
            "server RSS growth",
            growth,
            "MB",
            f"< {TARGET_RSS_MB:g} MB",
            below(growth, TARGET_RSS_MB),
            note=f"VmRSS {m['rss0'] / MB:.0f} MB before, peak {m['peak'] / MB:.0f} MB, "
            f"{m['after'] / MB:.0f} MB 2 s after",
        ),
        Figure(
            "concurrent_streams",
            "server CPU",
            m["cpu"],
            "s",
            note=f"{m['cpu'] / m['wall'] * 100:.0f}% of one core over the load; "
            f"{m['cpu'] / (STREAMS * DELTAS) * 1e6:.0f} µs per relayed delta",
        ),
        Figure(
            "concurrent_streams",
            "first delta, median stream",
            _pct(m["first"], 0.5),
            "s",
            note=f"p99 {_pct(m['first'], 0.99):.2f} s (the upstream sends its first delta at once)",
        ),
        Figure(
            "concurrent_streams",
            "wall time (floor 10 s)",
            m["wall"],
            "s",
            note=f"slowest stream {_pct(m['ends'], 1.0):.1f} s; CPU over the load: upstream "
            f"{m['upstream_cpu']:.1f} s, this client {m['client_cpu']:.1f} s",
        ),
    ]
