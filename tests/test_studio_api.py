"""The video-studio API (/api/v1/workflow) driven by a client written from the design document's
examples only: a novel from POST /api/v1/workflow to GET /api/v1/workflow/edit/:id's
final_video_url, against the fake text, voice and Replicate providers on 127.0.0.1
(tests/fakes/studio_server.py), with every WebSocket message type and the error rows."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from websockets.sync.client import connect

from tests.conftest import ThreadServer, start_api
from tests.fakes.replicate_server import TOKEN
from tests.fakes.studio_server import BANANA_PRO, MUSICGEN, SEEDANCE_LITE, SEEDREAM, FakeStudioReplicate, FakeWriter
from tests.hashing_support import cheap_password_hashing  # noqa: F401 (autouse fixture)
from tests.manage_client import other_account, signed_in

NOVEL = "第一章 旧书店\n\n林舟推开旧书店的门，铃声轻响。柜台上放着一封没有署名的信。"
PLAN = {
    "title": "旧书店",
    "style": "cinematic",
    "characters": "林舟, a young man in a grey coat",
    "scene": "an old bookshop on a rainy evening",
    "shots": [
        {"prompt": "Lin Zhou opens the shop door", "shot_type": "wide", "dialogue": "门开了。", "duration": 2},
        {"prompt": "a letter on the counter", "shot_type": "close-up", "dialogue": "一封信。", "duration": 2},
        {"prompt": "Lin Zhou reads the letter", "shot_type": "medium", "dialogue": "他读了很久。", "duration": 2},
    ],
}


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
        server, api = start_api(replace(settings, env=env, allow_private_urls=True))
        with server:
            yield api, writer, replicate


def body(response, status: int = 200) -> dict:
    """The document's envelope: {code: 0, message: "success", data}."""
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["code"] == 0 and answer["message"] == "success", answer
    return answer["data"]


