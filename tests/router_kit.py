"""What the router's tests share: platforms on flaky OpenAI-compatible fakes, a one-LLM workflow,
and calls of the published run API."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace

import httpx
import orjson
from httpx_sse import connect_sse

from flowai.settings import Settings
from tests.conftest import Api, start_api

QUESTION = "Route me, 路由我."
FAST_RETRY = """
[retry]
retries = 1
backoff = 0.05
max_backoff = 0.2
max_retry_after = 5
cooldown_failures = 1000
"""


def llm_doc(**llm_config) -> dict:
    return {
        "format": "flowai/1",
        "name": "router test",
        "nodes": [
            {"id": "in", "type": "input", "config": {"fields": [{"name": "q", "type": "string", "required": True}]}},
            {"id": "llm", "type": "llm", "config": {"provider": "auto", "prompt": "{{in.q}}", **llm_config}},
            {"id": "out", "type": "output", "config": {"value": "{{llm.text}}"}},
        ],
        "edges": [
            {"source": "in", "target": "llm"},
            {"source": "llm", "source_port": "text", "target": "out", "target_port": "value"},
        ],
    }


def env_for(**fakes) -> dict[str, str]:
    """Credentials pointing catalog providers at fakes: ``env_for(groq=fake_a, mistral=fake_b)``."""
    env = {}
    for name, fake in fakes.items():
        env[f"{name.upper()}_API_KEY"] = fake.api_key
        env[f"{name.upper()}_BASE_URL"] = fake.url
    return env


def with_config(settings: Settings, env: dict[str, str], toml: str = FAST_RETRY) -> Settings:
    (settings.home / "providers.toml").write_text(toml, encoding="utf-8")
    return replace(settings, env=env)


@contextmanager
def serving(settings: Settings):
    server, api = start_api(settings)
    with server:
        yield api


def run(api: Api, workflow_id: str, question: str = QUESTION, **body) -> httpx.Response:
    return httpx.post(
        f"{api.url}/v1/api/workflow/run/{workflow_id}",
        headers={"X-API-KEY": api.key()},
        content=orjson.dumps({"input": {"q": question}, **body}),
        timeout=30,
    )


def run_stream(api: Api, workflow_id: str, question: str = QUESTION) -> list[tuple[str, dict]]:
    with httpx.Client(timeout=30) as client:
        with connect_sse(
            client,
            "POST",
            f"{api.url}/v1/api/workflow/run/{workflow_id}",
            headers={"X-API-KEY": api.key()},
            content=orjson.dumps({"input": {"q": question}, "stream": True}),
        ) as source:
            assert source.response.status_code == 200
            return [(sse.event, orjson.loads(sse.data)) for sse in source.iter_sse()]
