"""Issue 12, web & access findings: each attacks the running server the way the audit did.

Findings 2 (first-admin takeover), 3 (bodies before authentication), 4 (brute force), 7 (node
ids in markup), 11 (404 log lines), 12 (framing/CSP), 14 (user mistakes answering 500) and 16
(JWT revocation, 6to4), plus the named cases 10 and 17 of ``reference/security.md``.
"""

from __future__ import annotations

import ast
import base64
import copy
import json
import logging
import re
import socket
from pathlib import Path

import httpx
import orjson
from sqlmodel import func, select

from flowai.demo import HELLO
from storage.db import session
from storage.models import Run
from tests.browser import ServedApp
from tests.manage_client import PASSWORD, error, login, signed_in
from tests.proc import flowai

ROOT = Path(__file__).resolve().parent.parent
RUN = "/v1/api/workflow/run/"
FIELD = "输入"
HOSTILE_ID = "x\"innerHTML=\"<img/src='x'/onerror='alert(106)'>"


# --- finding 7: node ids are a safe alphabet, and no props string is built from user text ---------


def test_import_refuses_a_node_id_that_could_break_out_of_markup(api):
    c = signed_in(api)
    doc = copy.deepcopy(HELLO)
    old = doc["nodes"][0]["id"]
    doc["nodes"][0]["id"] = HOSTILE_ID
    for edge in doc["edges"]:
        for end in ("source", "target"):
            if edge[end] == old:
                edge[end] = HOSTILE_ID
    body = error(c.post("/workflows/import", json=doc), 400, 40001)
    assert "node id" in body["message"]
    ok = copy.deepcopy(HELLO)
    ok["nodes"][0]["id"] = "开始_1-a"
    for edge in ok["edges"]:
        for end in ("source", "target"):
            if edge[end] == old:
                edge[end] = "开始_1-a"
    for node in ok["nodes"]:
        node["config"] = {
            k: v.replace(f"{{{{{old}.", "{{开始_1-a.") if isinstance(v, str) else v for k, v in node["config"].items()
        }
    assert c.post("/workflows/import", json=ok).status_code == 201  # CJK letters, digits, '_' and '-' stay valid


