"""Stage frames on the canvas, in a real Chromium against ``flowai serve`` (fake OpenAI server).

Nodes selected with Ctrl+click are grouped as a stage, the frame is renamed, saved and drawn
again after a reload; a node dragged out of the frame leaves the stage; a run turns the frames
completed (with the per-item counts of the loop inside one of them).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import shot
from tests.editor_support import make_workflow, node, open_editor
from tests.editor_support import workflows as stored
from tests.test_canvas_loops import drag, fake, loop_flow, page, save, served  # noqa: F401 (fixtures)
from tests.wait import wait_until

pytestmark = pytest.mark.browser


def stage(page, stage_id: str):
    return page.locator(f'[data-testid="stage-{stage_id}"]')


def name_stage(page, name: str) -> None:
    page.get_by_test_id("stage-name").fill(name)
    page.get_by_test_id("stage-ok").click()
    expect(page.get_by_test_id("stage-dialog")).to_have_count(0)


def test_group_three_nodes_as_a_stage_rename_save_and_reload(served, page):  # noqa: F811
    wf_id = make_workflow(served.home, loop_flow())
    open_editor(page, served, wf_id)
    node(page, "out").locator(".fa-head").click()
    node(page, "in").locator(".fa-head").click(modifiers=["Control"])
    node(page, "lp").locator(".fa-loop-head").click(modifiers=["Control"])
    page.get_by_test_id("group-stage").click()
    expect(page.get_by_test_id("stage-name")).to_have_value("Stage 1")
    name_stage(page, "Script")
    frame = stage(page, "script")
    expect(frame.locator('[data-role="stage-label"]')).to_have_text("Script")

    # the frame is drawn around its nodes (once they are measured: a frame or two after it appears)
    def around() -> bool:
        box, inner = frame.bounding_box(), node(page, "out").bounding_box()
        return box["x"] < inner["x"] and box["x"] + box["width"] > inner["x"] + inner["width"]

    wait_until(around, message="the stage's frame is not drawn around its nodes")

    frame.locator('[data-role="stage-rename"]').click()
    expect(page.get_by_test_id("stage-name")).to_have_value("Script")
    name_stage(page, "剧本")
    expect(frame.locator('[data-role="stage-label"]')).to_have_text("剧本")
    shot(page, "canvas-stage")
    save(page, 2)
    doc = stored(served.home).version(owner_id=1, workflow_id=wf_id, number=2).document
    assert doc["stages"] == [{"id": "script", "label": "剧本", "nodes": ["in", "lp", "out"]}]

    page.reload()
    page.wait_for_selector('[data-testid="canvas"][data-ready="true"]')
    expect(stage(page, "script").locator('[data-role="stage-label"]')).to_have_text("剧本")

    # out of the frame: out leaves the stage; the frame follows what is left
    out, frame = node(page, "out"), stage(page, "script")
    wait_until(around, message="the reloaded stage's frame is not drawn around its nodes")
    fbox = frame.bounding_box()
    drag(page, out, 0, fbox["y"] + fbox["height"] + 60 - out.bounding_box()["y"])
    save(page, 3)
    doc = stored(served.home).version(owner_id=1, workflow_id=wf_id, number=3).document
    assert doc["stages"][0]["nodes"] == ["in", "lp"]
    # and back into it
    fbox, obox = frame.bounding_box(), out.bounding_box()
    drag(page, out, fbox["x"] + fbox["width"] - 40 - (obox["x"] + obox["width"] / 2), fbox["y"] + 80 - obox["y"])
    save(page, 4)
    doc = stored(served.home).version(owner_id=1, workflow_id=wf_id, number=4).document
    assert sorted(doc["stages"][0]["nodes"]) == ["in", "lp", "out"]

    frame.locator('[data-role="stage-remove"]').click()
    expect(stage(page, "script")).to_have_count(0)
    save(page, 5)
    assert stored(served.home).version(owner_id=1, workflow_id=wf_id, number=5).document.get("stages") in ([], None)
    assert page.errors == []


def test_a_stage_frame_follows_a_node_that_grows_on_its_own(served, page):  # noqa: F811
    """Seen in full runs (the novel-to-video template): two stage frames overlapped for good. A frame
    is laid out a few paints after the graph arrives; a node measured later than that (a loaded
    machine, a font coming in) left its frame at the size it had before. Now a node's new size moves
    its frames, whatever changed it."""
    open_editor(page, served, make_workflow(served.home, loop_flow()))
    node(page, "out").locator(".fa-head").click()
    node(page, "in").locator(".fa-head").click(modifiers=["Control"])
    page.get_by_test_id("group-stage").click()
    name_stage(page, "Script")
    frame, out = stage(page, "script"), node(page, "out")

    def bottoms() -> tuple[float, float]:
        box, inner = frame.bounding_box(), out.bounding_box()
        return box["y"] + box["height"], inner["y"] + inner["height"]

    wait_until(lambda: bottoms()[0] > bottoms()[1], message="the stage's frame is not drawn around its nodes")
    out.evaluate("el => { el.style.minHeight = (el.offsetHeight + 200) + 'px'; }")  # no message to the canvas
    wait_until(lambda: bottoms()[0] > bottoms()[1], message="the frame did not follow the node that grew")
    assert page.errors == []


def test_a_run_turns_the_stage_frames_completed_with_the_items_counted(served, page):  # noqa: F811
    doc = loop_flow()
    next(n for n in doc["nodes"] if n["id"] == "free")["position"] = {
        "x": 0,
        "y": 320,
    }  # beside "in", not under the loop
    doc["stages"] = [
        {"id": "script", "label": "Script", "nodes": ["in", "free"]},
        {"id": "shots", "label": "Shots", "nodes": ["lp"]},
        {"id": "edit", "label": "Edit", "nodes": ["out"]},
    ]
    wf_id = make_workflow(served.home, doc)
    open_editor(page, served, wf_id)
    for sid in ("script", "shots", "edit"):
        expect(stage(page, sid)).to_have_attribute("data-status", "")
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-input-xs").fill('["a", "b", "c", "d"]')
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed", timeout=20_000)
    for sid in ("script", "shots", "edit"):
        expect(stage(page, sid)).to_have_attribute("data-status", "completed")
        expect(stage(page, sid)).to_have_attribute("data-progress", "1")
    expect(node(page, "llm").locator('[data-role="status"]')).to_have_text("4/4")
    expect(node(page, "lp").locator('[data-role="status"]')).to_contain_text("4/4")
    shot(page, "canvas-stage-run")
    assert page.errors == []
