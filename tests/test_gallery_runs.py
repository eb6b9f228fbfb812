"""Every gallery template validates and runs end to end against the fake Replicate on 127.0.0.1,
which answers with real small media (PNG, WAV, a playable MP4, SVG, binary glTF); each run's
final artefact is read back: the mp4 has video and audio streams (ffmpeg's own report), the SVG
parses, the GLB starts with glTF, the audio lasts as long as its lines."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from flowai.gallery import TEMPLATES, find
from flowai.media import ffmpeg
from flowai.platform import Platform
from tests.conftest import ThreadServer
from tests.fakes.replicate_server import TOKEN, WAV_SECONDS, FakeReplicate, png_bytes, wav_bytes
from tests.graphs import compile_doc

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def fake():
    fake = FakeReplicate(real_media=True)
    with ThreadServer(fake.app) as server:
        fake.url = server.url
        yield fake


@pytest.fixture
async def platform(settings, fake):
    fake.created.clear()
    fake.answers.clear()
    env = {"REPLICATE_API_TOKEN": TOKEN, "REPLICATE_BASE_URL": fake.url}
    platform = Platform(replace(settings, env=env, allow_private_urls=True))
    yield platform
    await platform.http.aclose()


class Runner:
    def __init__(self, platform: Platform):
        self.platform = platform
        self.owner = platform.users.acting_admin().id

    def upload(self, name: str, data: bytes) -> str:
        row = self.platform.files.save(owner_id=self.owner, name=name, data=data)
        return self.platform.files.signed_url(row.id).url

    def path(self, url: str) -> Path:
        assert isinstance(url, str) and url.startswith("/files/"), url
        return self.platform.files.path(url.split("?")[0].rsplit("/", 1)[-1])

    async def run(self, name: str, inputs: dict):
        doc = find(name).document()
        return await self.platform.engine.run(compile_doc(doc), inputs, lambda e: None, owner_id=self.owner)

    async def video(self, url: str) -> ffmpeg.MediaInfo:
        info = await ffmpeg.probe(self.path(url))
        assert info.video and info.audio, info
        return info


@pytest.fixture
def runner(platform) -> Runner:
    return Runner(platform)


def models_run(fake: FakeReplicate) -> list[str]:
    return [model for model, _ in fake.created]


def test_every_template_is_a_valid_flowai_document_with_its_metadata():
    assert len(TEMPLATES) == 14 and len({t.id for t in TEMPLATES}) == 14
    for template in TEMPLATES:
        doc = template.document("Mine")
        assert doc["format"] == "flowai/1" and doc["name"] == "Mine"
        compile_doc(doc)  # raises GraphError listing every problem
        used = {n["config"]["model"] for n in doc["nodes"] if n["type"] == "replicate"}
        assert used == set(template.models), template.name
        assert all(template.title) and all(template.description) and all(template.produces)
        assert template.estimate()["usd"] >= 0


async def test_content_pipeline_makes_one_captioned_video(runner, fake):
    out = await runner.run("ContentPipeline", {"document": runner.upload("brief.txt", b"Quarterly report: up 20%.")})
    await runner.video(out)
    assert models_run(fake)[:2] == ["bytedance/dolphin", "anthropic/claude-4-sonnet"]
    assert models_run(fake)[-1] == "fictions-ai/autocaption" and len(fake.created) == 8


async def test_product_intro_merges_video_and_voice(runner, fake):
    product = runner.upload("mug.png", png_bytes("in", "mug"))
    info = await runner.video(await runner.run("ProductIntro", {"product": product, "script": "Meet the mug."}))
    assert info.duration == pytest.approx(1.0, abs=0.2)
    ran = models_run(fake)
    assert sorted(ran) == [
        "black-forest-labs/flux-kontext-pro",
        "bytedance/seedance-1-lite",
        "resemble-ai/chatterbox-pro",
    ]
    assert ran.index("black-forest-labs/flux-kontext-pro") < ran.index("bytedance/seedance-1-lite")


async def test_viral_clips_burns_the_caption_over_music(runner, fake):
    out = await runner.run("ViralClips", {"idea": "A cat surfing", "caption": "Cats can surf"})
    await runner.video(out)
    assert sorted(models_run(fake)) == ["bytedance/seedance-1-pro", "meta/musicgen"]


async def test_edu_video_holds_one_slide_per_paragraph_for_its_narration(runner, fake):
    out = await runner.run("EduVideo", {"lesson": "Water boils at 100 °C.\n\nIce melts at 0 °C."})
    info = await runner.video(out)
    assert info.duration == pytest.approx(2 * WAV_SECONDS, abs=0.3)
    assert sorted(models_run(fake)) == ["black-forest-labs/flux-dev"] * 2 + ["resemble-ai/chatterbox-pro"] * 2


async def test_music_video_animates_each_scene_under_the_song(runner, fake):
    fake.answers["anthropic/claude-4-sonnet"] = "A moonlit beach\nTwo dancers under lanterns"
    song = runner.upload("song.wav", wav_bytes(2.0))
    info = await runner.video(await runner.run("MusicVideoMaker", {"song": song}))
    assert info.duration == pytest.approx(2.0, abs=0.3)  # two one-second clips
    assert models_run(fake).count("kwaivgi/kling-v2.1") == 2
    prompts = sorted(i["prompt"] for m, i in fake.created if m == "kwaivgi/kling-v2.1")
    assert prompts == ["A moonlit beach", "Two dancers under lanterns"]


async def test_my_story_makes_the_restored_photo_speak_in_the_sampled_voice(runner, fake):
    inputs = {
        "photo": runner.upload("grandma.png", png_bytes("in", "grandma")),
        "voice_sample": runner.upload("voice.wav", wav_bytes()),
        "story": "I was born by the sea.",
    }
    await runner.video(await runner.run("MyStoryAI", inputs))
    talk = next(i for m, i in fake.created if m == "zsxkib/multitalk")
    assert talk["image"] and talk["first_audio"]  # the model with two media inputs got both
    kinds = {param: kind for param, kind, _, _ in fake.fetched}
    assert kinds["audio_prompt"] == "audio/wav" and kinds["first_audio"] == "audio/wav"


async def test_product_shoot_runs_the_whole_batch(runner, fake):
    products = [runner.upload(f"p{i}.png", png_bytes("in", f"p{i}")) for i in range(2)]
    out = await runner.run("ProductShoot", {"products": products})
    assert out["failed"] == [] and len(out["images"]) == 2
    for url in out["images"]:
        assert runner.path(url).read_bytes().startswith(PNG)
    assert sorted(models_run(fake)).count("black-forest-labs/flux-kontext-max") == 2


async def test_photo_restore_chains_restore_colour_upscale(runner, fake):
    out = await runner.run("PhotoRestore", {"photo": runner.upload("old.png", png_bytes("in", "old"))})
    assert runner.path(out).read_bytes().startswith(PNG)
    assert models_run(fake) == [
        "microsoft/bringing-old-photos-back-to-life",
        "piddnad/ddcolor",
        "nightmareai/real-esrgan",
    ]


async def test_avatar_maker_makes_one_avatar_per_style(runner, fake):
    photo = runner.upload("me.png", png_bytes("in", "me"))
    out = await runner.run("AvatarMaker", {"photo": photo, "styles": "anime, oil painting, pixel art"})
    assert len(out) == 3 and all(runner.path(u).read_bytes().startswith(PNG) for u in out)
    prompts = sorted(i["prompt"] for m, i in fake.created if m == "black-forest-labs/flux-kontext-pro")
    assert [p.split(" avatar")[0].removeprefix("Turn this photo into a ") for p in prompts] == [
        "anime",
        "oil painting",
        "pixel art",
    ]


async def test_brand_ai_draws_an_svg_logo_materials_and_a_poster(runner, fake):
    out = await runner.run("BrandAI", {"brand": "Moss & Bean"})
    root = ET.fromstring(runner.path(out["logo"]).read_bytes())
    assert root.tag.endswith("svg")
    assert len(out["materials"]) == 2 and runner.path(out["poster"]).read_bytes().startswith(PNG)
    poster = next(i for m, i in fake.created if m == "ideogram-ai/ideogram-v3-quality")
    assert len(poster["style_reference_images"]) == 1 and "Moss & Bean" in poster["prompt"]


async def test_home_visualizer_ends_in_a_glb(runner, fake):
    out = await runner.run("HomeVisualizer", {"room": runner.upload("room.png", png_bytes("in", "room"))})
    assert runner.path(out["model"]).read_bytes()[:4] == b"glTF"
    assert runner.path(out["image"]).read_bytes().startswith(PNG)


async def test_resume_booster_rewrites_and_lays_out(runner, fake):
    fake.answers["anthropic/claude-4-sonnet"] = "# Ada Lovelace\n\n- Led 3 projects"
    out = await runner.run("ResumeBooster", {"resume": runner.upload("cv.txt", b"Ada. Did things."), "role": "analyst"})
    assert out["resume"] == "# Ada Lovelace\n\n- Led 3 projects"
    assert runner.path(out["layout"]).read_bytes().startswith(PNG)


async def test_podcast_is_one_audio_file_as_long_as_its_lines(runner, fake):
    lines = [{"voice": "Luna", "text": "Hi!"}, {"voice": "Ember", "text": "Hello."}, {"voice": "Luna", "text": "Bye"}]
    fake.answers["anthropic/claude-4-sonnet"] = "```json\n" + json.dumps(lines) + "\n```"
    out = await runner.run("PodcastAI", {"recording": runner.upload("raw.wav", wav_bytes())})
    info = await ffmpeg.probe(runner.path(out))
    assert info.audio and not info.video
    assert info.duration == pytest.approx(3 * WAV_SECONDS, abs=0.15)
    voices = [i["voice"] for m, i in fake.created if m == "resemble-ai/chatterbox-pro"]
    assert sorted(voices) == ["Ember", "Luna", "Luna"]


def test_docs_templates_md_is_generated_from_the_registry():
    from flowai.gallery.markdown import DOC, render

    assert DOC.read_text(encoding="utf-8") == render(), "run: python3 -m flowai.gallery.markdown"