def _props_strings(tree: ast.AST):
    """f-strings passed to ``.props()`` (also inside ``+``), or shaped like attributes (``name="{...}"``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "props":
            for arg in node.args:
                yield from (n for n in ast.walk(arg) if isinstance(n, ast.JoinedStr))
        elif isinstance(node, ast.JoinedStr):
            texts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
            if re.search(r'[\w-]+="\{\}', "".join(texts)):
                yield node


def _allowed(value: ast.expr) -> bool:
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in ("safe_id", "t")


def test_no_props_string_interpolates_raw_text():
    """NiceGUI parses props strings: a quote in interpolated text adds attributes (the stored XSS
    of finding 7). Every value put into one goes through ``safe_id`` (or is a translation)."""
    offenders = []
    for path in sorted((ROOT / "ui").rglob("*.py")):
        for fstring in _props_strings(ast.parse(path.read_text(), str(path))):
            for part in fstring.values:
                if isinstance(part, ast.FormattedValue) and not _allowed(part.value):
                    offenders.append(f"{path.relative_to(ROOT)}:{fstring.lineno}: {ast.unparse(part.value)}")
    offenders = sorted(set(offenders))
    assert not offenders, "props strings built from raw values:\n" + "\n".join(offenders)


def test_the_props_scan_catches_the_runs_page_pattern():
    bad = ast.parse("""ui.card().props(f'flat bordered data-testid="node-{node.node_id}"')""")
    good = ast.parse("""ui.card().props(f'flat bordered data-testid="{safe_id("node", node.node_id)}"')""")
    assert [p for s in _props_strings(bad) for p in s.values if isinstance(p, ast.FormattedValue)]
    assert not [
        p for s in _props_strings(bad) for p in s.values if isinstance(p, ast.FormattedValue) and _allowed(p.value)
    ]
    assert all(_allowed(p.value) for s in _props_strings(good) for p in s.values if isinstance(p, ast.FormattedValue))


# --- finding 16 (second part): 6to4 and Teredo addresses carrying a private IPv4 are internal ----


def test_6to4_callback_url_to_loopback_is_refused(api):
    wf, key = api.publish(HELLO), api.key(rate_limit=0)
    for host in ("[2002:7f00:1::1]", "[2002:a00:1::1]", "[2002:c0a8:101::1]", "[2002:a9fe:a9fe::1]"):
        r = httpx.post(
            api.url + RUN + wf,
            headers={"X-API-KEY": key},
            json={"input": {FIELD: "hi"}, "async": True, "callback_url": f"http://{host}:9/hook"},
            timeout=30,
        )
        assert r.status_code == 400, (host, r.status_code, r.text)
        assert r.json()["code"] == 40001 and "private or internal" in r.json()["message"]
    with session(api.platform.db) as s:
        assert s.exec(select(func.count()).select_from(Run)).one() == 0


# --- finding 3 / case 10: authenticate first, then a bounded read -------------------------------


def _send_head(api, method: str, path: str, headers: dict[str, str], body: bytes = b"", wait: float = 30) -> bytes:
    """Send a request head (and maybe part of a body) on a raw socket; return what the server answers
    without the client sending anything more."""
    with socket.create_connection(("127.0.0.1", int(api.url.rsplit(":", 1)[1])), timeout=wait) as sock:
        head = [f"{method} {path} HTTP/1.1", "Host: test", *(f"{k}: {v}" for k, v in headers.items())]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def _status_and_body(raw: bytes) -> tuple[int, dict]:
    head, _, rest = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(rest)


BODY_ROUTES = ["/api/v1/runs", "/api/v1/batches", "/api/v1/workflows", "/api/v1/runs/abc/nodes/n/regenerate"]


def test_unauthenticated_40mb_body_is_refused_before_a_byte_is_read(api):
    """The audit's 40 MB JSON array to /api/v1/batches: now 401 from the head alone (the body is
    never sent here, so an answer proves nothing waited for it)."""
    for path in BODY_ROUTES:
        raw = _send_head(api, "POST", path, {"Content-Type": "application/json", "Content-Length": str(40 << 20)})
        status, body = _status_and_body(raw)
        assert (status, body["code"], body["data"]) == (401, 40101, None), (path, raw[:300])
    raw = _send_head(api, "POST", "/api/v1/batches", {"Transfer-Encoding": "chunked", "Authorization": "Bearer x.y.z"})
    assert _status_and_body(raw)[0] == 401


def test_authenticated_oversized_bodies_are_413_declared_or_streamed(api):
    token = signed_in(api).headers["Authorization"]
    for path in BODY_ROUTES:
        raw = _send_head(api, "POST", path, {"Authorization": token, "Content-Length": str(40 << 20)})
        status, body = _status_and_body(raw)
        assert (status, body["code"]) == (413, 40003), (path, raw[:300])
    chunk = b"[" + b"1," * 100_000
    part = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    raw = _send_head(api, "POST", "/api/v1/batches", {"Authorization": token, "Transfer-Encoding": "chunked"}, part * 8)
    status, body = _status_and_body(raw)
    assert (status, body["code"]) == (413, 40003), raw[:300]
    # the login route has no token yet: it gets a small bound instead
    raw = _send_head(api, "POST", "/api/v1/auth/login", {"Content-Length": str(40 << 20)})
    assert _status_and_body(raw)[0] == 413


def test_case_10_oversized_nested_and_invalid_bodies_are_refused_before_any_run(api):
    """security.md case 10: > 1 MB, excessive nesting, invalid JSON, wrong types, missing and
    unknown fields get 413 or 400 with a message, and no run starts on either API."""
    wf, key = api.publish(HELLO), api.key(rate_limit=0)
    c = signed_in(api)
    big = {"input": {FIELD: "x" * (1 << 20)}}
    nested: object = "x"
    for _ in range(5000):
        nested = [nested]
    run_cases = [
        (orjson.dumps(big), 413),
        (b'{"input": {"' + FIELD.encode() + b'": ' + orjson.dumps("x")[:-1] + b"}", 400),
        (b'{"input": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400),
        (orjson.dumps({"input": {FIELD: 5}}), 400),
        (orjson.dumps({"input": {}}), 400),
        (orjson.dumps({"input": {FIELD: "x"}, "tweaks": {"code": "import os"}}), 400),
    ]
    for raw, status in run_cases:
        r = httpx.post(api.url + RUN + wf, content=raw, headers={"X-API-KEY": key}, timeout=60)
        assert r.status_code == status, (raw[:60], r.status_code, r.text[:200])
        assert r.json()["code"] == (40003 if status == 413 else 40001) and r.json()["message"]
    manage_cases = [
        (orjson.dumps({"workflow_id": wf, "input": {FIELD: "x" * (1 << 20)}}), 413),
        (b'{"workflow_id": "' + wf.encode() + b'", "input": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400),
        (b"{not json", 400),
        (orjson.dumps({"workflow_id": wf, "input": "not an object"}), 400),
        (orjson.dumps({"workflow_id": wf, "input": {FIELD: "x"}, "owner_id": 99}), 400),
    ]
    for raw, status in manage_cases:
        r = c.post("/runs", content=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == status, (raw[:60], r.status_code, r.text[:200])
        assert r.json()["code"] == (40003 if status == 413 else 40001) and r.json()["data"] is None
    with session(api.platform.db) as s:
        assert s.exec(select(func.count()).select_from(Run)).one() == 0


# --- finding 4 / case 17: brute force is throttled, answered 429 with Retry-After, and logged ------


def test_case_17_wrong_api_keys_from_one_address_are_throttled_and_logged(api, caplog):
    wf, key = api.publish(HELLO), api.key(rate_limit=0)
    statuses = []
    with caplog.at_level(logging.WARNING, logger="flowai.security"), httpx.Client(base_url=api.url) as c:
        for i in range(100):
            r = c.post(RUN + wf, headers={"X-API-KEY": f"fai_guess{i:04d}_{'x' * 32}"}, json={"input": {FIELD: "x"}})
            statuses.append(r.status_code)
        assert statuses[0] == 401 and statuses[-1] == 429, statuses
        assert statuses.count(401) == api.platform.settings.auth_failures_per_minute
        r = c.post(RUN + wf, headers={"X-API-KEY": key}, json={"input": {FIELD: "x"}})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1  # locked out: even a right key waits
        assert r.json() == {"code": 42901, "message": r.json()["message"], "detail": None}
        m = c.get("/api/v1/workflows", headers={"Authorization": "Bearer nope"})
        assert m.status_code == 429 and m.json()["code"] == 42901 and m.json()["data"] is None
    lockouts = [rec for rec in caplog.records if "locked out" in rec.getMessage()]
    assert len(lockouts) == 1 and "127.0.0.1" in lockouts[0].getMessage()
    assert "fai_guess" not in caplog.text  # the secrets tried are never logged


def test_wrong_passwords_lock_the_account_name_with_retry_after(api, caplog):
    signed_in(api).close()  # the admin now has a password
    with caplog.at_level(logging.WARNING, logger="flowai.security"), httpx.Client(base_url=api.url) as c:
        answers = [
            c.post("/api/v1/auth/login", json={"username": "admin", "password": f"guess-{i:06d}"}).status_code
            for i in range(15)
        ]
        assert answers[:10] == [401] * 10 and set(answers[10:]) == {429}, answers
        r = c.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1 and r.json()["code"] == 42901
    assert any("locked out account 'admin'" in rec.getMessage() for rec in caplog.records)
    assert "guess-" not in caplog.text


def test_weak_passwords_are_refused(api):
    c = signed_in(api)
    for weak in ("short", "password123", "1234567890", "aaaaaaaaaaaa", "admin12345"):
        r = c.post("/auth/password", json={"current_password": PASSWORD, "new_password": weak})
        error(r, 400, 40001)


# --- finding 16 (first part): sign-out everywhere and password changes revoke tokens -----------


def test_logout_and_password_change_revoke_earlier_tokens(api):
    c = signed_in(api)
    first = c.headers["Authorization"]
    second = "Bearer " + login(api, "admin", PASSWORD)
    assert httpx.get(api.url + "/api/v1/auth/me", headers={"Authorization": second}).status_code == 200
    assert c.post("/auth/logout").status_code == 200
    for token in (first, second):  # every token of the account, not just the one signing out
        r = httpx.get(api.url + "/api/v1/auth/me", headers={"Authorization": token})
        error(r, 401, 40101)
    third = "Bearer " + login(api, "admin", PASSWORD)
    r = httpx.post(
        api.url + "/api/v1/auth/password",
        headers={"Authorization": third},
        json={"current_password": PASSWORD, "new_password": "a much better passphrase"},
    )
    fresh = "Bearer " + r.json()["data"]["access_token"]
    error(httpx.get(api.url + "/api/v1/auth/me", headers={"Authorization": third}), 401, 40101)
    assert httpx.get(api.url + "/api/v1/auth/me", headers={"Authorization": fresh}).status_code == 200
    error(httpx.post(api.url + "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}), 401, 40101)


# --- findings 11 and 12: no query strings in 404 log lines; UI responses carry framing/CSP headers --


def test_404_log_lines_hold_no_query_strings_and_ui_headers_are_set(tmp_path):
    app = ServedApp.start(tmp_path)
    try:
        secret = "fai_AbCdEfGh_" + "s" * 32
        r = httpx.get(f"{app.url}/no/such/page?key={secret}&sig=deadbeefsignature", timeout=30)
        assert r.status_code == 404
        assert r.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        login = httpx.get(app.url + "/login", timeout=30)
        assert "script-src 'self' 'unsafe-inline' 'unsafe-eval'" in login.headers["content-security-policy"]
        api = httpx.post(app.url + RUN + "x", timeout=30)  # the run API stays as it was
        assert "content-security-policy" not in api.headers
    finally:
        app.stop()
    log = "\n".join(app.lines)
    assert "/no/such/page" in log  # the 404 is still logged...
    assert secret not in log and "deadbeefsignature" not in log  # ...without its query string


# --- finding 14: user mistakes are clear 400s, not 500s ------------------------------------------

CONDITION = {
    "format": "flowai/1",
    "name": "nested",
    "nodes": [
        {"id": "in", "type": "input", "config": {"fields": [{"name": "t", "type": "string"}]}},
        {"id": "c", "type": "condition", "config": {"value": "__NESTED__"}},
        {"id": "out", "type": "output", "config": {"value": "x"}},
    ],
    "edges": [{"source": "in", "target": "c"}, {"source": "c", "target": "out"}],
}


def test_a_deeply_nested_config_is_a_400_and_stores_nothing(api):
    c = signed_in(api)
    for depth in (254, 300, 900):
        nested = "[" * depth + "1" + "]" * depth
        raw = json.dumps({"document": CONDITION}).replace('"__NESTED__"', nested)
        body = error(c.post("/workflows", content=raw, headers={"Content-Type": "application/json"}), 400, 40001)
        assert "nested deeper" in body["message"]
        raw = json.dumps(CONDITION).replace('"__NESTED__"', nested)
        error(c.post("/workflows/import", content=raw, headers={"Content-Type": "application/json"}), 400, 40001)
    assert c.get("/workflows").json()["data"]["total"] == 0
    ok = json.dumps({"document": CONDITION}).replace('"__NESTED__"', "[" * 20 + "1" + "]" * 20)
    assert c.post("/workflows", content=ok, headers={"Content-Type": "application/json"}).status_code == 201


IMAGE_FLOW = {
    "format": "flowai/1",
    "name": "edit",
    "nodes": [
        {"id": "in", "type": "input", "config": {"fields": [{"name": "img", "type": "image", "required": True}]}},
        {"id": "draw", "type": "image", "config": {"prompt": "a cat", "reference_image": "{{in.img}}"}},
        {"id": "out", "type": "output", "config": {"value": "{{draw.image}}"}},
    ],
    "edges": [
        {"source": "in", "target": "draw"},
        {"source": "draw", "source_port": "image", "target": "out", "target_port": "value"},
    ],
}


def test_a_non_image_passed_as_an_image_is_a_400(api):
    wf, key = api.publish(IMAGE_FLOW), api.key(rate_limit=0)
    text = base64.b64encode(b"just some text, not a picture").decode()
    for uri in (f"data:text/plain;base64,{text}", f"data:image/png;base64,{text}"):
        r = httpx.post(api.url + RUN + wf, headers={"X-API-KEY": key}, json={"input": {"img": uri}}, timeout=60)
        assert r.status_code == 400, (uri[:30], r.status_code, r.text)
        assert r.json()["code"] == 40001 and "not an image" in r.json()["message"]


# --- finding 2: the set-up form needs the console token, and is gone once an admin has a password --


def test_an_instance_with_a_password_admin_offers_no_set_up_form(tmp_path):
    flowai(tmp_path, "key", "create", "--name", "cli")  # the CLI's passwordless admin
    app = ServedApp.start(tmp_path)
    try:
        assert app.setup_token and len(app.setup_token) >= 20
        page = httpx.get(app.url + "/login", timeout=30).text
        assert "Repeat password" in page and "Set-up token" in page  # unclaimed: the set-up form, token first
    finally:
        app.stop()
    flowai(tmp_path, "user", "create", "--username", "boss", "--password", "boss-passphrase", "--admin")
    app = ServedApp.start(tmp_path)
    try:
        assert app.setup_token is None and not any("set-up token" in line for line in app.lines)
        page = httpx.get(app.url + "/login", timeout=30).text
        assert "Repeat password" not in page and "Set-up token" not in page
        r = httpx.post(app.url + "/api/v1/auth/login", json={"username": "boss", "password": "boss-passphrase"})
        assert r.status_code == 200 and r.json()["data"]["user"]["is_admin"] is True
    finally:
        app.stop()
