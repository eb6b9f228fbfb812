"""The API page's plain-``requests`` Python snippets, run as written against a served FlowAI whose
LLM streams deltas (most Python users have requests, not httpx)."""

from __future__ import annotations

import json
import sys

from tests.test_snippets import TEXT, call, run  # noqa: F401  (the fixture)
from ui import snippets


def test_requests_snippets_run_as_written(call, tmp_path):  # noqa: F811
    base, wf, key = call
    standard = snippets.python_requests(base, wf, {"输入": "x"}, key)
    assert "import requests" in standard and "flowai" not in standard and "httpx" not in standard
    assert run([sys.executable, "-c", standard], tmp_path).strip() == TEXT.strip()
    streamed = run(
        [sys.executable, "-c", snippets.python_requests(base, wf, {"输入": "x"}, key, stream=True)], tmp_path
    )
    first, last = streamed.splitlines()
    assert first == TEXT and json.loads(last)["output"] == TEXT


def test_a_requests_snippet_says_why_a_call_failed(call, tmp_path):  # noqa: F811
    base, wf, _ = call
    script = snippets.python_requests(base, wf, {"输入": "x"}, "fai_not-a-key")
    import subprocess

    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode != 0 and proc.stderr.strip() and "Traceback" not in proc.stderr
