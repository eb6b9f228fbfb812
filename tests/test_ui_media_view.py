"""The run view shows media a run made (real Chromium, fake Replicate on 127.0.0.1): an SVG as an
<img> (never inline markup), video and audio players, and a download link for a 3D model and a
JSON transcript — files stored by FlowAI, whose /files/ URLs carry no extension."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.browser import ServedApp, chromium, new_page, shot, sign_in
from tests.conftest import ThreadServer
from tests.fakes.replicate_server import (
    AUTOCAPTION_MODEL,
    MULTITALK_MODEL,
    SVG_MODEL,
    TOKEN,
    TRELLIS_MODEL,
    FakeReplicate,
)
from tests.graphs import Graph, field
from tests.proc import flowai
from tests.ui_support import demo_key

pytestmark = pytest.mark.browser
VOICE = "https://example.invalid/voice.mp3"  # taken on trust by the fake: nothing fetches it


def media_flow() -> dict:
    g = Graph("Media players").input(field("prompt", required=True), field("voice", "audio", required=True))
    g.node("svg", "replicate", "矢量", model=SVG_MODEL, params={"prompt": "{{in.prompt}}"})
    g.node(
        "talk",
        "replicate",
        "说话",
        model=MULTITALK_MODEL,
        params={"image": "https://example.invalid/face.png"},
        media_ports={"first_audio": "audio"},
    )
    g.node("mesh", "replicate", "模型", model=TRELLIS_MODEL, params={"images": ["https://example.invalid/a.png"]})
    g.node(
        "cap",
        "replicate",
        "字幕",
        model=AUTOCAPTION_MODEL,
        params={"video_file_input": "https://example.invalid/v.mp4"},
    )
    g.output("{{svg.file}}")
    g.edge("in", "talk", "voice", "params.first_audio").edge("in", "svg").edge("in", "mesh").edge("in", "cap")
    for nid in ("svg", "talk", "mesh", "cap"):
        g.edge(nid, "out")
    return g.doc


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    fake = FakeReplicate()
    with ThreadServer(fake.app) as rep:
        fake.url = rep.url
        home = tmp_path_factory.mktemp("home")
        app = ServedApp.start(home, "--demo", env={"REPLICATE_API_KEY": TOKEN, "REPLICATE_BASE_URL": rep.url})
        app.home = home
        try:
            yield app
        finally:
            app.stop()


def test_the_run_view_shows_players_and_download_links(served, tmp_path):
    path = tmp_path / "media.json"
    path.write_text(json.dumps(media_flow()), encoding="utf-8")
    wf_id = flowai(served.home, "workflow", "import", str(path), "--publish").stdout.split()[-1]
    r = httpx.post(
        f"{served.url}/v1/api/workflow/run/{wf_id}",
        headers={"X-API-KEY": demo_key(served)},
        json={"input": {"prompt": "a teal square", "voice": VOICE}},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    assert r.json()["output"].startswith("/files/")
    with chromium() as browser:
        page = new_page(browser)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(15_000)
        sign_in(page, served)
        page.goto(served.url + "/runs/" + r.headers["X-Run-Id"])
        page.get_by_test_id("run-output").locator('img[src^="/files/"]').wait_for(state="attached")
        page.get_by_test_id("node-svg").locator('img[src^="/files/"]').first.wait_for(state="attached")
        assert page.locator("svg rect[fill=teal]").count() == 0  # the SVG is an image, never inline markup
        page.get_by_test_id("node-in").locator(f'audio[controls][src="{VOICE}"]').wait_for(state="attached")
        page.get_by_test_id("node-talk").locator('video[src^="/files/"]').first.wait_for(state="attached")
        mesh = page.get_by_test_id("node-mesh")
        mesh.locator('a[download][href^="/files/"]').first.wait_for(state="attached")  # the GLB: a download
        mesh.locator('video[src^="/files/"]').first.wait_for(state="attached")  # its turntable video
        cap = page.get_by_test_id("node-cap")
        cap.locator('video[src^="/files/"]').first.wait_for(state="attached")
        cap.locator('a[download][href^="/files/"]').first.wait_for(state="attached")  # the transcript JSON
        shot(page, "run-media-players")
        href = mesh.locator('a[download][href^="/files/"]').first.get_attribute("href")
        served_file = httpx.get(served.url + href, timeout=10)
        assert served_file.status_code == 200 and served_file.content.startswith(b"glTF")
        assert not errors
