"""Beyond FlowAI's contract: async runs, signed callbacks, idempotency, SSE replay."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import replace

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.conftest import ThreadServer, start_api
from tests.sse import parse
from tests.test_background_runs import llm_chain, until


@pytest.fixture
def api(settings, fake_openai):
    server, api = start_api(
        replace(
            settings,
            disconnect_grace=3.0,
            allow_private_urls=True,
            env={"OPENAI_API_KEY": fake_openai.api_key, "OPENAI_BASE_URL": fake_openai.url},
        )
    )
    with server:
        api.fake = fake_openai
        yield api


class Receiver:
    """A callback receiver on 127.0.0.1 that fails the first ``fail`` deliveries with a 500."""

    def __init__(self, fail: int = 0):
        self.fail = fail
        self.calls: list[tuple[bytes, dict]] = []
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        self.calls.append((await request.body(), dict(request.headers)))
        return Response(status_code=500 if len(self.calls) <= self.fail else 204)


def status(api, key, run_id):
    return httpx.get(f"{api.url}/v1/api/workflow/runs/{run_id}", headers={"X-API-KEY": key}).json()


def test_async_answers_202_and_the_run_finishes(api):
    wf, key = api.publish(llm_chain("slow-0.3")), api.key()
    r = httpx.post(
        f"{api.url}/v1/api/workflow/run/{wf}", headers={"X-API-KEY": key}, json={"input": {"输入": "hi"}, "async": True}
    )
    assert r.status_code == 202 and r.json()["run_id"] == r.headers["x-run-id"]
    run_id = r.json()["run_id"]
    done = until(lambda: (s := status(api, key, run_id))["status"] == "completed" and s)
    assert done["output"] == "a:hi" and done["error"] is None
    other = api.platform.users.create(username="o", password="other-password")
    other_key, _ = api.platform.keys.create(owner_id=other.id, name="o")
    assert status(api, other_key, run_id)["code"] == 40401
    bad = httpx.post(
        f"{api.url}/v1/api/workflow/run/{wf}",
        headers={"X-API-KEY": key},
        json={"input": {"输入": "hi"}, "async": True, "stream": True},
    )
    assert bad.status_code == 400


def test_callback_is_signed_and_retried(api):
    receiver = Receiver(fail=2)
    with ThreadServer(receiver.app) as hook:
        wf, key = api.publish(llm_chain("echo")), api.key()
        api.platform.callbacks.initial_wait = 0.2
        r = httpx.post(
            f"{api.url}/v1/api/workflow/run/{wf}",
            headers={"X-API-KEY": key},
            json={"input": {"输入": "hi"}, "async": True, "callback_url": f"{hook.url}/hook"},
        )
        until(lambda: len(receiver.calls) == 3, timeout=15)
    body, headers = receiver.calls[-1]
    assert receiver.calls[0][0] == body  # every retry carries the same signed body
    payload = json.loads(body)
    assert payload["run_id"] == r.json()["run_id"] and payload["status"] == "completed" and payload["output"] == "a:hi"
    key_id = api.platform.keys.authenticate(key).id
    secret = api.platform.keys.signing_secret(key_id)
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, headers["x-flowai-signature"])


def test_callback_to_a_private_address_is_refused_by_default(settings):
    server, api = start_api(settings)
    with server:
        wf, key = api.publish(llm_chain("echo")), api.key()
        for url in (
            "http://127.0.0.1:9/hook",
            "http://169.254.169.254/latest",
            "http://[::1]/x",
            "file:///etc/passwd",
            "http://localhost/x",
        ):
            r = httpx.post(
                f"{api.url}/v1/api/workflow/run/{wf}",
                headers={"X-API-KEY": key},
                json={"input": {"输入": "hi"}, "async": True, "callback_url": url},
            )
            assert r.status_code == 400 and r.json()["code"] == 40001, url


def test_idempotency_key_returns_the_first_run(api):
    wf, key = api.publish(llm_chain("echo")), api.key()
    url = f"{api.url}/v1/api/workflow/run/{wf}"
    headers = {"X-API-KEY": key, "Idempotency-Key": "order-42"}
    first = httpx.post(url, headers=headers, json={"input": {"输入": "hi"}})
    again = httpx.post(url, headers=headers, json={"input": {"输入": "hi"}})
    assert first.headers["x-run-id"] == again.headers["x-run-id"]
    assert first.json()["output"] == again.json()["output"] == "a:hi"
    assert len(api.fake.requests) == 1  # one run, one upstream call
    streamed = httpx.post(url, headers=headers, json={"input": {"输入": "hi"}, "stream": True})
    assert streamed.headers["x-run-id"] == first.headers["x-run-id"]
    assert parse(streamed.text)[-1].json["output"] == "a:hi"
    a1 = httpx.post(
        url, headers={**headers, "Idempotency-Key": "async-1"}, json={"input": {"输入": "x"}, "async": True}
    )
    a2 = httpx.post(
        url, headers={**headers, "Idempotency-Key": "async-1"}, json={"input": {"输入": "x"}, "async": True}
    )
    assert a1.json()["run_id"] == a2.json()["run_id"]
    assert (
        httpx.post(url, headers={**headers, "Idempotency-Key": "new"}, json={"input": {"输入": "x"}}).headers[
            "x-run-id"
        ]
        != first.headers["x-run-id"]
    )


def _frames(text):
    return [(f.id, f.event, json.loads(f.data)) for f in parse(text) if f.event]


def _comparable(frames):
    """Events without their timings, which differ between two runs."""
    out = []
    for _, event, data in frames:
        data = dict(data)
        data.pop("total_time", None)
        if isinstance(data.get("Data"), dict):
            data["Data"] = {k: v for k, v in data["Data"].items() if k != "time_spend"}
        out.append((event, data))
    return out


def test_sse_replay_after_a_forced_disconnect_misses_nothing(api):
    wf, key = api.publish(llm_chain("drip-12-60")), api.key()
    url = f"{api.url}/v1/api/workflow/run/{wf}"
    whole = _frames(httpx.post(url, headers={"X-API-KEY": key}, json={"input": {"输入": "x"}, "stream": True}).text)
    got = []
    with httpx.stream("POST", url, headers={"X-API-KEY": key}, json={"input": {"输入": "x"}, "stream": True}) as r:
        run_id = r.headers["x-run-id"]
        buffer = ""
        for chunk in r.iter_text():
            buffer += chunk
            if buffer.count("event: stream") >= 3:
                break
    got = _frames(buffer[: buffer.rfind("\n\n") + 2])
    last_id = got[-1][0]
    time.sleep(0.3)
    rest = httpx.get(
        f"{api.url}/v1/api/workflow/runs/{run_id}/events",
        headers={"X-API-KEY": key, "Last-Event-ID": last_id},
        timeout=30,
    )
    resumed = got + _frames(rest.text)
    assert [int(f[0]) for f in resumed] == list(range(1, len(resumed) + 1))
    assert _comparable(resumed) == _comparable(whole)
    assert resumed[-1][1] == "output"
