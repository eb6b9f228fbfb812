"""The Replicate client against a fake Replicate on 127.0.0.1: predictions, budget, schemas, fallbacks."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import httpx
import pytest

from flowai.errors import ProviderError
from flowai.providers.base import ImageRequest, Media
from flowai.providers.families import FAMILIES
from flowai.providers.replicate import Replicate
from flowai.providers.replicate_budget import Budget
from flowai.providers.replicate_rules import PredictionFailed, Rules, nearest_ratio
from tests.fakes.replicate_server import (
    COMMUNITY,
    COMMUNITY_VERSION,
    MODEL_ERROR,
    TOKEN,
    FakeReplicate,
    png_bytes,
)
from tests.replicate_support import fake_replicate, replicate_server  # noqa: F401 (fixtures: one server per module)

DEV, SCHNELL = "black-forest-labs/flux-dev", "black-forest-labs/flux-schnell"
KMAX, KPRO = "black-forest-labs/flux-kontext-max", "black-forest-labs/flux-kontext-pro"
QWEN, IMAGEN, LLAMA = "qwen/qwen-image", "google/imagen-4-ultra", "meta/meta-llama-3-8b-instruct"
IMAGE = "https://example.com/cat.png"


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as client:
        yield client


@pytest.fixture
def replicate(fake_replicate: FakeReplicate, http) -> Replicate:
    return Replicate(base_url=fake_replicate.url, api_key=TOKEN, client=http, rules=Rules(), poll_interval=0.02)


def rules_of(fallbacks: list[dict]) -> list[tuple]:
    return [(f["rule"], f["model"], f.get("to")) for f in fallbacks]


# -- predictions -----------------------------------------------------------------------------------


async def test_fast_model_answers_within_prefer_wait_without_polling(replicate, fake_replicate):
    result = await replicate.run("flux-schnell", {"prompt": "a fox", "num_outputs": 2})

    assert fake_replicate.created == [(SCHNELL, {"prompt": "a fox", "num_outputs": 2})]
    assert fake_replicate.waits == ["wait=60"] and fake_replicate.polls == 0
    pid = result.predictions[0]
    assert result.files == [f"{fake_replicate.url}/files/{pid}/out-{i}.webp" for i in range(2)]  # no store: theirs
    assert [m.data for m in result.media] == [png_bytes(pid, f"out-{i}.webp") for i in range(2)]
    assert result.model == SCHNELL and result.text is None
    usage = result.usage_dict()
    assert (usage["provider"], usage["model"], usage["images"], usage["fallbacks"]) == ("replicate", SCHNELL, 2, [])
    assert usage["cost"] == pytest.approx(0.006) and usage["predictions"] == [pid]


async def test_slow_model_is_polled_until_it_succeeds(fake_replicate, http):
    fake_replicate.behaviour[SCHNELL] = "slow"
    fake_replicate.slow_seconds = 0.4
    client = Replicate(
        base_url=fake_replicate.url, api_key=TOKEN, client=http, rules=Rules(), wait=0, poll_interval=0.05
    )
    t0 = time.monotonic()
    prediction = await client.predict(SCHNELL, {"prompt": "slow"})

    assert prediction["status"] == "succeeded" and len(prediction["output"]) == 1
    assert fake_replicate.waits == [""] and fake_replicate.polls >= 2  # no Prefer header; several GETs
    assert time.monotonic() - t0 >= 0.4


async def test_prefer_wait_shorter_than_the_prediction_falls_back_to_polling(fake_replicate, http):
    fake_replicate.behaviour[SCHNELL] = "slow"
    fake_replicate.slow_seconds = 1.5
    client = Replicate(
        base_url=fake_replicate.url, api_key=TOKEN, client=http, rules=Rules(), wait=1, poll_interval=0.05
    )
    prediction = await client.predict(SCHNELL, {"prompt": "slow"})
    assert prediction["status"] == "succeeded"
    assert fake_replicate.waits == ["wait=1"] and fake_replicate.polls >= 1


async def test_versions_go_to_the_predictions_endpoint(replicate, fake_replicate):
    await replicate.predict(f"{COMMUNITY}:{COMMUNITY_VERSION}", {"image": IMAGE})
    await replicate.predict(COMMUNITY_VERSION, {"image": IMAGE, "scale": 2})
    assert [m for m, _ in fake_replicate.created] == [COMMUNITY, COMMUNITY]

    with pytest.raises(ProviderError, match="not a Replicate model"):
        await replicate.predict("just-a-name", {})


async def test_a_community_model_by_name_runs_its_latest_version(replicate, fake_replicate):
    prediction = await replicate.predict(COMMUNITY, {"image": IMAGE})

    assert prediction["status"] == "succeeded" and prediction["version"] == COMMUNITY_VERSION
    assert fake_replicate.created == [(COMMUNITY, {"image": IMAGE})]
    assert fake_replicate.schema_gets == 1  # the model looked up once...
    arrivals = len(fake_replicate.create_arrivals)
    await replicate.predict(COMMUNITY, {"image": IMAGE, "scale": 2})
    assert fake_replicate.schema_gets == 1  # ...and its version cached for the client
    assert len(fake_replicate.create_arrivals) == arrivals + 1  # straight to the version, no 404 first
    assert [m for m, _ in fake_replicate.created] == [COMMUNITY, COMMUNITY]


async def test_a_misspelt_model_fails_with_a_message_naming_it(replicate, fake_replicate):
    with pytest.raises(ProviderError) as err:
        await replicate.predict("fake/comunity", {"image": IMAGE})
    assert "Replicate has no model 'fake/comunity'" in err.value.message
    assert err.value.http_status == 404 and not err.value.retryable
    assert fake_replicate.created == []

    with pytest.raises(ProviderError, match="Replicate has no model 'nobody/nothing'"):
        await replicate.run("nobody/nothing", {"prompt": "x"})  # through the rules: no chain, same message


async def test_a_failed_prediction_is_not_retryable(replicate, fake_replicate):
    fake_replicate.behaviour[LLAMA] = "fail"
    with pytest.raises(PredictionFailed) as err:
        await replicate.run(LLAMA, {"prompt": "hi"})  # no chain for this model: the failure itself
    assert MODEL_ERROR in err.value.message and not err.value.retryable
    assert err.value.detail["status"] == "failed" and err.value.code == 50002
    assert len(fake_replicate.created) == 1


async def test_text_outputs_are_joined(replicate):
    result = await replicate.run(LLAMA, {"prompt": "hello there", "max_tokens": "64"})  # "64" coerced
    assert result.text == "You said: hello there "
    assert result.files == [] and result.output == ["You ", "said: ", "hello ", "there "]


async def test_http_500_on_create_is_retried_then_reported(replicate, fake_replicate):
    fake_replicate.behaviour[LLAMA] = "error-500"
    with pytest.raises(ProviderError) as err:
        await replicate.run(LLAMA, {"prompt": "hi"})
    assert err.value.http_status == 500 and err.value.retryable
    assert len(fake_replicate.create_arrivals) == 3 and fake_replicate.created == []


async def test_wrong_token_is_a_clear_non_retryable_error(fake_replicate, http):
    client = Replicate(base_url=fake_replicate.url, api_key="r8_wrong", client=http, rules=Rules())
    with pytest.raises(ProviderError) as err:
        await client.check()
    assert err.value.http_status == 401 and not err.value.retryable
    assert "refused its credential" in err.value.message  # the upstream's words go to the log only
    unconfigured = Replicate(base_url=fake_replicate.url, api_key=None, client=http, rules=Rules())
    with pytest.raises(ProviderError, match="REPLICATE_API_KEY"):
        await unconfigured.run(SCHNELL, {"prompt": "x"})


async def test_check_reads_the_account(replicate):
    assert await replicate.check() == "Replicate account fake-user (user)"


async def test_family_constructor_and_env(http):
    family = FAMILIES["replicate"](
        "replicate",
        base_url="http://127.0.0.1:9/v1",
        api_key="k",
        client=http,
        models={"image": SCHNELL},
        options={"rate_limit": "60", "rate_window": "1"},
    )
    assert family.base_url == "http://127.0.0.1:9" and family.creates.limit == 60 and family.creates.window == 1
    from_env = Replicate.from_env({"REPLICATE_API_TOKEN": "tok", "REPLICATE_BASE_URL": "http://x"}, http)
    assert (from_env.api_key, from_env.base_url, from_env.creates.limit) == ("tok", "http://x", 600)
    assert Replicate.from_env({"REPLICATE_API_KEY": "a", "REPLICATE_API_TOKEN": "b"}, http).api_key == "a"
    assert Replicate.from_env({"REPLICATE_RATE_LIMIT": "120"}, http).creates.limit == 120


# -- cancel ---------------------------------------------------------------------------------------


async def test_cancelling_the_caller_cancels_the_prediction(fake_replicate, http):
    fake_replicate.behaviour[SCHNELL] = "slow"
    fake_replicate.slow_seconds = 30
    client = Replicate(
        base_url=fake_replicate.url, api_key=TOKEN, client=http, rules=Rules(), wait=0, poll_interval=0.05
    )
    task = asyncio.create_task(client.predict(SCHNELL, {"prompt": "long"}))
    while fake_replicate.polls < 1:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (pid,) = fake_replicate.predictions
    assert fake_replicate.cancels == [pid]  # sent before the cancellation went on
    assert fake_replicate.predictions[pid].status() == "canceled"


async def test_cancel_during_a_held_create_cancels_once_the_id_is_known(fake_replicate, http):
    fake_replicate.behaviour[SCHNELL] = "slow"
    fake_replicate.slow_seconds = 30
    client = Replicate(base_url=fake_replicate.url, api_key=TOKEN, client=http, rules=Rules(), wait=1)
    task = asyncio.create_task(client.predict(SCHNELL, {"prompt": "long"}))
    while not fake_replicate.predictions:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await fake_replicate.await_cancels(1, timeout=5)
    assert fake_replicate.cancels == list(fake_replicate.predictions)
    await client.aclose()


async def test_a_prediction_past_the_timeout_is_cancelled(fake_replicate, http):
    fake_replicate.behaviour[SCHNELL] = "slow"
    fake_replicate.slow_seconds = 30
    client = Replicate(
        base_url=fake_replicate.url, api_key=TOKEN, client=http, rules=Rules(), wait=0, poll_interval=0.05, timeout=0.3
    )
    with pytest.raises(ProviderError, match="did not finish within 0.3 s") as err:
        await client.predict(SCHNELL, {"prompt": "long"})
    assert err.value.retryable and fake_replicate.cancels == list(fake_replicate.predictions)


# -- budget and 429 -------------------------------------------------------------------------------


async def test_429_waits_for_the_reset_replicate_gives_and_sends_again(fake_replicate, http):
    fake_replicate.limit, fake_replicate.window = 3, 1.0
    client = Replicate(
        base_url=fake_replicate.url, api_key=TOKEN, client=http, rules=Rules(), rate_limit=100, rate_window=1
    )  # the client believes it may send more than the account allows
    t0 = time.monotonic()
    results = await asyncio.gather(*(client.predict(SCHNELL, {"prompt": f"p{i}"}) for i in range(5)))

    assert all(r["status"] == "succeeded" for r in results)
    assert fake_replicate.throttled >= 1  # 429s happened, none reached the caller
    assert len(fake_replicate.created) == 5
    assert time.monotonic() - t0 >= 0.9  # "resets in ~1s" was honoured


async def test_the_budget_is_shared_by_clients_of_one_account_and_makes_callers_wait(fake_replicate, http):
    fake_replicate.limit, fake_replicate.window = 4, 1.0
    a = Replicate(base_url=fake_replicate.url, api_key=TOKEN, client=http, rules=Rules(), rate_limit=4, rate_window=1)
    b = Replicate(base_url=fake_replicate.url, api_key=TOKEN, client=http, rules=Rules(), rate_limit=4, rate_window=1)
    assert a.creates is b.creates
    other = Replicate(
        base_url=fake_replicate.url, api_key="r8_other", client=http, rules=Rules(), rate_limit=4, rate_window=1
    )
    assert other.creates is not a.creates
    t0 = time.monotonic()
    await asyncio.gather(*(c.predict(SCHNELL, {"prompt": "x"}) for c in [a, b] * 5))
    assert time.monotonic() - t0 >= 2.0  # 10 creates at 4 per second: three windows
    assert fake_replicate.throttled == 0 and fake_replicate.max_creates_in_window() <= 4
    assert a.creates.waited >= 6


def test_budget_refuses_nonsense():
    with pytest.raises(ValueError):
        Budget(0, 60)


# -- schemas --------------------------------------------------------------------------------------


async def test_input_schema_inlines_enums_and_is_cached(replicate, fake_replicate):
    schemas = await asyncio.gather(*(replicate.input_schema("flux-dev") for _ in range(20)))
    schema = schemas[0]
    assert fake_replicate.schema_gets == 1  # one fetch for twenty concurrent askers
    props = schema["properties"]
    assert props["aspect_ratio"]["enum"][:3] == ["1:1", "16:9", "21:9"] and props["aspect_ratio"]["default"] == "1:1"
    assert "allOf" not in props["aspect_ratio"]
    assert props["num_outputs"] == {
        "type": "integer",
        "default": 1,
        "minimum": 1,
        "maximum": 4,
        "title": "Num Outputs",
        "x-order": 4,
    }
    assert schema["required"] == ["prompt"]
    await replicate.input_schema(DEV)
    assert fake_replicate.schema_gets == 1
    version = await replicate.input_schema(f"{COMMUNITY}:{COMMUNITY_VERSION}")
    assert set(version["properties"]) == {"image", "scale"}
    with pytest.raises(ProviderError):
        await replicate.input_schema(COMMUNITY_VERSION)  # a bare version id has no schema route


async def test_schema_cache_expires(fake_replicate, http):
    client = Replicate(base_url=fake_replicate.url, api_key=TOKEN, client=http, rules=Rules(), schema_ttl=0.05)
    await client.input_schema(DEV)
    await asyncio.sleep(0.1)
    await client.input_schema(DEV)
    assert fake_replicate.schema_gets == 2


# -- Rule 1: a reference image ----------------------------------------------------------------------


async def test_rule1_flux_dev_with_an_image_switches_to_kontext_max(replicate, fake_replicate):
    params = {
        "prompt": "make it blue",
        "aspect_ratio": "16:9",
        "guidance": 3,
        "num_inference_steps": 20,
        "output_format": "webp",
        "seed": 7,
    }
    result = await replicate.run("flux-dev", params, image=IMAGE)

    ((model, sent),) = fake_replicate.created
    assert model == KMAX
    assert sent == {
        "prompt": "make it blue",
        "aspect_ratio": "16:9",
        "output_format": "png",
        "seed": 7,
        "input_image": IMAGE,
    }  # image -> input_image, flux-only fields gone, webp -> png
    assert isinstance(result.output, list) and len(result.files) == 1  # kontext's single URI normalised
    assert rules_of(result.usage.fallbacks) == [("image_input", DEV, KMAX), ("params", KMAX, None)]
    assert set(result.usage.fallbacks[1]["dropped"]) == {"guidance", "num_inference_steps"}


async def test_rule1_a_model_whose_schema_takes_no_image_goes_to_the_edit_model(replicate, fake_replicate):
    result = await replicate.run(SCHNELL, {"prompt": "p", "image": IMAGE, "num_outputs": 2, "seed": 1})

    assert [m for m, _ in fake_replicate.created] == [KMAX, KMAX]  # kontext has no num_outputs: two calls
    assert sorted(i["seed"] for _, i in fake_replicate.created) == [1, 2]
    assert all(i["input_image"] == IMAGE for _, i in fake_replicate.created)
    assert len(result.files) == 2 and len(set(result.files)) == 2
    assert result.usage.fallbacks[0]["reason"] == f"{SCHNELL} takes no reference image"


async def test_rule1_the_user_rules_file_can_keep_flux_dev_native(fake_replicate, http, tmp_path):
    (tmp_path / "replicate_rules.json").write_text(json.dumps({"models": {DEV: {"edit_model": None}}}))
    client = Replicate(base_url=fake_replicate.url, api_key=TOKEN, client=http, rules=Rules.load(tmp_path))
    result = await client.run(DEV, {"prompt": "p", "prompt_strength": 0.5}, image=IMAGE)
    assert fake_replicate.created == [(DEV, {"prompt": "p", "prompt_strength": 0.5, "image": IMAGE})]
    assert result.usage.fallbacks == []
    assert client.rules.chain(DEV) == [QWEN, IMAGEN]  # the rest of the defaults still hold


def test_rules_load_toml_and_aliases(tmp_path):
    (tmp_path / "replicate_rules.toml").write_text(
        'edit_model = "black-forest-labs/flux-kontext-pro"\n[aliases]\nfast = "black-forest-labs/flux-schnell"\n'
        '[models."black-forest-labs/flux-schnell"]\nchain = ["google/imagen-4-ultra"]\n'
    )
    rules = Rules.load(tmp_path)
    assert rules.resolve("fast") == SCHNELL and rules.resolve("flux-dev") == DEV
    assert rules.chain(SCHNELL) == [IMAGEN] and rules.edit_model(SCHNELL) == KPRO
    assert rules.entry(SCHNELL)["price_per_output"] == 0.003
    assert Rules.load(tmp_path / "nothing-here").source == "defaults"


# -- Rule 2: parameters the model does not accept ----------------------------------------------------


async def test_rule2_unknown_params_are_dropped_with_a_warning(replicate, fake_replicate):
    result = await replicate.run(
        DEV, {"prompt": "p", "negative_prompt": "blurry", "style": "anime", "aspect_ratio": "7:3", "num_outputs": "2"}
    )
    ((model, sent),) = fake_replicate.created
    assert model == DEV
    assert sent == {"prompt": "p", "aspect_ratio": "21:9", "num_outputs": 2}  # nearest ratio, "2" -> 2
    (warning,) = result.usage.fallbacks
    assert warning["rule"] == "params" and warning["dropped"] == ["negative_prompt", "style"]
    assert warning["reason"] == f"{DEV} does not accept negative_prompt, style: dropped"


async def test_rule2_the_table_can_move_the_call_to_a_model_that_accepts_them(replicate, fake_replicate):
    result = await replicate.run(SCHNELL, {"prompt": "p", "guidance": 5})
    assert fake_replicate.created == [(DEV, {"prompt": "p", "guidance": 5, "aspect_ratio": "1:1"})]
    assert rules_of(result.usage.fallbacks) == [("params", SCHNELL, DEV)]
    assert result.model == DEV


async def test_rule2_a_422_naming_an_unknown_param_is_dropped_and_sent_again(replicate, fake_replicate):
    result = await replicate.run(COMMUNITY_VERSION, {"image": IMAGE, "scale": 2, "tile": 1})  # no schema known
    assert fake_replicate.created == [(COMMUNITY, {"image": IMAGE, "scale": 2})]
    assert result.usage.fallbacks[-1]["dropped"] == ["tile"] and result.usage.fallbacks[-1]["status"] == 422


# -- Rule 3: the chain --------------------------------------------------------------------------------


async def test_rule3_a_failing_model_walks_the_chain_with_mapped_params(replicate, fake_replicate):
    fake_replicate.behaviour[DEV] = "fail"
    fake_replicate.behaviour[QWEN] = "fail"
    params = {
        "prompt": "x" * 2500,
        "aspect_ratio": "21:9",
        "seed": 42,
        "guidance": 3,
        "num_inference_steps": 20,
        "output_format": "webp",
        "megapixels": "1",
        "disable_safety_checker": False,
        "go_fast": True,
    }
    result = await replicate.run("flux-dev", params)

    assert [m for m, _ in fake_replicate.created] == [DEV, QWEN, IMAGEN]
    qwen = fake_replicate.created[1][1]
    assert qwen["aspect_ratio"] == "16:9" and qwen["seed"] == 42 and qwen["guidance"] == 3
    assert qwen["output_format"] == "webp" and "megapixels" not in qwen
    imagen = fake_replicate.created[2][1]
    assert imagen == {
        "prompt": "x" * 1900,
        "aspect_ratio": "16:9",
        "output_format": "jpg",
        "image_size": "1K",
        "safety_filter_level": "block_only_high",
    }  # seed, guidance, steps, go_fast dropped
    assert result.model == IMAGEN and isinstance(result.output, list) and len(result.files) == 1
    chain = [f for f in result.usage.fallbacks if f["rule"] == "chain"]
    assert [(f["model"], f["to"]) for f in chain] == [(DEV, QWEN), (QWEN, IMAGEN)]
    assert MODEL_ERROR in chain[0]["reason"]


async def test_rule3_a_5xx_after_retries_also_walks_the_chain(replicate, fake_replicate):
    fake_replicate.behaviour[DEV] = "error-500"
    result = await replicate.run(DEV, {"prompt": "p", "aspect_ratio": "4:5"})
    assert result.model == QWEN
    assert fake_replicate.created == [(QWEN, {"prompt": "p", "aspect_ratio": "3:4"})]
    assert result.usage.fallbacks[0]["status"] == 500


async def test_rule3_qwen_gets_flux_devs_default_ratio_and_strength(replicate, fake_replicate):
    fake_replicate.behaviour[KMAX] = "fail"
    fake_replicate.behaviour[KPRO] = "fail"
    result = await replicate.run(DEV, {"prompt": "p", "prompt_strength": 0.6}, image=IMAGE)
    assert [m for m, _ in fake_replicate.created] == [KMAX, KPRO, QWEN]
    assert fake_replicate.created[2][1] == {"prompt": "p", "strength": 0.6, "aspect_ratio": "1:1", "image": IMAGE}
    assert result.model == QWEN


async def test_rule3_with_an_image_skips_models_that_take_none_and_reports_every_attempt(replicate, fake_replicate):
    for model in (KMAX, KPRO, QWEN):
        fake_replicate.behaviour[model] = "fail"
    with pytest.raises(ProviderError) as err:
        await replicate.run(DEV, {"prompt": "p"}, image=IMAGE)
    assert err.value.code == 50002 and err.value.retryable
    assert [a["model"] for a in err.value.detail["attempts"]] == [KMAX, KPRO, QWEN]
    assert IMAGEN not in [m for m, _ in fake_replicate.created]


async def test_a_request_error_does_not_walk_the_chain(replicate, fake_replicate):
    with pytest.raises(ProviderError) as err:
        await replicate.run(DEV, {"prompt": "p", "num_outputs": 9})  # out of range: 422 from the model
    assert err.value.http_status == 422 and len(fake_replicate.created) == 0


def test_nearest_ratio():
    assert nearest_ratio("21:9", ["1:1", "9:16", "16:9", "3:4", "4:3"]) == "16:9"
    assert nearest_ratio("9:21", ["1:1", "9:16", "16:9", "3:4", "4:3"]) == "9:16"
    assert nearest_ratio("3:2", ["1:1", "9:16", "16:9", "3:4", "4:3"]) == "4:3"
    assert nearest_ratio("2:3", ["1:1", "9:16", "16:9", "3:4", "4:3"]) == "3:4"
    assert nearest_ratio("5:4", ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3"]) == "4:3"
    assert nearest_ratio("square", ["1:1"]) is None


# -- the image task (router) ------------------------------------------------------------------------


async def test_generate_image_defaults_to_flux_dev_and_returns_png_bytes(replicate, fake_replicate):
    result = await replicate.generate_image(ImageRequest(prompt="a cat", n=2, seed=3, aspect_ratio="16:9"))
    assert fake_replicate.created == [(DEV, {"prompt": "a cat", "aspect_ratio": "16:9", "num_outputs": 2, "seed": 3})]
    assert [m.content_type for m in result.images] == ["image/png", "image/png"]
    assert result.images[0].data.startswith(b"\x89PNG") and result.usage.task == "image"
    assert result.usage.images == 2 and result.usage.cost == pytest.approx(0.05)


async def test_generate_image_sends_a_reference_image_inline_or_uploaded(replicate, fake_replicate):
    small = Media(png_bytes("ref", "small"), "image/png")
    await replicate.generate_image(ImageRequest(prompt="edit", reference_image=small))
    sent = fake_replicate.created[-1][1]["input_image"]
    assert sent == "data:image/png;base64," + base64.b64encode(small.data).decode()

    big = Media(small.data + b"\0" * 1_200_000, "image/png")
    await replicate.generate_image(ImageRequest(prompt="edit", reference_image=big))
    assert [data for data, _, _ in fake_replicate.uploads.values()] == [big.data]
    assert fake_replicate.created[-1][1]["input_image"].startswith(f"{fake_replicate.url}/v1/files/")
