"""Dependencies point one way: ui -> flowai -> nodes / storage. Read from the imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import httpx

from flowai.demo import HELLO
from tests.conftest import free_port
from tests.proc import Served, flowai

ROOT = Path(__file__).resolve().parent.parent


def imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_core_never_imports_the_ui():
    for path, names in imports("flowai").items():
        if path == "flowai/cli.py":  # the entry point composes the UI for `flowai serve`
            continue
        assert not names & {"ui", "nicegui"}, path


def test_nodes_and_storage_stay_below_the_core():
    for path, names in imports("nodes").items():
        assert not names & {"ui", "nicegui", "storage"}, path
    for path, names in imports("storage").items():
        assert not names & {"ui", "nicegui", "flowai", "nodes"}, path


def test_api_tier_runs_without_nicegui(tmp_path):
    code = "import sys, flowai.api.app, flowai.cli; assert 'nicegui' not in sys.modules, 'nicegui imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    path = tmp_path / "wf.json"
    path.write_text(__import__("json").dumps(HELLO))
    wf_id = flowai(tmp_path, "workflow", "import", str(path), "--publish").stdout.split()[-1]
    key = flowai(tmp_path, "key", "create", "--name", "k").stdout.split()[-1]
    api = Served(tmp_path, "api", port=free_port())
    try:
        api.wait_ready(path="/v1/api/nothing")
        r = httpx.post(
            f"{api.url}/v1/api/workflow/run/{wf_id}", headers={"X-API-KEY": key}, content='{"input":{"输入":"hi"}}'
        )
        assert r.json()["output"] == "在呢。你说的是：hi"
        assert httpx.get(api.url + "/login").status_code == 404  # no UI in the API tier
    finally:
        api.stop()
