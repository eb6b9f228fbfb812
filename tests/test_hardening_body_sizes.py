"""Issue 12, finding 3: every management route (listed from the app's own OpenAPI, so a new route
is fuzzed too) gets generated bodies of every size class — empty, small, around and far over the
limit, declared or chunked — without a token, with a bad one and signed in. No answer is a 5xx,
each is the documented envelope, a refused write stores nothing, unauthenticated bodies are
refused before they are read, and the server's memory stays bounded.
"""

from __future__ import annotations

import resource
from collections import defaultdict
from dataclasses import replace

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowai.api.manage import create_manage_app
from flowai.demo import HELLO
from nodes import default_registry
from tests.manage_client import signed_in
from tests.test_hardening_manage_api import assert_envelope, counts
from tests.test_hardening_run_api import FUZZ

LIMIT = 1024 * 1024  # Settings.max_body_bytes
SIZES = [0, 1, 100, 10_000, LIMIT - 100, LIMIT + 1, 3 * LIMIT, 8 * LIMIT]
SKIPPED = {("post", "/auth/logout"), ("post", "/auth/password")}  # would revoke the fuzzer's own token


@pytest.fixture
def settings(settings):
    """Every example comes from 127.0.0.1: keep the per-address lockout out of the way here
    (it has its own tests in test_security_web.py)."""
    return replace(settings, auth_failures_per_minute=1_000_000)


def _routes() -> list[tuple[str, str]]:
    class _Platform:  # what building the app's routes and OpenAPI document reads of a platform
        settings = None
        registry = default_registry()

    paths = create_manage_app(_Platform).openapi()["paths"]
    return sorted((m, p) for p, ops in paths.items() for m in ops if (m, p) not in SKIPPED)


ROUTES = _routes()


@pytest.fixture
def signed(api):
    c = signed_in(api)
    wf = c.post("/workflows", json={"document": HELLO}).json()["data"]["id"]
    yield c, wf
    c.close()


def _body(kind: str, size: int) -> bytes:
    if size == 0:
        return b""
    if kind == "json-object":
        return b'{"name":"' + b"x" * max(0, size - 12) + b'"}'
    if kind == "json-array":
        return b"[" + b"1," * ((size - 2) // 2) + b"1]"
    return bytes(range(256)) * (size // 256) + bytes(range(size % 256))


UPLOADS = {"/files", "/workflow/script/upload", "/workflow/assets/x/upload"}  # the upload limit, not LIMIT


def _chunks(data: bytes):
    for i in range(0, len(data), 65536):
        yield data[i : i + 65536]


def test_the_fuzzer_covers_every_management_route():
    assert len(ROUTES) >= 40
    assert {("post", "/runs"), ("post", "/batches"), ("post", "/auth/login"), ("post", "/files")} <= set(ROUTES)
    assert ("post", "/runs/{run_id}/nodes/{node_id}/regenerate") in ROUTES


@FUZZ
@given(
    route=st.sampled_from(ROUTES),
    size=st.sampled_from(SIZES),
    kind=st.sampled_from(["json-object", "json-array", "binary"]),
    auth=st.sampled_from(["none", "bad", "signed"]),
    chunked=st.booleans(),
)
def test_every_route_with_bodies_of_every_size(api, signed, route, size, kind, auth, chunked):
    c, wf = signed
    method, template = route
    named = {"workflow_id": wf, "number": 1, "key_id": 1, "task": "text"}
    path = template.format_map(defaultdict(lambda: "x", named))  # any other id: one that names nothing
    headers = {"Content-Type": "application/json"}
    if auth == "signed":
        headers["Authorization"] = c.headers["Authorization"]
    elif auth == "bad":
        headers["Authorization"] = "Bearer not.a.token"
    body = _body(kind, size)
    before = counts(api)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with httpx.Client(base_url=f"{api.url}/api/v1", timeout=60) as raw:
        content = _chunks(body) if chunked and body else body
        r = raw.request(method.upper(), path, content=content, headers=headers)
    answer = assert_envelope(r)
    if answer["code"] != 0:
        assert counts(api) == before, (method, path, r.status_code)
    if body and auth != "signed" and path != "/auth/login":
        assert r.status_code == 401 and answer["code"] == 40101, (method, path, r.text[:200])
    if auth == "signed" and len(body) > LIMIT and path not in UPLOADS and not chunked:  # a declared length: at once
        assert r.status_code == 413 and answer["code"] == 40003, (method, path, size, r.text[:200])
    # bounded memory: the server (in this process) never parses an unbounded body; parsing an 8 MB
    # JSON array into objects and validation errors grew the audited server ~20-fold
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 64 * 1024, "max RSS grew by 64+ MB"
