"""The Studio page (/studio, /studio/{id}) in a real Chromium against ``flowai serve`` with the studio
fakes on 127.0.0.1: a creator makes a project from a novel's text, watches the six stages complete,
edits one shot's prompt and regenerates it (only that shot's picture and clip are made again, per
the fake Replicate's log), regenerates an asset with a new prompt, uploads a reference image, and
fetches the final video the page plays (an mp4). Screenshots in English and 中文."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser import ServedApp, chromium, new_page, shot, sign_in
from tests.conftest import ThreadServer
from tests.fakes import studio_media
from tests.fakes.replicate_server import TOKEN
from tests.fakes.studio_server import MUSICGEN, SEEDANCE_LITE, SEEDREAM, FakeStudioReplicate, FakeWriter
from tests.pages_support import switch_language
from tests.test_studio_api import NOVEL, PLAN

pytestmark = pytest.mark.browser

STAGES = ("script", "asset", "storyboard", "animatic", "video", "edit")


@pytest.fixture
def studio(tmp_path):
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
            "FLOWAI_ALLOW_PRIVATE_URLS": "1",  # the fakes' media are on 127.0.0.1
        }
        (tmp_path / "home").mkdir()
        app = ServedApp.start(tmp_path / "home", env=env)
        try:
            yield app, writer, replicate
        finally:
            app.stop()


def made(replicate, model: str) -> list[dict]:
    return [inputs for m, inputs in replicate.created if m == model]


def wait_for(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return found


def shown_run(page) -> str:
    """The run the page shows (its header links to the run's page)."""
    return page.get_by_test_id("studio-run").get_attribute("href") or ""


def all_completed(page, after: str | None = None, timeout: int = 90_000) -> None:
    """Every stage shown completed; ``after``: the run shown before an action that starts a new one,
    which must be the run shown completed (a fake provider can see the new run's call before the
    browser has drawn it: the old run's "completed" is still on the page)."""
    if after is not None:
        expect(page.get_by_test_id("studio-run")).not_to_have_attribute("href", after, timeout=timeout)
    expect(page.get_by_test_id("studio-status")).to_have_attribute("data-status", "completed", timeout=timeout)
    for stage in STAGES:
        expect(page.get_by_test_id(f"studio-stage-{stage}")).to_have_attribute("data-status", "completed")


def test_a_creator_makes_edits_and_watches_a_video_project_in_the_studio(studio, tmp_path):
    app, writer, replicate = studio
    with chromium() as browser:
        page = new_page(browser, width=1400, height=1000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(20_000)
        sign_in(page, app)

        # the header's Studio link -> an empty studio -> a project from a novel's text
        page.get_by_test_id("nav-studio").click()
        page.wait_for_url(app.url + "/studio")
        expect(page.get_by_test_id("studio-empty")).to_be_visible()
        page.get_by_test_id("studio-name").fill("旧书店")
        page.get_by_test_id("studio-novel").fill(NOVEL)
        page.get_by_test_id("studio-create").click()
        page.wait_for_url(re.compile(r"/studio/[0-9a-f]{32}$"))
        wid = page.url.rsplit("/", 1)[1]
        expect(page.get_by_test_id("studio-project-name")).to_have_text("旧书店")

        # the stages go by live (the page's timer reads the studio service) until all are completed
        seen: set[str] = set()
        deadline = time.monotonic() + 90
        status = page.get_by_test_id("studio-status")
        while status.get_attribute("data-status") != "completed":
            seen.update(page.get_by_test_id(f"studio-stage-{s}").get_attribute("data-status") or "" for s in STAGES)
            assert status.get_attribute("data-status") != "failed", page.get_by_test_id("studio-error").inner_text()
            assert time.monotonic() < deadline, seen
            page.wait_for_timeout(150)
        all_completed(page)
        assert seen & {"pending", "running"}, seen  # it was seen on its way, not only at the end
        assert re.fullmatch(r"/runs/[0-9a-f]{32}", shown_run(page)), shown_run(page)  # the header links to its run
        expect(page.get_by_test_id("studio-screenplay")).to_contain_text("SCREENPLAY")
        plan = page.get_by_test_id("studio-storyboard_script")
        expect(plan).to_contain_text("1. [wide · 2 s] Lin Zhou opens the shop door — “门开了。”")
        for sid in ("shot_001", "shot_002", "shot_003"):
            expect(page.get_by_test_id(f"shot-image-{sid}")).to_have_attribute("src", re.compile(r"^/files/"))
        expect(page.get_by_test_id("asset-image-character")).to_have_attribute("src", re.compile(r"\S"))

        # the final video plays from a /files/ URL: an mp4
        video = page.get_by_test_id("studio-final").locator("video")
        expect(video).to_have_count(1)
        src = video.get_attribute("src")
        assert src and src.startswith("/files/"), src
        answer = page.request.get(app.url + src)
        assert answer.ok and answer.body()[4:8] == b"ftyp"
        expect(page.get_by_test_id("studio-animatic").locator("video")).to_have_count(1)
        page.get_by_test_id("studio-stages").scroll_into_view_if_needed()
        page.screenshot(path=str(shot(page, "studio-project-en")), full_page=True)

        # one shot's prompt edited and regenerated: only its picture and clip are made again
        drawn, clips, spoken = len(made(replicate, SEEDREAM)), len(made(replicate, SEEDANCE_LITE)), len(writer.speeches)
        prompt = page.get_by_test_id("shot-prompt-shot_002")
        prompt.fill("a red letter on a dusty counter")
        run = shown_run(page)
        page.get_by_test_id("shot-regenerate-shot_002").click()
        wait_for(lambda: len(made(replicate, SEEDANCE_LITE)) > clips)
        all_completed(page, after=run)
        redrawn = made(replicate, SEEDREAM)[drawn:]
        assert len(redrawn) == 1 and redrawn[0]["prompt"].startswith("a red letter on a dusty counter"), redrawn
        moved = made(replicate, SEEDANCE_LITE)[clips:]
        assert [m["prompt"] for m in moved] == ["a red letter on a dusty counter"], moved
        assert len(writer.speeches) == spoken
        expect(page.get_by_test_id("shot-prompt-shot_002")).to_have_value("a red letter on a dusty counter")
        expect(page.get_by_test_id("shot-shot_002")).to_have_attribute("data-status", "completed")

        # an asset regenerated with a new prompt
        drawn = len(made(replicate, SEEDREAM))
        page.get_by_test_id("asset-prompt-scene").fill("a snowy street at night")
        run = shown_run(page)
        page.get_by_test_id("asset-regenerate-scene").click()
        wait_for(lambda: any(i["prompt"] == "a snowy street at night" for i in made(replicate, SEEDREAM)[drawn:]))
        all_completed(page, after=run)
        expect(page.get_by_test_id("asset-prompt-scene")).to_have_value("a snowy street at night")

        # a reference image uploaded for the character: shown on its card, used when it is redrawn
        picture = tmp_path / "face.png"
        picture.write_bytes(studio_media.picture(3))
        page.get_by_test_id("asset-upload-character").locator("input[type=file]").set_input_files(picture)
        expect(page.get_by_test_id("asset-reference-character")).to_have_attribute("src", re.compile(r"^/files/"))
        reference = page.get_by_test_id("asset-reference-character").get_attribute("src")
        assert page.request.get(app.url + reference).body() == picture.read_bytes()

        # selected shots regenerated together: their two pictures again, no voice, no music
        drawn, music = len(made(replicate, SEEDREAM)), len(made(replicate, MUSICGEN))
        page.get_by_test_id("shot-select-shot_001").click()
        page.get_by_test_id("shot-select-shot_003").click()
        run = shown_run(page)
        page.get_by_test_id("shots-regenerate").click()
        wait_for(lambda: len(made(replicate, SEEDREAM)) >= drawn + 2)
        all_completed(page, after=run)
        again = [i["prompt"] for i in made(replicate, SEEDREAM)[drawn:]]
        assert sorted(p.split(".")[0] for p in again) == [PLAN["shots"][0]["prompt"], PLAN["shots"][2]["prompt"]]
        assert len(made(replicate, MUSICGEN)) == music
        expect(page.get_by_test_id("shot-select-shot_001")).not_to_be_checked()  # the selection was used

        # a narration uploaded for shot 1 takes its voice's place: no TTS call, the cut made again
        spoken, old = len(writer.speeches), page.get_by_test_id("shot-audio-shot_001").get_attribute("src")
        final = page.get_by_test_id("studio-final").locator("video").get_attribute("src")
        narration = tmp_path / "narration.wav"
        narration.write_bytes(studio_media.tone_wav(1.5, 330))
        run = shown_run(page)
        page.get_by_test_id("shot-narration-shot_001").locator("input[type=file]").set_input_files(narration)
        expect(page.get_by_test_id("shot-audio-shot_001")).not_to_have_attribute("src", old or "", timeout=60_000)
        all_completed(page, after=run)
        expect(page.get_by_test_id("studio-final").locator("video")).not_to_have_attribute("src", final or "")
        heard = page.get_by_test_id("shot-audio-shot_001").get_attribute("src")
        assert page.request.get(app.url + heard).body() == narration.read_bytes()
        assert len(writer.speeches) == spoken

        # sound effects switched on: the music model is asked for them, the final video made again;
        # a prompt typed and a shot ticked meanwhile, not yet used, stay so when the page shows the new
        # cut (seen: the refresh put the project's prompt back, and a Regenerate click then sent the old
        # one; it cleared the ticks, and "Regenerate selected" then asked to select shots first)
        music = len(made(replicate, MUSICGEN))
        page.get_by_test_id("studio-effects").click()
        page.get_by_test_id("shot-prompt-shot_003").fill("a lantern on the stairs")
        page.get_by_test_id("shot-select-shot_002").click()
        run = shown_run(page)
        page.get_by_test_id("studio-recut").click()
        wait_for(lambda: any(i["prompt"].startswith("Sound effects") for i in made(replicate, MUSICGEN)[music:]))
        all_completed(page, after=run)
        expect(page.get_by_test_id("studio-effects-state")).to_have_attribute("data-effects", "true")
        expect(page.get_by_test_id("shot-prompt-shot_003")).to_have_value("a lantern on the stairs")
        expect(page.get_by_test_id("shot-select-shot_002")).to_be_checked()

        # the header's run link opens the trace of the run the page shows: completed, made by a regenerate
        run = shown_run(page)
        page.get_by_test_id("studio-run").click()
        page.wait_for_url(app.url + run)
        expect(page.get_by_test_id("run-status")).to_contain_text("completed")
        expect(page.get_by_test_id("run-source")).to_contain_text("regenerate")

        # the list shows the project; the page in 中文
        page.goto(app.url + "/studio")
        expect(page.get_by_test_id(f"project-{wid}")).to_contain_text("旧书店")
        shot(page, "studio-list-en")
        switch_language(page, "简体中文")
        expect(page.get_by_test_id("studio-create")).to_contain_text("创建项目")
        shot(page, "studio-list-zh")
        page.goto(app.url + f"/studio/{wid}")
        expect(page.get_by_test_id("studio-stage-edit")).to_contain_text("剪辑")
        expect(page.get_by_test_id("studio-pause")).to_contain_text("暂停")
        page.screenshot(path=str(shot(page, "studio-project-zh")), full_page=True)
        assert errors == []
