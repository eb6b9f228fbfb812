"""Issue 15, items 1-3: the key names of the dispatcher document, FLOWAI_ENV with per-environment
.env files and test-only keys refused in production, and multimodal fallback (Replicate with a
chosen vision-language model; the error names what is missing). Real fakes on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from flowai.providers.base import Media
from flowai.providers.catalog import CATALOG, DEFAULT_PRIORITIES
from flowai.providers.config import ConfigError, check_priorities
from tests.conftest import free_port
from tests.fakes.base import png, serve
from tests.fakes.flaky_openai import flaky  # noqa: F401  (fixture)
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.replicate_server import TOKEN, VISION_MODEL, VISION_VERSION, fake_replicate  # noqa: F401
from tests.manage_client import data, error, signed_in
from tests.proc import Served, flowai, flowai_env
from tests.router_kit import FAST_RETRY, env_for, llm_doc, run, serving, with_config

# -- item 1: every name the document lists, and the providers' usual ones ----------------------

DOCUMENT_NAMES = [  # the seed's .env block, verbatim
    "OPENAI_API_KEY",
    "GOOGLE_GEMINI_API_KEY",
    "COHERE_API_KEY",
    "GROQ_API_KEY",
    "HUGGINGFACE_API_KEY",
    "FIREWORKS_API_KEY",
    "DEEPINFRA_API_KEY",
    "REPLICATE_API_KEY",
    "MISTRAL_API_KEY",
    "TOGETHER_API_KEY",
    "AI21_API_KEY",
    "OPENROUTER_API_KEY",
    "ANTHROPIC_API_KEY",
    "PERPLEXITY_API_KEY",
    "STABILITY_API_KEY",
    "ASSEMBLYAI_API_KEY",
    "GLADIA_API_KEY",
    "ELEVENLABS_API_KEY",
]


def test_every_name_of_the_document_is_a_key_variable():
    accepted = {name for spec in CATALOG.values() for name in spec.key_env}
    assert set(DOCUMENT_NAMES) <= accepted
    assert CATALOG["gemini"].key_env[:3] == ("GOOGLE_GEMINI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")
    assert {"HF_TOKEN", "HUGGINGFACEHUB_API_TOKEN", "HUGGING_FACE_HUB_TOKEN"} <= set(CATALOG["huggingface"].key_env)
    assert "REPLICATE_API_TOKEN" in CATALOG["replicate"].key_env and "PPLX_API_KEY" in CATALOG["perplexity"].key_env


def test_google_gemini_api_key_serves_and_the_page_says_which_variable(settings):
    with serve(FakeGemini()) as fake:
        env = {"GOOGLE_GEMINI_API_KEY": fake.api_key, "GEMINI_BASE_URL": fake.url + "/v1beta"}
        with serving(replace(settings, env=env)) as api:
            r = run(api, api.publish(llm_doc(model="echo")), detail=True)
            assert r.status_code == 200, r.text
            assert r.json()["usage"]["llm"]["provider"] == "gemini"
            gemini = next(p for p in data(signed_in(api).get("/providers"))["items"] if p["name"] == "gemini")
            assert (gemini["configured"], gemini["source"], gemini["env_var"]) == (True, "env", "GOOGLE_GEMINI_API_KEY")
            assert gemini["env"][0] == "GOOGLE_GEMINI_API_KEY"


def settings_in(directory: Path, **env: str) -> dict:
    """``Settings.from_env()`` in a fresh process started in ``directory`` (its own os.environ)."""
    code = (
        "import json; from flowai.settings import Settings; s = Settings.from_env(); "
        "print(json.dumps({'environment': s.environment, 'files': s.env_files, 'env': s.env}))"
    )
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=flowai_env(directory / "home", **env),
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_usual_names_reach_the_settings_from_the_process_environment(tmp_path):
    got = settings_in(tmp_path, HUGGING_FACE_HUB_TOKEN="hf_x", ELEVEN_API_KEY="el", FLOWAI_SECRET_KEY="s")
    assert got["env"]["HUGGING_FACE_HUB_TOKEN"] == "hf_x" and got["env"]["ELEVEN_API_KEY"] == "el"
    assert "FLOWAI_SECRET_KEY" not in got["env"]


# -- item 2: FLOWAI_ENV, .env.<env> over .env, test-only keys refused in production -----------


def test_flowai_env_chooses_its_env_file_over_env(tmp_path):
    (tmp_path / ".env").write_text("FLOWAI_ENV=production\nGROQ_API_KEY=from-dotenv\nMISTRAL_API_KEY=m-base\n")
    (tmp_path / ".env.production").write_text("GROQ_API_KEY=from-production\n")
    (tmp_path / ".env.development").write_text("GROQ_API_KEY=from-development\n")

    got = settings_in(tmp_path)  # FLOWAI_ENV from .env itself
    assert got["environment"] == "production" and got["files"] == [".env.production", ".env"]
    assert got["env"]["GROQ_API_KEY"] == "from-production" and got["env"]["MISTRAL_API_KEY"] == "m-base"

    got = settings_in(tmp_path, FLOWAI_ENV="development")
    assert got["environment"] == "development" and got["env"]["GROQ_API_KEY"] == "from-development"

    got = settings_in(tmp_path, FLOWAI_ENV="test", GROQ_API_KEY="from-process")
    assert got["files"] == [".env"] and got["env"]["GROQ_API_KEY"] == "from-process"

    (tmp_path / ".env").unlink()
    assert settings_in(tmp_path)["environment"] == "development"


def test_a_wrong_flowai_env_is_a_clear_cli_error(tmp_path):
    proc = flowai(tmp_path, "key", "create", "--name", "k", check=False, FLOWAI_ENV="staging")
    assert proc.returncode == 2 and "FLOWAI_ENV must be one of development, production, test" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_serve_banner_names_the_environment(tmp_path):
    (tmp_path / ".env.production").write_text("GROQ_API_KEY=gsk-prod\n")
    server = Served(tmp_path, "serve", port=free_port(), FLOWAI_ENV="production")
    try:
        server.wait_ready(until_line="Open http", timeout=60)
        assert "FlowAI production environment (read .env.production)" in server.lines
    finally:
        server.stop()


TEST_ONLY = 'test_only = ["groq"]\n' + FAST_RETRY


def test_production_refuses_keys_marked_test_only(flaky, settings):  # noqa: F811
    groq, mistral = flaky(), flaky()
    prod = replace(with_config(settings, env_for(groq=groq, mistral=mistral), TEST_ONLY), environment="production")
    with serving(prod) as api:
        admin = signed_in(api)
        listed = data(admin.get("/providers"))
        assert listed["environment"] == "production"
        items = {p["name"]: p for p in listed["items"]}
        assert (items["groq"]["test_only"], items["groq"]["refused"]) == (True, True)
        assert (items["mistral"]["test_only"], items["mistral"]["refused"]) == (False, False)

        wf = api.publish(llm_doc())
        r = run(api, wf, detail=True)
        assert r.status_code == 200 and r.json()["usage"]["llm"]["provider"] == "mistral"
        assert groq.hits == 0

        marked = data(admin.put("/providers/mistral/test-only", json={"test_only": True}))
        assert (marked["test_only"], marked["refused"]) == (True, True)
        error(admin.put("/providers/mistral/test-only", json={"test_only": "yes"}), 400, 40001)
        r = run(api, wf)
        assert r.status_code == 502
        message = r.json()["message"]
        assert "groq's key is marked test only and FLOWAI_ENV is production" in message
        assert "mistral's key is marked test only" in message
        assert groq.hits == 0 and mistral.hits == 1


def test_development_uses_test_only_keys(flaky, settings):  # noqa: F811
    groq = flaky()
    with serving(with_config(settings, env_for(groq=groq), TEST_ONLY)) as api:
        r = run(api, api.publish(llm_doc()), detail=True)
        assert r.status_code == 200 and r.json()["usage"]["llm"]["provider"] == "groq"
        assert data(signed_in(api).get("/providers"))["environment"] == "development"


# -- item 3: multimodal fallback -----------------------------------------------------------------

VISION_TOML = FAST_RETRY + f'\n[models.replicate]\nmultimodal = "{VISION_MODEL}:{VISION_VERSION}"\n'


def replicate_env(fake) -> dict[str, str]:
    return {"REPLICATE_API_TOKEN": TOKEN, "REPLICATE_BASE_URL": fake.url}


def test_replicate_serves_multimodal_with_the_chosen_vision_model(fake_replicate, settings):  # noqa: F811
    with serving(with_config(settings, replicate_env(fake_replicate), VISION_TOML)) as api:
        url = asyncio.run(api.platform.media.save(Media(png(5), "image/png"), owner_id=api.owner_id))
        r = run(api, api.publish(llm_doc(image=url, temperature=0.3)), detail=True)
        assert r.status_code == 200, r.text
        assert r.json()["output"].startswith("I see a image/png image. You said: Route me")
        usage = r.json()["usage"]["llm"]
        assert (usage["provider"], usage["task"], usage["model"]) == (
            "replicate",
            "multimodal",
            f"{VISION_MODEL}:{VISION_VERSION}",
        )
        name, inputs = fake_replicate.created[-1]
        assert name == VISION_MODEL and inputs["image"].startswith("data:image/png;base64,")
        assert inputs["temperature"] == 0.3


def test_gemini_failing_falls_back_to_replicate(fake_replicate, settings):  # noqa: F811
    with serve(FakeGemini()) as gemini:
        env = {
            **replicate_env(fake_replicate),
            "GEMINI_API_KEY": gemini.api_key,
            "GEMINI_BASE_URL": gemini.url + "/v1beta",
            "GEMINI_MODEL": "error-500",  # the fake's script: HTTP 500, a retryable failure
        }
        with serving(with_config(settings, env, VISION_TOML)) as api:
            url = asyncio.run(api.platform.media.save(Media(png(2), "image/png"), owner_id=api.owner_id))
            r = run(api, api.publish(llm_doc(image=url, model="")), detail=True)
            assert r.status_code == 200, r.text
            usage = r.json()["usage"]["llm"]
            assert usage["provider"] == "replicate" and usage["fallbacks"][0]["provider"] == "gemini"


def test_without_a_vision_model_the_error_names_what_is_missing(fake_replicate, settings):  # noqa: F811
    env = {**replicate_env(fake_replicate), "GLADIA_API_KEY": "gl-key"}
    with serving(with_config(settings, env)) as api:
        url = asyncio.run(api.platform.media.save(Media(png(1), "image/png"), owner_id=api.owner_id))
        r = run(api, api.publish(llm_doc(image=url)))
        assert r.status_code == 502
        message = r.json()["message"]
        assert "replicate has a key but no multimodal model" in message and "[models.replicate]" in message
        assert "REPLICATE_API_KEY" not in message  # it is set: not what is missing
        assert "GOOGLE_GEMINI_API_KEY" in message  # gemini has no key: that is
        assert "gladia" not in message.lower() and fake_replicate.created == []


def test_gladia_is_not_a_multimodal_candidate():
    assert DEFAULT_PRIORITIES["multimodal"] == ("gemini", "replicate")
    assert CATALOG["gladia"].tasks == ("stt",)
    with pytest.raises(ConfigError, match="'gladia' cannot serve multimodal"):
        check_priorities("multimodal", ["gladia"])
