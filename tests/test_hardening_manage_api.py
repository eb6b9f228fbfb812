"""Hostile input against the management API (issue 6): generated bodies, path parameters and
query strings on every route, plus a named list. Each answer is the documented envelope with a
documented code — never a 5xx or a trace — and a refused write leaves nothing stored half-way.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import func, select

from flowai.demo import HELLO
from storage.db import session
from storage.models import ApiKey, Run, Workflow, WorkflowVersion
from tests.manage_client import signed_in
from tests.test_hardening_run_api import FUZZ, JSON_VALUES, TRACE_MARKERS

CODES = {
    400: {40001, 40002},
    401: {40101},
    403: {40301},
    404: {40401, 40402},
    405: {40001, 40401},
    409: {40901},
    413: {40003},
    422: {40001},
}


def assert_envelope(r: httpx.Response, *, ok: tuple[int, ...] = (200, 201, 202)) -> dict:
    assert r.status_code < 500, (r.status_code, r.text[:500])
    for marker in TRACE_MARKERS:
        assert marker not in r.text, r.text[:500]
    body = r.json()
    assert {"code", "message", "data"} <= set(body) <= {"code", "message", "data", "detail"}, body
    if r.status_code in ok:
        assert body["code"] == 0, body
    else:
        assert r.status_code in CODES, (r.status_code, body)
        assert body["code"] in CODES[r.status_code] and body["data"] is None, (r.status_code, body)
        assert isinstance(body["message"], str) and body["message"]
    return body


def counts(api) -> dict[str, int]:
    with session(api.platform.db) as s:
        return {
            m.__name__: s.exec(select(func.count()).select_from(m)).one()
            for m in (Workflow, WorkflowVersion, ApiKey, Run)
        }


@pytest.fixture
def admin(api):
    c = signed_in(api)
    wf = c.post("/workflows", json={"document": HELLO}).json()["data"]["id"]
    yield c, wf
    c.close()


WRITES = [
    ("POST", "/workflows"),
    ("POST", "/workflows/import"),
    ("PUT", "/workflows/{wf}"),
    ("POST", "/workflows/{wf}/publish"),
    ("POST", "/keys"),
    ("POST", "/runs"),
    ("POST", "/batches"),
    ("POST", "/auth/login"),
]

HOSTILE_IDS = [
    "../../etc/passwd",
    "..%2F..%2Fsecret.key",
    "%00",
    "a" * 5000,
    "' OR 1=1 --",
    "{{in.x}}",
    "<script>alert(1)</script>",
    "%E0%A4%A",
    "9" * 40,
    "-1",
    "0",
    "null",
    "__proto__",
    "%2e%2e",
]


@FUZZ
@given(route=st.sampled_from(WRITES), body=JSON_VALUES, ascii_only=st.booleans())
def test_generated_json_bodies_get_documented_answers(api, admin, route, body, ascii_only):
    c, wf = admin
    method, path = route
    r = c.request(
        method,
        path.format(wf=wf),
        content=json.dumps(body, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass"),
        headers={"Content-Type": "application/json"},
    )
    assert_envelope(r)


@FUZZ
@given(
    route=st.sampled_from(WRITES),
    raw=st.binary(max_size=300)
    | st.sampled_from(
        [
            b"\xff\xfe\x00",
            b'{"document":',
            b"\x00" * 40,
            b"[" * 5000 + b"]" * 5000,
            b'{"a":' * 3000 + b"1" + b"}" * 3000,
            b'{"name":"' + b"x" * 100 + b'","rate_limit":1e999}',
            b'{"rate_limit":' + b"9" * 500 + b"}",
        ]
    ),
)
def test_raw_bodies_never_fail_the_server(api, admin, route, raw):
    c, wf = admin
    method, path = route
    before = counts(api)
    r = c.request(method, path.format(wf=wf), content=raw, headers={"Content-Type": "application/json"})
    body = assert_envelope(r)
    if body["code"] != 0:
        assert counts(api) == before


@FUZZ
@given(
    ident=st.sampled_from(HOSTILE_IDS) | st.text(min_size=1, max_size=30),
    template=st.sampled_from(
        [
            "/workflows/{}",
            "/workflows/{}/versions",
            "/workflows/{}/versions/{}",
            "/workflows/{}/export",
            "/runs/{}",
            "/runs/{}/progress",
            "/files/{}",
            "/batches/{}",
            "/keys/{}",
        ]
    ),
)
def test_hostile_path_parameters(api, admin, ident, template):
    c, _ = admin
    path = template.format(*(quote(ident, safe="") or "x",) * template.count("{}"))
    method = "DELETE" if template == "/keys/{}" else "GET"
    r = c.request(method, path)
    if r.status_code in (307, 308):  # an empty segment: the router's trailing-slash redirect
        assert "/api/v1/" in r.headers["location"]
    elif "data" in r.json():
        assert_envelope(r)
    else:  # ``..`` segments resolved the path out of /api/v1: the server's plain 404, not a file
        assert r.status_code == 404 and r.json()["code"] == 40401, (r.status_code, r.text[:300])


@FUZZ
@given(
    page=st.sampled_from(["-1", "0", "1e9", "abc", "9" * 40, "", "1;DROP TABLE runs", "%00"]),
    size=st.sampled_from(["-5", "0", "100000", "nan", "9" * 30, "20"]),
    route=st.sampled_from(["/workflows", "/runs", "/keys", "/files", "/workflows/{wf}/versions"]),
    status=st.sampled_from([None, "completed", "' OR 1=1 --", "x" * 500]),
)
def test_hostile_pagination_and_filters(api, admin, page, size, route, status):
    c, wf = admin
    params = {"page": page, "page_size": size}
    if status is not None and route == "/runs":
        params["status"] = status
    body = assert_envelope(c.get(route.format(wf=wf), params=params))
    if body["code"] == 0:
        assert body["data"]["page_size"] <= 100


def test_named_hostile_writes_store_nothing(api, admin):
    c, wf = admin
    before = counts(api)
    deep = {"a": None}
    for _ in range(5000):
        deep = {"a": deep}
    cases = [
        ("POST", "/workflows", {"document": {**HELLO, "nodes": "not a list"}}),
        ("POST", "/workflows", {"document": {**HELLO, "nodes": [{"id": "x" * 10_000, "type": "input"}]}}),
        ("POST", "/workflows/import", {"document": {"format": "flowai/9"}}),
        ("PUT", f"/workflows/{wf}", {"document": {**HELLO, "edges": [{"source": "in", "target": "nowhere"}]}}),
        ("PUT", f"/workflows/{wf}", {"document": HELLO, "base_version": 2**80}),
        ("POST", f"/workflows/{wf}/publish", {"version": -1}),
        ("POST", f"/workflows/{wf}/publish", {"version": 10**30}),
        ("POST", "/keys", {"name": "\x00" * 10, "rate_limit": -1}),
        ("POST", "/keys", {"name": "k", "rate_limit": 10**40}),
        ("POST", "/keys", {"name": "k", "workflows": ["../../etc/passwd"]}),
        ("POST", "/runs", {"workflow_id": "' OR 1=1 --", "input": {}}),
        ("POST", "/runs", {"workflow_id": wf, "input": deep}),
        ("POST", "/auth/login", {"username": "admin' --", "password": "x"}),
    ]
    for method, path, body in cases:
        try:
            content = json.dumps(body).encode()
        except RecursionError:
            content = b'{"workflow_id":"x","input":' + b'{"a":' * 5000 + b"null" + b"}" * 5001
        r = c.request(method, path, content=content, headers={"Content-Type": "application/json"})
        got = assert_envelope(r)
        assert got["code"] != 0, (method, path, got)
    assert counts(api) == before


def test_oversized_management_body_is_40003_and_stores_nothing(api, admin):
    c, _ = admin
    before = counts(api)
    big = {"document": {**HELLO, "description": "x" * (api.platform.settings.max_body_bytes + 10)}}
    r = c.post("/workflows", json=big)
    assert r.status_code == 413 and assert_envelope(r)["code"] == 40003
    assert counts(api) == before


def test_template_syntax_in_saved_labels_and_names_is_kept_literally(api, admin):
    c, _ = admin
    doc = json.loads(json.dumps(HELLO))
    doc["name"] = "{{in.输入}} <script>alert(1)</script>"
    doc["nodes"][0]["label"] = "${7*7} {{7*7}}"
    wf = c.post("/workflows", json={"document": doc}).json()["data"]["id"]
    got = c.get(f"/workflows/{wf}").json()["data"]
    assert got["name"] == doc["name"]
    assert got["document"]["nodes"][0]["label"] == "${7*7} {{7*7}}"
