"""``fake_replicate`` for a test module: one server per module, a fresh ``FakeReplicate`` per test.

Starting and stopping a uvicorn server per test cost ~0.3 s each (most of tests/test_replicate.py's
time). Here one server on 127.0.0.1 serves every test of the module, and each test's fake lives under a
path of its own: its ``url`` is ``http://127.0.0.1:PORT/t<n>`` and requests under that prefix reach its
routes with the prefix taken off. A test still gets a fake of its own (its predictions, counters and
behaviour) and a base URL of its own, so process-wide state keyed by the base URL (``Budget.shared``:
the rate budget of one account) is not shared between tests either.

Use: ``from tests.replicate_support import fake_replicate, replicate_server`` (both are fixtures).
"""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import ThreadServer
from tests.fakes.replicate_server import FakeReplicate

_numbers = itertools.count()


class PrefixRouter:
    """An ASGI app that hands ``/<prefix>/rest`` to the app registered under ``prefix`` as ``/rest``."""

    def __init__(self) -> None:
        self.apps: dict[str, object] = {}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        prefix, _, rest = scope["path"].lstrip("/").partition("/")
        app = self.apps.get(prefix)
        if app is None:
            if scope["type"] == "http":
                await send({"type": "http.response.start", "status": 404, "headers": []})
                await send({"type": "http.response.body", "body": b""})
            return
        path = "/" + rest
        await app(dict(scope, path=path, raw_path=path.encode()), receive, send)  # type: ignore[operator]


@pytest.fixture(scope="module")
def replicate_server():
    router = PrefixRouter()
    with ThreadServer(router) as server:
        yield router, server.url


@pytest.fixture
def fake_replicate(replicate_server):
    """A FakeReplicate of this test's own; ``.url`` is its base URL (``http://127.0.0.1:PORT/t<n>``)."""
    router, url = replicate_server
    prefix = f"t{next(_numbers)}"
    fake = FakeReplicate()
    fake.url = f"{url}/{prefix}"
    router.apps[prefix] = fake.app
    yield fake
    del router.apps[prefix]
