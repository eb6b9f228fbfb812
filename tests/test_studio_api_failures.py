"""The video-studio API (/api/v1/workflow) when things fail: a storyboard model that errors (the
WebSocket's ``stage_failed`` and ``workflow_failed``, the project's 50002), a storage that cannot
keep an upload (50003) and a project whose run is not in this process's task queue (50004)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import httpx
import pytest
from websockets.sync.client import connect

from tests.conftest import ThreadServer, start_api
from tests.fakes.replicate_server import TOKEN
from tests.fakes.studio_server import BANANA_PRO, SEEDANCE_LITE, FakeStudioReplicate, FakeWriter
from tests.hashing_support import cheap_password_hashing  # noqa: F401 (autouse fixture)
from tests.manage_client import PASSWORD, client, login, signed_in
from tests.test_studio_api import NOVEL, PLAN, body, error, wait_done

STAGES = ["script", "asset", "storyboard", "animatic", "video", "edit"]


@pytest.fixture
def studio(settings):
    writer, replicate = FakeWriter(plan=PLAN), FakeStudioReplicate()
    with ThreadServer(writer.app) as w, ThreadServer(replicate.app) as r:
        writer.url, replicate.url = w.url, r.url
        env = {
            "OPENAI_API_KEY": writer.api_key,
            "OPENAI_BASE_URL": f"{w.url}/v1",
            "ELEVENLABS_API_KEY": writer.api_key,
            "ELEVENLABS_BASE_URL": w.url,
            "REPLICATE_API_KEY": TOKEN,
            "REPLICATE_BASE_URL": r.url,
        }
        studio_settings = replace(settings, env=env, allow_private_urls=True)
        server, api = start_api(studio_settings)
        with server:
            yield api, writer, replicate, studio_settings


def listen(api, client, wid: str) -> list[dict]:
    token = client.headers["Authorization"].removeprefix("Bearer ")
    messages: list[dict] = []
    with connect(api.url.replace("http", "ws") + f"/api/v1/workflow/{wid}/ws?token={token}") as ws:
        while not messages or messages[-1]["type"] not in ("workflow_completed", "workflow_failed"):
            messages.append(json.loads(ws.recv(timeout=120)))
    return messages


def test_a_failing_storyboard_model_sends_stage_failed_then_workflow_failed(studio):
    api, _writer, replicate, _settings = studio
    replicate.behaviour[BANANA_PRO] = "fail"  # every storyboard sheet ends failed with a model error
    client = signed_in(api)
    wid = body(client.post("/workflow", json={"name": "p", "input_type": "novel", "input_content": NOVEL}), 202)[
        "workflow_id"
    ]
    messages = listen(api, client, wid)

    kinds = [m["type"] for m in messages]
    assert "workflow_completed" not in kinds and "stage_failed" in kinds, kinds
    assert all(set(m) == {"type", "data"} for m in messages), messages
    for m in messages:
        if m["type"] == "progress":  # the document's 9.1 message
            assert set(m["data"]) == {"workflow_id", "overall_progress", "current_stage", "stage_progress"}
            assert m["data"]["workflow_id"] == wid and 0 <= m["data"]["overall_progress"] <= 1
    done = [m["data"]["stage"] for m in messages if m["type"] == "stage_completed"]
    assert done == ["script", "asset"], done  # what came before the storyboard, even if it ended before the socket
    failed = [m["data"] for m in messages if m["type"] == "stage_failed"]
    assert [f["stage"] for f in failed] == ["storyboard"], failed
    assert failed[0]["workflow_id"] == wid and failed[0]["status"] == "failed"
    assert failed[0]["code"] == 50002 and failed[0]["message"], failed  # 50002: the AI service failed
    last = messages[-1]
    assert last["type"] == "workflow_failed" and kinds.count("workflow_failed") == 1
    assert last["data"]["workflow_id"] == wid and last["data"]["status"] == "failed"
    assert last["data"]["code"] == 50002 and last["data"]["message"], last

    # the project says the same over REST: failed, at the storyboard, with the provider's 50002
    detail = wait_done(client, wid)
    assert detail["status"] == "failed" and detail["current_stage"] == "storyboard"
    assert detail["error"]["code"] == 50002, detail["error"]
    stages = {s["stage"]: s["status"] for s in body(client.get(f"/workflow/{wid}/progress"))["stages"]}
    assert stages["script"] == stages["asset"] == "completed" and stages["storyboard"] == "failed", stages
    assert not any(m == SEEDANCE_LITE for m, _ in replicate.created)  # nothing after the storyboard ran
    # a socket opened after the end answers at once: its progress, each stage's end (its first
    # message cannot say which stages ended), then the same workflow_failed
    again = listen(api, client, wid)
    kinds = [m["type"] for m in again]
    assert kinds == ["progress", "stage_completed", "stage_completed", "stage_failed", "workflow_failed"], kinds
    assert [m["data"]["stage"] for m in again[1:4]] == ["script", "asset", "storyboard"]
    assert again[3]["data"] == failed[0] and again[-1] == last, again


def test_a_storage_that_cannot_keep_the_upload_answers_50003(studio):
    api, _writer, _replicate, _settings = studio
    client = signed_in(api)
    uploads = api.platform.files.upload_dir
    shutil.rmtree(uploads, ignore_errors=True)
    uploads.parent.mkdir(parents=True, exist_ok=True)
    uploads.write_bytes(b"")  # a file where the uploads directory should be: writing there fails
    files = {"file": ("n.txt", NOVEL.encode(), "text/plain")}
    error(client.post("/workflow/script/upload", files=files), 500, 50003)
    uploads.unlink()
    assert body(client.post("/workflow/script/upload", files=files))["file_size"] == len(NOVEL.encode())


def test_a_run_not_in_this_processs_task_queue_answers_50004(studio):
    api, _writer, replicate, settings = studio
    replicate.behaviour[BANANA_PRO] = "slow"
    replicate.slow_seconds = 30.0  # the project's run stays active while the second API answers
    mine = signed_in(api)
    wid = body(mine.post("/workflow", json={"name": "p", "input_content": NOVEL}), 202)["workflow_id"]
    # a second API process on the same database, without a shared task queue: it has the project's
    # row but not its run
    server, second = start_api(settings)
    with server:
        other = client(second, login(second, "admin", PASSWORD))
        assert body(other.get(f"/workflow/{wid}"))["id"] == wid
        for action in ("pause", "resume", "cancel"):
            error(other.post(f"/workflow/{wid}/{action}"), 500, 50004)
    assert body(mine.post(f"/workflow/{wid}/cancel"))["status"] == "cancelled"  # its own process can
    assert wait_done(mine, wid)["status"] == "cancelled"
    # The storyboard's create is still held by the fake (Prefer: wait, a 30 s prediction): the app's
    # shutdown would wait 10 s for it to return an id to cancel. The test is over: let it finish.
    for prediction in list(replicate.predictions.values()):
        prediction.duration = 0.0


def test_the_openapi_document_shows_the_design_documents_examples(api):
    paths = httpx.get(f"{api.url}/api/v1/openapi.json").json()["paths"]
    create = paths["/workflow"]["post"]
    assert create["requestBody"]["content"]["application/json"]["example"]["input_type"] == "novel"
    accepted = create["responses"]["202"]["content"]["application/json"]["example"]
    assert accepted["code"] == 0 and accepted["data"]["status"] == "pending"
    edit = paths["/workflow/storyboard/{storyboard_id}/shots/{shot_id}"]["put"]
    assert set(edit["requestBody"]["content"]["application/json"]["example"]["replacements"]) == {
        "character",
        "scene",
        "action",
        "shot_type",
    }
    shown = {
        (method, path)
        for path, item in paths.items()
        for method, op in item.items()
        if path.startswith("/workflow")
        and any("example" in a.get("content", {}).get("application/json", {}) for a in op["responses"].values())
    }
    assert len(shown) == 27, sorted(shown)  # every route of the document's sections 2-8
