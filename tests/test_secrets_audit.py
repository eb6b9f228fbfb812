"""Secret-handling audit (docs/management-api.md security baseline): after keys are made and workflows run
(JSON, SSE, a failed provider call, refused requests carrying keys where keys do not belong), no
API-key secret, provider key or server secret appears in the database file, its WAL, the logs or
any answer; key listings show prefixes, never secrets."""

from __future__ import annotations

import copy
import logging
import threading
import time

import httpx
import pytest
from sqlmodel import select

from flowai.demo import HELLO, LLM_CHAT
from storage.db import session
from storage.models import ApiKey, Run
from tests.fakes.flaky_openai import flaky  # noqa: F401  (fixture)
from tests.manage_client import data, signed_in
from tests.wait import wait_until

RUN = "/v1/api/workflow/run/"
FIELD = "输入"
PROVIDER_KEY = "sk-test"  # the api_with_openai fixture's OPENAI_API_KEY
SERVER_SECRET = "test-secret"  # the settings fixture's secret_key


def _llm(model: str) -> dict:
    doc = copy.deepcopy(LLM_CHAT)
    doc["nodes"][1]["config"]["model"] = model
    return doc


def _wait_recorded(api, run_ids: list[str], timeout: float = 10.0) -> None:
    def finished():
        with session(api.platform.db) as s:
            runs = [s.get(Run, rid) for rid in run_ids]
        return all(r is not None and r.status != "running" for r in runs)

    wait_until(finished, timeout, message="runs were not recorded in time")


def _database_bytes(api) -> bytes:
    home = api.platform.settings.home
    data = b""
    for name in ("flowai.db", "flowai.db-wal", "flowai.db-journal"):
        path = home / name
        if path.exists():
            data += path.read_bytes()
    assert data, "no database file found"
    return data


def _needles(secret: str) -> list[bytes]:
    """The secret, and its part after the visible prefix (``fai_<prefix>_<secret part>``)."""
    tail = secret.rsplit("_", 1)[-1]
    return [secret.encode(), tail.encode()]


def _server_logs(caplog) -> bytes:
    """Everything the server logged (it runs in its own thread); this test's own HTTP client logs
    its request URLs from the test's thread, including the query-string key it sends on purpose."""
    me = threading.get_ident()
    fmt = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(fmt.format(r) for r in caplog.records if r.thread != me).encode()


def test_no_secret_in_database_logs_or_answers(api_with_openai, caplog):
    caplog.set_level(logging.DEBUG)
    api = api_with_openai
    hello, echo, failing = api.publish(HELLO), api.publish(_llm("echo")), api.publish(_llm("error-500"))
    secrets = [api.key(), api.key(rate_limit=1), api.key(workflows=[hello])]
    answers: list[httpx.Response] = []
    run_ids: list[str] = []
    with httpx.Client(base_url=api.url, timeout=30) as client:

        def post(wf, body, key, **kw):
            r = client.post(RUN + wf, json=body, headers={"X-API-KEY": key} if key else {}, **kw)
            answers.append(r)
            if "x-run-id" in r.headers:
                run_ids.append(r.headers["x-run-id"])
            return r

        assert post(hello, {"input": {FIELD: "hi"}}, secrets[0]).status_code == 200
        assert post(hello, {"input": {FIELD: "hi"}, "stream": True, "detail": True}, secrets[0]).status_code == 200
        assert post(echo, {"input": {FIELD: "echo me"}, "detail": True}, secrets[0]).status_code == 200
        assert post(echo, {"input": {FIELD: "echo me"}, "stream": True}, secrets[0]).status_code == 200
        assert post(failing, {"input": {FIELD: "x"}}, secrets[0]).status_code == 502
        assert post(failing, {"input": {FIELD: "x"}, "stream": True}, secrets[0]).status_code == 200
        assert post(hello, {"input": {FIELD: "x"}}, secrets[1]).status_code == 200
        assert post(hello, {"input": {FIELD: "x"}}, secrets[1]).status_code == 429
        assert post(echo, {"input": {FIELD: "x"}}, secrets[2]).status_code == 403
        # keys where they do not belong: refused, and not echoed or logged either
        assert post(hello, {"input": {FIELD: "x"}}, None, params={"x-api-key": secrets[0]}).status_code == 401
        assert post(hello, {"input": {FIELD: secrets[0]}, "x-api-key": secrets[0]}, None).status_code == 401
        assert post(hello, {"input": {FIELD: "x"}}, secrets[0] + "x").status_code == 401
        assert post(hello, {"input": {FIELD: "x"}}, PROVIDER_KEY).status_code == 401
        # the events replay answers no secret either
        replay = client.get(f"/v1/api/workflow/runs/{run_ids[0]}/events", headers={"X-API-KEY": secrets[0]})
        answers.append(replay)
    _wait_recorded(api, run_ids)

    listed = [k.prefix for k in api.platform.keys.list(owner_id=api.owner_id)]
    assert all(secret.startswith(prefix + "_") for secret, prefix in zip(secrets, listed))
    with session(api.platform.db) as s:
        stored = [k.key_hash for k in s.exec(select(ApiKey)).all()]
    assert all(len(h) == 64 for h in stored)  # HMAC-SHA256 hex digests, not secrets

    db = _database_bytes(api)
    logs = _server_logs(caplog)
    assert b"echo me" in db, "positive control: the recorded runs are in the bytes read"
    assert b"/chat/completions" in logs, "positive control: the server's provider calls were logged"
    for secret in secrets:
        for needle in _needles(secret):
            assert needle not in db, "an API key secret is stored in the database"
            assert needle not in logs, "an API key secret is in the logs"
            for r in answers:
                assert needle not in r.content, f"an API key secret is in an answer: {r.text[:300]}"
    for needle in (PROVIDER_KEY.encode(), SERVER_SECRET.encode()):
        assert needle not in db, f"{needle!r} is stored in the database"
        assert needle not in logs, f"{needle!r} is in the logs"
        for r in answers:
            assert needle not in r.content, f"{needle!r} is in an answer: {r.text[:300]}"


