"""The ``flowai`` command: its ``main()`` in-process with the environment, cwd and stdio a user's shell
gives it, and once as its own process (``python -m flowai.cli``) the way a user runs it."""

from __future__ import annotations

import json

from flowai.demo import HELLO, PARALLEL
from tests.proc import flowai, flowai_process
from tests.sse import parse


def _import(tmp_path, doc, *flags) -> str:
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return flowai(tmp_path, "workflow", "import", str(path), *flags).stdout.strip().splitlines()[-1]


def test_import_export_publish_run(tmp_path):
    wf_id = _import(tmp_path, HELLO)
    assert len(wf_id) == 32
    exported = json.loads(flowai(tmp_path, "workflow", "export", wf_id, "--version", "1").stdout)
    assert exported["format"] == "flowai/1" and exported["nodes"][0]["label"] == "开始"
    assert "--" not in flowai(tmp_path, "workflow", "publish", wf_id).stdout
    run = flowai(tmp_path, "run", wf_id, "--input", '{"输入":"在吗?"}')
    body = json.loads(run.stdout)
    assert body["output"] == "在呢。你说的是：在吗?" and body["total_time"] >= 0


def test_run_stream_prints_the_sse_sequence(tmp_path):
    wf_id = _import(tmp_path, PARALLEL, "--publish")
    out = flowai(tmp_path, "run", wf_id, "--input", '{"输入":"hi"}', "--stream").stdout
    frames = parse(out)
    assert frames[0].json["Type"] == "start" and frames[-1].event == "output"
    assert frames[-1].json["output"] == "Hello, friend! You said: hi"


def test_key_create_prints_the_secret_last(tmp_path):
    wf_id = _import(tmp_path, HELLO, "--publish")
    out = flowai(tmp_path, "key", "create", "--name", "ci", "--rate-limit", "0", "--workflows", wf_id).stdout
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("fai_") and "unlimited" in out
    bad = flowai(tmp_path, "key", "create", "--name", "x", "--workflows", "nope", check=False)
    assert bad.returncode == 2 and "not found" in bad.stderr


def test_user_create_and_errors(tmp_path):
    assert (
        "admin" in flowai(tmp_path, "user", "create", "--username", "ann", "--password", "longenough", "--admin").stdout
    )
    dup = flowai(tmp_path, "user", "create", "--username", "ann", "--password", "longenough", check=False)
    assert dup.returncode == 2 and "already exists" in dup.stderr


def test_invalid_workflow_file_lists_every_problem(tmp_path):
    bad = {
        "format": "flowai/1",
        "nodes": [{"id": "a", "type": "nope"}, {"id": "o", "type": "output"}],
        "edges": [{"source": "o", "target": "b"}],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    proc = flowai(tmp_path, "workflow", "import", str(path), check=False)
    assert proc.returncode == 2
    assert "unknown type 'nope'" in proc.stderr and "missing node 'b'" in proc.stderr
    assert "no input node" in proc.stderr and "Traceback" not in proc.stderr
    assert "no output node" not in proc.stderr
    missing = flowai(tmp_path, "workflow", "import", str(tmp_path / "absent.json"), check=False)
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_run_with_bad_input_is_a_clear_error(tmp_path):
    wf_id = _import(tmp_path, HELLO, "--publish")
    proc = flowai_process(tmp_path, "run", wf_id, "--input", '{"输入": 5}', check=False)
    assert proc.returncode == 2 and "expected a string" in proc.stderr
