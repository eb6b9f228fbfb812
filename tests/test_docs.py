"""The contract lives in the repository: docs/ is self-contained, its links resolve, the node
reference is what the node definitions generate, and nothing points outside the repository."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from flowai.docs import NODES_MD, render
from nodes import default_registry
from tests.proc import ROOT

DOCS = ["run-api.md", "management-api.md", "graph-format.md", "nodes.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_docs_holds_every_contract_and_the_readme_links_each():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in DOCS:
        assert (ROOT / "docs" / name).is_file(), name
        assert f"(docs/{name})" in readme, f"README does not link docs/{name}"


def test_every_relative_link_in_the_readme_and_docs_resolves():
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            path = target.split("#", 1)[0]
            assert (page.parent / path).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def test_nothing_in_the_repository_points_outside_it():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    outside = re.compile(r"\.\./shared|/work/shared|shared/DESIGN|DESIGN\.md|DESIGN §")
    for name in files:
        if not name.endswith((".py", ".md", ".toml", ".js", ".sh", ".txt")) or name == "tests/test_docs.py":
            continue
        text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
        hit = outside.search(text)
        assert hit is None, f"{name} points outside the repository: {hit.group(0)!r}"


def test_the_run_api_doc_keeps_the_exact_event_bytes():
    text = (ROOT / "docs" / "run-api.md").read_text(encoding="utf-8")
    for line in (
        'data: {"Node":"in","Msg":"start","Type":"start","Data":{"输入":"在吗?"}}',
        'data: {"Content":"在","Node":"llm","Reasoning":null}',
        'data: {"output":"在呢。","total_time":4.7587}',
        "| 429 | 42902 |",
        "X-FlowAI-Signature",
        "Idempotency-Key",
        "Last-Event-ID",
    ):
        assert line in text, line


def test_the_committed_node_reference_is_what_the_definitions_generate():
    assert NODES_MD.read_text(encoding="utf-8") == render(default_registry()), "run: python -m flowai.docs"
    check = subprocess.run([sys.executable, "-m", "flowai.docs", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_a_stale_reference_is_detected(tmp_path, monkeypatch):
    import flowai.docs

    stale = tmp_path / "nodes.md"
    stale.write_text(render(default_registry()).replace("大模型", "LLM"), encoding="utf-8")
    monkeypatch.setattr(flowai.docs, "NODES_MD", stale)
    assert flowai.docs.main(["--check"]) == 1


def test_the_graph_format_example_is_a_valid_document_and_the_one_the_validation_tests_use():
    from tests.graphs import compile_doc
    from tests.test_graph_validation import DESIGN_EXAMPLE

    text = (ROOT / "docs" / "graph-format.md").read_text(encoding="utf-8")
    block = text.split("```json\n", 1)[1].split("```", 1)[0]
    example = json.loads(block)
    assert example == DESIGN_EXAMPLE
    assert list(compile_doc(example).nodes) == ["in", "llm", "out"]
