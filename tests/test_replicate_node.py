"""The ``replicate`` node in real runs: files stored and served, a reference image, cancel, and a
batch of 1,000 predictions through concurrent runs that never meets a 429."""

from __future__ import annotations

import asyncio
import functools
import time
from urllib.parse import urlsplit

import httpx
import pytest

from flowai.errors import GraphError, NodeError, NodeTimeoutError
from flowai.platform import Platform
from flowai.providers.base import Media
from flowai.providers.replicate import Replicate
from flowai.providers.replicate_rules import Rules
from flowai.runs.engine import Engine, RunState
from flowai.runs.events import NodeFinished
from flowai.services import Services
from flowai.workflows.graph import compile_graph
from storage.cache import DbNodeCache
from tests.conftest import start_api
from tests.fakes.replicate_server import (
    COMMUNITY,
    COMMUNITY_VERSION,
    TOKEN,
    FakeReplicate,
    png_bytes,
)
from tests.graphs import Graph, field
from tests.replicate_support import fake_replicate, replicate_server  # noqa: F401 (fixtures: one server per module)

BATCH_LIMIT = 100  # creates per second in the batch test (Replicate's is 600 per minute)
SCHNELL, KMAX = "black-forest-labs/flux-schnell", "black-forest-labs/flux-kontext-max"


def doc(model: str = "flux-schnell", output: str = "{{rep.files}}", image: bool = False, **config) -> dict:
    g = Graph().input(field("prompt", required=True), *([field("ref", "image")] if image else []))
    g.node("rep", "replicate", "画图", model=model, params=config.pop("params", {"prompt": "{{in.prompt}}"}), **config)
    g.output(output).chain()
    if image:
        g.edge("in", "rep", "ref", "image")
    return g.doc


@pytest.fixture
async def platform(settings):
    platform = Platform(settings)
    yield platform
    await platform.http.aclose()


@pytest.fixture
def owner(platform) -> int:
    return platform.users.acting_admin().id


def client(fake: FakeReplicate, http: httpx.AsyncClient, **kw) -> Replicate:
    kw.setdefault("poll_interval", 0.02)
    return Replicate(base_url=fake.url, api_key=TOKEN, client=http, rules=Rules(), **kw)


async def run(engine: Engine, document: dict, run_input: dict, owner: int | None, state: RunState | None = None):
    events: list = []
    graph = compile_graph(document, engine_registry())
    output = await engine.run(graph, run_input, events.append, run_id="r", owner_id=owner, state=state)
    return output, events


@functools.cache
def engine_registry():
    """One registry for every run, as a platform keeps one (building it imports and sorts every node
    type: ~4 ms a run, a large share of the 1,000-run batch's CPU when made per run)."""
    from nodes import default_registry

    return default_registry()


def engine_for(platform: Platform, replicate: Replicate | None) -> Engine:
    return Engine(Services(router=None, media=platform.media, replicate=replicate), node_timeout=60)


# -- files ----------------------------------------------------------------------------------------


async def test_output_files_are_stored_when_the_prediction_ends(platform, owner, fake_replicate):
    engine = engine_for(platform, client(fake_replicate, platform.http))
    state = RunState()
    document = doc(params={"prompt": "{{in.prompt}}", "num_outputs": 2, "output_format": "png"})
    output, _ = await run(engine, document, {"prompt": "two foxes"}, owner, state)

    assert fake_replicate.created == [(SCHNELL, {"prompt": "two foxes", "num_outputs": 2, "output_format": "png"})]
    (pid,) = fake_replicate.predictions
    assert len(output) == 2 and all(urlsplit(u).path.startswith("/files/") for u in output)
    outs = state.outputs["rep"]
    assert outs["files"] == outs["output"] == output and outs["file"] == output[0] and outs["text"] is None
    for i, url in enumerate(output):  # the stored copy holds the provider's bytes
        stored = await platform.media.load(url, owner_id=owner)
        assert stored == Media(png_bytes(pid, f"out-{i}.png"), "image/png")
    usage = state.usage["rep"]
    assert (usage["provider"], usage["model"], usage["images"], usage["predictions"]) == (
        "replicate",
        SCHNELL,
        2,
        [pid],
    )


