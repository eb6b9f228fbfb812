"""Unpublishing a workflow (POST /workflows/{id}/unpublish): the run API answers it as never
published (404 / 40401) until a version is published again; versions and draft stay."""

from __future__ import annotations

import httpx

from flowai.demo import HELLO
from tests.manage_client import client, data, error, other_account, signed_in


def run(api, wf_id: str, key: str) -> httpx.Response:
    return httpx.post(
        f"{api.url}/v1/api/workflow/run/{wf_id}", headers={"X-API-KEY": key}, json={"input": {"输入": "hi"}}
    )


def test_unpublish_then_the_run_api_refuses_and_publishing_again_brings_it_back(api):
    c = signed_in(api)
    wf = data(c.post("/workflows", json={"document": HELLO, "publish": True}), 201)
    key = api.key()
    assert run(api, wf["id"], key).json()["output"] == "在呢。你说的是：hi"

    unpublished = data(c.post(f"/workflows/{wf['id']}/unpublish"))
    assert unpublished["id"] == wf["id"] and unpublished["published_version"] is None
    assert unpublished["latest_version"] == 1
    refused = run(api, wf["id"], key)
    assert refused.status_code == 404
    assert refused.json() == {
        "code": 40401,
        "message": f"Workflow {wf['id']} was not found or is not published.",
        "detail": None,
    }
    versions = data(c.get(f"/workflows/{wf['id']}/versions"))["items"]
    assert [v["number"] for v in versions] == [1] and versions[0]["published"] is False
    assert data(c.post(f"/workflows/{wf['id']}/unpublish"))["published_version"] is None  # again: no change

    assert data(c.post(f"/workflows/{wf['id']}/publish", json={"version": 1}))["published_version"] == 1
    assert run(api, wf["id"], key).json()["output"] == "在呢。你说的是：hi"


def test_only_the_owner_unpublishes(api):
    c = signed_in(api)
    wf = data(c.post("/workflows", json={"document": HELLO, "publish": True}), 201)
    error(client(api).post(f"/workflows/{wf['id']}/unpublish"), 401, 40101)
    other = other_account(api).post(f"/workflows/{wf['id']}/unpublish")
    error(other, 403, 40301)
    error(c.post("/workflows/nope/unpublish"), 404, 40402)
    assert data(c.get(f"/workflows/{wf['id']}"))["published_version"] == 1
