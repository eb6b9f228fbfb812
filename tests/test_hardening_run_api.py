"""Hardening of the published run API over real HTTP (docs/run-api.md errors, docs/management-api.md security baseline).

Every answer to a hostile or malformed request is a documented status with the
``{"code", "message", "detail"}`` body and never a 500 or a stack trace; authentication cannot be
bypassed through the path, trust headers or the query string; the rate limit answers exactly
the excess; and a refused request leaves no run row behind.
"""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import quote, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from flowai.demo import HELLO
from storage.db import session
from storage.models import Run
from tests.wait import wait_until

RUN = "/v1/api/workflow/run/"
FIELD = "输入"
PREFIX = "在呢。你说的是："
CODE_OF = {400: 40001, 401: 40101, 403: 40301, 404: 40401, 413: 40003, 429: 42901}
TRACE_MARKERS = ("Traceback", 'File "', "sqlalchemy", "sqlite3.", "OperationalError", "psycopg")

# A workflow with a json-typed and a number-typed field besides a string, for generated values.
TYPED = {
    "format": "flowai/1",
    "name": "typed fields",
    "nodes": [
        {
            "id": "in",
            "type": "input",
            "config": {
                "fields": [
                    {"name": "text", "type": "string", "max_length": 5000},
                    {"name": "n", "type": "number"},
                    {"name": "data", "type": "json"},
                ]
            },
        },
        {"id": "t", "type": "template", "config": {"template": "{{in.text}}|{{in.n}}"}},
        {"id": "out", "type": "output", "config": {"value": "{{t.text}}"}},
    ],
    "edges": [
        {"source": "in", "target": "t"},
        {"source": "t", "source_port": "text", "target": "out", "target_port": "value"},
    ],
}

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- helpers -----------------------------------------------------------------------------------


def assert_error(r: httpx.Response, status: int | None = None) -> dict:
    """A documented error: its status, the matching code, the exact body shape, no trace."""
    if status is not None:
        assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.status_code in CODE_OF, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == {"code", "message", "detail"}, body
    assert body["code"] == CODE_OF[r.status_code], body
    assert isinstance(body["message"], str) and body["message"], body
    for marker in TRACE_MARKERS:
        assert marker not in r.text, r.text[:500]
    return body


def assert_documented(r: httpx.Response) -> None:
    """With a valid key on a published workflow: 200 (JSON or SSE), 202 (async) or a 4xx error."""
    assert r.status_code != 500 and r.status_code < 500, (r.status_code, r.text[:500])
    if r.status_code == 200:
        if r.headers["content-type"].startswith("text/event-stream"):
            assert "event: output" in r.text or "event: error" in r.text, r.text[-500:]
        else:
            assert {"output", "total_time"} <= set(r.json()), r.text[:500]
    elif r.status_code == 202:
        assert "run_id" in r.json()
    else:
        assert_error(r)


def run_count(api) -> int:
    with session(api.platform.db) as s:
        return s.exec(select(func.count()).select_from(Run)).one()


def wait_for_row(api, run_id: str, timeout: float = 10.0) -> Run:
    def finished():
        with session(api.platform.db) as s:
            run = s.get(Run, run_id)
        return run if run is not None and run.status != "running" else None

    return wait_until(finished, timeout, message=f"run {run_id} was not recorded")


def raw_request(
    base: str, method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """Send exactly ``target`` as the request line's path (no client-side normalisation)."""
    parts = urlsplit(base)

    async def go() -> bytes:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        head = [
            f"{method} {target} HTTP/1.1",
            f"Host: {parts.netloc}",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
        ]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        data = await reader.read()
        writer.close()
        return data

    data = asyncio.run(asyncio.wait_for(go(), 30))
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if hdrs.get("transfer-encoding") == "chunked":
        out = b""
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2 :]
        rest = out
    return status, hdrs, rest


@pytest.fixture
def hello(api):
    """(client, workflow id, unlimited key) for HELLO on the running API."""
    wf, key = api.publish(HELLO), api.key(rate_limit=0)
    with httpx.Client(base_url=api.url, timeout=30) as client:
        yield client, wf, key


@pytest.fixture
def typed(api):
    """(client, workflow id, unlimited key) for TYPED on the running API."""
    wf, key = api.publish(TYPED), api.key(rate_limit=0)
    with httpx.Client(base_url=api.url, timeout=30) as client:
        yield client, wf, key


