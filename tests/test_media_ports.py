"""Media on every port: the Replicate node's file inputs come from the model's schema (one port
``params.<name>`` each), every file is handed to Replicate as something it can fetch (files API,
``data:`` URI, or a signed absolute URL with ``FLOWAI_PUBLIC_URL``), and a file of the wrong type
fails naming the parameter instead of re-routing the model."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from flowai.errors import NodeError
from flowai.platform import Platform
from flowai.ports import PortType, accepts_media, compatible, media_kind
from flowai.providers.base import Media
from flowai.providers.replicate import Replicate
from flowai.providers.replicate_files import media_params
from flowai.providers.replicate_rules import Rules
from flowai.runs.engine import Engine, RunState
from flowai.services import Services
from flowai.settings import Settings
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from tests.conftest import start_api
from tests.fakes.base import png, wav
from tests.fakes.replicate_server import (  # noqa: F401 (fixture)
    AUTOCAPTION_MODEL,
    DOLPHIN_MODEL,
    MULTITALK_MODEL,
    TOKEN,
    FakeReplicate,
    fake_replicate,
    openapi,
)
from tests.graphs import Graph, field, issues

REGISTRY = default_registry()
TALK_PORTS = {"image": "image", "first_audio": "audio"}


@pytest.fixture
async def platform(settings):
    platform = Platform(settings)
    yield platform
    await platform.http.aclose()


def client(fake: FakeReplicate, http: httpx.AsyncClient, **options) -> Replicate:
    return Replicate(base_url=fake.url, api_key=TOKEN, client=http, rules=Rules(), poll_interval=0.02, options=options)


def talk_doc() -> dict:
    g = Graph().input(field("face", "image", required=True), field("voice", "audio", required=True))
    g.node("rep", "replicate", "说话", model=MULTITALK_MODEL, params={"prompt": "hello"}, media_ports=TALK_PORTS)
    g.output("{{rep.file}}")
    g.edge("in", "rep", "face", "params.image").edge("in", "rep", "voice", "params.first_audio").edge("rep", "out")
    return g.doc


async def run(platform: Platform, replicate: Replicate, document: dict, run_input: dict, owner: int | None):
    engine = Engine(Services(router=None, media=platform.media, replicate=replicate), node_timeout=60)
    state = RunState()
    output = await engine.run(compile_graph(document, REGISTRY), run_input, lambda e: None, run_id="r", owner_id=owner)
    return output, state


# -- ports ----------------------------------------------------------------------------------------


def test_document_and_model3d_ports_and_what_a_file_port_takes():
    for kind in (PortType.IMAGE, PortType.AUDIO, PortType.VIDEO, PortType.DOCUMENT, PortType.MODEL3D):
        assert compatible(kind, PortType.FILE) and compatible(kind, kind)
        assert not compatible(kind, PortType.TEXT)
    assert not compatible(PortType.DOCUMENT, PortType.IMAGE) and not compatible(PortType.FILE, PortType.IMAGE)
    assert media_kind("application/pdf") == media_kind("text/markdown") == PortType.DOCUMENT
    assert media_kind("model/gltf-binary") == PortType.MODEL3D and media_kind("image/svg+xml") == PortType.IMAGE
    assert accepts_media(PortType.FILE, "model/gltf-binary") and not accepts_media(PortType.IMAGE, "audio/wav")


def test_every_uri_input_of_the_schema_is_a_media_parameter_typed_by_its_words():
    schema = openapi(MULTITALK_MODEL)["components"]["schemas"]["Input"]
    assert media_params(schema) == {"image": "image", "first_audio": "audio", "second_audio": "audio"}
    schema = openapi(AUTOCAPTION_MODEL)["components"]["schemas"]["Input"]
    assert media_params(schema) == {"video_file_input": "video", "transcript_file_input": "document"}
    assert media_params(openapi(DOLPHIN_MODEL)["components"]["schemas"]["Input"]) == {"file": "file"}


def test_the_graph_checks_edges_into_declared_media_ports():
    compile_graph(talk_doc(), REGISTRY)  # both ports exist and take what the input gives
    doc = talk_doc()
    doc["edges"][1]["target_port"] = "params.second_audio"  # not declared in media_ports
    assert any("no input port 'params.second_audio'" in i["message"] for i in issues(doc))
    doc = talk_doc()
    doc["nodes"][0]["config"]["fields"][1]["type"] = "document"  # a document into an audio port
    assert any("port type mismatch" in i["message"] for i in issues(doc))


# -- hand-off ---------------------------------------------------------------------------------------


async def test_two_media_inputs_go_through_the_files_api(platform, fake_replicate):
    owner = platform.users.acting_admin().id
    face = await platform.media.save(Media(png(1), "image/png"), owner_id=owner)
    voice = await platform.media.save(Media(wav(1.0), "audio/wav"), owner_id=owner)
    replicate = client(fake_replicate, platform.http, data_uri_max=0)  # everything uploaded

    output, _ = await run(platform, replicate, talk_doc(), {"face": face, "voice": voice}, owner)

    ((model, sent),) = fake_replicate.created
    assert model == MULTITALK_MODEL
    prefix = fake_replicate.url + "/v1/files/"
    assert sent["image"].startswith(prefix) and sent["first_audio"].startswith(prefix)
    assert sorted((p, t, how) for p, t, _, how in fake_replicate.fetched) == [
        ("first_audio", "audio/wav", "files"),
        ("image", "image/png", "files"),
    ]
    assert sorted(t for _, t, _ in fake_replicate.uploads.values()) == ["audio/wav", "image/png"]
    stored = platform.files.get(output.split("?")[0].rsplit("/", 1)[-1])
    assert (stored.type, stored.name) == ("video/mp4", "talk.mp4")


async def test_small_files_go_inline_by_default(platform, fake_replicate):
    owner = platform.users.acting_admin().id
    face = await platform.media.save(Media(png(2), "image/png"), owner_id=owner)
    voice = await platform.media.save(Media(wav(0.5), "audio/wav"), owner_id=owner)
    await run(platform, client(fake_replicate, platform.http), talk_doc(), {"face": face, "voice": voice}, owner)
    assert sorted(how for *_, how in fake_replicate.fetched) == ["data", "data"] and not fake_replicate.uploads


def test_with_a_public_url_replicate_fetches_signed_absolute_urls(settings, fake_replicate):
    server, api = start_api(settings)
    with server:
        api.platform.media.public_url = api.url  # FLOWAI_PUBLIC_URL: this server as Replicate reaches it

        async def go():
            face = await api.platform.media.save(Media(png(3), "image/png"), owner_id=api.owner_id)
            voice = await api.platform.media.save(Media(wav(2.0), "audio/wav"), owner_id=api.owner_id)
            replicate = client(fake_replicate, api.platform.http)
            return await run(api.platform, replicate, talk_doc(), {"face": face, "voice": voice}, api.owner_id)

        asyncio.run(go())
    ((_, sent),) = fake_replicate.created
    for name in ("image", "first_audio"):
        assert sent[name].startswith(api.url + "/files/") and "sig=" in sent[name]
    assert sorted((p, t, how) for p, t, _, how in fake_replicate.fetched) == [
        ("first_audio", "audio/wav", "url"),
        ("image", "image/png", "url"),
    ]


def test_the_public_url_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FLOWAI_HOME", str(tmp_path))
    monkeypatch.setenv("FLOWAI_PUBLIC_URL", "https://flow.example.com/")
    settings = Settings.from_env()
    assert settings.public_url == "https://flow.example.com/"
    platform = Platform(settings)
    assert platform.media.public_url == "https://flow.example.com"
    assert platform.media.max_bytes == settings.max_media_bytes != settings.max_upload_bytes


async def test_a_document_written_into_params_reaches_the_model_fetchable(platform, fake_replicate):
    """Defect 2: dolphin got {"file": "/files/..."}."""
    owner = platform.users.acting_admin().id
    pdf = await platform.media.save(Media(b"%PDF-1.4\n%fake\n", "application/pdf"), owner_id=owner)
    g = Graph().input(field("doc", "document", required=True))
    g.node("rep", "replicate", model=DOLPHIN_MODEL, params={"file": "{{in.doc}}"})
    doc = g.output("{{rep.text}}").chain().doc

    output, _ = await run(platform, client(fake_replicate, platform.http), doc, {"doc": pdf}, owner)

    assert output == "# Page\n\nRead from the file."
    ((_, sent),) = fake_replicate.created
    assert sent["file"].startswith("data:application/pdf;base64,")
    assert [(p, t) for p, t, _, _ in fake_replicate.fetched] == [("file", "application/pdf")]


# -- mistyped inputs ----------------------------------------------------------------------------------


async def test_a_mistyped_media_input_fails_naming_the_parameter(platform, fake_replicate):
    owner = platform.users.acting_admin().id
    voice = await platform.media.save(Media(wav(1.0), "audio/wav"), owner_id=owner)
    doc = talk_doc()
    doc["nodes"][0]["config"]["fields"][0]["type"] = "file"  # any file may be wired into it
    doc["nodes"][1]["config"]["media_ports"] = {"image": "file", "first_audio": "audio"}
    with pytest.raises(NodeError) as info:  # declared `file`: the schema's word says image
        await run(platform, client(fake_replicate, platform.http), doc, {"face": voice, "voice": voice}, owner)
    assert "Parameter 'image' of zsxkib/multitalk" in info.value.message
    assert "image" in info.value.message and "audio/wav" in info.value.message
    assert fake_replicate.created == []


async def test_a_non_image_reference_image_fails_instead_of_switching_models(platform, fake_replicate):
    owner = platform.users.acting_admin().id
    pdf = await platform.media.save(Media(b"%PDF-1.4\n%fake\n", "application/pdf"), owner_id=owner)
    g = Graph().input(field("prompt"))
    g.node("rep", "replicate", model="flux-dev", params={"prompt": "x"}, image=pdf)
    doc = g.output("{{rep.file}}").chain().doc
    with pytest.raises(NodeError, match=r"Parameter 'image' of flux-dev takes an image, but got application/pdf"):
        await run(platform, client(fake_replicate, platform.http), doc, {"prompt": "x"}, owner)
    assert fake_replicate.created == []  # never re-routed to flux-kontext-max


async def test_a_declared_port_the_model_does_not_have_is_named(platform, fake_replicate):
    owner = platform.users.acting_admin().id
    g = Graph().input(field("prompt"))
    g.node("rep", "replicate", model=MULTITALK_MODEL, params={}, media_ports={"voice": "audio"})
    doc = g.output("{{rep.file}}").chain().doc
    with pytest.raises(NodeError, match=r"has no file input 'voice' \(its file inputs: image \(image\), first_audio"):
        await run(platform, client(fake_replicate, platform.http), doc, {}, owner)
