"""The API page's snippets, run as written against a served FlowAI whose LLM streams deltas: the
Python ones use ``flowai.client``; the JavaScript stream writes deltas on one line (not one a line)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace

import pytest

from tests.conftest import start_api
from tests.proc import ROOT
from tests.test_background_runs import llm_chain
from ui import snippets

TEXT = "t0 t1 t2 t3 t4 t5 "  # what drip-6-20 streams, six deltas


@pytest.fixture
def call(settings, fake_openai):
    env = {"OPENAI_API_KEY": fake_openai.api_key, "OPENAI_BASE_URL": fake_openai.url}
    server, api = start_api(replace(settings, env=env))
    with server:
        yield api.url, api.publish(llm_chain("drip-6-20")), api.key()


def run(command: list[str], tmp_path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_python_snippets_use_the_client(call, tmp_path):
    base, wf, key = call
    standard = snippets.python(base, wf, {"输入": "x"}, key)
    assert "from flowai.client import FlowAI" in standard and "httpx" not in standard.split("\n", 1)[1]
    assert run([sys.executable, "-c", standard], tmp_path).strip() == TEXT.strip()
    streamed = run([sys.executable, "-c", snippets.python(base, wf, {"输入": "x"}, key, stream=True)], tmp_path)
    first, last = streamed.splitlines()
    assert first == TEXT and json.loads(last)["output"] == TEXT


@pytest.mark.skipif(not shutil.which("node"), reason="needs node")
def test_javascript_stream_writes_the_deltas_on_one_line(call, tmp_path):
    base, wf, key = call
    script = tmp_path / "call.mjs"
    script.write_text(snippets.javascript(base, wf, {"输入": "x"}, key, stream=True), encoding="utf-8")
    first, last = run(["node", str(script)], tmp_path).splitlines()
    assert first == TEXT and json.loads(last)["output"] == TEXT
