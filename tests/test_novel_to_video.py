"""Issue 16 end to end: the novel-to-video template (flowai/workflows/novel_video.py) against fake
providers on 127.0.0.1 that answer REAL small media (tests/fakes/studio_server.py).

novel text -> LLM screenplay -> LLM shot list (JSON) -> character and scene images -> a 3x3
storyboard sheet -> grid crop -> loop over shots (cell picture + TTS voice) -> animatic -> loop over
shots (image-to-video) -> final cut with music faded in and out -> one mp4, whose audio lasts the
sum of the shots' durations (± 0.1 s). The mp4 is read back with the package's own ffmpeg (there
is no ffprobe): its streams from ``ffmpeg -i``, the audio decoded to PCM for its length, and the
music's band (a sine of MUSIC_HZ) measured window by window for the fades.

Once as a background run over the management API (progress in fractions per stage, the
WebSocket's stage_completed for the six stages), once published and called with ``curl`` with an
uploaded document as the novel, answering the mp4's URL, which downloads as a valid mp4.
"""

from __future__ import annotations

import array
import json
import math
import re
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from websockets.sync.client import connect

from flowai.media import ffmpeg
from flowai.workflows.graph import compile_graph
from flowai.workflows.novel_video import STAGES, novel_to_video
from nodes import default_registry
from tests.conftest import ThreadServer, start_api
from tests.fakes.replicate_server import TOKEN
from tests.fakes.studio_server import MUSIC_HZ, SEEDANCE_LITE, VOICE_HZ, FakeStudioReplicate, FakeWriter
from tests.manage_client import data, signed_in

SECONDS = [2, 3, 2]
NOVEL = "第一章 旧书店\n\n林舟推开旧书店的门，铃声轻响。\n\n第二章 来信\n\n柜台上放着一封没有署名的信。"
PLAN = {
    "title": "旧书店",
    "style": "cinematic",
    "characters": "林舟, a young man in a grey coat",
    "scene": "an old bookshop on a rainy evening",
    "shots": [
        {"prompt": "Lin Zhou opens the shop door", "shot_type": "wide", "dialogue": "门开了。", "duration": 2},
        {"prompt": "a letter on the counter", "shot_type": "close-up", "dialogue": "一封没有署名的信。", "duration": 3},
        {
            "prompt": "Lin Zhou reads the letter",
            "shot_type": "medium",
            "dialogue": "他读了很久很久，没有说话。",
            "duration": 2,
        },
    ],
}
STAGE_IDS = [s for s, _ in STAGES]


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
        # the fakes' files are on 127.0.0.1: downloading generated media from them needs private URLs
        server, api = start_api(replace(settings, env=env, allow_private_urls=True))
        with server:
            yield api, writer, replicate


# reading an mp4 back with the package's ffmpeg --------------------------------------------------
def describe(path: Path) -> str:
    """``ffmpeg -i``'s description of a file (it exits 1: no output named)."""
    done = subprocess.run([ffmpeg.executable(), "-hide_banner", "-i", str(path)], capture_output=True, timeout=60)
    return done.stderr.decode("utf-8", "replace")


