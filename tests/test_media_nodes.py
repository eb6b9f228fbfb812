"""The image, tts and stt nodes end to end: a published workflow run over the run API, the real
provider router built from environment credentials pointing at fake providers on 127.0.0.1, the
media stored and served back by the app."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from flowai.errors import GraphError
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from tests.conftest import start_api
from tests.fakes.assemblyai_server import TRANSCRIPT, FakeAssemblyAI
from tests.fakes.base import mp3, png, serve, wav
from tests.fakes.elevenlabs_server import FakeElevenLabs
from tests.fakes.openai_media_server import TRANSCRIPT as WHISPER_TRANSCRIPT
from tests.fakes.openai_media_server import FakeOpenAIMedia
from tests.fakes.stability_server import FakeStability


@pytest.fixture
def fakes():
    with (
        serve(FakeStability()) as stability,
        serve(FakeElevenLabs()) as eleven,
        serve(FakeAssemblyAI()) as aai,
        serve(FakeOpenAIMedia()) as openai,
    ):
        yield {"stability": stability, "elevenlabs": eleven, "assemblyai": aai, "openai": openai}


@pytest.fixture
def api(settings, fakes):
    env = {}
    for name, fake in fakes.items():
        env[f"{name.upper()}_API_KEY"] = fake.api_key
        env[f"{name.upper()}_BASE_URL"] = fake.url + ("/v1" if name == "openai" else "")
    server, handle = start_api(replace(settings, env=env))
    with server:
        yield handle


def flow(node: dict, field: dict, port: str, out: str, extra_edges: list | None = None) -> dict:
    """input(field) -> node (the field feeds ``port``) -> output (``out``)."""
    return {
        "format": "flowai/1",
        "name": f"{node['type']} test",
        "nodes": [
            {"id": "in", "type": "input", "label": "开始", "config": {"fields": [field]}},
            node,
            {"id": "out", "type": "output", "label": "结束", "config": {"value": out}},
        ],
        "edges": [
            {"source": "in", "source_port": field["name"], "target": node["id"], "target_port": port},
            {"source": node["id"], "target": "out"},
            *(extra_edges or []),
        ],
    }


def run(api, doc: dict, inputs: dict) -> httpx.Response:
    workflow_id = api.publish(doc)
    return httpx.post(
        f"{api.url}/v1/api/workflow/run/{workflow_id}",
        headers={"X-API-KEY": api.key()},
        json={"input": inputs, "detail": True},
        timeout=30,
    )


def fetch(api, url: str) -> httpx.Response:
    assert url.startswith("/files/")
    resp = httpx.get(api.url + url, timeout=10)
    assert resp.status_code == 200
    return resp


def stored(api, data: bytes, name: str) -> str:
    row = api.platform.files.save(owner_id=api.owner_id, name=name, data=data)
    return api.platform.files.signed_url(row.id).url


# -- image ---------------------------------------------------------------------------------------


def test_image_node_stores_every_image_and_serves_it(api, fakes):
    node = {
        "id": "img",
        "type": "image",
        "label": "画图",
        "config": {
            "prompt": "A poster of {{in.topic}}",
            "negative_prompt": "text",
            "aspect_ratio": "16:9",
            "n": 2,
            "seed": 5,
        },
    }
    doc = flow(node, {"name": "topic", "type": "string", "required": True}, "", "{{img.images}}")
    doc["edges"][0].pop("target_port"), doc["edges"][0].pop("source_port")  # the prompt is a template here

    resp = run(api, doc, {"topic": "autumn"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    urls = body["output"]
    assert isinstance(urls, list) and len(urls) == 2
    for url, seed in zip(urls, (5, 6)):
        served = fetch(api, url)
        assert served.content == png(seed) and served.headers["content-type"] == "image/png"
    usage = body["usage"]["img"]
    assert (usage["provider"], usage["task"], usage["images"]) == ("stability", "image", 2)
    assert usage["cost"] and usage["fallbacks"] == []
    sent = fakes["stability"].requests
    assert {r["prompt"] for r in sent} == {"A poster of autumn"}
    assert {(r["negative_prompt"], r["aspect_ratio"]) for r in sent} == {("text", "16:9")}


def test_image_node_loads_its_reference_image(api, fakes):
    node = {"id": "img", "type": "image", "config": {"prompt": "the same, at night", "model": "sd3.5-large"}}
    doc = flow(node, {"name": "pic", "type": "image", "required": True}, "reference_image", "{{img.image}}")

    resp = run(api, doc, {"pic": stored(api, png(42), "ref.png")})
    assert resp.status_code == 200, resp.text
    assert fetch(api, resp.json()["output"]).content == png(0)
    sent = fakes["stability"].requests[0]
    assert sent["image"] == png(42) and sent["mode"] == "image-to-image"


def test_image_node_pinned_to_an_openai_compatible_provider(api, fakes):
    node = {"id": "img", "type": "image", "config": {"provider": "openai", "model": "dall-e-3", "seed": 9}}
    doc = flow(node, {"name": "p", "type": "string", "required": True}, "prompt", "{{img.image}}")

    resp = run(api, doc, {"p": "a fox"})
    assert resp.status_code == 200, resp.text
    assert fetch(api, resp.json()["output"]).content == png(9)
    assert resp.json()["usage"]["img"]["provider"] == "openai"
    assert fakes["stability"].requests == []


def test_a_content_filtered_image_fails_the_run_with_50002(api):
    node = {"id": "img", "type": "image", "config": {"model": "filtered"}}
    doc = flow(node, {"name": "p", "type": "string", "required": True}, "prompt", "{{img.image}}")

    resp = run(api, doc, {"p": "something"})
    assert resp.status_code == 502
    body = resp.json()
    assert body["code"] == 50002 and "CONTENT_FILTERED" in body["message"]


# -- tts -----------------------------------------------------------------------------------------


def test_tts_node_speaks_and_serves_the_audio(api, fakes):
    node = {"id": "say", "type": "tts", "label": "朗读", "config": {"voice": "v-narrator"}}
    doc = flow(node, {"name": "text", "type": "string", "required": True}, "text", "{{say.audio}}")

    resp = run(api, doc, {"text": "你好, FlowAI"})
    assert resp.status_code == 200, resp.text
    served = fetch(api, resp.json()["output"])
    assert served.content == mp3() and served.headers["content-type"] == "audio/mpeg"
    usage = resp.json()["usage"]["say"]
    assert (usage["provider"], usage["task"], usage["characters"]) == ("elevenlabs", "tts", len("你好, FlowAI"))
    assert fakes["elevenlabs"].requests[0]["voice"] == "v-narrator"


# -- stt -----------------------------------------------------------------------------------------


def test_stt_node_transcribes_an_uploaded_file(api, fakes):
    node = {"id": "stt", "type": "stt", "label": "听写", "config": {"language": "en"}}
    doc = flow(node, {"name": "clip", "type": "audio", "required": True}, "audio", "{{stt.text}}")

    resp = run(api, doc, {"clip": stored(api, wav(3.0), "clip.wav")})
    assert resp.status_code == 200, resp.text
    assert resp.json()["output"] == TRANSCRIPT
    usage = resp.json()["usage"]["stt"]
    assert (usage["provider"], usage["task"], usage["seconds"]) == ("assemblyai", "stt", 3.0)
    assert list(fakes["assemblyai"].uploads.values()) == [wav(3.0)]
    assert fakes["assemblyai"].requests[0]["language_code"] == "en"


def test_stt_node_pinned_to_whisper_reports_language(api, fakes):
    node = {"id": "stt", "type": "stt", "config": {"provider": "openai"}}
    doc = flow(node, {"name": "clip", "type": "audio", "required": True}, "audio", "{{stt.language}}: {{stt.text}}")

    resp = run(api, doc, {"clip": stored(api, wav(1.0), "clip.wav")})
    assert resp.status_code == 200, resp.text
    assert resp.json()["output"] == f"english: {WHISPER_TRANSCRIPT}"
    assert fakes["assemblyai"].requests == []


def test_stt_node_refuses_a_non_audio_file(api):
    node = {"id": "stt", "type": "stt", "config": {}}
    doc = flow(node, {"name": "clip", "type": "audio", "required": True}, "audio", "{{stt.text}}")

    resp = run(api, doc, {"clip": stored(api, png(1), "not-audio.png")})
    assert resp.status_code == 500
    assert "not audio (image/png)" in resp.json()["message"]


# -- the node declarations -----------------------------------------------------------------------


def test_media_nodes_declare_ports_and_group():
    registry = default_registry()
    image, tts, stt = registry.get("image"), registry.get("tts"), registry.get("stt")
    assert {n.group for n in (image, tts, stt)} == {"media"}
    assert image.input_ports({}) == {"prompt": "text", "reference_image": "image"}
    assert image.output_ports({}) == {"image": "image", "images": "json", "usage": "json"}
    assert tts.output_ports({})["audio"] == "audio" and stt.input_ports({}) == {"audio": "audio"}
    assert set(stt.output_ports({})) == {"text", "language", "usage"}


def test_image_config_is_validated_on_save():
    doc = flow(
        {"id": "img", "type": "image", "config": {"n": 9, "aspect_ratio": "5:1"}},
        {"name": "p", "type": "string"},
        "prompt",
        "{{img.image}}",
    )
    with pytest.raises(GraphError) as caught:
        compile_graph(doc, default_registry())
    fields = {(i["node"], i["field"]) for i in caught.value.issues}
    assert fields == {("img", "config.n"), ("img", "config.aspect_ratio")}
