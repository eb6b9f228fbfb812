"""A run's estimated cost in the management API: the sum of its nodes' usage ``cost``, 0 for a
cache hit; in ``GET /api/v1/runs/{id}`` and the ``GET /api/v1/runs`` items (real app, fake Replicate)."""

from __future__ import annotations

import httpx
import pytest

from flowai.providers.replicate import Replicate
from flowai.providers.replicate_rules import Rules
from tests.conftest import start_api
from tests.fakes.replicate_server import TOKEN, fake_replicate  # noqa: F401 (fixture)
from tests.graphs import Graph, field
from tests.wait import wait_until

SCHNELL_PRICE = 0.003  # flux-schnell's price_per_output in the rules table


def two_images(**settings) -> dict:
    g = Graph().input(field("prompt", required=True))
    g.node("a", "replicate", "A", model="flux-schnell", params={"prompt": "{{in.prompt}}", "num_outputs": 2})
    g.node("b", "replicate", "B", model="flux-schnell", params={"prompt": "{{in.prompt}} again"}, cache_ttl=0)
    g.output("{{b.files}}").chain()
    doc = g.doc
    doc["settings"] = settings
    return doc


def finished(client: httpx.Client, run_id: str, timeout: float = 60.0) -> dict:
    def done():
        data = client.get(f"/runs/{run_id}").json()["data"]
        return data if data["status"] in ("completed", "failed", "cancelled") else None

    return wait_until(done, timeout, every=0.1, message=f"run {run_id} did not finish")


def test_a_runs_cost_is_the_sum_of_its_nodes_and_a_cache_hit_costs_nothing(settings, fake_replicate):
    server, api = start_api(settings)
    api.platform.services.replicate = Replicate(
        base_url=fake_replicate.url, api_key=TOKEN, client=api.platform.http, rules=Rules(), poll_interval=0.02
    )
    api.platform.users.setup_admin(username="admin", password="admin-password", token=api.platform.users.setup_token())
    with server:
        login = {"username": "admin", "password": "admin-password"}
        token = httpx.post(f"{api.url}/api/v1/auth/login", json=login).json()["data"]["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{api.url}/api/v1", headers=headers, timeout=30) as client:
            wf = api.publish(two_images(cache_ttl=3600))  # node a cached by the workflow, b never (its cache_ttl 0)
            runs = []
            for _ in range(2):
                r = client.post("/runs", json={"workflow_id": wf, "input": {"prompt": "a fox"}})
                assert r.status_code == 202, r.text
                runs.append(finished(client, r.json()["data"]["run_id"]))
            first, second = runs

            assert first["status"] == second["status"] == "completed"
            assert len(fake_replicate.created) == 3  # a, b; then b again (a from the cache)
            assert first["usage"]["a"]["cost"] == pytest.approx(2 * SCHNELL_PRICE)
            assert first["cost"] == pytest.approx(3 * SCHNELL_PRICE)  # 2 images from a, 1 from b
            assert second["usage"]["a"]["cache_hit"] is True and second["usage"]["a"]["cost"] == 0
            assert second["cost"] == pytest.approx(SCHNELL_PRICE)  # only b was paid for

            listed = client.get("/runs", params={"workflow_id": wf}).json()["data"]["items"]
            assert {item["run_id"]: item["cost"] for item in listed} == pytest.approx(
                {first["run_id"]: 3 * SCHNELL_PRICE, second["run_id"]: SCHNELL_PRICE}
            )


def test_a_run_without_priced_calls_has_no_cost(settings):
    server, api = start_api(settings)
    api.platform.users.setup_admin(username="admin", password="admin-password", token=api.platform.users.setup_token())
    g = Graph().input(field("x", required=True))
    g.template("t", "{{in.x}}!")
    g.output("{{t.text}}").chain()
    with server:
        login = {"username": "admin", "password": "admin-password"}
        token = httpx.post(f"{api.url}/api/v1/auth/login", json=login).json()["data"]["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{api.url}/api/v1", headers=headers, timeout=30) as client:
            wf = api.publish(g.doc)
            run_id = client.post("/runs", json={"workflow_id": wf, "input": {"x": "hi"}}).json()["data"]["run_id"]
            data = finished(client, run_id)
            assert data["status"] == "completed" and data["cost"] is None
            assert client.get("/runs").json()["data"]["items"][0]["cost"] is None