def pcm(path: Path, *filters: str, rate: int = 8000) -> array.array:
    """The audio stream decoded to mono 16-bit samples at ``rate`` (after ``filters``)."""
    args = [ffmpeg.executable(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", "0:a:0", "-vn"]
    if filters:
        args += ["-af", ",".join(filters)]
    done = subprocess.run([*args, "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return array.array("h", done.stdout)


def levels(samples: array.array, rate: int = 8000, window: float = 0.1) -> list[float]:
    size = int(rate * window)
    return [
        math.sqrt(sum(s * s for s in samples[i : i + size]) / size) for i in range(0, len(samples) - size + 1, size)
    ]


def check_final_cut(path: Path, seconds: float = sum(SECONDS)) -> None:
    """One H.264 video and one AAC audio stream; the audio lasts the sum of the shots; music fades."""
    text = describe(path)
    assert path.read_bytes()[4:8] == b"ftyp", "not an MP4"
    assert len(re.findall(r"Stream #\d+:\d+\S*: Video: h264", text)) == 1, text
    assert len(re.findall(r"Stream #\d+:\d+\S*: Audio: aac", text)) == 1, text
    hours, minutes, secs = re.search(r"Duration: (\d+):(\d\d):(\d\d\.\d+)", text).groups()
    assert int(hours) * 3600 + int(minutes) * 60 + float(secs) == pytest.approx(seconds, abs=0.1)
    audio = pcm(path)
    assert len(audio) / 8000 == pytest.approx(seconds, abs=0.1)  # the audio stream itself
    # the music alone: its band around MUSIC_HZ (the voices are a sine of VOICE_HZ, far away)
    music = levels(
        pcm(path, f"bandpass=f={MUSIC_HZ}:width_type=q:width=8", f"bandpass=f={MUSIC_HZ}:width_type=q:width=8")
    )
    middle = sum(music[25:45]) / 20
    assert middle > 300, music  # music plays under the whole cut
    assert music[0] < middle * 0.3 and music[-1] < middle * 0.3, music  # faded in, faded out
    assert music[4] > music[0] * 2 and music[-5] > music[-1] * 2, music  # rising, falling
    voice = levels(pcm(path, f"bandpass=f={VOICE_HZ}:width_type=q:width=8"))
    assert max(voice[:5]) > 300, voice  # the first shot speaks from its start


def fetch_media(api, url: str, out: Path) -> Path:
    """Download a run's media URL with curl (as a client of the published API would)."""
    done = subprocess.run(["curl", "-sS", "-f", "-o", str(out), api.url + url], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return out


# the tests ----------------------------------------------------------------------------------------
def test_the_template_is_a_valid_document_in_the_six_stages_of_the_design():
    document = novel_to_video()
    graph = compile_graph(document, default_registry())
    assert [(s.id, s.label) for s in graph.doc.stages] == [
        ("script", "Script · 剧本"),
        ("assets", "Assets · 资产"),
        ("storyboard", "Storyboard · 分镜"),
        ("animatic", "Animatic · 动态分镜"),
        ("video", "Video · 视频"),
        ("edit", "Edit · 剪辑"),
    ]
    staged = {n for s in document["stages"] for n in s["nodes"]}
    top = {n["id"] for n in document["nodes"] if "parent" not in n}
    assert staged == top  # every top-level node is in one of the six stages
    models = {n["config"]["model"] for n in document["nodes"] if n["type"] == "replicate"}
    assert models == {"bytedance/seedream-4", "google/nano-banana-pro", SEEDANCE_LITE, "meta/musicgen"}
    assert "小说 → 剧本 → 资产 → 分镜 → 动态分镜 → 视频 → 剪辑" in document["description"]


def test_a_novel_becomes_one_mp4_in_a_background_run_stage_by_stage(studio, tmp_path):
    api, writer, replicate = studio
    client = signed_in(api)
    document = novel_to_video(text_provider="openai", voice_provider="elevenlabs")  # as the design names them
    assert [s["id"] for s in document["stages"]] == STAGE_IDS
    workflow = data(client.post("/workflows", json={"document": document}), 201)["id"]
    token = client.headers["Authorization"].removeprefix("Bearer ")

    run_id = data(client.post("/runs", json={"workflow_id": workflow, "input": {"novel": NOVEL}}), 202)["run_id"]
    snapshots: list[dict] = []
    finished = threading.Event()

    def poll() -> None:  # progress as the run goes, beside the WebSocket
        while not finished.is_set():
            snapshots.append(client.get(f"/runs/{run_id}/progress").json()["data"])
            time.sleep(0.2)

    poller = threading.Thread(target=poll)
    poller.start()
    messages = []
    try:
        with connect(api.url.replace("http", "ws") + f"/api/v1/runs/{run_id}/ws?token={token}") as ws:
            while not messages or messages[-1]["type"] not in ("workflow_completed", "workflow_failed"):
                messages.append(json.loads(ws.recv(timeout=120)))
    finally:
        finished.set()
        poller.join()
    assert messages[-1]["type"] == "workflow_completed", messages[-1]

    # each of the six ends once, in order: those that ended before the socket connected are
    # "completed" in its first progress message, the others come as stage_completed
    before = [s["stage"] for s in messages[0]["data"]["stages"] if s["status"] == "completed"]
    completed = before + [m["data"]["stage"] for m in messages if m["type"] == "stage_completed"]
    assert [s for s in completed if s in STAGE_IDS] == STAGE_IDS
    labels = {m["data"]["stage"]: m["data"]["label"] for m in messages if m["type"] == "stage_completed"}
    assert labels["storyboard"] == "Storyboard · 分镜" and labels["edit"] == "Edit · 剪辑"
    assert not [m for m in messages if m["type"] == "stage_failed"]
    reports = snapshots + [m["data"] for m in messages if m["type"] == "progress"]
    figures = [f for p in reports for f in (p["overall_progress"], *(s["progress"] for s in p["stages"]))]
    assert figures and all(0.0 <= f <= 1.0 for f in figures)
    seen_stages = {p["current_stage"] for p in reports} - {None}
    assert seen_stages and seen_stages <= set(STAGE_IDS)
    assert any(0.0 < p["overall_progress"] < 1.0 for p in reports)
    done = data(client.get(f"/runs/{run_id}/progress"))
    assert [s["stage"] for s in done["stages"]] == STAGE_IDS and done["overall_progress"] == 1.0
    assert all(s["status"] == "completed" and s["progress"] == 1.0 for s in done["stages"])

    run = data(client.get(f"/runs/{run_id}"))
    output = run["output"]
    assert output["shots"] == PLAN["shots"] and output["script"].startswith("SCREENPLAY")
    assert output["duration"] == pytest.approx(sum(SECONDS), abs=0.1)
    check_final_cut(fetch_media(api, output["video"], tmp_path / "final.mp4"))
    animatic = describe(fetch_media(api, output["animatic"], tmp_path / "animatic.mp4"))
    assert "Video: h264" in animatic and "Audio: aac" in animatic
    # what the providers were asked: one voice and one clip per shot, each clip as long as its shot
    assert sorted(s["text"] for s in writer.speeches) == sorted(s["dialogue"] for s in PLAN["shots"])
    clips = [inputs for model, inputs in replicate.created if model == SEEDANCE_LITE]
    assert sorted(c["duration"] for c in clips) == sorted(SECONDS)
    assert all(c["image"].startswith(("http://", "https://", "data:")) for c in clips), clips


def test_the_published_flow_reads_an_uploaded_novel_and_answers_the_mp4_url_over_curl(studio, tmp_path):
    api, writer, _replicate = studio
    client = signed_in(api)
    upload = data(client.post("/files", files={"file": ("novel.txt", NOVEL.encode(), "text/plain")}), 201)
    workflow = api.publish(novel_to_video())
    body = json.dumps({"input": {"document": upload["url"], "music_style": "calm piano"}})
    done = subprocess.run(
        ["curl", "-sS", "-X", "POST", f"{api.url}/v1/api/workflow/run/{workflow}",
         "-H", f"X-API-KEY: {api.key()}", "-H", "Content-Type: application/json", "-d", body],
        capture_output=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert "output" in answer, answer
    video = answer["output"]["video"]
    assert video.startswith("/files/") and "sig=" in video
    # the document node read the upload in-process (SSRF protection is on for it: no HTTP call made)
    assert "林舟推开旧书店的门" in answer["output"]["script"]
    assert "林舟推开旧书店的门" in writer.chats[0]["messages"][-1]["content"]
    check_final_cut(fetch_media(api, video, tmp_path / "published.mp4"))


def test_a_shot_whose_video_fails_stays_a_still_and_shots_past_the_ninth_are_drawn(studio, tmp_path):
    api, writer, replicate = studio
    shots = [
        {"prompt": f"shot {i}", "shot_type": "wide", "dialogue": "雨。" * (i + 1), "duration": 2} for i in range(10)
    ]
    writer.plan = {**PLAN, "shots": shots}  # ten shots: the storyboard sheet has nine cells
    replicate.behaviour[SEEDANCE_LITE] = "fail"  # every image-to-video call fails: the fallback edge holds the still
    client = signed_in(api)
    workflow = api.publish(novel_to_video())
    run_id = data(client.post("/runs", json={"workflow_id": workflow, "input": {"novel": NOVEL}}), 202)["run_id"]
    deadline = time.monotonic() + 180
    while (run := data(client.get(f"/runs/{run_id}")))["status"] in ("pending", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert run["status"] == "completed", run.get("error")
    fallbacks = [step for step in run["path"] if step["kind"] == "fallback"]
    assert all(step["node"] == "move" for step in fallbacks), run["path"]
    assert sorted(step.get("item") for step in fallbacks) == list(range(10)), run["path"]
    assert len([m for m, _ in replicate.created if m == SEEDANCE_LITE]) == 10
    drawn = [inputs["prompt"] for model, inputs in replicate.created if model == "bytedance/seedream-4"]
    assert len(drawn) == 3 and any(p.startswith("shot 9.") for p in drawn)  # character, scene, the tenth shot
    check_final_cut(fetch_media(api, run["output"]["video"], tmp_path / "stills.mp4"), seconds=20)
