"""What the pages stand on, without a browser: rename/duplicate, starter documents, run history
and the code snippets (run for real against a served workflow)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from flowai.demo import HELLO
from flowai.errors import InputError, NotFoundError
from flowai.runs.history import RunHistory, run_cost
from flowai.workflows.starters import blank, from_template, template_names
from storage import queries
from storage.db import session
from tests.conftest import start_api
from ui import snippets


@pytest.fixture
def owner(platform):
    return platform.users.create(username="owner", password="owner-password").id


def test_rename_changes_name_and_draft_but_makes_no_version(platform, owner):
    wf, _ = platform.workflows.create(owner_id=owner, document=HELLO, publish=True)
    renamed = platform.workflows.rename(owner_id=owner, workflow_id=wf.id, name="  Renamed 你好  ")
    assert renamed.name == "Renamed 你好" and renamed.latest_version == 1 and renamed.published_version == 1
    assert platform.workflows.export(owner_id=owner, workflow_id=wf.id)["name"] == "Renamed 你好"
    with pytest.raises(InputError):
        platform.workflows.rename(owner_id=owner, workflow_id=wf.id, name="   ")
    other = platform.users.create(username="other", password="other-password").id
    with pytest.raises(NotFoundError):
        platform.workflows.rename(owner_id=other, workflow_id=wf.id, name="mine now")


def test_duplicate_is_a_new_unpublished_workflow(platform, owner):
    wf, _ = platform.workflows.create(owner_id=owner, document=HELLO, publish=True)
    copy = platform.workflows.duplicate(owner_id=owner, workflow_id=wf.id)
    assert copy.id != wf.id and copy.name == "Hello (demo) (copy)"
    assert copy.latest_version == 1 and copy.published_version is None
    original, duplicate = (platform.workflows.export(owner_id=owner, workflow_id=i) for i in (wf.id, copy.id))
    assert {**duplicate, "name": original["name"]} == original


def test_starters_are_valid_workflows(platform):
    for document in [blank("B"), *(from_template(name, "T") for name in template_names())]:
        platform.workflows.validate(document)
    assert "LLM chat" in template_names()
    assert from_template("LLM chat", "Mine")["name"] == "Mine"
    assert from_template("LLM chat", "x") is not from_template("LLM chat", "x")  # copies, never the original


def _run(s, run_id: str, owner: int, wf_id: str, **values) -> None:
    queries.insert_runs(
        s,
        runs=[{"id": run_id, "workflow_id": wf_id, "version": 1, "owner_id": owner, "input": {"输入": "hi"}, **values}],
    )


def test_history_filters_and_traces(platform, owner):
    wf, _ = platform.workflows.create(owner_id=owner, document=HELLO)
    usage = {"reply": {"provider": "p", "cost": 0.25}, "other": {"provider": "q", "cost": 0.5}, "x": {}}
    with session(platform.db) as s:
        _run(s, "a" * 32, owner, wf.id, source="api", status="completed", usage=usage)
        _run(s, "b" * 32, owner, wf.id, source="batch", status="failed")
        _run(s, "c" * 32, owner + 1, wf.id, source="api", status="completed")
        queries.store_run_nodes(
            s,
            rows=[
                {
                    "run_id": "a" * 32,
                    "node_id": "in",
                    "type": "input",
                    "status": "completed",
                    "time_spend": 0.001,
                    "outputs": {"输入": "hi"},
                    "usage": None,
                    "error": None,
                    "started_at": None,
                },
                {
                    "run_id": "a" * 32,
                    "node_id": "reply",
                    "type": "template",
                    "status": "completed",
                    "time_spend": 0.002,
                    "outputs": {"text": "在呢"},
                    "usage": usage["reply"],
                    "error": None,
                    "started_at": None,
                },
            ],
            new_runs={"a" * 32},
        )
        s.commit()
    history = RunHistory(platform.db)
    assert history.page(owner_id=owner)[1] == 2
    assert [r.id for r in history.page(owner_id=owner, source="batch")[0]] == ["b" * 32]
    assert history.page(owner_id=owner, status="completed", source="batch")[1] == 0
    assert run_cost(usage) == 0.75 and run_cost(None) is None and run_cost({"n": {"cost": None}}) is None

    trace = history.trace(owner_id=owner, run_id="a" * 32, graph=platform.workflows.compiled(wf.id, 1))
    assert [n.node_id for n in trace.nodes] == ["in", "reply", "out"]
    assert trace.nodes[0].types == {"输入": "text"}
    assert trace.nodes[1].outputs == {"text": "在呢"} and trace.nodes[1].usage["provider"] == "p"
    assert trace.nodes[2].status == "skipped"  # no row: it never ran (the run row says completed)
    assert trace.nodes[2].inputs == {}  # it received nothing
    assert trace.nodes[1].inputs == {}  # the template takes no edge value (it has an ordering edge only)
    with pytest.raises(NotFoundError):
        history.trace(owner_id=owner, run_id="c" * 32)  # another account's run


def test_snippets_run_as_written(settings):
    server, api = start_api(settings)
    with server:
        wf_id = api.publish(HELLO)
        key = api.key()
        fields = api.platform.workflows.compiled(wf_id, 1).input_node.config.fields
        run_input = {**snippets.sample_input(fields), "输入": 'it\'s "quoted" $HOME `x`'}
        expected = '在呢。你说的是：it\'s "quoted" $HOME `x`'
        curl = snippets.curl(server.url, wf_id, run_input, key)
        out = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=30)
        assert json.loads(out.stdout)["output"] == expected
        code = snippets.python(server.url, wf_id, run_input, key)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
        assert out.stdout.strip() == expected
    assert snippets.KEY_PLACEHOLDER in snippets.curl("http://h", "id", {}, None)
    assert snippets.sample_input(fields) == {"输入": "在吗?"}
