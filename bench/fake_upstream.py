"""A fast fake OpenAI-compatible chat-completions server for the benchmarks.

A raw ASGI app (no framework in the way), served by uvicorn with uvloop/httptools, run as its
own process: ``python -m bench.fake_upstream --port N``. ``POST /v1/chat/completions`` always
streams (FlowAI's provider always asks for a stream); the request's ``model`` scripts it:

=====================  ==================================================================
``delay-<ms>``         waits ``ms`` before answering (headers included), then one short answer
``fast-<n>``           ``n`` content deltas ``"t<i> "``, each its own write, as fast as it can
``drip-<n>-<ms>``      ``n`` deltas, one every ``ms`` milliseconds
anything else          one delta ``"ok"``
=====================  ==================================================================

Every stream ends with a finish chunk, a usage chunk (``choices: []``) and ``data: [DONE]``.
"""

from __future__ import annotations

import argparse
import asyncio

import orjson

HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


def _chunk(delta: dict | None, finish: str | None = None, usage: dict | None = None) -> bytes:
    obj = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "bench",
        "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        obj["usage"] = usage
    return b"data: " + orjson.dumps(obj) + b"\n\n"


ROLE = _chunk({"role": "assistant", "content": ""})
DELTAS = [_chunk({"content": f"t{i} "}) for i in range(5000)]
OK = _chunk({"content": "ok"})


def _tail(n: int) -> bytes:
    return (
        _chunk({}, "stop")
        + _chunk(None, usage={"prompt_tokens": 1, "completion_tokens": n, "total_tokens": n + 1})
        + b"data: [DONE]\n\n"
    )


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["path"] == "/health":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    if scope["method"] != "POST" or not scope["path"].endswith("/chat/completions"):
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    try:
        model = str(orjson.loads(body).get("model", ""))
    except (orjson.JSONDecodeError, AttributeError):
        model = ""
    delay, count, every = 0.0, 0, 0.0
    if model.startswith("delay-"):
        delay = int(model.removeprefix("delay-")) / 1000
    elif model.startswith("fast-"):
        count = int(model.removeprefix("fast-"))
    elif model.startswith("drip-"):
        n, ms = model.removeprefix("drip-").split("-")
        count, every = int(n), int(ms) / 1000
    if delay:
        await asyncio.sleep(delay)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    try:
        if not count:
            await send({"type": "http.response.body", "body": ROLE + OK + _tail(1), "more_body": True})
        else:
            await send({"type": "http.response.body", "body": ROLE, "more_body": True})
            for i in range(count):
                if every and i:
                    await asyncio.sleep(every)
                await send({"type": "http.response.body", "body": DELTAS[i % len(DELTAS)], "more_body": True})
            await send({"type": "http.response.body", "body": _tail(count), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except OSError:  # the client went away
        return


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, lifespan="off", backlog=4096
    )


if __name__ == "__main__":
    main()
