"""The OpenAPI documents (issue 15): the management API's, exact, and each published workflow's own.

Schemathesis runs every check against both kinds of document in tests/test_fuzz_*.py (a file per
part, so the runs share out across the test workers).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import replace

import httpx
import jsonschema
import pytest

from flowai.demo import HELLO
from flowai.workflows.store import Workflows
from nodes import default_registry
from tests.graphs import Graph, field
from tests.manage_client import data, error, signed_in
from tests.proc import ROOT

ECHO = (
    Graph("Echo")
    .input(
        field("text", required=True, max_length=50, description="What to echo"),
        field("n", "integer"),
        field("x", "number"),
        field("flag", "boolean"),
        field("data", "json"),
        field("lang", default="en"),
    )
    .template("t", "{{in.text}} {{in.n}} {{in.lang}}")
    .output("{{t.text}}")
    .chain()
    .doc
)


def doc_url(api, workflow_id: str) -> str:
    return f"{api.url}/v1/api/workflow/run/{workflow_id}/openapi.json"


# the flowai/1 document as a JSON Schema -------------------------------------------------------------


def test_the_document_schema_is_generated_from_the_graph_model_and_the_node_registry():
    from flowai.workflows.schema import full_schema

    schema = full_schema(default_registry())
    jsonschema.Draft202012Validator.check_schema(schema)
    check = jsonschema.Draft202012Validator(schema)
    for doc in (HELLO, ECHO):
        assert not list(check.iter_errors(doc)), doc["name"]
    # the later top-level additions are in it too: a document the product stores with them passes
    first, second = HELLO["nodes"][0]["id"], HELLO["nodes"][1]["id"]
    extras = {
        "stages": [{"id": "s", "label": "Stage", "nodes": [first]}],
        "notes": [{"id": "n1", "text": "why", "position": {"x": 0, "y": 0}, "size": {"width": 220, "height": 140}}],
        "pins": {second: {"text": "pinned"}},
    }
    stored = Workflows(None, default_registry())._normalise({**HELLO, **extras})
    assert set(extras) <= set(stored) and not list(check.iter_errors(stored))
    variants = schema["properties"]["nodes"]["items"]["oneOf"]
    assert len(variants) == len(list(default_registry()))  # one per node type, so it cannot drift
    bad = [
        {**HELLO, "nodes": [*HELLO["nodes"], {"id": "x", "type": "no-such-type"}]},
        {**HELLO, "nodes": [{**HELLO["nodes"][0], "config": {"fields": [{"name": "a", "type": "colour"}]}}]},
        {**HELLO, "nodes": [{**HELLO["nodes"][1], "config": {"template": "x", "bogus": 1}}]},
        {**HELLO, "format": "flowai/2"},
        {**HELLO, "owner_id": 1},
    ]
    for doc in bad:
        assert list(check.iter_errors(doc))
    # a templated node's number may be a template; a plain string is not a number
    llm = {"id": "l", "type": "llm", "config": {"prompt": "hi", "temperature": "{{in.t}}"}}
    assert not list(check.iter_errors({**HELLO, "nodes": [*HELLO["nodes"], llm]}))
    llm["config"]["temperature"] = "warm"
    assert list(check.iter_errors({**HELLO, "nodes": [*HELLO["nodes"], llm]}))


# the management API's document ----------------------------------------------------------------------


def test_every_management_route_documents_its_error_answers(api):
    doc = httpx.get(f"{api.url}/api/v1/openapi.json", timeout=30).json()
    jsonschema.Draft202012Validator.check_schema(doc["components"]["schemas"]["Document"])
    for path, item in doc["paths"].items():
        for method, op in item.items():
            answers = op["responses"]
            assert "422" not in answers, (method, path)  # FastAPI's default; the API answers 400
            assert "500" in answers, (method, path)
            if path != "/auth/login":
                assert "401" in answers and op["security"], (method, path)
            if "{" in path or "(admin)" in op.get("summary", ""):
                assert "403" in answers, (method, path)
            for status, answer in answers.items():
                schema = answer["content"]["application/json"]["schema"]
                if status.startswith(("4", "5")):
                    assert schema["allOf"] == [{"$ref": "#/components/schemas/Error"}], (method, path)
                    assert all(code // 10000 == int(status) // 100 for code in schema["properties"]["code"]["enum"])
    upload = doc["paths"]["/files"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert upload["properties"]["code"]["enum"] == [40001, 40002]  # unsupported file format: that route only
    assert doc["paths"]["/keys"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]["properties"][
        "code"
    ] == {"enum": [40001]}
    workflows = doc["paths"]["/workflows/{workflow_id}"]
    assert {"400", "401", "403", "404", "409", "413", "500"} <= set(workflows["put"]["responses"])
    saved = workflows["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert saved["properties"]["document"] == {"$ref": "#/components/schemas/Document"}
    for op in workflows.values():  # only 429 answers carry Retry-After (every signed-in route may be locked out)
        assert [s for s, a in op["responses"].items() if "Retry-After" in a.get("headers", {})] == ["429"]
    keys = doc["paths"]["/keys"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert keys["properties"]["rate_limit"]["anyOf"][0] == {"type": "integer", "minimum": 0, "maximum": 1_000_000}


def test_schema_valid_bodies_the_api_refused_are_accepted(api):
    """Issue 15's "schema-valid request rejected": JSON Schema's integers include 3.0; timezones and
    priorities are now enumerated, so what the schema allows is what the server takes."""
    c = signed_in(api)
    key = data(c.post("/keys", json={"name": "k", "rate_limit": 30.0}), 201)
    assert key["rate_limit"] == 30
    error(c.post("/keys", json={"name": "k", "rate_limit": 30.5}), 400, 40001)
    error(c.post("/keys", json={"name": "k", "rate_limit": True}), 400, 40001)
    wf = data(c.post("/workflows", json={"document": HELLO}), 201)
    saved = data(c.put(f"/workflows/{wf['id']}", json={"document": HELLO, "base_version": 1.0}))
    assert saved["latest_version"] == 2
    assert data(c.post(f"/workflows/{wf['id']}/publish", json={"version": 1.0}))["published_version"] == 1
    doc = c.get("/openapi.json").json()
    zones = doc["paths"]["/providers/timezone"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert "Asia/Shanghai" in zones["properties"]["timezone"]["enum"]
    tts = doc["paths"]["/providers/priorities/tts"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert tts["properties"]["providers"]["items"]["enum"] == ["playht", "elevenlabs"]
    error(c.put("/providers/priorities/video", json={"providers": []}), 400, 40001)  # still refused
    status = doc["paths"]["/runs"]["get"]["parameters"]
    assert any(p["name"] == "status" and "enum" in str(p["schema"]) for p in status)


def test_405_names_every_method_of_the_path(api):
    c = signed_in(api)
    for path, allow in (("/keys", "GET, POST"), ("/files/abc", "DELETE, GET"), ("/workflows/import", "POST")):
        r = c.request("PATCH", path)
        assert r.status_code == 405 and r.headers["allow"] == allow, (path, r.headers.get("allow"))
        error(r, 405, 40001)


def test_an_unroutable_management_path_answers_with_the_envelope(api):
    r = httpx.get(f"{api.url}/api/v1/files/a%0Ab", headers=signed_in(api).headers, timeout=30)
    assert r.status_code == 404 and r.json() == {"code": 40401, "message": "Not found.", "data": None, "detail": None}


# each published workflow's document ------------------------------------------------------------------


def test_a_published_workflow_has_its_own_document_for_its_key(api):
    wf = api.publish(ECHO)
    key = api.key()
    r = httpx.get(doc_url(api, wf), headers={"X-API-KEY": key}, timeout=30)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["openapi"] == "3.1.0" and doc["info"]["title"].startswith("Echo")
    op = doc["paths"][f"/v1/api/workflow/run/{wf}"]["post"]
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["input"] and body["additionalProperties"] is False
    assert body["properties"]["version"]["maximum"] == 1
    fields = doc["components"]["schemas"]["Input"]
    assert fields["required"] == ["text"] and fields["additionalProperties"] is False
    assert fields["properties"]["text"]["maxLength"] == 50
    assert fields["properties"]["text"]["description"] == "What to echo"
    assert fields["properties"]["n"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert fields["properties"]["lang"]["default"] == "en"
    assert set(op["responses"]) == {"200", "202", "400", "401", "403", "404", "413", "422", "429", "500", "502"}
    assert set(op["responses"]["200"]["content"]) == {"application/json", "text/event-stream"}
    assert op["responses"]["404"]["content"]["application/json"]["schema"]["properties"]["code"]["enum"] == [40401]


def test_a_workflow_document_is_shown_only_to_a_key_that_may_run_it(api):
    wf = api.publish(ECHO)
    other_wf = api.publish(HELLO)
    draft, _ = api.platform.workflows.create(owner_id=api.owner_id, document=ECHO)
    stranger = api.platform.users.create(username="mallory", password="correct horse battery")
    foreign, _ = api.platform.workflows.create(owner_id=stranger.id, document=ECHO, publish=True)
    key = api.key()
    scoped = api.key(workflows=[other_wf])

    def get(workflow_id: str, secret: str | None) -> httpx.Response:
        return httpx.get(doc_url(api, workflow_id), headers={"X-API-KEY": secret} if secret else {}, timeout=30)

    for r, status, code in (
        (get(wf, None), 401, 40101),
        (get(wf, "fk_nope"), 401, 40101),
        (get(wf, scoped), 403, 40301),
        (get(draft.id, key), 404, 40401),
        (get(foreign.id, key), 404, 40401),
        (get("nope", key), 404, 40401),
    ):
        assert r.status_code == status and r.json()["code"] == code, r.text
        assert set(r.json()) == {"code", "message", "detail"}
    assert get(other_wf, scoped).status_code == 200


def test_a_version_written_as_1_0_is_an_integer_as_the_document_says(api):
    wf = api.publish(ECHO)
    key = api.key()

    def run(version: float) -> httpx.Response:
        body = {"input": {"text": "a"}, "version": version}
        return httpx.post(f"{api.url}/v1/api/workflow/run/{wf}", headers={"X-API-KEY": key}, json=body, timeout=30)

    r = run(1.0)
    assert r.status_code == 200 and r.json()["output"] == "a  en", r.text
    r = run(1.5)
    assert r.status_code == 400 and r.json()["code"] == 40001


def test_a_last_event_id_of_non_ascii_digits_is_a_400_not_a_500(api):
    """Found while documenting the events route: "²" passes str.isdigit() but not int()."""
    wf = api.publish(ECHO)
    key = api.key()
    run = httpx.post(f"{api.url}/v1/api/workflow/run/{wf}", headers={"X-API-KEY": key}, json={"input": {"text": "hi"}})
    run_id = run.headers["x-run-id"]
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(
            f"GET /v1/api/workflow/runs/{run_id}/events HTTP/1.1\r\nHost: x\r\nX-API-KEY: {key}\r\n".encode()
            + b"Last-Event-ID: \xb2\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer[:300]
    assert json.loads(body)["code"] == 40001