def test_stored_files_are_served_back_by_the_app(settings, fake_replicate):
    server, api = start_api(settings)
    api.platform.services.replicate = client(fake_replicate, api.platform.http)
    with server:
        wf = api.publish(doc(output="{{rep.file}}"))
        r = httpx.post(
            f"{api.url}/v1/api/workflow/run/{wf}",
            headers={"X-API-KEY": api.key()},
            content='{"input": {"prompt": "a lighthouse"}}',
            timeout=30,
        )
        assert r.status_code == 200, r.text
        url = r.json()["output"]
        assert urlsplit(url).path.startswith("/files/")
        served = httpx.get(api.url + url)
    (pid,) = fake_replicate.predictions
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == png_bytes(pid, "out-0.webp")


async def test_a_stored_reference_image_goes_inline_and_takes_rule_1(platform, owner, fake_replicate):
    engine = engine_for(platform, client(fake_replicate, platform.http))
    ref = png_bytes("ref", "cat")
    url = await platform.media.save(Media(ref, "image/png"), owner_id=owner)
    state = RunState()
    output, _ = await run(engine, doc("flux-dev", image=True), {"prompt": "make it blue", "ref": url}, owner, state)

    ((model, sent),) = fake_replicate.created
    assert model == KMAX and sent["prompt"] == "make it blue"
    assert sent["input_image"].startswith("data:image/png;base64,")
    assert len(output) == 1
    fallback = state.usage["rep"]["fallbacks"][0]
    assert (fallback["rule"], fallback["model"], fallback["to"]) == ("image_input", "black-forest-labs/flux-dev", KMAX)


async def test_text_models_fill_the_text_port(platform, owner, fake_replicate):
    engine = engine_for(platform, client(fake_replicate, platform.http))
    output, _ = await run(
        engine, doc("meta/meta-llama-3-8b-instruct", output="{{rep.text}}"), {"prompt": "hi you"}, owner
    )
    assert output == "You said: hi you "


async def test_ad_hoc_runs_without_an_owner_keep_replicates_urls(platform, fake_replicate):
    engine = engine_for(platform, client(fake_replicate, platform.http))
    output, _ = await run(engine, doc(), {"prompt": "p"}, None)
    assert output[0].startswith(f"{fake_replicate.url}/files/")


async def test_without_a_replicate_key_the_node_says_what_to_set(platform, owner):
    engine = engine_for(platform, None)
    with pytest.raises(NodeError, match="REPLICATE_API_KEY") as err:
        await run(engine, doc(), {"prompt": "p"}, owner)
    assert err.value.node_id == "rep"


async def test_a_community_model_without_a_version_runs(platform, owner, fake_replicate):
    engine = engine_for(platform, client(fake_replicate, platform.http))
    document = doc(model=COMMUNITY, output="{{rep.file}}", params={"image": "https://example.com/a.png", "scale": 2})
    output, _ = await run(engine, document, {"prompt": "p"}, owner)

    ((pid, prediction),) = fake_replicate.predictions.items()
    assert prediction.model == COMMUNITY and prediction.version == COMMUNITY_VERSION
    assert await platform.media.load(output, owner_id=owner) == Media(png_bytes(pid, "out-0.png"), "image/png")


async def test_a_misspelt_model_fails_with_a_message_naming_it(platform, owner, fake_replicate):
    engine = engine_for(platform, client(fake_replicate, platform.http))
    with pytest.raises(NodeError) as err:
        await run(engine, doc(model="fake/comunity"), {"prompt": "p"}, owner)
    assert err.value.node_id == "rep" and "Replicate has no model 'fake/comunity'" in err.value.message
    assert fake_replicate.created == []


# -- the node cache --------------------------------------------------------------------------------


def cached_engine(platform: Platform, replicate: Replicate) -> Engine:
    return Engine(
        Services(router=None, media=platform.media, replicate=replicate),
        node_timeout=60,
        cache=DbNodeCache(platform.db),
    )


