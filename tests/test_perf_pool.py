"""The outbound client (flowai/net/httpclient.py) and the OpenAI stream's end (openai_compat): warm
keep-alive connections serve concurrent calls at once, a finished stream hands its connection
back, a body left open after ``[DONE]`` does not hold the node, cookies are not kept.

Functional checks against a real server on 127.0.0.1; no timings are asserted.
"""

from __future__ import annotations

import asyncio

import orjson
import pytest

from flowai.net.httpclient import make_client
from flowai.providers import openai_compat
from flowai.providers.base import ChatRequest
from flowai.providers.openai_compat import OpenAICompatible
from tests.conftest import ThreadServer

N = 20


class Upstream:
    """A raw ASGI server: ``/barrier`` answers once N requests are in flight at the same time (or
    says it timed out); ``/v1/chat/completions`` streams "ok" and ends with ``[DONE]``, then
    closes the body or (model ``hold``) keeps it open until the client leaves; ``/cookie``
    sets a cookie; ``/echo-cookie`` answers the Cookie header it got. Records client ports."""

    def __init__(self):
        self.ports: list[int] = []
        self.arrived = 0
        self.all_in: asyncio.Event | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        self.ports.append(scope["client"][1])
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        if path == "/barrier":
            await self._barrier(send)
        elif path.endswith("/chat/completions"):
            await self._chat(orjson.loads(body).get("model"), receive, send)
        elif path == "/cookie":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"set-cookie", b"session=tenant-a; Path=/")],
                }
            )
            await send({"type": "http.response.body", "body": b"set"})
        else:
            cookie = dict(scope["headers"]).get(b"cookie", b"")
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": cookie})

    async def _barrier(self, send):
        if self.all_in is None:
            self.all_in = asyncio.Event()
        self.arrived += 1
        if self.arrived == N:
            self.all_in.set()
        try:
            await asyncio.wait_for(self.all_in.wait(), 5)
            answer = b"together"
        except TimeoutError:
            answer = b"alone"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": answer})

    async def _chat(self, model, receive, send):
        chunk = {"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        await send(
            {
                "type": "http.response.body",
                "body": b"data: " + orjson.dumps(chunk) + b"\n\ndata: [DONE]\n\n",
                "more_body": True,
            }
        )
        if model == "hold":
            while (await receive())["type"] != "http.disconnect":
                pass
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def reset(self):
        self.ports.clear()
        self.arrived = 0
        self.all_in = None


@pytest.fixture
def upstream():
    app = Upstream()
    with ThreadServer(app) as server:
        app.url = server.url
        yield app


async def test_warm_connections_serve_concurrent_calls_together(upstream):
    async with make_client() as client:
        cold = await asyncio.gather(*(client.get(upstream.url + "/barrier") for _ in range(N)))
        assert {r.text for r in cold} == {"together"}
        first_ports = set(upstream.ports)
        assert len(first_ports) == N
        upstream.reset()
        # httpcore 1.0.9's pool handed one idle connection to every queued request: all but one
        # waited for it and the barrier was never reached
        warm = await asyncio.gather(*(client.get(upstream.url + "/barrier") for _ in range(N)))
        assert {r.text for r in warm} == {"together"}
        assert set(upstream.ports) == first_ports  # every call on a kept connection


async def chat(family: OpenAICompatible, model: str) -> str:
    text = []
    async with family.stream_chat(ChatRequest(messages=[{"role": "user", "content": "hi"}], model=model)) as stream:
        async for chunk in stream:
            text.append(chunk.content or "")
    return "".join(text)


async def test_a_finished_stream_gives_its_connection_back(upstream):
    async with make_client() as client:
        family = OpenAICompatible("openai", base_url=upstream.url + "/v1", api_key="sk-test", client=client)
        assert [await chat(family, "m") for _ in range(3)] == ["ok", "ok", "ok"]
    assert len(upstream.ports) == 3 and len(set(upstream.ports)) == 1


async def test_a_body_left_open_after_done_does_not_hold_the_call(upstream, monkeypatch):
    monkeypatch.setattr(openai_compat, "DRAIN_SECONDS", 0.1)
    async with make_client() as client:
        family = OpenAICompatible("openai", base_url=upstream.url + "/v1", api_key="sk-test", client=client)
        assert await asyncio.wait_for(chat(family, "hold"), 10) == "ok"
        assert await asyncio.wait_for(chat(family, "m"), 10) == "ok"
    assert len(set(upstream.ports)) == 2  # the held connection was dropped, not reused


async def test_cookies_set_by_one_answer_are_not_sent_on_later_calls(upstream):
    async with make_client() as client:
        assert (await client.get(upstream.url + "/cookie")).headers["set-cookie"].startswith("session=")
        assert (await client.get(upstream.url + "/echo-cookie")).text == ""


async def test_clients_share_one_verifying_tls_context():
    """Each client used to parse the whole root bundle for its own context (~18 ms of CPU each); the
    shared one still verifies certificates and host names."""
    import ssl

    async with make_client() as one, make_client() as two:
        contexts = [c._transport._pool._ssl_context for c in (one, two)]
    assert contexts[0] is contexts[1]
    assert contexts[0].verify_mode == ssl.CERT_REQUIRED and contexts[0].check_hostname
    assert contexts[0].cert_store_stats()["x509_ca"] > 50  # the roots are loaded
