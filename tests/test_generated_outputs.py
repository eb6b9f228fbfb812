"""Every output a model returns is stored by its sniffed type — SVG, binary glTF, video, JSON — under
the generated-media limit (not the upload limit), streamed to disk as it downloads: storing a
100 MiB video from the fake Replicate grows the process's memory by far less than the video."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import replace

import httpx
import pytest

from flowai.errors import FlowAIError
from flowai.providers.base import Media
from flowai.providers.replicate import Replicate
from flowai.providers.replicate_rules import Rules
from flowai.runs.engine import Engine, RunState
from flowai.services import Services
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from tests.conftest import start_api
from tests.fakes.base import png, wav
from tests.fakes.replicate_server import (  # noqa: F401 (fixture)
    AUTOCAPTION_MODEL,
    MP4_HEAD,
    MULTITALK_MODEL,
    SVG,
    SVG_MODEL,
    TOKEN,
    TRELLIS_MODEL,
    FakeReplicate,
    fake_replicate,
    glb_bytes,
)
from tests.graphs import Graph, field

REGISTRY = default_registry()
MiB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class PeakRss:
    """The highest resident set size of this process while the block runs, sampled every 5 ms."""

    def __enter__(self) -> PeakRss:
        self.base = self.peak = rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss())
            time.sleep(0.005)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())

    @property
    def growth(self) -> int:
        return self.peak - self.base


@pytest.fixture
def api(settings):
    server, handle = start_api(settings)  # default limits: uploads 20 MiB, generated media 2 GiB
    with server:
        yield handle


def replicate_for(fake: FakeReplicate, http: httpx.AsyncClient) -> Replicate:
    return Replicate(base_url=fake.url, api_key=TOKEN, client=http, rules=Rules(), poll_interval=0.02)


def one_model(model: str, params: dict, output: str = "{{rep.files}}", **config) -> dict:
    g = Graph().input(field("x"))
    g.node("rep", "replicate", model=model, params=params, **config)
    return g.output(output).chain().doc


def run(api, fake: FakeReplicate, document: dict, run_input: dict, *, before=None):
    async def go():
        if before is not None:
            run_input.update(await before())
        async with httpx.AsyncClient() as http:  # one per event loop (each test step runs its own)
            engine = Engine(Services(router=None, media=api.platform.media, replicate=replicate_for(fake, http)))
            state = RunState()
            graph = compile_graph(document, REGISTRY)
            out = await engine.run(graph, run_input, lambda e: None, run_id="r", owner_id=api.owner_id, state=state)
            return out, state

    return asyncio.run(go())


def row(api, url: str):
    return api.platform.files.get(url.split("?")[0].rsplit("/", 1)[-1])


def test_svg_glb_video_and_json_outputs_are_stored_by_type_and_served(api, fake_replicate):
    out, _ = run(api, fake_replicate, one_model(SVG_MODEL, {"prompt": "a logo"}), {})
    (svg,) = out
    assert (row(api, svg).type, row(api, svg).name) == ("image/svg+xml", "logo.svg")
    served = httpx.get(api.url + svg)
    assert served.content == SVG and "sandbox" in served.headers["content-security-policy"]

    async def images():
        return {"x": await api.platform.media.save(Media(png(5), "image/png"), owner_id=api.owner_id)}

    out, state = run(
        api, fake_replicate, one_model(TRELLIS_MODEL, {"images": ["{{in.x}}"]}, "{{rep.output}}"), {}, before=images
    )
    assert set(out) == {"model_file", "color_video"}
    assert row(api, out["model_file"]).type == "model/gltf-binary"
    assert httpx.get(api.url + out["model_file"]).content == glb_bytes()
    assert row(api, out["color_video"]).type == "video/mp4"
    assert state.outputs["rep"]["files"] == [out["model_file"], out["color_video"]]

    async def clip():
        data = MP4_HEAD + bytes(1024)
        return {"x": await api.platform.media.save(Media(data, "video/mp4"), owner_id=api.owner_id)}

    fake_replicate.video_bytes = 25 * MiB  # defect 3: over the 20 MiB upload limit, under the media limit
    captioned = one_model(AUTOCAPTION_MODEL, {"video_file_input": "{{in.x}}"})
    out, _ = run(api, fake_replicate, captioned, {}, before=clip)
    mp4, transcript = out
    assert (row(api, mp4).type, row(api, mp4).size) == ("video/mp4", 25 * MiB)
    assert (row(api, transcript).type, row(api, transcript).name) == ("application/json", "transcript.json")


def test_a_100_mib_video_is_streamed_to_disk_not_memory(api, fake_replicate):
    fake_replicate.video_bytes = 100 * MiB

    async def inputs():
        media = api.platform.media
        return {
            "face": await media.save(Media(png(7), "image/png"), owner_id=api.owner_id),
            "voice": await media.save(Media(wav(1.0), "audio/wav"), owner_id=api.owner_id),
        }

    g = Graph().input(field("face", "image"), field("voice", "audio"))
    g.node("rep", "replicate", model=MULTITALK_MODEL, params={}, media_ports={"image": "image", "first_audio": "audio"})
    g.output("{{rep.file}}").edge("in", "rep", "face", "params.image").edge("in", "rep", "voice", "params.first_audio")
    document = g.edge("rep", "out").doc
    run(api, fake_replicate, one_model(SVG_MODEL, {"prompt": "warm up"}), {})  # imports, pools, caches

    with PeakRss() as memory:
        url, _ = run(api, fake_replicate, document, {}, before=inputs)
    print(f"RSS grew by {memory.growth / MiB:.1f} MiB while storing 100 MiB")
    assert memory.growth < 100 * MiB, f"RSS grew by {memory.growth / MiB:.1f} MiB"
    stored = row(api, url)
    assert (stored.type, stored.size, stored.name) == ("video/mp4", 100 * MiB, "talk.mp4")
    assert (api.platform.files.path(stored.id)).stat().st_size == 100 * MiB
    size = 0
    with httpx.stream("GET", api.url + url, timeout=60) as served:
        assert served.status_code == 200 and served.headers["content-type"] == "video/mp4"
        for chunk in served.iter_bytes():
            size += len(chunk)
    assert size == 100 * MiB


def test_an_output_over_the_media_limit_fails_and_leaves_no_partial_file(settings, fake_replicate):
    server, api = start_api(replace(settings, max_media_bytes=2 * MiB))
    with server:
        fake_replicate.video_bytes = 5 * MiB
        with pytest.raises(FlowAIError, match="limit for generated media of 2097152 bytes"):
            run(
                api,
                fake_replicate,
                one_model(AUTOCAPTION_MODEL, {"video_file_input": "data:video/mp4;base64,AAAA"}),
                {},
            )
        left = [api.platform.files.get(p.name) for p in api.platform.files.upload_dir.iterdir()]
        assert all(r is not None and r.type != "video/mp4" for r in left)  # no partial file, no video
