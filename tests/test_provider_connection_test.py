"""Providers -> Test connection against an OpenAI-compatible endpoint that serves chat but no model
list: the probe must not report a working endpoint as failed (issue: "HTTP 501: <!DOCTYPE HTML>…")."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flowai.platform import Platform


class ChatOnly(BaseHTTPRequestHandler):
    """A minimal OpenAI-compatible chat server written with http.server: it defines do_POST only,
    so ``GET /v1/models`` is answered by http.server itself with its HTML 501 page."""

    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ChatOnly.seen.append(f"POST {self.path} {body['model']}")
        chunk = {"id": "c1", "object": "chat.completion.chunk", "model": body["model"],
                 "choices": [{"index": 0, "delta": {"content": "pong"}, "finish_reason": "stop"}]}  # fmt: skip
        data = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def chat_only():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChatOnly)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ChatOnly.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
    thread.join()


async def test_an_endpoint_without_a_model_list_passes_by_a_one_token_chat(chat_only, settings):
    env = {"OPENAI_API_KEY": "sk-test-0123456789", "OPENAI_BASE_URL": chat_only}
    platform = Platform(replace(settings, env=env))
    ok, message = await platform.provider_admin.test_connection("openai")
    await platform.http.aclose()
    assert ok is True, message
    assert "<" not in message and "answered a 1-token chat" in message
    assert any(line.startswith("POST /v1/chat/completions") for line in ChatOnly.seen)


async def test_a_dead_endpoint_still_fails_with_a_readable_reason(settings):
    env = {"OPENAI_API_KEY": "sk-test-0123456789", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    platform = Platform(replace(settings, env=env))
    ok, message = await platform.provider_admin.test_connection("openai")
    await platform.http.aclose()
    assert ok is False and message and "<" not in message