async def test_identical_runs_with_a_cache_ttl_make_one_prediction(platform, owner, fake_replicate):
    engine = cached_engine(platform, client(fake_replicate, platform.http))
    document = doc(params={"prompt": "{{in.prompt}}", "seed": 1})
    document["settings"] = {"cache_ttl": 3600}  # the workflow's setting
    first, second = RunState(), RunState()
    output, _ = await run(engine, document, {"prompt": "a fox"}, owner, first)
    again, events = await run(engine, document, {"prompt": "a fox"}, owner, second)

    assert len(fake_replicate.created) == 1 and again == output
    assert first.usage["rep"]["cost"] == pytest.approx(0.003) and not first.usage["rep"].get("cache_hit")
    assert second.usage["rep"]["cache_hit"] is True and second.usage["rep"]["cost"] == 0
    finished = [e for e in events if isinstance(e, NodeFinished) and e.node == "rep"]
    assert finished[0].usage["cache_hit"] is True

    changed = doc(params={"prompt": "{{in.prompt}}", "seed": 2})
    changed["settings"] = {"cache_ttl": 3600}
    await run(engine, changed, {"prompt": "a fox"}, owner)
    assert [sent["seed"] for _, sent in fake_replicate.created] == [1, 2]  # a changed param: a second one

    await run(engine, doc(params={"prompt": "{{in.prompt}}", "seed": 1}), {"prompt": "a fox"}, owner)
    assert len(fake_replicate.created) == 3  # caching is off by default


async def test_a_media_input_is_keyed_by_its_content_not_its_signed_url(platform, owner, fake_replicate):
    engine = cached_engine(platform, client(fake_replicate, platform.http))
    document = doc(COMMUNITY, output="{{rep.file}}", image=True, params={"scale": 2}, cache_ttl=600)  # the node's
    url = await platform.media.save(Media(png_bytes("ref", "cat"), "image/png"), owner_id=owner)
    file_id = urlsplit(url).path.rsplit("/", 1)[1]
    resigned = platform.files.signed_url(file_id, now=time.time() + 60).url
    assert resigned != url

    await run(engine, document, {"prompt": "p", "ref": url}, owner)
    await run(engine, document, {"prompt": "p", "ref": resigned}, owner)  # same bytes, another signature
    assert len(fake_replicate.created) == 1

    other = await platform.media.save(Media(png_bytes("ref", "dog"), "image/png"), owner_id=owner)
    await run(engine, document, {"prompt": "p", "ref": other}, owner)
    assert len(fake_replicate.created) == 2  # other bytes: another prediction

    someone = platform.users.create(username="someone", password="a-long-password").id
    theirs = await platform.media.save(Media(png_bytes("ref", "cat"), "image/png"), owner_id=someone)
    await run(engine, document, {"prompt": "p", "ref": theirs}, someone)
    assert len(fake_replicate.created) == 3  # another account never gets this account's stored outputs


def test_the_model_is_required():
    bad = doc()
    bad["nodes"][1]["config"]["model"] = ""
    with pytest.raises(GraphError):
        compile_graph(bad, engine_registry())


# -- cancel ----------------------------------------------------------------------------------------


async def test_cancelling_the_run_cancels_the_prediction(platform, owner, fake_replicate):
    fake_replicate.behaviour[SCHNELL] = "slow"
    fake_replicate.slow_seconds = 30
    engine = engine_for(platform, client(fake_replicate, platform.http, wait=0))
    task = asyncio.create_task(run(engine, doc(), {"prompt": "long"}, owner))
    while fake_replicate.polls < 1:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fake_replicate.cancels == list(fake_replicate.predictions)
    (prediction,) = fake_replicate.predictions.values()
    assert prediction.status() == "canceled"


async def test_a_node_timeout_cancels_the_prediction(platform, owner, fake_replicate):
    fake_replicate.behaviour[SCHNELL] = "slow"
    fake_replicate.slow_seconds = 30
    engine = engine_for(platform, client(fake_replicate, platform.http, wait=0))
    with pytest.raises(NodeTimeoutError):
        await run(engine, doc(timeout=0.3), {"prompt": "long"}, owner)
    assert fake_replicate.cancels == list(fake_replicate.predictions)


# -- the 600/minute budget under a batch ------------------------------------------------------------


