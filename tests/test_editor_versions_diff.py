"""Versions in a real Chromium (issue 11): save with a note and see it in the list, compare two
versions value by value (the changed text old and new side by side), unpublish — and the run API
then answers the workflow as not published (404 / 40401)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from flowai.workflows.examples import HELLO
from tests.browser import ServedApp, admin_page, chromium, new_page, shot, sign_in
from tests.editor_support import admin_id, make_workflow, notification, open_editor, select, workflows
from tests.pages_support import switch_language
from tests.proc import flowai

pytestmark = pytest.mark.browser
OLD = "在呢。你说的是：$开始.输入"
NEW = "Hello!\nYou said: $开始.输入\nBye."


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("versions")
    app = ServedApp.start(home)
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
    yield page
    assert errors == []
    page.context.close()


def run(served, wf_id: str, key: str) -> httpx.Response:
    return httpx.post(
        f"{served.url}/v1/api/workflow/run/{wf_id}",
        headers={"X-API-KEY": key},
        json={"input": {"输入": "hi"}},
        timeout=30,
    )


def test_save_with_a_note_diff_side_by_side_then_unpublish(served, page):
    wf_id = make_workflow(served.home, HELLO, publish=True)
    key = flowai(served.home, "key", "create", "--name", "versions").stdout.split()[-1]
    assert run(served, wf_id, key).json()["output"] == "在呢。你说的是：hi"

    open_editor(page, served, wf_id)
    select(page, "reply")
    page.get_by_test_id("field-template").fill(NEW)
    page.get_by_test_id("save").click()
    page.get_by_test_id("save-message").fill("Friendlier reply")
    page.get_by_test_id("save-confirm").click()
    expect(page.get_by_test_id("save-state")).to_have_text("Saved · version 2 · published v1")

    # the note is in the list
    page.get_by_test_id("tab-versions").click()
    expect(page.get_by_test_id("version-note-2")).to_have_text("Friendlier reply")
    expect(page.get_by_test_id("version-note-1")).to_have_text("Created")

    # v1 -> v2: the changed text, old beside new, the changed lines marked
    page.get_by_test_id("diff-compare").click()
    changed = page.get_by_test_id("diff-field-reply-config_template")
    expect(changed).to_contain_text("回复 · Template")
    old, new = changed.get_by_test_id("diff-old"), changed.get_by_test_id("diff-new")
    expect(old).to_contain_text("v1")
    expect(old).to_contain_text(OLD)
    expect(new).to_contain_text("v2")
    for line in NEW.splitlines():
        expect(new).to_contain_text(line)
    expect(new).not_to_contain_text(OLD)
    o, n = old.bounding_box(), new.bounding_box()
    assert o and n and o["x"] + o["width"] <= n["x"] + 1 and abs(o["y"] - n["y"]) < 2  # side by side
    expect(old.locator(".bg-red-100")).to_have_text([OLD])
    expect(new.locator(".bg-green-100")).to_have_count(3)
    shot(page, "editor-versions-diff-en")

    # unpublish: the editor says so, and the run API refuses the workflow
    page.get_by_test_id("back-to-draft").click()
    page.get_by_test_id("tab-versions").click()
    expect(page.get_by_test_id("published-row")).to_contain_text("Published: version 1")
    page.get_by_test_id("unpublish").click()
    expect(page.get_by_test_id("unpublish-dialog")).to_contain_text("Unpublish version 1?")
    page.get_by_test_id("unpublish-confirm").click()
    expect(notification(page, "Unpublished")).to_be_visible()
    expect(page.get_by_test_id("published-row")).to_have_count(0)
    expect(page.get_by_test_id("published-1")).to_have_count(0)
    expect(page.get_by_test_id("save-state")).to_have_text("Saved · version 2")
    wfs = workflows(served.home)
    assert wfs.get(owner_id=admin_id(wfs), workflow_id=wf_id).published_version is None
    wfs.db.dispose()
    refused = run(served, wf_id, key)
    assert refused.status_code == 404 and refused.json()["code"] == 40401

    # 中文
    switch_language(page, "简体中文")
    open_editor(page, served, wf_id)
    page.get_by_test_id("tab-versions").click()
    expect(page.get_by_test_id("version-note-2")).to_have_text("Friendlier reply")
    page.get_by_test_id("diff-compare").click()
    changed = page.get_by_test_id("diff-field-reply-config_template")
    expect(changed).to_contain_text("回复 · 模板")
    expect(changed.get_by_test_id("diff-new")).to_contain_text("You said")
    shot(page, "editor-versions-diff-zh")
    switch_language(page, "English")
