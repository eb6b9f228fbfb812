"""4. Streaming overhead: what FlowAI adds between an upstream model stream and the client.

The upstream (bench/fake_upstream.py, model ``fast-2000``) streams 2,000 content deltas as fast
as it can. The same lean client (raw asyncio socket, ``Connection: close``, reads to EOF) reads
(a) the upstream directly, and (b) FlowAI's run API with ``"stream": true`` on a workflow
input -> llm -> output whose llm node uses that upstream. For each: the time to the first
content delta (the first ``"content":"t`` chunk, or the first ``event: stream`` frame) and the
total time to the end of the response. Reported (medians of several alternating rounds):

- first-token overhead = (b) first delta - (a) first delta  (target < 5 ms);
- per-delta overhead = ((b) total - (b) first delta - ((a) total - (a) first delta)) / 2,000,
  what each delta costs to relay once the stream flows (target < 50 µs).
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import orjson

from bench import Figure, below, fake_upstream, flowai_api, median, workdir

DELTAS = 2000
ROUNDS = 7
TARGET_FIRST_MS, TARGET_DELTA_US = 5.0, 50.0


def document(model: str) -> dict:
    return {
        "format": "flowai/1",
        "name": "stream",
        "nodes": [
            {"id": "in", "type": "input", "config": {"fields": [{"name": "q", "type": "string", "required": True}]}},
            {"id": "llm", "type": "llm", "config": {"model": model, "prompt": "{{in.q}}"}},
            {"id": "out", "type": "output", "config": {"value": "{{llm.text}}"}},
        ],
        "edges": [
            {"source": "in", "target": "llm"},
            {"source": "llm", "source_port": "text", "target": "out", "target_port": "value"},
        ],
    }


async def timed_post(
    url: str, body: bytes, headers: dict[str, str], marker: bytes
) -> tuple[float, float, float, bytes]:
    """POST and read to EOF; return (first byte, first ``marker``, end) in seconds, and the body."""
    parts = urlsplit(url)
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = [
        f"POST {parts.path} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    buf = bytearray()
    first = found = None
    while True:
        chunk = await reader.read(262144)
        if not chunk:
            break
        now = time.perf_counter()
        if first is None:
            first = now
        start = max(0, len(buf) - len(marker))
        buf += chunk
        if found is None and buf.find(marker, start) >= 0:
            found = now
    end = time.perf_counter()
    writer.close()
    if not buf.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"unexpected answer: {bytes(buf[:300])!r}")
    if found is None:
        raise RuntimeError(f"no {marker!r} in the answer: {bytes(buf[-300:])!r}")
    return first - t0, found - t0, end - t0, bytes(buf)


async def _measure(upstream_url: str, run_url: str, key: str) -> dict[str, list[float]]:
    model = f"fast-{DELTAS}"
    direct_body = orjson.dumps(
        {
            "model": model,
            "messages": [{"role": "user", "content": "go"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    )
    run_body = orjson.dumps({"input": {"q": "go"}, "stream": True})
    out: dict[str, list[float]] = {k: [] for k in ("a_first", "a_end", "b_first", "b_end", "a_byte", "b_byte")}
    for i in range(ROUNDS + 2):
        a = await timed_post(
            upstream_url + "/v1/chat/completions", direct_body, {"Authorization": "Bearer sk-bench"}, b'"content":"t'
        )
        b = await timed_post(run_url, run_body, {"X-API-KEY": key}, b"event: stream")
        if i == 0:
            deltas = b[3].count(b"event: stream")
            if deltas != DELTAS or b"event: output" not in b[3]:
                raise RuntimeError(f"FlowAI relayed {deltas} deltas, expected {DELTAS}")
        if i < 2:  # warm-up rounds
            continue
        out["a_byte"].append(a[0])
        out["a_first"].append(a[1])
        out["a_end"].append(a[2])
        out["b_byte"].append(b[0])
        out["b_first"].append(b[1])
        out["b_end"].append(b[2])
        await asyncio.sleep(0.2)  # let the run be recorded before the next round
    return out


def run() -> list[Figure]:
    with (
        workdir("streaming") as tmp,
        fake_upstream(tmp) as upstream,
        flowai_api(
            tmp, document(f"fast-{DELTAS}"), OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=upstream.url + "/v1"
        ) as server,
    ):
        m = asyncio.run(_measure(upstream.url, server.run_url, server.key))
    a_first, b_first = median(m["a_first"]), median(m["b_first"])
    a_body = median([e - f for e, f in zip(m["a_end"], m["a_first"])])
    b_body = median([e - f for e, f in zip(m["b_end"], m["b_first"])])
    first_ms = (b_first - a_first) * 1000
    delta_us = (b_body - a_body) / DELTAS * 1e6
    return [
        Figure(
            "streaming",
            "first-token overhead",
            first_ms,
            "ms",
            f"< {TARGET_FIRST_MS:g} ms",
            below(first_ms, TARGET_FIRST_MS),
            note=f"first delta direct {a_first * 1000:.2f} ms, via FlowAI {b_first * 1000:.2f} ms; first byte "
            f"(headers) direct {median(m['a_byte']) * 1000:.2f} ms, via FlowAI "
            f"{median(m['b_byte']) * 1000:.2f} ms; medians of {ROUNDS}",
        ),
        Figure(
            "streaming",
            "per-delta overhead",
            delta_us,
            "µs",
            f"< {TARGET_DELTA_US:g} µs",
            below(delta_us, TARGET_DELTA_US),
            note=f"{DELTAS} deltas: direct total {median(m['a_end']) * 1000:.1f} ms, via FlowAI "
            f"{median(m['b_end']) * 1000:.1f} ms",
        ),
    ]
