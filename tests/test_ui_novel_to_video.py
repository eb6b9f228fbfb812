"""Issue 16's "done when", in a real Chromium against ``flowai serve`` with the studio fakes on 127.0.0.1.

A creator opens the template gallery, uses "Novel to video", lands in the editor with the six stage
frames and the two loop containers, types a short novel into the test-run form, presses Run, watches
every stage frame turn completed, finds the final cut as a ``<video>`` playing a ``/files/`` URL in
the run panel and downloads it (an mp4 with a video and an audio stream, read with the package's
ffmpeg); then publishes the workflow, creates an API key on the API page and calls the published
flow with ``curl``, which answers the mp4's URL.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from flowai.media.ffmpeg import probe
from flowai.workflows.novel_video import STAGES
from tests.browser import ServedApp, chromium, new_page, shot, sign_in
from tests.conftest import ThreadServer
from tests.fakes.replicate_server import TOKEN
from tests.fakes.studio_server import FakeStudioReplicate, FakeWriter
from tests.test_novel_to_video import NOVEL, PLAN, SECONDS

pytestmark = pytest.mark.browser

LOOPS = ("voices", "clips")  # the per-shot loops drawn as containers
BODIES = [("voices", n) for n in ("keep", "cell", "has_cell", "drawn", "voice", "frame")] + [
    ("clips", n) for n in ("still", "move", "cut", "hold")
]
FRAMED = """(pairs) => {
  const root = document.querySelector('[data-testid=canvas]').shadowRoot || document;
  const rect = (id) => root.querySelector(`[data-testid="node-${id}"]`).getBoundingClientRect();
  return pairs.every(([loop, inner]) => {
    const a = rect(inner), b = rect(loop);
    return b.left <= a.left && a.right <= b.right && b.top <= a.top && a.bottom <= b.bottom;
  });
}"""


@pytest.fixture
def studio(tmp_path):
    writer, replicate = FakeWriter(plan=PLAN), FakeStudioReplicate()
    with ThreadServer(writer.app) as w, ThreadServer(replicate.app) as r:
        writer.url, replicate.url = w.url, r.url  # the fakes' media URLs are absolute
        env = {
            "OPENAI_API_KEY": writer.api_key,
            "OPENAI_BASE_URL": f"{w.url}/v1",
            "ELEVENLABS_API_KEY": writer.api_key,
            "ELEVENLABS_BASE_URL": w.url,
            "REPLICATE_API_KEY": TOKEN,
            "REPLICATE_BASE_URL": r.url,
            # the fakes' media are on 127.0.0.1: downloading them needs private URLs
            "FLOWAI_ALLOW_PRIVATE_URLS": "1",
        }
        (tmp_path / "home").mkdir()
        app = ServedApp.start(tmp_path / "home", env=env)
        try:
            yield app, writer, replicate
        finally:
            app.stop()


def stage(page, stage_id: str):
    return page.locator(f'[data-testid="stage-{stage_id}"]')


def box(page, testid: str) -> dict:
    found = page.locator(f'[data-testid="{testid}"]').bounding_box()
    assert found is not None, testid
    return found


def inside(a: dict, b: dict) -> bool:
    return b["x"] <= a["x"] and a["x"] + a["width"] <= b["x"] + b["width"] and b["y"] <= a["y"] <= b["y"] + b["height"]


def overlapping(frames: list[dict]) -> list[tuple[dict, dict]]:
    return [(a, b) for i, a in enumerate(frames) for b in frames[i + 1 :] if overlap(a, b)]


def settled_stage_frames(page) -> list[dict]:
    """The stage frames' boxes once no two overlap, or as they are after 5 s: a stage frame takes its
    size from its nodes a paint or two after the loops' frames do (a fresh-clone run read them in
    between once)."""
    for _ in range(50):
        frames = [box(page, f"stage-{sid}") for sid, _ in STAGES]
        if not overlapping(frames):
            break
        page.wait_for_timeout(100)
    return frames


def overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def check_mp4(data: bytes, path) -> None:
    assert data[4:8] == b"ftyp", "not an MP4"
    path.write_bytes(data)
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's event loop
        info = pool.submit(asyncio.run, probe(path)).result()
    assert info.video and info.audio, info
    assert info.duration == pytest.approx(sum(SECONDS), abs=0.15), info


def test_a_creator_makes_a_novel_into_one_mp4_in_the_editor_and_calls_it_over_curl(studio, tmp_path):
    app, writer, _replicate = studio
    with chromium() as browser:
        page = new_page(browser, width=1600, height=900)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(20_000)
        sign_in(page, app)

        # the gallery's first card: "Novel to video" -> the editor
        page.get_by_test_id("open-gallery").click()
        cards = page.get_by_test_id("gallery").locator('[data-testid^="template-"]')
        expect(cards.first).to_have_attribute("data-testid", "template-novel_video")
        page.get_by_test_id("use-novel_video").click()
        page.wait_for_url(re.compile(r"/workflows/[0-9a-f]{32}$"))
        wf_id = page.url.rsplit("/", 1)[1]
        page.wait_for_selector('[data-testid="canvas"][data-ready="true"]')
        for sid, label in STAGES:
            expect(stage(page, sid).locator('[data-role="stage-label"]')).to_have_text(label)
            expect(stage(page, sid)).to_have_attribute("data-status", "")
        for loop in LOOPS:
            expect(page.locator(f'[data-testid="node-{loop}"]')).to_have_attribute("data-frame", "true")
        shot(page, "novel-video-editor")
        # laid out: each loop's nodes inside its frame, no two stage frames over each other
        page.wait_for_function(FRAMED, arg=BODIES, timeout=5_000)  # the frames take their sizes after a paint
        for loop, inner in BODIES:
            assert inside(box(page, f"node-{inner}"), box(page, f"node-{loop}")), inner
        frames = settled_stage_frames(page)
        assert not overlapping(frames), frames

        # a short novel in the test-run form, Run, each stage completes
        page.get_by_test_id("tab-run").click()
        page.get_by_test_id("run-input-novel").fill(NOVEL)
        page.get_by_test_id("run-start").click()
        status = page.get_by_test_id("run-status")
        expect(status).to_have_attribute("data-state", re.compile("completed|failed"), timeout=60_000)
        assert status.get_attribute("data-state") == "completed", status.inner_text()
        for sid, _label in STAGES:
            expect(stage(page, sid)).to_have_attribute("data-status", "completed")
            expect(stage(page, sid)).to_have_attribute("data-progress", "1")
        for loop in LOOPS:
            expect(page.locator(f'[data-testid="node-{loop}"] [data-role="status"]')).to_contain_text("3/3")
        shot(page, "novel-video-run")

        # the final cut plays in the run panel; downloaded with the page's own cookies
        video = page.get_by_test_id("run-output-media").locator("video")
        expect(video).to_have_count(2)  # the output's "video" and "animatic"
        sources = [video.nth(i).get_attribute("src") for i in range(2)]
        output = json.loads(page.get_by_test_id("run-output-text").inner_text())
        assert sources == [output["video"], output["animatic"]]
        assert output["video"].startswith("/files/")
        # the browser reads it as a video of the shots' length (metadata loaded from the /files/ URL)
        page.wait_for_function("(v) => v.readyState >= 1 && v.duration > 0", arg=video.first.element_handle())
        assert video.first.evaluate("(v) => v.duration") == pytest.approx(sum(SECONDS), abs=0.15)
        answer = page.request.get(app.url + output["video"])
        assert answer.ok and answer.headers["content-type"] == "video/mp4", answer.headers
        check_mp4(answer.body(), tmp_path / "editor.mp4")

        # publish, a key on the API page
        page.get_by_test_id("publish").click()
        page.get_by_test_id("publish-confirm").click()
        expect(page.get_by_test_id("published-id")).to_have_text(wf_id)
        page.get_by_test_id("published-close").click()
        page.goto(app.url + "/api-keys")
        page.get_by_test_id("new-key").click()
        page.get_by_test_id("key-name").fill("studio")
        page.get_by_test_id("create-key").click()
        secret = page.get_by_test_id("secret").inner_text().strip()
        assert errors == []

    body = json.dumps({"input": {"novel": NOVEL}})
    done = subprocess.run(
        ["curl", "-sS", "-X", "POST", f"{app.url}/v1/api/workflow/run/{wf_id}",
         "-H", f"X-API-KEY: {secret}", "-H", "Content-Type: application/json", "-d", body],
        capture_output=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert "output" in result, result
    url = result["output"]["video"]
    assert url.startswith("/files/") and "sig=" in url
    mp4 = tmp_path / "published.mp4"
    fetched = subprocess.run(["curl", "-sS", "-f", "-o", str(mp4), app.url + url], capture_output=True, timeout=60)
    assert fetched.returncode == 0, fetched.stderr
    check_mp4(mp4.read_bytes(), mp4)
    assert len(writer.speeches) == 2 * len(PLAN["shots"])  # a voice per shot, in each of the two runs
