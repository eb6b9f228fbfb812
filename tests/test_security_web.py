"""Issue 12, web & access findings: each attacks the running server the way the audit did.

Findings 2 (first-admin takeover), 3 (bodies before authentication), 4 (brute force), 7 (node
ids in markup), 11 (404 log lines), 12 (framing/CSP), 14 (user mistakes answering 500) and 16
(JWT revocation, 6to4), plus the named cases 10 and 17 of ``reference/security.md``.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import httpx
from sqlmodel import func, select

from flowai.demo import HELLO
from storage.db import session
from storage.models import Run
from tests.manage_client import error, signed_in

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
