"""Text with a NUL character, on PostgreSQL (whose text columns cannot hold one): refused with the
documented 400 / 40001 at the door, never a 500 after half the work; a run's input field
refuses one by name."""

from __future__ import annotations

import copy

import httpx
import pytest

from flowai.demo import HELLO
from flowai.settings import Settings
from tests.manage_client import data, error, signed_in
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(tmp_path):
    with fresh_database() as url:
        yield Settings(home=tmp_path, database_url=url, secret_key="test-secret", disconnect_grace=0.0, env={})


def named(**changes) -> dict:
    doc = copy.deepcopy(HELLO)
    doc.update(changes)
    return doc


def test_nul_in_names_and_labels_is_a_clear_400(api):
    c = signed_in(api)
    error(c.post("/workflows", json={"document": named(name="a\x00b")}), 400, 40001)
    error(c.post("/workflows", json={"document": named(description="x\x00")}), 400, 40001)
    labelled = named()
    labelled["nodes"][0]["label"] = "开\x00始"
    error(c.post("/workflows", json={"document": labelled}), 400, 40001)
    error(c.post("/keys", json={"name": "k\x00"}), 400, 40001)
    wf = data(c.post("/workflows", json={"document": HELLO}), 201)["id"]
    error(c.put(f"/workflows/{wf}", json={"document": HELLO, "message": "m\x00", "base_version": 1}), 400, 40001)
    error(c.post("/runs", json={"workflow_id": wf, "input": {"输入": "x"}, "name": "r\x00"}), 400, 40001)
    assert data(c.get(f"/workflows/{wf}"))["name"] == HELLO["name"]  # nothing half-written


def test_nul_in_a_run_input_is_refused_naming_the_field(api):
    wf, key = api.publish(HELLO), api.key(rate_limit=0)
    r = httpx.post(
        f"{api.url}/v1/api/workflow/run/{wf}", headers={"X-API-KEY": key}, json={"input": {"输入": "a\x00b"}}
    )
    assert r.status_code == 400 and r.json()["code"] == 40001 and "输入" in r.json()["message"]
