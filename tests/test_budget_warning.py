"""Budget warnings: once per crossing of the threshold, into the run's trace (``path``), POSTed
to a webhook receiver on 127.0.0.1, and as a banner on the Providers page (real Chromium).

Each run makes one flux-schnell prediction on a fake Replicate server: $0.003 by the rules table."""

from __future__ import annotations

import time
from dataclasses import replace

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowai.providers.config import ProviderConfig
from flowai.providers.ledger import Ledger
from flowai.providers.replicate import Replicate
from flowai.providers.replicate_rules import Rules
from storage.db import make_engine
from storage.provider_store import DbProviderStore
from tests.browser import ServedApp, chromium, new_page, shot, sign_in
from tests.conftest import ThreadServer, start_api
from tests.fakes.replicate_server import TOKEN, fake_replicate  # noqa: F401 (fixture)
from tests.graphs import Graph, field

PRICE = 0.003  # flux-schnell, one output


def one_image() -> dict:
    g = Graph().input(field("prompt", required=True))
    g.node("a", "replicate", "A", model="flux-schnell", params={"prompt": "{{in.prompt}}"}, cache_ttl=0)
    return g.output("{{a.files}}").chain().doc


class Receiver:
    """A webhook receiver on 127.0.0.1 that keeps what it is sent."""

    def __init__(self):
        self.bodies: list[dict] = []

        async def hook(request: Request) -> Response:
            self.bodies.append(await request.json())
            return Response(status_code=204)

        self.app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def finished(client: httpx.Client, run_id: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        data = client.get(f"/runs/{run_id}").json()["data"]
        if data["status"] in ("completed", "failed", "cancelled"):
            return data
        assert time.monotonic() < deadline, data
        time.sleep(0.05)


def test_a_budget_warns_once_per_crossing_in_the_trace_and_the_webhook(settings, fake_replicate):  # noqa: F811
    receiver = Receiver()
    server, api = start_api(replace(settings, allow_private_urls=True))  # the receiver is on 127.0.0.1
    api.platform.services.replicate = Replicate(
        base_url=fake_replicate.url, api_key=TOKEN, client=api.platform.http, rules=Rules(), poll_interval=0.02
    )
    api.platform.users.setup_admin(username="admin", password="admin-password", token=api.platform.users.setup_token())
    with server, ThreadServer(receiver.app) as hook:
        login = {"username": "admin", "password": "admin-password"}
        token = httpx.post(f"{api.url}/api/v1/auth/login", json=login).json()["data"]["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{api.url}/api/v1", headers=headers, timeout=30) as client:
            assert client.get("/providers/budget-warning").json()["data"] == {
                "threshold": 0.8,
                "webhook": None,
                "warnings": [],
            }
            bad = client.put("/providers/budget-warning", json={"threshold": 1.5})
            assert bad.status_code == 400 and bad.json()["code"] == 40001
            bad = client.put("/providers/budget-warning", json={"threshold": 0.8, "webhook": "ftp://x"})
            assert bad.status_code == 400 and "http(s) URL" in bad.json()["message"]
            r = client.put("/providers/budget-warning", json={"threshold": 0.8, "webhook": f"{hook.url}/hook"})
            assert r.status_code == 200 and r.json()["data"]["webhook"] == f"{hook.url}/hook"

            wf = api.publish(one_image())
            assert client.put(f"/workflows/{wf}/budget", json={"daily_usd": 0.007}).status_code == 200
            runs = []
            for _ in range(4):  # spend: 0.003 (43%), 0.006 (86%: warns), 0.009 (no second warning), refused
                r = client.post("/runs", json={"workflow_id": wf, "input": {"prompt": "a fox"}})
                runs.append(finished(client, r.json()["data"]["run_id"]))
            assert [r["status"] for r in runs] == ["completed", "completed", "completed", "failed"]
            assert runs[3]["error"]["code"] == 42902
            assert runs[0]["path"] == [] and runs[2]["path"] == [] and runs[3]["path"] == []
            [warned] = runs[1]["path"]
            assert warned["kind"] == "budget_warning" and warned["workflow_id"] == wf
            assert warned["budget"] == 0.007 and warned["threshold"] == 0.8
            assert warned["spent"] == pytest.approx(2 * PRICE)

            deadline = time.monotonic() + 10
            while not receiver.bodies and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # a second (wrong) post would arrive by now
            assert len(receiver.bodies) == 1
            body = receiver.bodies[0]
            assert body["type"] == "budget_warning"
            sent = body["warning"]
            assert (sent["workflow_id"], sent["run_id"], sent["node_id"]) == (wf, runs[1]["run_id"], "a")
            assert sent["share"] == pytest.approx(2 * PRICE / 0.007, abs=1e-4) and "daily budget" in sent["message"]

            listed = client.get("/providers/budget-warning").json()["data"]["warnings"]
            assert [w["workflow_id"] for w in listed] == [wf] and listed[0]["spent"] == pytest.approx(3 * PRICE)


def test_a_private_webhook_is_refused_by_the_ssrf_check(settings, fake_replicate):  # noqa: F811
    receiver = Receiver()
    server, api = start_api(settings)  # private addresses not allowed
    api.platform.services.replicate = Replicate(
        base_url=fake_replicate.url, api_key=TOKEN, client=api.platform.http, rules=Rules(), poll_interval=0.02
    )
    api.platform.budget_watch.retry_wait = 0.01
    api.platform.users.setup_admin(username="admin", password="admin-password", token=api.platform.users.setup_token())
    with server, ThreadServer(receiver.app) as hook:
        login = {"username": "admin", "password": "admin-password"}
        token = httpx.post(f"{api.url}/api/v1/auth/login", json=login).json()["data"]["access_token"]
        with httpx.Client(
            base_url=f"{api.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            client.put("/providers/budget-warning", json={"threshold": 0.5, "webhook": f"{hook.url}/hook"})
            wf = api.publish(one_image())
            client.put(f"/workflows/{wf}/budget", json={"daily_usd": 0.004})
            r = client.post("/runs", json={"workflow_id": wf, "input": {"prompt": "a fox"}})
            run = finished(client, r.json()["data"]["run_id"])
            assert [p["kind"] for p in run["path"]] == ["budget_warning"]  # the trace still has it
            time.sleep(0.5)
            assert receiver.bodies == []


@pytest.mark.browser
def test_the_providers_page_shows_the_budget_banner(tmp_path):
    app = ServedApp.start(tmp_path)
    try:
        store = DbProviderStore(make_engine(f"sqlite:///{tmp_path / 'flowai.db'}"))
        ledger = Ledger(store, ProviderConfig(store=store))
        ledger.set_budget("wf-over", 1.0)
        ledger.set_budget("wf-fine", 10.0)
        day = ledger.period("day")
        store.add_usage(provider="openai", periods={}, spend=("wf-over", day, 0.85))
        store.add_usage(provider="openai", periods={}, spend=("wf-fine", day, 1.0))
        with chromium() as browser:
            page = new_page(browser)
            page.set_default_timeout(15_000)
            sign_in(page, app)
            page.goto(app.url + "/providers")
            banner = page.get_by_test_id("budget-banner")
            banner.wait_for()
            item = page.get_by_test_id("budget-warning-wf-over")
            assert "wf-over" in item.inner_text() and "85%" in item.inner_text()
            assert page.get_by_test_id("budget-warning-wf-fine").count() == 0
            shot(page, "providers-budget-banner")
    finally:
        app.stop()