def test_key_listings_never_show_secrets(api, caplog):
    caplog.set_level(logging.DEBUG)
    cli_secret = api.key()
    client = signed_in(api)  # a key created through the management API too
    created = data(client.post("/keys", json={"name": "audit via API", "rate_limit": 0}), 201)
    api_secret = created["key"]
    assert api_secret.startswith(created["prefix"] + "_")
    wf = api.publish(HELLO)
    for secret in (cli_secret, api_secret):
        r = httpx.post(api.url + RUN + wf, json={"input": {FIELD: "x"}}, headers={"X-API-KEY": secret}, timeout=30)
        assert r.status_code == 200
    _wait_recorded(api, [r.headers["x-run-id"]])
    time.sleep(0.2)
    pages = [client.get("/keys"), client.get("/keys", params={"page": 1, "page_size": 200})]
    key_id = created["id"]
    pages.append(client.delete(f"/keys/{key_id}"))
    pages.append(client.get("/keys"))
    for page in pages:
        assert page.status_code == 200, page.text
        for secret in (cli_secret, api_secret):
            for needle in _needles(secret):
                assert needle not in page.content, f"a key listing shows a secret: {page.text[:300]}"
        with session(api.platform.db) as s:
            for key_hash in (k.key_hash for k in s.exec(select(ApiKey)).all()):
                assert key_hash.encode() not in page.content, "a key listing shows the stored hash"
    items = pages[0].json()["data"]["items"]
    assert {item["prefix"] for item in items} >= {created["prefix"]}
    db, logs = _database_bytes(api), _server_logs(caplog)
    for secret in (cli_secret, api_secret):
        for needle in _needles(secret):
            assert needle not in db and needle not in logs


def test_provider_credentials_entered_in_the_ui_are_only_stored_encrypted(flaky, settings, caplog):  # noqa: F811
    """A provider key entered through the management API (as the providers page does) is used for
    calls, yet never appears in the database bytes, the logs, any answer, an export or a run record."""
    from dataclasses import replace

    from tests.manage_client import data, signed_in
    from tests.router_kit import llm_doc, run, run_stream, serving

    caplog.set_level(logging.DEBUG)
    ui_key = "sk-ui-entered-SECRET-55501234"
    fake = flaky(api_key=ui_key)
    with serving(replace(settings, env={"GROQ_BASE_URL": fake.url})) as api:
        admin = signed_in(api)
        answers = [
            admin.put("/providers/groq/credentials", json={"api_key": ui_key}),
            admin.get("/providers"),
            admin.post("/providers/groq/test"),
        ]
        assert data(answers[-1])["ok"] is True
        wf = api.publish(llm_doc(provider="groq"))
        r = run(api, wf, detail=True)
        assert r.status_code == 200 and r.json()["usage"]
        answers.append(r)
        events = run_stream(api, wf)
        assert events[-1][0] == "output"
        answers += [
            admin.get(f"/workflows/{wf}/export"),
            admin.get("/runs"),
            admin.get(f"/runs/{r.headers['x-run-id']}"),
        ]
        _wait_recorded(api, [r.headers["x-run-id"]])
        db, logs = _database_bytes(api), _server_logs(caplog)
        assert b"Route me" in db, "positive control: the recorded runs are in the bytes read"
        needles = [ui_key.encode(), ui_key[3:].encode(), b"SECRET-55501234"]
        for needle in needles:
            assert needle not in db, "a provider key is stored in clear"
            assert needle not in logs, "a provider key is in the logs"
            assert needle not in str(events).encode()
            for a in answers:
                assert needle not in a.content, f"a provider key is in an answer: {a.text[:300]}"
