"""An OpenAI-compatible fake whose failures are scripted per request, for the router's tests.

``FlakyOpenAI`` is the fake OpenAI server (``tests/fakes/openai_server.py``) with a queue of
actions, one consumed per chat request (then ``default``, or random faults at ``fault_rate``):

=================  ====================================================================
``ok``             an ordinary streamed answer (the prompt echoed back)
``500``            HTTP 500 with an OpenAI error body
``429:<seconds>``  HTTP 429 ``rate_limit_exceeded`` with ``Retry-After: <seconds>``
``400``            HTTP 400 ``invalid_request_error`` (the request's fault)
``slow:<seconds>`` waits before the first byte, then answers
``drop:<n>``       ``n`` deltas, then drops the connection
``leak``           HTTP 500 whose body echoes ``LEAK`` (a key and a server traceback)
=================  ====================================================================

``hits`` counts authorised chat requests; ``actions`` records what each one got; ``refused``
counts chat requests refused for a wrong key (HTTP 401).
``GET /v1/models`` answers a model list (the OpenAI family's "test connection").
"""

from __future__ import annotations

import random
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.openai_server import FakeOpenAI, error_body

FAULTS = ("500", "429:0", "slow:3")
LEAK_KEY = "sk-live-LEAKED0123456789abcdef"
LEAK = (
    f"upstream auth with Bearer {LEAK_KEY} failed\nTraceback (most recent call last):\n"
    "  File \"/srv/internal/gateway.py\", line 42, in handle\nKeyError: 'db-password=hunter2'"
)


@dataclass
class FlakyOpenAI(FakeOpenAI):
    script: list[str] = field(default_factory=list)
    default: str = "ok"
    fault_rate: float = 0.0  # with no script left: this share of requests gets a random fault
    seed: int = 7
    hits: int = 0
    refused: int = 0
    actions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.app.router.routes.append(Route("/v1/models", self._models, methods=["GET"]))
        self._rng = random.Random(self.seed)

    def next_action(self) -> str:
        if self.script:
            return self.script.pop(0)
        if self.fault_rate and self._rng.random() < self.fault_rate:
            return self._rng.choice(FAULTS)
        return self.default

    async def _models(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse(
                error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"), status_code=401
            )
        return JSONResponse({"object": "list", "data": [{"id": "echo", "object": "model", "owned_by": "fake"}]})

    async def _chat(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            self.refused += 1
            return await super()._chat(request)
        self.hits += 1
        action = self.next_action()
        self.actions.append(action)
        kind, _, arg = action.partition(":")
        if kind == "500":
            return JSONResponse(
                error_body("The server had an error while processing your request.", "server_error", None),
                status_code=500,
            )
        if kind == "429":
            return JSONResponse(
                error_body("Rate limit reached for requests.", "requests", "rate_limit_exceeded"),
                status_code=429,
                headers={"Retry-After": arg or "1"},
            )
        if kind == "leak":
            return JSONResponse(error_body(LEAK, "server_error", None), status_code=500)
        if kind == "400":
            return JSONResponse(
                error_body("Invalid value for 'temperature'.", "invalid_request_error", None), status_code=400
            )
        if kind in ("slow", "drop"):
            body = await request.json()  # Starlette caches it: the fake reads the model from this dict
            body["model"] = f"slow-{arg}" if kind == "slow" else f"disconnect-after-{arg}"
        return await super()._chat(request)


@pytest.fixture
def flaky():
    """A factory of running FlakyOpenAI servers: ``fake = flaky(script=[...])``; ``fake.url`` is its base URL."""
    from tests.conftest import ThreadServer

    with ExitStack() as stack:

        def start(**kwargs) -> FlakyOpenAI:
            fake = FlakyOpenAI(**kwargs)
            server = stack.enter_context(ThreadServer(fake.app))
            fake.url = f"{server.url}/v1"
            return fake

        yield start
