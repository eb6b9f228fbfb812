"""The runs pages for editor (draft) runs, in a real browser: node labels (not ids), the values
that reached each node, execution order (not alphabetical); rows open their run, a run links to
its workflow; a failed or stopped LLM call names its provider and model."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.sync_api import expect

from flowai.workflows.builder import Graph, field
from tests.browser import ServedApp, chromium, new_page, shot, sign_in, signed_in_page
from tests.conftest import ThreadServer
from tests.fakes.openai_server import API_KEY, FakeOpenAI
from tests.pages_support import draft_run, served_platform
from tests.ui_support import demo_ids

pytestmark = pytest.mark.browser


def draft(model: str) -> dict:
    """Ids sort the other way round from the order the nodes run in."""
    return (
        Graph("Draft flow")
        .input(field("question", required=True), id="z_in", label="Question")
        .template("m_shape", "Q: {{z_in.question}}", label="Shape")
        .node("b_llm", "llm", "Writer", provider="openai", model=model, prompt="")
        .output("{{b_llm.text}}", id="a_out", label="Answer")
        .edge("z_in", "m_shape")
        .edge("m_shape", "b_llm", "text", "prompt")
        .edge("b_llm", "a_out")
        .doc
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    fake = FakeOpenAI()
    with ThreadServer(fake.app) as llm:
        env = {"OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": f"{llm.url}/v1"}
        home = tmp_path_factory.mktemp("home")
        app = ServedApp.start(home, "--demo", env=env)
        platform = served_platform(home, env)
        wf = demo_ids(app)["LLM chat"]

        async def runs() -> dict[str, str]:
            return {
                "ok": await draft_run(platform, wf, draft("echo"), {"question": "why?"}),
                "failed": await draft_run(platform, wf, draft("error-500"), {"question": "why?"}),
                "stopped": await draft_run(platform, wf, draft("slow-30"), {"question": "why?"}, cancel_after=1.0),
            }

        app.runs = asyncio.run(runs())
        app.workflow = wf
        platform.db.dispose()
        try:
            yield app
        finally:
            app.stop()


@pytest.fixture(scope="module")
def page(served):
    with signed_in_page(served) as p:
        yield p


def test_a_draft_run_shows_labels_inputs_and_the_order_it_ran_in(page, served):
    page.goto(f"{served.url}/runs/{served.runs['ok']}")
    expect(page.get_by_test_id("run-status")).to_have_text("completed")
    expect(page.get_by_test_id("run-version")).to_have_text("draft")
    cards = page.locator('[data-testid^="node-"]:not([data-testid^="node-error"]):not([data-testid^="node-outputs"])')
    assert [c.get_attribute("data-testid") for c in cards.all()] == [
        "node-z_in",
        "node-m_shape",
        "node-b_llm",
        "node-a_out",
    ]
    expect(page.get_by_test_id("node-m_shape")).to_contain_text("Shape")
    expect(page.get_by_test_id("node-b_llm")).to_contain_text("Writer")
    # what reached the LLM: the rendered template, on its prompt port
    writer = page.get_by_test_id("node-b_llm")
    expect(writer).to_contain_text("Inputs")
    expect(writer).to_contain_text("Q: why?")
    shot(page, "pages-draft-run")
    assert not page.errors


@pytest.mark.parametrize("which", ["failed", "stopped"])
def test_a_failed_or_stopped_llm_call_names_provider_and_model(page, served, which):
    page.goto(f"{served.url}/runs/{served.runs[which]}")
    expect(page.get_by_test_id("run-status")).to_have_text("failed" if which == "failed" else "cancelled")
    writer = page.get_by_test_id("node-b_llm")
    expect(writer).to_contain_text("Provider: openai")
    expect(writer).to_contain_text("Model: " + ("error-500" if which == "failed" else "slow-30"))
    assert not page.errors


def test_a_row_opens_its_run_and_the_run_links_to_its_workflow(page, served):
    page.goto(f"{served.url}/runs")
    row = page.get_by_test_id("runs").locator("tbody tr").first
    row.locator("td").nth(4).click()  # the start time: not a link, the row itself
    page.wait_for_url(re.compile(r".*/runs/[0-9a-f]{32}$"))
    link = page.get_by_test_id("run-workflow")
    expect(link).to_have_text("LLM chat")
    assert link.get_attribute("href") == f"/workflows/{served.workflow}"
    assert not page.errors
