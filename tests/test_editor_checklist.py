"""The checklist before publishing in a real Chromium (issue 11, defect 4): an LLM with no prompt,
an output with no value, a disconnected chain of 32 nodes and an LLM when no text provider is
configured are each flagged on the node and in the problem list (never "No problems"); publish
refuses the errors and lists the warnings before confirming. In English and 中文."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from flowai.workflows.builder import Graph, field
from flowai.workflows.examples import HELLO
from tests.browser import ServedApp, admin_page, chromium, new_page, shot, sign_in
from tests.editor_support import admin_id, make_workflow, node, open_editor, workflows
from tests.pages_support import switch_language

pytestmark = pytest.mark.browser
CHAIN = [f"t{i}" for i in range(32)]


def with_chain(graph: Graph) -> dict:
    for k, nid in enumerate(CHAIN):
        graph = graph.template(nid, f"step {k}", f"Step {k}", at=((k % 8) * 260, 300 + (k // 8) * 160))
    return graph.chain(*CHAIN).doc


def defect_4() -> dict:
    """input -> LLM (no prompt) -> output (no value), and 32 templates chained on their own."""
    return with_chain(
        Graph("Defect 4", "")
        .input(field("q", required=True), label="Start", at=(0, 0))
        .node("llm", "llm", "Writer", at=(300, 0), prompt="")
        .output("", label="End", at=(600, 0))
        .edge("in", "llm")
        .edge("llm", "out")
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("checklist")
    app = ServedApp.start(home)  # no provider key: no text provider is configured
    app.home = home
    try:
        with chromium() as browser:
            app.browser = browser
            yield app
    finally:
        app.stop()


@pytest.fixture
def page(served):
    page = admin_page(served.browser, served)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    yield page
    assert errors == []
    page.context.close()


def test_each_case_of_defect_4_is_flagged_and_publish_refuses(served, page):
    wf_id = make_workflow(served.home, defect_4())
    open_editor(page, served, wf_id)
    expect(page.get_by_test_id("issue-count")).to_have_text("3 problems")
    expect(page.get_by_test_id("warning-count")).to_have_text("32 warnings")

    # on the nodes: the LLM (no prompt, no text provider), the output (no value), each chained node
    llm = node(page, "llm")
    expect(llm).to_have_attribute("data-invalid", "true")
    expect(llm.locator('[data-role="badge"]')).to_have_text("2")
    expect(llm.locator('[data-role="issue"]')).to_have_text(
        ["“Prompt” is empty: type it, or wire a node into it.", "No text provider is configured."]
    )
    expect(node(page, "out").locator('[data-role="issue"]')).to_have_text(
        "“Value” is empty: type it, or wire a node into it."
    )
    for nid in (CHAIN[0], CHAIN[31]):
        expect(node(page, nid)).to_have_attribute("data-warned", "true")
        expect(node(page, nid).locator('[data-role="warning"]')).to_contain_text("Not reached from the input")
    expect(node(page, "in")).to_have_attribute("data-invalid", "false")
    expect(node(page, "in")).to_have_attribute("data-warned", "false")

    # in the list: errors (one linking to Providers), then the warnings
    problems = page.get_by_test_id("problem")
    expect(problems.and_(page.locator('[data-level="error"]'))).to_have_count(3)
    expect(problems.and_(page.locator('[data-level="warning"]'))).to_have_count(32)
    expect(problems.filter(has_text="Writer: No text provider is configured.")).to_have_count(1)
    link = page.get_by_test_id("problem-link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "/providers")
    expect(link).to_have_text("Set up on Providers")
    shot(page, "editor-checklist-en")

    # a click on a problem shows its node
    problems.filter(has_text="End: “Value” is empty").click()
    expect(page.get_by_test_id("node-id")).to_have_text("ID: out")
    page.get_by_test_id("field-value").fill("{{llm.text}}")
    expect(page.get_by_test_id("issue-count")).to_have_text("2 problems")
    expect(node(page, "out")).to_have_attribute("data-invalid", "false")

    # publish refuses, naming what to fix; nothing is published
    page.get_by_test_id("publish").click()
    refused = page.get_by_test_id("publish-refused")
    expect(refused).to_contain_text("Not published: 2 problems to fix")
    expect(refused).to_contain_text("Writer: “Prompt” is empty")
    expect(refused).to_contain_text("Writer: No text provider is configured.")
    shot(page, "editor-checklist-refused-en")
    page.get_by_test_id("publish-refused-close").click()
    expect(page.get_by_test_id("publish-dialog")).to_have_count(0)
    wfs = workflows(served.home)
    assert wfs.get(owner_id=admin_id(wfs), workflow_id=wf_id).published_version is None
    wfs.db.dispose()

    # 中文: the same problems in Chinese
    switch_language(page, "简体中文")
    open_editor(page, served, wf_id)
    # the edit made above was kept as the draft (autosave) and comes back with the page
    expect(page.get_by_test_id("recovered-message")).to_be_visible()
    expect(page.get_by_test_id("issue-count")).to_have_text("2 个问题")
    expect(page.get_by_test_id("warning-count")).to_have_text("32 条警告")
    expect(node(page, "llm").locator('[data-role="issue"]')).to_have_text(
        ["“提示词”为空：请填写，或从其他节点连线到这里。", "没有配置任何文本供应商。"]
    )
    expect(page.get_by_test_id("problem-link")).to_have_text("去“供应商”页配置")
    shot(page, "editor-checklist-zh")
    switch_language(page, "English")


def test_warnings_are_shown_before_confirming_a_publish(served, page):
    chained = with_chain(Graph("Hello and a chain", ""))  # the demo (no provider needed) and the chain
    doc = {**HELLO, "name": chained["name"], "nodes": HELLO["nodes"] + chained["nodes"]}
    doc["edges"] = HELLO["edges"] + chained["edges"]
    wf_id = make_workflow(served.home, doc)
    open_editor(page, served, wf_id)
    expect(page.get_by_test_id("issue-count")).to_have_text("No problems")
    expect(page.get_by_test_id("warning-count")).to_have_text("32 warnings")
    page.get_by_test_id("publish").click()
    warnings = page.get_by_test_id("publish-warnings")
    expect(warnings).to_contain_text("Publish anyway? The checklist warns:")
    expect(warnings).to_contain_text("Step 0: Not reached from the input")
    expect(warnings).to_contain_text("(+20)")  # 12 shown of 32
    shot(page, "editor-checklist-warnings-en")
    page.get_by_test_id("publish-confirm").click()
    expect(page.get_by_test_id("published-dialog")).to_be_visible()
    wfs = workflows(served.home)
    assert wfs.get(owner_id=admin_id(wfs), workflow_id=wf_id).published_version == 1
    wfs.db.dispose()
