"""Shared fixtures: a platform on a temporary SQLite database, and real HTTP servers in threads."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import uvicorn

from flowai.api.app import create_app
from flowai.net.httpclient import tls_context
from flowai.platform import Platform
from flowai.settings import Settings

pytest_plugins = ["tests.fakes.openai_server"]


def _share_tls_contexts() -> None:
    """Every httpx client builds a verifying TLS context, parsing certifi's whole root bundle (~18 ms
    of CPU), even for the plain-HTTP calls the tests make to 127.0.0.1 (``httpx.get`` makes a client
    per call): a run made thousands, ~6% of its CPU. The tests' default clients take the product's
    shared context (``flowai.net.httpclient.tls_context``). httpx looks the builder up in its
    transport module; if a later httpx moves it, nothing is patched and clients build their own again."""
    from httpx._transports import default

    build = getattr(default, "create_ssl_context", None)
    if build is None:
        return

    def create_ssl_context(verify=True, cert=None, trust_env=True):
        if verify is True and cert is None and trust_env:
            return tls_context()
        return build(verify=verify, cert=cert, trust_env=trust_env)

    default.create_ssl_context = create_ssl_context


_share_tls_contexts()

# Seconds each test file took in a full run (tests/file_seconds.json, refreshed from a junit report).
# Under xdist (--dist loadfile --no-loadscope-reorder) files are handed out in collection order, so the
# slowest go first and the run does not end waiting on one long file that started last.
FILE_SECONDS: dict[str, float] = json.loads((Path(__file__).parent / "file_seconds.json").read_text())
NEW_FILE_SECONDS = 10.0  # a file not in the list yet: somewhere in the middle


def pytest_collection_modifyitems(config, items) -> None:
    def seconds(item) -> float:
        return FILE_SECONDS.get(item.nodeid.split("::", 1)[0], NEW_FILE_SECONDS)

    items.sort(key=lambda item: -seconds(item))  # a stable sort: each file keeps its tests' order


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report also shows what its browser tabs saw (page loads, socket drops, console
    lines: ``tests/browser.py``) and the last lines its served apps printed: in CI's output that is
    often all there is to tell a lost click from a reloaded page or a server error."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed or call.when == "setup":
        return
    for name, value in getattr(item, "funcargs", {}).items():
        trail = getattr(value, "trail", None)
        if isinstance(trail, list) and trail:
            report.sections.append((f"browser tab {name!r}: loads, socket, console", "\n".join(trail[-60:])))
        lines = getattr(value, "lines", None)
        if isinstance(lines, list) and hasattr(value, "proc"):
            report.sections.append((f"served app {name!r}: its last lines", "\n".join(lines[-60:]) or "(none)"))


@pytest.hookimpl(trylast=True)  # after the last module's fixtures gave the browser back
def pytest_sessionfinish(session) -> None:
    """Close the Chromium the browser modules shared (tests/browser.py), if one was started."""
    import sys

    browser = sys.modules.get("tests.browser")
    if browser is not None:
        browser.shut_down_browser()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThreadServer:
    """Serve an ASGI app with uvicorn on 127.0.0.1:<free port> in a background thread."""

    def __init__(self, app, **config):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # a test is over when the server stops: a request a fake still holds (a slow model, a stream
        # nobody reads) is cancelled after a second, not waited out (it held teardowns for 10-20 s)
        config.setdefault("timeout_graceful_shutdown", 1)
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", **config)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'flowai.db'}",
        secret_key="test-secret",
        disconnect_grace=0.0,
        env={},
    )


@pytest.fixture
def platform(settings: Settings) -> Platform:
    return Platform(settings)


@dataclass
class Api:
    """A running API server plus handles to set it up: an owner, and helpers."""

    url: str
    platform: Platform
    owner_id: int
    server: ThreadServer | None = None

    def publish(self, document: dict) -> str:
        wf, _ = self.platform.workflows.create(owner_id=self.owner_id, document=document, publish=True)
        return wf.id

    def key(self, **kwargs) -> str:
        secret, _ = self.platform.keys.create(owner_id=self.owner_id, name="test", **kwargs)
        return secret


def start_api(settings: Settings) -> tuple[ThreadServer, Api]:
    platform = Platform(settings)
    server = ThreadServer(create_app(platform=platform))
    owner = platform.users.acting_admin()
    return server, Api(server.url, platform, owner.id, server)


@pytest.fixture
def api(settings: Settings):
    server, handle = start_api(settings)
    with server:
        yield handle


@pytest.fixture
def api_with_openai(settings: Settings, fake_openai):
    """An API server whose OpenAI provider is the fake OpenAI server."""
    server, handle = start_api(replace(settings, env={"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake_openai.url}))
    with server:
        yield handle
