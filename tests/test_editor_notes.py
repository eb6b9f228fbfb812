"""Sticky notes on the canvas, in a real Chromium against ``flowai serve``.

A note is added from the toolbar, typed into, dragged by its header, resized by its corner,
saved in the document (``notes``) and drawn again after a reload; deleted, it leaves no
``notes`` key behind.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import shot
from tests.editor_support import centre, make_workflow, open_editor
from tests.editor_support import workflows as stored
from tests.test_editor_layout import chain, fake, page, save, served  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def saved_doc(served, wf_id: str, number: int) -> dict:  # noqa: F811
    return stored(served.home).version(owner_id=1, workflow_id=wf_id, number=number).document


def test_a_note_is_added_typed_moved_resized_saved_reloaded_and_deleted(served, page):  # noqa: F811
    wf_id = make_workflow(served.home, chain(1))
    open_editor(page, served, wf_id)
    page.get_by_test_id("add-note").click()
    note = page.get_by_test_id("note-note_1")
    expect(note).to_be_visible()
    text = note.locator('[data-role="note-text"]')
    text.click()
    page.keyboard.type("Check the tone · 注意语气")
    page.keyboard.press("Control+a")  # selects the note's text, not the canvas
    expect(page.locator(".vue-flow__node-flowai.selected")).to_have_count(0)
    page.keyboard.press("End")

    # drag by the header
    before = note.bounding_box()
    x, y = centre(note.locator(".fa-note-head"))
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y + 40, steps=5)
    page.mouse.move(x + 90, y + 120, steps=10)
    page.mouse.up()
    page.wait_for_function(
        "(y) => document.querySelector('[data-testid=canvas]').shadowRoot"
        ".querySelector('[data-testid=note-note_1]').getBoundingClientRect().y > y + 60",
        arg=before["y"],
    )
    # resize by the corner
    rx, ry = centre(note.locator('[data-role="note-resize"]'))
    page.mouse.move(rx, ry)
    page.mouse.down()
    page.mouse.move(rx + 40, ry + 30, steps=5)
    page.mouse.move(rx + 80, ry + 60, steps=10)
    page.mouse.up()
    grown = note.bounding_box()
    assert grown["width"] > before["width"] + 30 and grown["height"] > before["height"] + 20
    shot(page, "editor-note")

    expect(page.get_by_test_id("save-state")).to_have_attribute("data-dirty", "true")
    page.wait_for_timeout(500)  # the typing is reported after a short pause
    save(page, 2)
    [saved] = saved_doc(served, wf_id, 2)["notes"]
    assert saved["id"] == "note_1" and saved["text"] == "Check the tone · 注意语气"
    assert saved["size"]["width"] > 220 + 30 and saved["size"]["height"] > 140 + 20
    first = saved_doc(served, wf_id, 1)
    assert "notes" not in first

    page.reload()
    page.wait_for_selector('[data-testid="canvas"][data-ready="true"]')
    note = page.get_by_test_id("note-note_1")
    expect(note.locator('[data-role="note-text"]')).to_have_value("Check the tone · 注意语气")
    assert note.evaluate("(e) => [e.offsetWidth, e.offsetHeight]") == [saved["size"]["width"], saved["size"]["height"]]

    note.locator('[data-role="note-remove"]').click()
    expect(note).to_have_count(0)
    save(page, 3)
    assert "notes" not in saved_doc(served, wf_id, 3)
    page.keyboard.press("Control+z")  # undo brings it back
    expect(page.get_by_test_id("note-note_1")).to_be_visible()
    assert page.errors == []