# --- generated bodies --------------------------------------------------------------------------

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.text(
        alphabet=st.sampled_from(["\x00", "{", "}", "$", "%", "'", '"', "\\", "\u202e", "𝕏", "a", "\ud7ff"]),
        max_size=20,
    ),
    st.sampled_from(["{{in.输入}}", "${7*7}", "{% raw %}", "' OR 1=1 --", "../../etc/passwd", "\x00"]),
)
JSON_VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=25,
)
FLAGS = st.one_of(st.booleans(), JSON_VALUES)


def _encode(value, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@st.composite
def run_bodies(draw) -> bytes:
    kind = draw(st.sampled_from(["raw", "json", "input", "full", "long", "deep", "numbers"]))
    if kind == "raw":  # anything at all: invalid UTF-8, NULs, truncated JSON
        return draw(
            st.binary(max_size=400)
            | st.sampled_from(
                [
                    b"\xff\xfe\x00",
                    b'{"input":{"\xe8\xbe\x93\xe5\x85\xa5":"\xc3\x28"}}',
                    b'{"input":',
                    b"\x00" * 50,
                    b'{"input":{}}\x00',
                    b"null",
                    b"[]",
                    b"1e999",
                    b'"\\ud800"',
                    b"{'input': {}}",
                ]
            )
        )
    if kind == "json":  # any JSON document, not necessarily an object
        return _encode(draw(JSON_VALUES), draw(st.booleans()))
    if kind == "input":  # an object with an input object of generated fields
        fields = draw(
            st.dictionaries(
                st.sampled_from([FIELD, "x", "", "__proto__", "constructor", FIELD + " "]) | st.text(max_size=8),
                JSON_VALUES,
                max_size=4,
            )
        )
        return _encode({"input": fields}, draw(st.booleans()))
    if kind == "full":  # the documented keys with generated values, sometimes an unknown one
        body = {"input": draw(st.one_of(st.fixed_dictionaries({FIELD: st.text(max_size=60)}), JSON_VALUES))}
        for flag in ("stream", "detail", "version", "async"):
            if draw(st.booleans()):
                body[flag] = draw(FLAGS)
        if draw(st.booleans()):
            body[draw(st.sampled_from(["data", "nodes", "tweaks", "owner_id", "id", "INPUT"]))] = draw(JSON_VALUES)
        return _encode(body, draw(st.booleans()))
    if kind == "long":  # long strings: under, at and over max_length, and a body over the size limit
        n = draw(st.sampled_from([0, 1999, 2000, 2001, 50_000, 1_100_000]))
        return _encode({"input": {FIELD: "界" * n if draw(st.booleans()) else "x" * n}}, False)
    if kind == "deep":  # nesting from shallow to far past any parser's limit
        depth = draw(st.sampled_from([10, 200, 1000, 5000, 100_000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        inner = opener * depth + "1" + closer * depth
        return (draw(st.sampled_from(['{"input":{"输入":%s}}', '{"input":%s}', "%s"])) % inner).encode()
    digits = draw(
        st.sampled_from(
            [
                "1e400",
                "-1e400",
                "9" * 400,
                "-" + "9" * 5000,
                "1e-400",
                "0.1e1",
                "18446744073709551616",
                "-9223372036854775809",
                "1E+2",
                "-0",
            ]
        )
    )
    return ('{"input":{"输入":%s},"version":%s}' % (digits, draw(st.sampled_from(["1", digits])))).encode()


@FUZZ
@given(
    body=run_bodies(),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin-1",
            None,
        ]
    ),
)
def test_generated_bodies_get_documented_answers(hello, body, content_type):
    client, wf, key = hello
    headers = {"X-API-KEY": key}
    if content_type:
        headers["Content-Type"] = content_type
    assert_documented(client.post(RUN + wf, content=body, headers=headers))


@FUZZ
@given(
    fields=st.fixed_dictionaries(
        {},
        optional={
            "text": JSON_VALUES,
            "n": JSON_VALUES,
            "data": st.recursive(
                LEAVES,
                lambda i: st.lists(i, max_size=3) | st.dictionaries(st.text(max_size=5), i, max_size=3),
                max_leaves=15,
            ),
            "extra": JSON_VALUES,
        },
    ),
    stream=st.booleans(),
)
def test_generated_typed_inputs_get_documented_answers(typed, fields, stream):
    client, wf_id, key = typed
    r = client.post(RUN + wf_id, headers={"X-API-KEY": key}, content=_encode({"input": fields, "stream": stream}, True))
    assert_documented(r)
    if r.status_code == 200 and not stream:
        text = fields.get("text")
        if isinstance(text, str) and "\x00" not in text and "n" not in fields:
            assert r.json()["output"] == text + "|"  # values come back literally


@FUZZ
@example(segment="0/")  # once answered 307 (the router's trailing-slash redirect)
@given(
    segment=st.text(max_size=80)
    | st.sampled_from(
        [
            "..",
            ".",
            "%2e%2e",
            "..%2F..%2Fetc%2Fpasswd",
            "%00",
            "a%00b",
            "' OR '1'='1",
            "1; DROP TABLE runs; --",
            "\\..\\..\\windows",
            "%252e%252e%252f",
            "${jndi:ldap://x}",
            "{{7*7}}",
            "0" * 32,
            "*",
            "%",
            "?",
            "#",
        ]
    )
)
def test_generated_workflow_ids_are_404(hello, segment):
    client, _, key = hello
    r = client.post(RUN + quote(segment, safe="%"), json={"input": {FIELD: "x"}}, headers={"X-API-KEY": key})
    assert r.status_code in (404, 405), (segment, r.status_code, r.text[:300])
    if r.status_code == 404:
        assert_error(r)


# --- named cases -------------------------------------------------------------------------------


def test_oversized_body_is_413(hello):
    client, wf, key = hello
    r = client.post(
        RUN + wf,
        content=b'{"input":{"' + "输入".encode() + b'":"' + b"x" * 1_100_000 + b'"}}',
        headers={"X-API-KEY": key},
    )
    assert assert_error(r, 413)["code"] == 40003

    def chunks():  # no Content-Length: the limit holds while the body streams in
        yield b'{"input":{"x":"'
        for _ in range(120):
            yield b"y" * 10_000
        yield b'"}}'

    r = client.post(RUN + wf, content=chunks(), headers={"X-API-KEY": key})
    assert_error(r, 413)
    r = client.post(RUN + wf, content=b"{}", headers={"X-API-KEY": key, "Content-Length": "2"})
    assert_error(r, 400)


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deeply_nested_json_is_400(hello, depth):
    client, wf, key = hello
    for inner in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        for body in ('{"input":{"输入":%s}}' % inner, '{"input":%s}' % inner, inner):
            assert_error(client.post(RUN + wf, content=body.encode(), headers={"X-API-KEY": key}), 400)


ECHO = {
    "format": "flowai/1",
    "name": "json echo",
    "nodes": [
        {"id": "in", "type": "input", "config": {"fields": [{"name": "data", "type": "json"}]}},
        {"id": "out", "type": "output", "config": {"value": "{{in.data}}"}},
    ],
    "edges": [{"source": "in", "target": "out"}],
}
TOO_DEEP = "[" * 300 + "]" * 300  # parses (orjson's parse limit is 1024), cannot be dumped (limit 254)


def test_json_input_nested_past_the_serialiser_limit_is_not_a_500(api):
    wf, key = api.publish(ECHO), api.key(rate_limit=0)
    r = httpx.post(
        api.url + RUN + wf,
        headers={"X-API-KEY": key},
        timeout=30,
        content=('{"input":{"data":%s}}' % TOO_DEEP).encode(),
    )
    assert r.status_code in (200, 400), (r.status_code, r.text)


def test_json_input_nested_past_the_serialiser_limit_is_refused_or_recorded(api):
    wf, key = api.publish(TYPED), api.key(rate_limit=0)
    r = httpx.post(
        api.url + RUN + wf,
        headers={"X-API-KEY": key},
        timeout=30,
        content=('{"input":{"text":"a","data":%s}}' % TOO_DEEP).encode(),
    )
    assert r.status_code in (200, 400), (r.status_code, r.text)
    if r.status_code == 400:
        assert_error(r, 400)
    else:
        wait_for_row(api, r.headers["x-run-id"], timeout=5)


def test_invalid_utf8_and_nul_bytes_are_400(hello):
    client, wf, key = hello
    bodies = [
        b'{"input":{"\xe8\xbe\x93\xe5\x85\xa5":"\xff\xfe"}}',
        b"\xff" * 10,
        b'{"input":{"\xe8\xbe\x93":"x"}}',
        b'{"input":{"' + "输入".encode() + b'":"a\\u0000b"}}',
        b'{"input":{"' + "输入".encode() + b'":"\x00"}}',
        b'{"input":{"' + "输入".encode() + b'":"\\ud800"}}',
        b"\x00",
        '{"input":{}}'.encode("utf-16"),
    ]
    for body in bodies:
        for ctype in ("application/json", "application/x-www-form-urlencoded"):
            assert_error(client.post(RUN + wf, content=body, headers={"X-API-KEY": key, "Content-Type": ctype}), 400)


INJECTIONS = [
    "{{in.输入}}",
    "{{reply.text}}",
    "{{ 7*7 }}",
    "{{7*7}}",
    "${7*7}",
    "${jndi:ldap://127.0.0.1/a}",
    "#{7*7}",
    "<%= 7*7 %>",
    "{% for x in range(3) %}{{x}}{% endfor %}",
    "{{ config.__class__.__init__.__globals__ }}",
    "$开始.输入",
    "$回复.text",
    "__import__('os').system('id')",
    "`id`",
    "$(id)",
    "{{in.输入}}{{in.输入}}",
    "\\{{in.输入}}",
    "{{{{in.输入}}}}",
]
SQL = [
    "' OR '1'='1",
    "'; DROP TABLE runs; --",
    "1 UNION SELECT key_hash FROM api_keys --",
    '" OR ""="',
    "admin'--",
    "%' AND 1=0 UNION SELECT * FROM users --",
    "0x27 OR 1=1",
    "\\'; SELECT 1; --",
]


def test_template_and_code_syntax_in_input_is_returned_literally(hello):
    client, wf, key = hello
    for text in INJECTIONS + SQL:
        r = client.post(RUN + wf, json={"input": {FIELD: text}}, headers={"X-API-KEY": key})
        assert r.status_code == 200, r.text
        assert r.json()["output"] == PREFIX + text
        r = client.post(RUN + wf, json={"input": {FIELD: text}, "stream": True}, headers={"X-API-KEY": key})
        assert PREFIX + text in [
            json.loads(line[6:]).get("output") for line in r.text.splitlines() if line.startswith('data: {"output"')
        ]


def test_sql_injection_in_the_workflow_id_is_404_and_harmless(api, hello):
    client, wf, key = hello
    before = run_count(api)
    for text in SQL + [wf + "' OR '1'='1", wf + "'--", f"{wf}%27", "%27%20OR%201=1--"]:
        r = client.post(RUN + quote(text, safe="%"), json={"input": {FIELD: "x"}}, headers={"X-API-KEY": key})
        assert_error(r, 404)
        r = client.get(f"/v1/api/workflow/runs/{quote(text, safe='%')}/events", headers={"X-API-KEY": key})
        assert r.status_code == 404 and "Traceback" not in r.text
    r = client.post(RUN + wf, json={"input": {FIELD: "still here"}}, headers={"X-API-KEY": key})
    assert r.json()["output"] == PREFIX + "still here"
    wait_for_row(api, r.headers["x-run-id"])
    assert run_count(api) == before + 1


@pytest.mark.parametrize(
    "segment",
    [
        "..%2F..%2Fetc%2Fpasswd",
        "..%2f..%2f..%2fflowai.db",
        "%00",
        "x%00",
        "..%00",
        "%2e%2e%2f%2e%2e%2fsecret.key",
        "..%5C..%5Cflowai.db",
        "..;",
        "%c0%ae%c0%ae%c0%af",
        "/etc/passwd",
        "....//....//",
    ],
)
def test_path_traversal_in_the_workflow_id_is_404(api, hello, segment):
    client, wf, key = hello
    target = RUN + segment
    status, _, body = raw_request(
        api.url, "POST", target, {"X-API-KEY": key, "Content-Type": "application/json"}, b'{"input":{}}'
    )
    assert status == 404, (status, body)
    assert json.loads(body)["code"] == 40401 and b"Traceback" not in body
    status, _, _ = raw_request(api.url, "POST", target, {}, b'{"input":{}}')
    assert status in (401, 404)


def test_path_variants_never_bypass_auth(api, hello):
    client, wf, key = hello
    before = run_count(api)
    variants = [
        f"/V1/API/WORKFLOW/RUN/{wf}",
        f"/v1/API/workflow/run/{wf}",
        f"/v1/api/workflow/RUN/{wf}",
        f"//v1/api/workflow/run/{wf}",
        f"/v1//api/workflow/run/{wf}",
        f"/v1/api/workflow/run//{wf}",
        f"/v1/api/workflow/run/{wf}/",
        f"/v1/api/workflow/run/{wf}//",
        f"/v1/api/workflow/run/{wf};x=1",
        f"/v1/api/workflow/run/{wf}%2F",
        f"/v1/api/workflow%2Frun/{wf}",
        f"/v1/api/workflow/./run/{wf}",
        f"/v1/api/workflow/x/../run/{wf}",
        f"/v1/api/workflow/run/%2e/{wf}",
        f"/v1/api/%77orkflow/run/{wf}",
        f"/v1/api/workflow/run/{wf.upper()}",
        f"/v1/api/workflow/run/{wf}?x-api-key=",
        f"/v1/api/workflow/run/{wf}%20",
        f"/v1/api/workflow/run/{wf}%09",
        f"/v1/api/workflow/run/{wf}.json",
        f"http://127.0.0.1/v1/api/workflow/run/{wf}",
    ]
    for target in variants:
        for headers in ({}, {"X-API-KEY": "fai_AAAAAAAA_" + "A" * 32}, {"X-API-KEY": ""}):
            status, hdrs, body = raw_request(
                api.url,
                "POST",
                target,
                {"Content-Type": "application/json", **headers},
                json.dumps({"input": {FIELD: "x"}}).encode(),
            )
            assert status in (400, 401, 404, 405, 307, 308), (target, status, body[:200])
            if status in (307, 308):  # a redirect is not a bypass: its target still wants the key
                location = urlsplit(hdrs["location"])
                assert location.netloc in ("", urlsplit(api.url).netloc), hdrs["location"]
                status, _, body = raw_request(api.url, "POST", location.path, headers, b'{"input":{"x":1}}')
                assert status in (401, 404), (target, status, body[:200])
            elif status != 405:
                assert b"Traceback" not in body and set(json.loads(body)) == {"code", "message", "detail"}
    assert run_count(api) == before
    for target in variants[:12]:  # with the right key, a variant is refused or is the same route
        status, _, body = raw_request(
            api.url,
            "POST",
            target,
            {"X-API-KEY": key, "Content-Type": "application/json"},
            json.dumps({"input": {FIELD: "x"}}).encode(),
        )
        assert status in (200, 307, 308, 404, 405), (target, status, body[:200])
        if status == 200:
            assert json.loads(body)["output"] == PREFIX + "x"


SPOOFED = {
    "X-Forwarded-For": "127.0.0.1",
    "X-Real-IP": "127.0.0.1",
    "x-request-from": "internal",
    "Forwarded": "for=127.0.0.1;proto=https",
    "X-Forwarded-Host": "localhost",
    "X-Forwarded-Proto": "https",
    "X-Original-URL": "/v1/api/workflow/run/",
    "X-Rewrite-URL": "/",
    "X-Client-IP": "127.0.0.1",
    "True-Client-IP": "127.0.0.1",
    "X-Internal": "1",
    "X-Admin": "true",
    "X-User-Id": "1",
    "X-Auth-User": "admin",
    "X-Remote-User": "admin",
}


def test_spoofed_trust_headers_are_ignored(api, hello):
    client, wf, key = hello
    stranger = api.platform.users.create(username="stranger", password="password-stranger")
    foreign, _ = api.platform.keys.create(owner_id=stranger.id, name="foreign")
    before = run_count(api)
    for headers in [SPOOFED, *({k: v} for k, v in SPOOFED.items())]:
        body = {"input": {FIELD: "x"}}
        assert assert_error(client.post(RUN + wf, json=body, headers=headers), 401)["code"] == 40101
        assert_error(client.post(RUN + wf, json=body, headers={**headers, "X-API-KEY": "wrong"}), 401)
        assert_error(client.post(RUN + wf, json=body, headers={**headers, "X-API-KEY": foreign}), 404)
    assert run_count(api) == before


def test_key_outside_the_header_is_refused(hello):
    client, wf, key = hello
    body = {"input": {FIELD: "x"}}
    for param in ("x-api-key", "X-API-KEY", "api_key", "apikey", "key", "token", "access_token"):
        assert_error(client.post(f"{RUN}{wf}?{param}={key}", json=body), 401)
    for headers in (
        {"Authorization": f"Bearer {key}"},
        {"Authorization": key},
        {"Cookie": f"x-api-key={key}"},
        {"X-API-KEY-": key},
        {"X_API_KEY": key},
        {"Api-Key": key},
    ):
        assert_error(client.post(RUN + wf, json=body, headers=headers), 401)
    assert_error(client.post(RUN + wf, json={**body, "x-api-key": key}), 401)
    assert_error(
        client.post(
            RUN + wf, content=f"x-api-key={key}".encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
        ),
        401,
    )


def test_burst_over_the_rate_limit_answers_exactly_the_excess(api):
    wf, key = api.publish(HELLO), api.key(rate_limit=20)
    before = run_count(api)
    with httpx.Client(base_url=api.url, timeout=30) as client:
        answers = [
            client.post(RUN + wf, json={"input": {FIELD: f"n{i}"}}, headers={"X-API-KEY": key}) for i in range(100)
        ]
    assert [r.status_code for r in answers] == [200] * 20 + [429] * 80
    for r in answers[20:]:
        assert_error(r, 429)
        assert 1 <= int(r.headers["retry-after"]) <= 60
    wait_for_row(api, answers[19].headers["x-run-id"])
    time.sleep(0.3)
    assert run_count(api) == before + 20


def test_refused_requests_write_no_run_row(api, settings):
    wf, key, limited_key = api.publish(HELLO), api.key(rate_limit=0), api.key(rate_limit=2)
    scoped = api.key(workflows=["0" * 32])
    draft, _ = api.platform.workflows.create(owner_id=api.owner_id, document=HELLO)
    refused = [
        (wf, {}, b'{"input":{}}', 401),
        (wf, {"X-API-KEY": key}, b"not json", 400),
        (wf, {"X-API-KEY": key}, b'{"input":{}}', 400),
        (wf, {"X-API-KEY": key}, json.dumps({"input": {FIELD: "x", "extra": 1}}).encode(), 400),
        (wf, {"X-API-KEY": key}, json.dumps({"input": {FIELD: "x" * 2001}}).encode(), 400),
        (wf, {"X-API-KEY": key}, json.dumps({"input": {FIELD: "x"}, "stream": "yes"}).encode(), 400),
        (wf, {"X-API-KEY": key}, json.dumps({"input": {FIELD: "x"}, "version": 2}).encode(), 400),
        (wf, {"X-API-KEY": key}, json.dumps({"input": {FIELD: "x"}, "async": 1}).encode(), 400),
        (wf, {"X-API-KEY": key}, b'{"input":{"x":"' + b"y" * 1_100_000 + b'"}}', 413),
        (wf, {"X-API-KEY": scoped}, json.dumps({"input": {FIELD: "x"}}).encode(), 403),
        (draft.id, {"X-API-KEY": key}, json.dumps({"input": {FIELD: "x"}}).encode(), 404),
        ("0" * 32, {"X-API-KEY": key}, json.dumps({"input": {FIELD: "x"}}).encode(), 404),
    ]
    with httpx.Client(base_url=api.url, timeout=30) as client:
        for target, headers, body, status in refused:
            r = client.post(RUN + target, content=body, headers=headers)
            assert_error(r, status)
            assert "x-run-id" not in r.headers
        ok = client.post(RUN + wf, json={"input": {FIELD: "fine"}}, headers={"X-API-KEY": key})
        assert ok.status_code == 200
        for _ in range(2):  # (every authenticated request counts against the key's limit)
            client.post(RUN + wf, content=b"{}", headers={"X-API-KEY": limited_key})
        limited = client.post(RUN + wf, json={"input": {FIELD: "x"}}, headers={"X-API-KEY": limited_key})
        assert_error(limited, 429)
    run = wait_for_row(api, ok.headers["x-run-id"])
    time.sleep(0.3)
    assert run_count(api) == 1  # only the accepted run
    assert run.status == "completed" and run.output == PREFIX + "fine" and run.finished_at is not None
    assert run.input == {FIELD: "fine"} and run.events and run.total_time is not None
