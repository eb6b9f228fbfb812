"""Background runs over real HTTP: lifecycle, progress, WebSocket, regenerate, node cache."""

from __future__ import annotations

import time
from dataclasses import replace

import httpx
import pytest
from websockets.sync.client import connect

from tests.conftest import start_api
from tests.hashing_support import cheap_password_hashing  # noqa: F401 (autouse fixture)
from tests.wait import wait_until


def llm_chain(*models: str, cache_ttl: float | None = None) -> dict:
    """input -> llm a -> llm b ... -> output; each LLM echoes its prompt (built from the previous text)."""
    nodes = [
        {
            "id": "in",
            "type": "input",
            "label": "开始",
            "config": {"fields": [{"name": "输入", "type": "string", "required": True}]},
        }
    ]
    edges, prev, prompt = [], "in", "{{in.输入}}"
    for i, model in enumerate(models):
        nid = "abcdefgh"[i]
        nodes.append(
            {"id": nid, "type": "llm", "label": nid.upper(), "config": {"model": model, "prompt": f"{nid}:{prompt}"}}
        )
        edges.append({"source": prev, "target": nid})
        prev, prompt = nid, "{{" + nid + ".text}}"
    nodes.append({"id": "out", "type": "output", "config": {"value": prompt}})
    edges.append({"source": prev, "target": "out"})
    doc = {"format": "flowai/1", "name": "chain", "nodes": nodes, "edges": edges}
    if cache_ttl is not None:
        doc["settings"] = {"cache_ttl": cache_ttl}
    return doc