async def test_a_batch_of_1000_predictions_waits_for_budget_and_never_meets_a_429(platform, owner, fake_replicate):
    # The account's limit, compressed to LIMIT per second so the test is quick but still well under
    # the rate 1,000 concurrent runs would create at; the client is told the same limit.
    fake_replicate.limit, fake_replicate.window = BATCH_LIMIT, 1.0
    node_client = client(fake_replicate, platform.http, rate_limit=BATCH_LIMIT, rate_window=1)
    router_client = client(fake_replicate, platform.http, rate_limit=BATCH_LIMIT, rate_window=1)  # image task
    assert node_client.creates is router_client.creates
    engines = [engine_for(platform, node_client), engine_for(platform, router_client)]
    document = doc(output="{{rep.file}}")
    t0 = time.monotonic()
    results = await asyncio.gather(
        *(run(engines[i % 2], document, {"prompt": f"picture {i}"}, owner) for i in range(1000)), return_exceptions=True
    )
    elapsed = time.monotonic() - t0

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []  # no 429 (nor anything else) reached a node
    outputs = [output for output, _ in results]
    assert len(set(outputs)) == 1000 and all(urlsplit(u).path.startswith("/files/") for u in outputs)
    assert len(fake_replicate.created) == 1000 and fake_replicate.files_served == 1000
    assert fake_replicate.throttled == 0  # the fake never had to refuse one
    assert fake_replicate.max_creates_in_window() <= BATCH_LIMIT  # the rate never went over the limit
    assert node_client.creates.waited > 500  # most runs waited for budget ...
    assert elapsed >= 1000 / BATCH_LIMIT - 1  # ... for as long as the limit demands
    stored = await platform.media.load(outputs[-1], owner_id=owner)
    assert stored.data.startswith(b"\x89PNG")


def test_the_platform_wires_replicate_from_env_and_from_a_key_entered_later(settings, fake_replicate):
    """No test wiring: the served app finds Replicate through its credentials — first none (a clear
    error), then a key entered through the providers admin (as the UI does) works at once."""
    from dataclasses import replace

    server, api = start_api(replace(settings, env={"REPLICATE_BASE_URL": fake_replicate.url}))
    with server:
        wf = api.publish(doc(output="{{rep.file}}"))
        key = api.key(rate_limit=0)

        def call():
            return httpx.post(
                f"{api.url}/v1/api/workflow/run/{wf}",
                headers={"X-API-KEY": key},
                content='{"input": {"prompt": "a lighthouse"}}',
                timeout=30,
            )

        r = call()
        assert r.status_code == 500 and "REPLICATE_API_KEY" in r.json()["message"], r.text
        api.platform.provider_admin.set_credential("replicate", api_key=TOKEN)
        r = call()
        assert r.status_code == 200, r.text
        assert urlsplit(r.json()["output"]).path.startswith("/files/")
        assert api.platform.services.replicate.configured


def test_replicate_calls_count_against_quotas_and_the_workflow_budget(settings, fake_replicate):
    from dataclasses import replace

    server, api = start_api(
        replace(settings, env={"REPLICATE_BASE_URL": fake_replicate.url, "REPLICATE_API_KEY": TOKEN})
    )
    with server:
        wf = api.publish(doc(output="{{rep.file}}"))
        key = api.key(rate_limit=0)
        admin = api.platform.provider_admin

        def call():
            return httpx.post(
                f"{api.url}/v1/api/workflow/run/{wf}",
                headers={"X-API-KEY": key},
                content='{"input": {"prompt": "a lighthouse"}, "detail": true}',
                timeout=30,
            )

        r = call()
        assert r.status_code == 200, r.text
        usage = r.json()["usage"]["rep"]
        assert usage["provider"] == "replicate" and usage["cost"] > 0
        assert admin.spent_today(wf) == pytest.approx(usage["cost"])
        served = len(fake_replicate.predictions)

        admin.set_budget(wf, usage["cost"] / 2)  # already spent: the next run fails before calling
        r = call()
        assert r.status_code == 429 and r.json()["code"] == 42902 and "budget" in r.json()["message"], r.text
        assert len(fake_replicate.predictions) == served

        admin.set_budget(wf, None)
        admin.set_quota("replicate", period="day", limit=1, unit="calls")  # the first call used it up
        r = call()
        assert r.status_code == 502 and "quota" in r.json()["message"], r.text
        assert len(fake_replicate.predictions) == served
