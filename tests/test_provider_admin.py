"""Provider administration: encrypted credentials (UI over env, masked), priorities, the
providers.toml file under the database's settings, connection tests, daily budgets."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.fernet import Fernet

from flowai.errors import BudgetExceededError, InputError, NotFoundError, ProviderError
from flowai.platform import Platform
from flowai.providers.base import ChatRequest, Scope
from flowai.providers.catalog import CATALOG
from flowai.providers.config import ConfigError, FileConfig
from tests.fakes.flaky_openai import flaky  # noqa: F401  (fixture)
from tests.router_kit import QUESTION, env_for, llm_doc, run, serving, with_config

SECRET = "sk-ui-SECRET-0123456789abcdef"


def db_bytes(settings) -> bytes:
    return b"".join(p.read_bytes() for p in settings.home.glob("flowai.db*"))


async def chat(platform: Platform, **kw) -> dict:
    async with platform.router.chat(ChatRequest(messages=[{"role": "user", "content": "hi"}]), **kw) as stream:
        async for _ in stream:
            pass
    return stream.usage()


async def test_ui_credentials_are_encrypted_masked_and_win_over_env(flaky, settings):  # noqa: F811
    fake = flaky(api_key=SECRET)
    env = {"GROQ_API_KEY": "sk-env-0000000000000000", "GROQ_BASE_URL": fake.url}
    platform = Platform(replace(settings, env=env))
    admin = platform.provider_admin
    groq = next(p for p in admin.providers() if p["name"] == "groq")
    assert (groq["configured"], groq["source"], groq["masked_key"]) == (True, "env", "sk-…0000")
    with pytest.raises(ProviderError) as caught:
        await chat(platform)  # the env key is wrong for this fake
    assert caught.value.http_status == 401

    admin.set_credential("groq", api_key=SECRET)
    groq = next(p for p in admin.providers() if p["name"] == "groq")
    assert (groq["source"], groq["masked_key"]) == ("ui", "sk-…cdef")
    assert SECRET not in repr(admin.providers())
    assert (await chat(platform))["provider"] == "groq" and fake.hits == 1  # hits: requests with the right key
    platform.db.dispose()
    stored = db_bytes(settings)
    assert b"sk-ui-SECRET" not in stored and SECRET.encode() not in stored and b"gAAAA" in stored  # a Fernet token

    again = Platform(replace(settings, env=env))  # a restart reads and decrypts it
    assert (await chat(again))["provider"] == "groq" and fake.hits == 2
    again.provider_admin.clear_credential("groq")
    assert next(p for p in again.provider_admin.providers() if p["name"] == "groq")["source"] == "env"
    for p in (platform, again):
        await p.http.aclose()


async def test_another_encryption_key_cannot_read_stored_credentials(settings):
    """Credentials are encrypted with their own key (issue 12 #6), not the instance's signing secret."""
    Platform(settings).provider_admin.set_credential("openai", api_key=SECRET)
    other = Platform(replace(settings, encryption_keys=Fernet.generate_key().decode()))
    openai = next(p for p in other.provider_admin.providers() if p["name"] == "openai")
    assert openai["configured"] is False and openai["masked_key"] is None
    same_keys = Platform(replace(settings, secret_key="another-signing-secret"))
    assert next(p for p in same_keys.provider_admin.providers() if p["name"] == "openai")["configured"] is True


def test_required_options_and_base_url(settings):
    admin = Platform(settings).provider_admin
    admin.set_credential("playht", api_key="playht-key-123456789")
    playht = next(p for p in admin.providers() if p["name"] == "playht")
    assert playht["configured"] is False  # Play.ht also needs its user id
    admin.set_credential("playht", api_key=None, options={"user_id": "user-42"})
    playht = next(p for p in admin.providers() if p["name"] == "playht")
    assert playht["configured"] is True and playht["masked_key"] == "pla…6789"
    with pytest.raises(InputError):
        admin.set_credential("playht", api_key=None, options={"voice": "x"})
    with pytest.raises(InputError):
        admin.set_credential("openai", api_key=None, base_url="file:///etc/passwd")
    with pytest.raises(InputError):  # a private address needs an explicit opt-in (issue 12 #13)
        admin.set_credential("openai", api_key=None, base_url="http://127.0.0.1:11434/v1")
    admin.set_credential(  # keyless self-hosted
        "openai", api_key=None, base_url="http://127.0.0.1:11434/v1", allow_private_base_url=True
    )
    openai = next(p for p in admin.providers() if p["name"] == "openai")
    assert openai["configured"] is True and openai["base_url"] == "http://127.0.0.1:11434/v1"
    with pytest.raises(NotFoundError):
        admin.set_credential("nope", api_key="x")


def test_priorities_file_and_database_overrides(settings):
    (settings.home / "providers.toml").write_text(
        'timezone = "Europe/Paris"\n[priorities]\ntext = ["openai", "groq"]\n'
        '[quotas.openai]\nperiod = "month"\nlimit = 5\nunit = "cost"\n[retry]\nretries = 2\n',
        encoding="utf-8",
    )
    admin = Platform(settings).provider_admin
    text = admin.priorities()["text"]
    assert text[:2] == ["openai", "groq"] and sorted(text) == sorted(CATALOG[n].name for n in text)
    assert len(text) == 12 and admin.priorities()["tts"] == ["playht", "elevenlabs"]
    assert admin.timezone() == "Europe/Paris"
    assert next(p for p in admin.providers() if p["name"] == "openai")["quota"] == {
        "period": "month",
        "limit": 5.0,
        "unit": "cost",
    }
    assert admin.router.config.policy.retries == 2

    admin.set_priorities("text", ["perplexity"])
    admin.set_timezone("Asia/Shanghai")
    admin.set_quota("openai", period=None, limit=None)
    again = Platform(settings).provider_admin  # the database wins over the file, after a restart too
    assert again.priorities()["text"][0] == "perplexity" and again.timezone() == "Asia/Shanghai"
    assert next(p for p in again.providers() if p["name"] == "openai")["quota"] is None
    with pytest.raises(InputError):
        again.set_priorities("tts", ["groq"])
    with pytest.raises(InputError):
        again.set_timezone("Mars/Olympus")
    with pytest.raises(InputError):
        again.set_quota("groq", period="week", limit=3)


@pytest.mark.parametrize(
    "toml, problem",
    [
        ("[quotas.groq]\nlimit = -1\n", "limit must be a number"),
        ('[priorities]\nimage = ["groq"]\n', "cannot serve image"),
        ("[retry]\nretires = 1\n", "unknown setting 'retires'"),
        ('timezone = "Nowhere/Land"\n', "Unknown time zone"),
        ("[quotaz]\n", "unknown section"),
    ],
)
def test_a_bad_providers_file_is_refused_with_its_reason(settings, toml, problem):
    path = settings.home / "providers.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem):
        FileConfig.read(path)


async def test_connection_test_reports_without_raising(flaky, settings):  # noqa: F811
    good, bad = flaky(), flaky(api_key="sk-other")
    platform = Platform(
        replace(
            settings,
            env={
                "GROQ_API_KEY": "sk-test",
                "GROQ_BASE_URL": good.url,
                "MISTRAL_API_KEY": "sk-test",
                "MISTRAL_BASE_URL": bad.url,
            },
        )
    )
    admin = platform.provider_admin
    ok, message = await admin.test_connection("groq")
    assert ok is True and message
    ok, message = await admin.test_connection("mistral")
    assert ok is False and "401" in message and "refused its credential" in message
    ok, message = await admin.test_connection("anthropic")
    assert ok is False and "ANTHROPIC_API_KEY" in message
    ok, message = await admin.test_connection("nope")
    assert ok is False and "Unknown provider" in message
    await platform.http.aclose()


def test_a_spent_daily_budget_fails_fast_without_calling(flaky, settings):  # noqa: F811
    fake = flaky()
    with serving(with_config(settings, env_for(groq=fake))) as api:
        wf = api.publish(llm_doc())
        admin = api.platform.provider_admin
        admin.set_budget(wf, 1e-9)
        first = run(api, wf, detail=True)
        assert first.status_code == 200 and first.json()["usage"]["llm"]["cost"] > 0
        assert admin.spent_today(wf) == pytest.approx(first.json()["usage"]["llm"]["cost"])

        r = run(api, wf)
        assert r.status_code == 429, r.text
        body = r.json()
        assert body["code"] == 42902
        assert body["message"].startswith("The workflow's daily budget of $1e-09 is spent")
        assert body["detail"]["budget"] == 1e-9 and body["detail"]["retry_after"] > 0
        assert int(r.headers["retry-after"]) == body["detail"]["retry_after"]
        assert fake.hits == 1  # the upstream was not called

        admin.set_budget(wf, None)
        assert run(api, wf).json()["output"] == QUESTION and fake.hits == 2


async def test_budget_error_is_raised_before_any_provider(flaky, settings):  # noqa: F811
    fake = flaky()
    platform = Platform(with_config(settings, env_for(groq=fake)))
    platform.provider_admin.set_budget("wf1", 0)
    with pytest.raises(BudgetExceededError) as caught:
        await chat(platform, scope=Scope(workflow_id="wf1"))
    assert caught.value.retryable is False and caught.value.status == 429 and fake.hits == 0
    assert (await chat(platform, scope=Scope(workflow_id="wf2")))["provider"] == "groq"  # other workflows run
    with pytest.raises(InputError):
        platform.provider_admin.set_budget("wf1", -1)
    await platform.http.aclose()


def test_a_blank_key_keeps_the_stored_one(settings):
    admin = Platform(settings).provider_admin
    admin.set_credential("groq", api_key=SECRET)
    admin.set_credential("groq", api_key="", base_url="https://proxy.example.com/openai/v1")
    groq = next(p for p in admin.providers() if p["name"] == "groq")
    assert (groq["masked_key"], groq["base_url"]) == ("sk-…cdef", "https://proxy.example.com/openai/v1")
    admin.set_credential("groq", api_key=None, base_url="")
    groq = next(p for p in admin.providers() if p["name"] == "groq")
    assert (groq["masked_key"], groq["base_url"]) == ("sk-…cdef", CATALOG["groq"].base_url)
