"""The workflows list in a real browser: Create opens the new workflow's editor; the Blank
skeleton speaks the UI language; Import takes a dropped/chosen file or pasted JSON, lists the
problems in people's words, and gives a taken name a number."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from flowai.workflows.builder import Graph, field
from tests.browser import ServedApp, shot
from tests.editor_support import admin_id, workflows
from tests.pages_support import switch_language
from tests.ui_support import browser, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """``flowai serve --demo`` whose home (its database) the tests read."""
    home = tmp_path_factory.mktemp("home")
    app = ServedApp.start(home, "--demo")
    app.home = home
    try:
        yield app
    finally:
        app.stop()


def _listing(page, app) -> None:
    page.goto(app.url + "/")
    page.get_by_test_id("workflows").wait_for()


def _document(app, wf_id: str) -> dict:
    """Version 1 of a workflow, read from the served app's database."""
    wfs = workflows(app.home)
    try:
        return wfs.version(owner_id=admin_id(wfs), workflow_id=wf_id, number=1).document
    finally:
        wfs.db.dispose()


@pytest.mark.parametrize(
    ("language", "labels", "port"), [("English", ["Start", "End"], "input"), ("简体中文", ["开始", "结束"], "输入")]
)
def test_create_opens_the_editor_of_a_blank_in_the_ui_language(page, demo_app, language, labels, port):
    _listing(page, demo_app)
    if page.get_by_test_id("language").inner_text().strip() != language:
        switch_language(page, language)
        page.get_by_test_id("workflows").wait_for()
    page.get_by_test_id("new-workflow").click()
    page.get_by_test_id("new-name").fill(f"Blank in {language}")
    page.get_by_test_id("create-workflow").click()
    page.wait_for_url(re.compile(r".*/workflows/[0-9a-f]{32}$"))
    wf_id = page.url.rsplit("/", 1)[1]
    doc = _document(demo_app, wf_id)
    assert [n["label"] for n in doc["nodes"]] == labels
    assert doc["nodes"][0]["config"]["fields"][0]["name"] == port
    assert doc["nodes"][1]["config"]["value"] == f"{{{{in.{port}}}}}"
    if language != "English":
        switch_language(page, "English")
    assert not page.errors


def _paste(page, document) -> None:
    page.get_by_test_id("import-workflow").click()
    box = page.get_by_test_id("import-paste")
    box.wait_for()
    box.fill(document if isinstance(document, str) else json.dumps(document, ensure_ascii=False))
    page.get_by_test_id("import-paste-submit").click()


def test_import_by_pasting_gives_a_taken_name_a_number(page, demo_app):
    _listing(page, demo_app)
    doc = Graph("Twice imported").input(field("q")).output("{{in.q}}").edge("in", "out", "q", "value").doc
    for expected in ("Twice imported", "Twice imported (2)", "Twice imported (3)"):
        _paste(page, doc)
        expect(page.get_by_test_id("workflows").locator("tbody tr", has_text=expected)).to_have_count(1)
    names = page.get_by_test_id("workflows").locator("tbody tr a").all_inner_texts()
    assert len([n for n in names if n.startswith("Twice imported")]) == 3
    assert not page.errors


def test_import_dialog_offers_a_drop_zone_and_lists_problems_in_peoples_words(page, demo_app):
    _listing(page, demo_app)
    page.get_by_test_id("import-workflow").click()
    expect(page.get_by_text("Drop a .json file exported from FlowAI here")).to_be_visible()
    page.keyboard.press("Escape")
    bad = (
        Graph("Not wired")
        .input(field("question"), id="input_1", label="Question")
        .node("llm_1", "llm", "Writer", prompt="Reply to: {{input_1.question}}")
        .output("{{llm_1.text}}", label="Answer")
        .edge("llm_1", "out", "text", "value")
        .doc
    )
    _paste(page, bad)
    problems = page.get_by_test_id("import-problem")
    expect(problems.first).to_contain_text("“Writer”")
    text = " ".join(problems.all_inner_texts())
    assert "“Question”" in text and "“Prompt”" in text
    assert "config." not in text and "input_1" not in text and "llm_1" not in text
    shot(page, "pages-import-problems")
    page.keyboard.press("Escape")
    _paste(page, "{not json")
    expect(page.get_by_test_id("import-error")).to_contain_text("This is not valid JSON")
    assert page.get_by_test_id("workflows").locator("tbody tr", has_text="Not wired").count() == 0
    assert not page.errors
