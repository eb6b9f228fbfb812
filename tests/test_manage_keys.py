"""Management API, API keys over real HTTP: shown once, never the hash, scoped, revocable at once."""

from __future__ import annotations

import httpx

from flowai.demo import HELLO, PARALLEL
from storage import queries
from storage.db import session
from tests.manage_client import client, data, error, other_account, signed_in

KEY_KEYS = {"id", "name", "prefix", "rate_limit", "workflows", "created_at", "last_used_at", "revoked_at"}
RUN = "/v1/api/workflow/run/"


def run(api, wf_id: str, key: str, text: str = "hi") -> httpx.Response:
    return httpx.post(api.url + RUN + wf_id, headers={"X-API-KEY": key}, json={"input": {"输入": text}}, timeout=30)


def test_key_routes_need_a_bearer_token(api):
    key_id = data(signed_in(api).post("/keys", json={"name": "k"}), 201)["id"]
    for token in (None, "garbage"):
        anon = client(api, token)
        error(anon.get("/keys"), 401, 40101)
        error(anon.post("/keys", content=b"{oops", headers={"Content-Type": "application/json"}), 401, 40101)
        error(anon.delete(f"/keys/{key_id}"), 401, 40101)
    assert data(signed_in(api).get("/keys"))["items"][0]["revoked_at"] is None


def test_create_shows_the_secret_once_and_never_the_hash(api):
    c = signed_in(api)
    created = data(c.post("/keys", json={"name": "mobile app", "rate_limit": 30}), 201)
    assert set(created) == KEY_KEYS | {"key", "signing_secret"}
    secret = created["key"]
    assert created["signing_secret"] == api.platform.keys.signing_secret(created["id"])
    assert created["signing_secret"].startswith("whsec_") and created["signing_secret"] not in str(data(c.get("/keys")))
    assert secret.startswith(created["prefix"] + "_") and created["rate_limit"] == 30
    assert created["workflows"] is None and created["revoked_at"] is None and created["last_used_at"] is None
    with session(api.platform.db) as s:
        stored = queries.list_keys(s, owner_id=api.owner_id)[0]
    listed = c.get("/keys")
    items = data(listed)["items"]
    assert [set(i) for i in items] == [KEY_KEYS]
    assert secret not in listed.text and stored.key_hash not in listed.text
    assert stored.key_hash not in c.post("/keys", json={"name": "second"}).text
    default = data(c.get("/keys"))["items"][0]  # newest first
    assert default["name"] == "second" and default["rate_limit"] == api.platform.settings.default_rate_limit


def test_list_is_paged_and_scoped(api):
    c = signed_in(api)
    for i in range(3):
        data(c.post("/keys", json={"name": f"k{i}"}), 201)
    page = data(c.get("/keys", params={"page_size": 2}))
    assert page["total"] == 3 and page["page_size"] == 2 and [i["name"] for i in page["items"]] == ["k2", "k1"]
    assert [i["name"] for i in data(c.get("/keys", params={"page": 2, "page_size": 2}))["items"]] == ["k0"]
    assert data(other_account(api).get("/keys"))["total"] == 0


def test_invalid_bodies_answer_40001(api):
    c = signed_in(api)
    wf = api.publish(HELLO)
    for body in (
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "k", "rate_limit": -1},
        {"name": "k", "rate_limit": "10"},
        {"name": "k", "workflows": []},
        {"name": "k", "workflows": wf},
        {"name": "k", "owner_id": 99},
        {"name": "k", "key_hash": "0" * 64},
        {"name": "k", "id": 1},
        {"name": "k", "revoked_at": None},
    ):
        error(c.post("/keys", json=body), 400, 40001)
    for raw in (b"", b"[]", b"{bad"):
        error(c.post("/keys", content=raw, headers={"Content-Type": "application/json"}), 400, 40001)
    assert data(c.get("/keys"))["total"] == 0
    error(c.delete("/keys/abc"), 400, 40001)


def test_a_key_made_over_http_runs_a_published_workflow_until_revoked(api):
    c = signed_in(api)
    wf = data(c.post("/workflows", json={"document": HELLO, "publish": True}), 201)["id"]
    created = data(c.post("/keys", json={"name": "ci"}), 201)
    r = run(api, wf, created["key"])
    assert r.status_code == 200, r.text
    assert r.json() == {"output": "在呢。你说的是：hi", "total_time": r.json()["total_time"]}
    revoked = data(c.delete(f"/keys/{created['id']}"))
    assert revoked["id"] == created["id"] and revoked["revoked_at"] is not None and "key" not in revoked
    r = run(api, wf, created["key"])  # at once, in this process (no cache delay)
    assert r.status_code == 401 and r.json()["code"] == 40101
    assert data(c.delete(f"/keys/{created['id']}"))["revoked_at"] == revoked["revoked_at"]  # idempotent
    listed = data(c.get("/keys"))["items"][0]
    assert listed["revoked_at"] == revoked["revoked_at"]


def test_scoped_key_runs_only_its_workflows(api):
    c = signed_in(api)
    hello = data(c.post("/workflows", json={"document": HELLO, "publish": True}), 201)["id"]
    other = data(c.post("/workflows", json={"document": PARALLEL, "publish": True}), 201)["id"]
    created = data(c.post("/keys", json={"name": "scoped", "workflows": [hello, hello]}), 201)
    assert created["workflows"] == [hello]
    assert run(api, hello, created["key"]).status_code == 200
    r = httpx.post(
        api.url + RUN + other,
        headers={"X-API-KEY": created["key"]},
        json={"input": {"输入": "hi", "name": "Ann"}},
        timeout=30,
    )
    assert r.status_code == 403 and r.json()["code"] == 40301


def test_another_accounts_keys_and_workflows_are_off_limits(api):
    c = signed_in(api)
    mine = data(c.post("/keys", json={"name": "mine"}), 201)
    wf = data(c.post("/workflows", json={"document": HELLO, "publish": True}), 201)["id"]
    mallory = other_account(api)
    error(mallory.delete(f"/keys/{mine['id']}"), 403, 40301)
    error(mallory.delete("/keys/99999"), 404, 40402)
    # a key may not be scoped to someone else's workflow, nor to one that does not exist
    error(mallory.post("/keys", json={"name": "steal", "workflows": [wf]}), 403, 40301)
    error(mallory.post("/keys", json={"name": "ghost", "workflows": ["0" * 32]}), 404, 40402)
    assert data(mallory.get("/keys"))["total"] == 0
    # mallory's own key cannot run my workflow (the run API hides it: 40401)
    theirs = data(mallory.post("/keys", json={"name": "theirs"}), 201)["key"]
    r = run(api, wf, theirs)
    assert r.status_code == 404 and r.json()["code"] == 40401
    assert run(api, wf, mine["key"]).status_code == 200  # mine still works