@pytest.fixture
def env(settings, fake_openai):
    server, api = start_api(
        replace(
            settings,
            disconnect_grace=5.0,
            allow_private_urls=True,
            env={"OPENAI_API_KEY": fake_openai.api_key, "OPENAI_BASE_URL": fake_openai.url},
        )
    )
    users = api.platform.users
    users.setup_admin(username="admin", password="admin-password", token=users.setup_token())
    with server:
        token = httpx.post(
            f"{api.url}/api/v1/auth/login", json={"username": "admin", "password": "admin-password"}
        ).json()["data"]["access_token"]
        with httpx.Client(
            base_url=f"{api.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            yield api, client, fake_openai, token


def until(fn, timeout=10.0, every=0.05):
    return wait_until(fn, timeout, every)


def run_status(client, run_id):
    return client.get(f"/runs/{run_id}").json()["data"]["status"]


def test_background_run_lifecycle_and_detail(env):
    api, client, fake, _ = env
    wf = api.publish(llm_chain("echo", "echo"))
    r = client.post("/runs", json={"workflow_id": wf, "input": {"输入": "hi"}, "name": "first"})
    assert r.status_code == 202 and r.json()["code"] == 0
    run_id = r.json()["data"]["run_id"]
    assert r.json()["data"]["status"] in ("pending", "running")
    until(lambda: run_status(client, run_id) == "completed")
    data = client.get(f"/runs/{run_id}").json()["data"]
    assert data["output"] == "b:a:hi" and data["name"] == "first" and data["current_node"] is None
    assert [(n["node_id"], n["status"]) for n in data["nodes"]] == [
        ("in", "completed"),
        ("a", "completed"),
        ("b", "completed"),
        ("out", "completed"),
    ]
    assert data["nodes"][1]["outputs"]["text"] == "a:hi" and data["usage"]["a"]["provider"] == "openai"
    progress = client.get(f"/runs/{run_id}/progress").json()["data"]
    assert progress["overall_progress"] == 1.0 and [s["status"] for s in progress["stages"]] == ["completed"] * 4
    listed = client.get("/runs", params={"status": "completed", "workflow_id": wf}).json()["data"]
    assert listed["total"] == 1 and listed["items"][0]["run_id"] == run_id and listed["page_size"] == 20
    assert client.get("/runs", params={"status": "nope"}).json()["code"] == 40001
    bad = client.post("/runs", json={"workflow_id": wf, "input": {}})
    assert bad.status_code == 400 and bad.json()["code"] == 40001
    assert client.get("/runs/" + "0" * 32).json()["code"] == 40402


def test_pause_lets_the_running_node_finish_and_starts_no_other(env):
    api, client, fake, _ = env
    wf = api.publish(llm_chain("slow-1.0", "echo"))
    run_id = client.post("/runs", json={"workflow_id": wf, "input": {"输入": "x"}}).json()["data"]["run_id"]
    until(lambda: client.get(f"/runs/{run_id}/progress").json()["data"]["current_stage"] == "a")
    r = client.post(f"/runs/{run_id}/pause")
    assert r.json()["data"]["status"] == "paused"
    until(
        lambda: (
            {s["stage"]: s["status"] for s in client.get(f"/runs/{run_id}/progress").json()["data"]["stages"]}["a"]
            == "completed"
        ),
        timeout=5,
    )
    time.sleep(0.5)
    stages = {s["stage"]: s["status"] for s in client.get(f"/runs/{run_id}/progress").json()["data"]["stages"]}
    assert stages["b"] == "pending" and run_status(client, run_id) == "paused"
    assert len(fake.requests) == 1
    bad = client.post(f"/runs/{run_id}/pause")
    assert bad.status_code == 400 and bad.json()["code"] == 40001 and bad.json()["detail"] == {"status": "paused"}
    assert client.post(f"/runs/{run_id}/resume").json()["data"]["status"] == "running"
    until(lambda: run_status(client, run_id) == "completed")
    assert len(fake.requests) == 2


def test_cancel_closes_the_upstream_call(env):
    api, client, fake, _ = env
    wf = api.publish(llm_chain("drip-100-50"))
    run_id = client.post("/runs", json={"workflow_id": wf, "input": {"输入": "x"}}).json()["data"]["run_id"]
    until(lambda: fake.streams_opened == 1)
    assert client.post(f"/runs/{run_id}/cancel").json()["code"] == 0
    until(lambda: run_status(client, run_id) == "cancelled")
    assert fake.wait_disconnects(1)
    bad = client.post(f"/runs/{run_id}/cancel")
    assert bad.json()["code"] == 40001
    assert client.post(f"/runs/{run_id}/resume").json()["detail"]["status"] == "cancelled"


def test_another_accounts_run_is_not_found(env):
    """Issue 14: one answer for "not yours" across both APIs: 404, as for a run that does not
    exist, so a run's existence is not revealed (this was 403 / 40301 before)."""
    api, client, fake, _ = env
    wf = api.publish(llm_chain("echo"))
    run_id = client.post("/runs", json={"workflow_id": wf, "input": {"输入": "x"}}).json()["data"]["run_id"]
    api.platform.users.create(username="eve", password="eve-password")
    token = httpx.post(f"{api.url}/api/v1/auth/login", json={"username": "eve", "password": "eve-password"}).json()[
        "data"
    ]["access_token"]
    eve = {"Authorization": f"Bearer {token}"}
    for target in (run_id, "0" * 32):
        base = f"{api.url}/api/v1/runs/{target}"
        for r in (
            httpx.get(base, headers=eve),
            httpx.get(base + "/progress", headers=eve),
            httpx.post(base + "/cancel", headers=eve),
            httpx.post(base + "/nodes/a/regenerate", headers=eve),
        ):
            assert r.status_code == 404 and r.json()["code"] == 40402, (target, r.text)
            assert r.json()["message"] == f"Run {target} was not found."
    assert client.get(f"/runs/{run_id}").status_code == 200  # still there for its owner


def test_websocket_sees_every_message_type(env):
    api, client, fake, token = env
    ok_wf, bad_wf = api.publish(llm_chain("slow-0.3", "echo")), api.publish(llm_chain("slow-0.3", "error-500"))
    ws_url = api.url.replace("http", "ws") + "/api/v1/runs/{}/ws?token=" + token
    seen = {}
    for wf in (ok_wf, bad_wf):
        run_id = client.post("/runs", json={"workflow_id": wf, "input": {"输入": "x"}}).json()["data"]["run_id"]
        with connect(ws_url.format(run_id)) as ws:
            messages = []
            while True:
                try:
                    messages.append(__import__("json").loads(ws.recv(timeout=10)))
                except Exception:
                    break
        seen[wf] = messages
    ok_types = [m["type"] for m in seen[ok_wf]]
    assert ok_types[0] == "progress" and "stage_completed" in ok_types and ok_types[-1] == "workflow_completed"
    assert seen[ok_wf][-1]["data"]["output"] == "b:a:x"
    bad_types = [m["type"] for m in seen[bad_wf]]
    assert "stage_failed" in bad_types and bad_types[-1] == "workflow_failed"
    assert seen[bad_wf][-1]["data"]["code"] == 50002
    with pytest.raises(Exception):
        with connect(api.url.replace("http", "ws") + f"/api/v1/runs/{run_id}/ws") as ws:  # no token
            ws.recv(timeout=5)


def test_regenerate_reuses_upstream_outputs(env):
    api, client, fake, _ = env
    wf = api.publish(llm_chain("echo", "echo"))
    run_id = client.post("/runs", json={"workflow_id": wf, "input": {"输入": "hi"}}).json()["data"]["run_id"]
    until(lambda: run_status(client, run_id) == "completed")
    assert len(fake.requests) == 2
    r = client.post(f"/runs/{run_id}/nodes/b/regenerate", json={"config": {"prompt": "B2:{{a.text}}"}})
    assert r.status_code == 202
    new_id = r.json()["data"]["run_id"]
    until(lambda: run_status(client, new_id) == "completed")
    data = client.get(f"/runs/{new_id}").json()["data"]
    assert data["output"] == "B2:a:hi" and data["parent_run_id"] == run_id
    assert len(fake.requests) == 3  # only b ran again: a's output came from the first run
    assert {n["node_id"]: n["status"] for n in data["nodes"]}["a"] == "reused"
    assert client.post(f"/runs/{run_id}/nodes/zz/regenerate").json()["code"] == 40402
    bad = client.post(f"/runs/{run_id}/nodes/b/regenerate", json={"config": {"temperature": 9}})
    assert bad.json()["code"] == 40001


def test_node_cache_serves_identical_calls_and_still_streams(env):
    api, client, fake, _ = env
    wf, key = api.publish(llm_chain("echo", cache_ttl=60)), api.key()
    url = f"{api.url}/v1/api/workflow/run/{wf}"
    first = httpx.post(url, headers={"X-API-KEY": key}, json={"input": {"输入": "same"}, "detail": True}).json()
    assert first["usage"]["a"]["cache_hit"] is False and len(fake.requests) == 1
    second = httpx.post(url, headers={"X-API-KEY": key}, json={"input": {"输入": "same"}, "detail": True}).json()
    assert second["output"] == first["output"] and second["usage"]["a"]["cache_hit"] is True
    assert len(fake.requests) == 1
    from tests.sse import parse

    stream = parse(httpx.post(url, headers={"X-API-KEY": key}, json={"input": {"输入": "same"}, "stream": True}).text)
    deltas = [f.json["Content"] for f in stream if f.event == "stream"]
    assert deltas == ["a:same"] and stream[-1].json["output"] == "a:same"
    httpx.post(url, headers={"X-API-KEY": key}, json={"input": {"输入": "other"}})
    assert len(fake.requests) == 2
    uncached = api.publish(llm_chain("echo"))  # caching is off by default
    for _ in range(2):
        httpx.post(
            f"{api.url}/v1/api/workflow/run/{uncached}", headers={"X-API-KEY": key}, json={"input": {"输入": "same"}}
        )
    assert len(fake.requests) == 4


def test_batch_over_the_api(env):
    api, client, fake, _ = env
    wf = api.publish(llm_chain("echo"))
    r = client.post("/batches", json={"workflow_id": wf, "inputs": [{"输入": str(i)} for i in range(6)]})
    assert r.status_code == 202
    batch_id = r.json()["data"]["batch_id"]
    data = until(lambda: (d := client.get(f"/batches/{batch_id}").json()["data"])["done"] and d)
    assert data["counts"] == {"completed": 6} and sorted(x["output"] for x in data["runs"]) == sorted(
        f"a:{i}" for i in range(6)
    )
    bad = client.post("/batches", json={"workflow_id": wf, "inputs": [{"输入": "ok"}, {"nope": 1}]})
    assert bad.json()["code"] == 40001 and "1" in bad.json()["detail"]
