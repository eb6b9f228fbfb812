"""The Test run tab's form in a real Chromium (issue 11): Run with an empty required field, or a
value the field does not take, marks that field inline (Quasar's error state with the reason, in
the UI's language), puts the cursor in it, and starts no run: no toast, no request to the provider."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import ServedApp, chromium, new_page, shot, sign_in
from tests.conftest import ThreadServer
from tests.editor_support import (
    editor_tab,
    fake_openai_server,
    make_workflow,
    node,
    open_editor,
    openai_env,
    served_editor,
)
from tests.fakes.openai_server import FakeOpenAI
from tests.pages_support import switch_language

pytestmark = pytest.mark.browser

DOC = {
    "format": "flowai/1",
    "name": "Inline errors",
    "nodes": [
        {
            "id": "in",
            "type": "input",
            "position": {"x": 0, "y": 0},
            "config": {
                "fields": [
                    {"name": "topic", "type": "string", "required": True},
                    {"name": "count", "type": "number"},
                    {"name": "data", "type": "json"},
                ]
            },
        },
        {
            "id": "llm",
            "type": "llm",
            "position": {"x": 300, "y": 0},
            "config": {"model": "echo", "prompt": "{{in.topic}}"},
        },
        {"id": "out", "type": "output", "position": {"x": 600, "y": 0}, "config": {"value": "{{llm.text}}"}},
    ],
    "edges": [{"source": "in", "target": "llm"}, {"source": "llm", "target": "out"}],
}

ERROR = re.compile(r"\bq-field--error\b")


@pytest.fixture(scope="module")
def fake():
    with fake_openai_server() as fake:
        yield fake


@pytest.fixture(scope="module")
def served(tmp_path_factory, fake):
    with served_editor(tmp_path_factory.mktemp("inline-errors"), openai_env(fake)) as app:
        yield app


@pytest.fixture
def page(served):
    with editor_tab(served) as page:
        yield page


def box(page, name: str):
    """The field's text box (its data-testid lands on the native control)."""
    return page.get_by_test_id(f"run-input-{name}")


def field(page, name: str):
    """The whole Quasar field around the box: its error state and message."""
    return page.locator(".q-field", has=box(page, name))


def message(page, name: str):
    return field(page, name).locator(".q-field__messages")


def no_run_started(page, fake, before: int) -> None:
    expect(page.get_by_test_id("run-status")).to_have_text("")
    expect(node(page, "llm")).to_have_attribute("data-status", "")
    expect(page.locator(".q-notification")).to_have_count(0)  # the field says it, not a toast
    assert len(fake.requests) == before


def test_an_empty_required_field_is_marked_inline_and_focused(served, page, fake):
    open_editor(page, served, make_workflow(served.home, DOC))
    page.get_by_test_id("tab-run").click()
    before = len(fake.requests)
    page.get_by_test_id("run-start").click()
    expect(field(page, "topic")).to_have_class(ERROR)
    expect(message(page, "topic")).to_have_text("This field is required.")
    expect(box(page, "topic")).to_be_focused()
    expect(field(page, "count")).not_to_have_class(ERROR)
    shot(page, "run-inline-required-en")
    page.wait_for_timeout(500)
    no_run_started(page, fake, before)

    # a value the field does not take is marked the same way; typing clears the mark
    box(page, "topic").fill("cats")
    expect(field(page, "topic")).not_to_have_class(ERROR)
    box(page, "data").fill("{not json")
    page.get_by_test_id("run-start").click()
    expect(field(page, "data")).to_have_class(ERROR)
    expect(message(page, "data")).to_contain_text("JSON")
    expect(box(page, "data")).to_be_focused()
    expect(field(page, "topic")).not_to_have_class(ERROR)
    page.wait_for_timeout(500)
    no_run_started(page, fake, before)

    box(page, "data").fill('{"a": 1}')
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed", timeout=30_000)
    expect(field(page, "data")).not_to_have_class(ERROR)
    assert len(fake.requests) == before + 1


def test_the_inline_error_in_chinese(served, page, fake):
    try:
        open_editor(page, served, make_workflow(served.home, DOC), language="简体中文")
        page.get_by_test_id("tab-run").click()
        before = len(fake.requests)
        page.get_by_test_id("run-start").click()
        expect(field(page, "topic")).to_have_class(ERROR)
        expect(message(page, "topic")).to_have_text("此项必填。")
        expect(box(page, "topic")).to_be_focused()
        shot(page, "run-inline-required-zh")
        page.wait_for_timeout(500)
        no_run_started(page, fake, before)
    finally:
        switch_language(page, "English")