def error(response, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


def wait_done(client, wid: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while (w := body(client.get(f"/workflow/{wid}")))["status"] in ("pending", "processing", "running"):
        assert time.monotonic() < deadline, w
        time.sleep(0.1)
    return w


def calls(writer, replicate) -> dict[str, int]:
    counted = {"chat": len(writer.chats), "tts": len(writer.speeches)}
    for model in (SEEDREAM, BANANA_PRO, SEEDANCE_LITE, MUSICGEN):
        counted[model] = sum(1 for m, _ in replicate.created if m == model)
    return counted


def test_a_novel_to_its_final_video_through_the_studio_api(studio):
    api, writer, replicate = studio
    client = signed_in(api)
    token = client.headers["Authorization"].removeprefix("Bearer ")
    # 2.1 create
    created = body(
        client.post(
            "/workflow",
            json={
                "name": "我的视频项目",
                "input_type": "novel",
                "input_content": NOVEL,
                "options": {"ai_provider": "gemini", "preferences": {}},
            },
        ),
        202,
    )
    wid = created["workflow_id"]
    assert created["status"] == "pending" and created["created_at"]
    # 2.4 / 2.5 pause and resume while it goes (or is queued)
    paused = body(client.post(f"/workflow/{wid}/pause"))
    assert paused == {"id": wid, "status": "paused"}
    assert body(client.get(f"/workflow/{wid}"))["status"] == "paused"
    resumed = body(client.post(f"/workflow/{wid}/resume"))
    assert resumed["id"] == wid and resumed["status"] in ("running", "pending")
    # 9.1 every message until the end
    messages = []
    with connect(api.url.replace("http", "ws") + f"/api/v1/workflow/{wid}/ws?token={token}") as ws:
        while not messages or messages[-1]["type"] not in ("workflow_completed", "workflow_failed"):
            messages.append(json.loads(ws.recv(timeout=120)))
    kinds = {m["type"] for m in messages}
    assert {"progress", "stage_completed", "workflow_completed"} <= kinds, kinds
    progress_msg = next(m for m in messages if m["type"] == "progress")["data"]
    assert set(progress_msg) == {"workflow_id", "overall_progress", "current_stage", "stage_progress"}
    done_stages = [m["data"]["stage"] for m in messages if m["type"] == "stage_completed"]
    assert done_stages == ["script", "asset", "storyboard", "animatic", "video", "edit"]

    detail = wait_done(client, wid)
    assert detail["status"] == "completed" and detail["progress"] == 1.0
    assert detail["script"]["screenplay"].startswith("SCREENPLAY") and detail["storyboard"]["shots_count"] == 3
    # 2.7 progress
    progress = body(client.get(f"/workflow/{wid}/progress"))
    assert progress["overall_progress"] == 1.0
    assert [s["stage"] for s in progress["stages"]] == ["script", "asset", "storyboard", "animatic", "video", "edit"]
    assert all(s["status"] == "completed" and s["progress"] == 1.0 for s in progress["stages"])
    # 2.3 list, filtered
    listed = body(client.get("/workflow", params={"status": "completed", "page": 1, "page_size": 20}))
    assert listed["total"] == 1 and listed["workflows"][0]["id"] == wid
    assert body(client.get("/workflow", params={"stage": "storyboard"}))["total"] == 0
    # 3.2, 4.2
    script = body(client.get(f"/workflow/script/{detail['script']['id']}"))
    assert script["status"] == "completed" and "旧书店" in script["storyboard_script"]
    assets = body(client.get("/workflow/assets", params={"workflow_id": wid, "type": "character"}))
    assert assets["total"] == 1 and assets["assets"][0]["design_image_url"]
    # 5.2 storyboard, 5.3 edit a shot with replacements
    sid = detail["storyboard"]["id"]
    board = body(client.get(f"/workflow/storyboard/{sid}"))
    assert [s["id"] for s in board["shots"]] == ["shot_001", "shot_002", "shot_003"] and board["grid_image_url"]
    edited = body(
        client.put(
            f"/workflow/storyboard/{sid}/shots/shot_001",
            json={
                "prompt": "Lin Zhou at the door",
                "replacements": {"character": "a girl in red", "scene": "snowy night", "shot_type": "medium"},
            },
        )
    )
    assert edited["status"] == "pending_regeneration" and "a girl in red" in edited["prompt"]
    # 5.4 regenerate two shots: only their pictures and clips are made again
    before = calls(writer, replicate)
    task = body(client.post(f"/workflow/storyboard/{sid}/regenerate", json={"shot_ids": ["shot_001", "shot_002"]}))
    assert task["status"] == "pending" and task["task_id"]
    wait_done(client, wid)
    after = calls(writer, replicate)
    made = {k: after[k] - before[k] for k in after}
    assert made == {"chat": 0, "tts": 0, SEEDREAM: 2, BANANA_PRO: 0, SEEDANCE_LITE: 2, MUSICGEN: 0}, made
    board = body(client.get(f"/workflow/storyboard/{sid}"))
    first = board["shots"][0]
    assert first["shot_type"] == "medium" and "a girl in red" in first["prompt"] and first["status"] == "completed"
    redrawn = [s for s in replicate.created if s[0] == SEEDREAM][-2:]
    assert any("a girl in red" in inputs["prompt"] for _, inputs in redrawn)
    # 6.2 animatic, 7.2/7.3 video
    animatic = body(client.get(f"/workflow/animatic/animatic_{wid}"))
    assert animatic["video_url"] and [s["start_time"] for s in animatic["shots"]] == [0.0, 2.0, 4.0]
    video = body(client.get(f"/workflow/video/video_{wid}"))
    assert len(video["segments"]) == 3 and all(s["status"] == "completed" for s in video["segments"])
    assert body(client.get(f"/workflow/video/video_{wid}/progress"))["completed_segments"] == 3
    # 8.2 music with fades, 8.3 the final cut
    music = body(client.post("/files", files={"file": ("m.wav", _wav(), "audio/wav")}), 201)["url"]
    before = calls(writer, replicate)
    answer = body(
        client.post(
            f"/workflow/edit/edit_{wid}/music",
            json={"music_url": music, "volume": 0.3, "fade_in": 2.0, "fade_out": 2.0},
        )
    )
    assert answer == {"edit_id": f"edit_{wid}", "status": "processing"}
    wait_done(client, wid)
    assert calls(writer, replicate) == before  # the final cut only: no provider call
    final = body(client.get(f"/workflow/edit/edit_{wid}"))
    assert final["status"] == "completed" and final["background_music_url"] == music
    assert final["final_video_url"].startswith("/files/") and final["duration"] == pytest.approx(6, abs=0.2)
    assert client.get(api.url + final["final_video_url"]).content[4:8] == b"ftyp"


def _wav(seconds: float = 2.0) -> bytes:
    from tests.fakes import studio_media

    return studio_media.tone_wav(seconds, 330)


def test_the_error_rows_of_the_document(studio, settings):
    api, _writer, _replicate = studio
    client = signed_in(api)
    error(client.post("/workflow", json={"name": "x", "input_type": "poem", "input_content": "y"}), 400, 40001)
    files = {"file": ("x.exe", b"MZ\x90\x00" + bytes(200), "application/octet-stream")}
    error(client.post("/workflow/script/upload", files=files), 400, 40002)
    huge = {"file": ("big.txt", b"a" * (settings.max_upload_bytes + 10), "text/plain")}
    error(client.post("/workflow/script/upload", files=huge), 413, 40003)
    error(client.get("/workflow/0123", headers={"Authorization": ""}), 401, 40101)
    error(client.get("/workflow/nope"), 404, 40401)
    wid = body(client.post("/workflow", json={"name": "p", "input_content": NOVEL}), 202)["workflow_id"]
    error(other_account(api).get(f"/workflow/{wid}"), 403, 40301)
    wait_done(client, wid)
    error(client.put(f"/workflow/storyboard/storyboard_{wid}/shots/shot_042", json={"prompt": "p"}), 404, 40402)
    error(client.post(f"/workflow/assets/asset_{wid}_prop/regenerate", json={}), 404, 40402)
    uploaded = body(client.post("/workflow/script/upload", files={"file": ("n.txt", NOVEL.encode(), "text/plain")}))
    assert uploaded["content_type"].startswith("text/plain") and uploaded["file_size"] == len(NOVEL.encode())
