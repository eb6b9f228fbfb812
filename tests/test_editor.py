"""The canvas editor in a real Chromium against ``flowai serve`` (with a fake OpenAI server).

One served app and one browser per module; each test opens its own workflow in a fresh
browser context (signed in).
"""

from __future__ import annotations

import copy

import pytest
from playwright.sync_api import expect

from flowai.demo import LLM_CHAT
from flowai.workflows.starters import blank
from tests.browser import ServedApp, admin_page, chromium, new_page, shot, sign_in
from tests.conftest import ThreadServer
from tests.editor_support import (
    centre,
    connect,
    connect_refused,
    connect_wired,
    drop,
    edges,
    handle,
    make_workflow,
    node,
    notification,
    open_editor,
    select,
    steady_centre,
    workflows,
)
from tests.fakes.openai_server import FakeOpenAI
from tests.pages_support import switch_language

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fake():
    fake = FakeOpenAI()
    with ThreadServer(fake.app) as server:
        fake.url = f"{server.url}/v1"
        yield fake


@pytest.fixture(scope="module")
def served(tmp_path_factory, fake):
    home = tmp_path_factory.mktemp("editor")
    app = ServedApp.start(home, env={"OPENAI_API_KEY": fake.api_key, "OPENAI_BASE_URL": fake.url})
    app.home = home
    try:
        with chromium() as browser:
            admin_page(browser, app).context.close()  # creates the admin account
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
    page.context.close()


def quiet_shot(page, name: str) -> None:
    """A screenshot once dialogs have gone, without the notifications (they fade out in 3-5 s:
    waited out, they took 7 s of this file)."""
    expect(page.locator(".q-dialog")).to_have_count(0)
    shot(page, name, hide=".q-notification")


def test_design_save_diff_publish_and_run_the_seed_flow(served, page, fake):
    wf_id = make_workflow(served.home, blank("Seed flow"))
    open_editor(page, served, wf_id)
    expect(node(page, "in")).to_be_visible()

    # start from an empty canvas: select both nodes and delete them with the keyboard
    node(page, "in").click()
    node(page, "out").click(modifiers=["Control"])
    page.keyboard.press("Delete")
    expect(page.locator(".vue-flow__node")).to_have_count(0)
    expect(page.get_by_test_id("issue-count")).to_contain_text("problems")

    # build input -> LLM -> output by dragging from the palette
    drop(page, "input", 40, 200)
    drop(page, "llm", 290, 200)
    drop(page, "output", 540, 200)
    for nid in ("input_1", "llm_1", "output_1"):
        expect(node(page, nid)).to_be_visible()
    connect_wired(page, "input_1", "input", "llm_1", "prompt")
    connect_wired(page, "llm_1", "text", "output_1", "value")
    expect(edges(page)).to_have_count(2)

    # a wrong-type connection is refused with a visible reason
    connect_refused(page, "llm_1", "json", "llm_1", "system", "cannot connect to itself")
    refused = "Incompatible types: Input1.input is text but LLM1.image takes image"
    connect_refused(page, "input_1", "input", "llm_1", "image", refused)
    connect_refused(page, "input_1", "input", "llm_1", "prompt", "already has an edge")
    # an output node is the end of a flow: nothing is wired out of it (cycles: test_editor_connect.py)
    expect(page.locator('.vue-flow__handle.source[data-nodeid="output_1"]')).to_have_count(0)
    expect(edges(page)).to_have_count(2)

    # edit the system prompt with a variable from the picker
    select(page, "llm_1")
    system = page.get_by_test_id("field-system")
    system.fill("Answer ")
    page.get_by_test_id("vars-system").click()
    page.get_by_test_id("var-input_1-input").click()
    expect(system).to_have_value("Answer {{input_1.input}}")
    # a field fed by a wire shows where its value comes from, not an editor the run would ignore
    select(page, "output_1")
    expect(page.get_by_test_id("wired-source-value")).to_have_text("← LLM1 · Answer")
    expect(page.get_by_test_id("field-value")).to_have_count(0)
    # a reference to a port that does not exist shows on the node before saving
    select(page, "llm_1")
    system.fill("Answer {{input_1.nothing}}")
    expect(node(page, "llm_1")).to_have_attribute("data-invalid", "true")
    expect(node(page, "llm_1").locator('[data-role="issue"]')).to_contain_text("no output named “nothing”")
    expect(page.get_by_test_id("issue-count")).to_have_text("1 problem")
    system.fill("Answer ")
    page.get_by_test_id("vars-system").click()
    page.get_by_test_id("var-input_1-input").click()
    expect(system).to_have_value("Answer {{input_1.input}}")
    expect(page.get_by_test_id("issue-count")).to_have_text("No problems")
    expect(node(page, "llm_1")).to_have_attribute("data-invalid", "false")

    # save (Ctrl+S), change the label, save again with a message; diff the two versions
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-state")).to_have_text("Saved · version 2")
    select(page, "llm_1")
    page.get_by_test_id("node-label").fill("Writer")
    expect(node(page, "llm_1").locator('[data-role="label"]')).to_have_text("Writer")
    expect(page.get_by_test_id("save-state")).to_have_text("Unsaved changes")
    page.get_by_test_id("save").click()
    page.get_by_test_id("save-message").fill("Renamed the LLM")
    page.get_by_test_id("save-confirm").click()
    expect(page.get_by_test_id("save-state")).to_have_text("Saved · version 3")
    quiet_shot(page, "editor")

    page.get_by_test_id("tab-versions").click()
    expect(page.get_by_test_id("version-3")).to_contain_text("Renamed the LLM")
    page.get_by_test_id("diff-compare").click()  # defaults: v2 -> v3
    expect(page.get_by_test_id("diff-changed")).to_contain_text("Writer (Name)")  # the field as people call it
    expect(node(page, "llm_1")).to_have_attribute("data-diff", "changed")
    expect(page.get_by_test_id("canvas")).to_have_attribute("data-readonly", "true")
    quiet_shot(page, "editor-diff")
    page.get_by_test_id("back-to-draft").click()
    expect(page.get_by_test_id("canvas")).to_have_attribute("data-readonly", "false")
    expect(node(page, "llm_1")).to_have_attribute("data-diff", "")

    # publish: FlowAI's confirmation, then the workflow ID
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("publish-text")).to_have_text(
        "This will save the current workflow and publish it as the latest version"
    )
    page.get_by_test_id("publish-confirm").click()
    expect(page.get_by_test_id("published-id")).to_have_text(wf_id)
    page.get_by_test_id("published-close").click()
    assert workflows(served.home).get(owner_id=1, workflow_id=wf_id).published_version == 3

    # test-run against the fake OpenAI server: streamed text, node states
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-input-input").fill("Hello from the editor")
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed")
    expect(page.get_by_test_id("run-stream-llm_1")).to_have_text("Hello from the editor")
    expect(page.get_by_test_id("run-output")).to_contain_text("Hello from the editor")
    for nid in ("input_1", "llm_1", "output_1"):
        expect(node(page, nid)).to_have_attribute("data-status", "done")
    expect(node(page, "llm_1").locator('[data-role="stream"]')).to_have_text("Hello from the editor")
    quiet_shot(page, "run-view")
    page.get_by_test_id("run-trace").click()
    expect(page.get_by_test_id("trace")).to_contain_text("openai")
    assert page.errors == []


OUT_Y = (
    "document.querySelector('[data-testid=canvas]').shadowRoot"
    ".querySelector('[data-testid=node-out]').getBoundingClientRect().y"
)


def _box(page, node_id):
    return node(page, node_id).bounding_box()


def _drag_until_it_moves(page, node_id: str, dx: float, dy: float) -> None:
    """Drag a node by its header; again if it did not move at all (a drag starting while the canvas
    redraws is lost, as a person's would be, and makes no undo step)."""
    head = node(page, node_id).locator(".fa-head")
    start = _box(page, node_id)
    for _ in range(3):
        x, y = steady_centre(page, head)
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + dx, y + dy, steps=10)
        page.mouse.up()
        page.wait_for_timeout(300)
        now = _box(page, node_id)
        if abs(now["x"] - start["x"]) > 1 or abs(now["y"] - start["y"]) > 1:
            return


def test_keyboard_copy_paste_undo_redo_delete_and_move(served, page):
    wf_id = make_workflow(served.home, LLM_CHAT)
    open_editor(page, served, wf_id)
    nodes = page.locator(".vue-flow__node")
    expect(nodes).to_have_count(3)

    select(page, "llm")  # (a click landing while the canvas redraws is lost: it waits for the node's settings)
    page.keyboard.press("Control+c")
    expect(notification(page, "Copied 1 node")).to_be_visible()
    box = page.get_by_test_id("canvas").bounding_box()
    page.mouse.move(box["x"] + 80, box["y"] + 60)
    page.keyboard.press("Control+v")
    expect(node(page, "llm_1")).to_be_visible()
    expect(node(page, "llm_1").locator('[data-role="label"]')).to_have_text("LLM1 copy")
    expect(nodes).to_have_count(4)

    page.keyboard.press("Control+z")
    expect(nodes).to_have_count(3)
    page.keyboard.press("Control+Shift+z")
    expect(nodes).to_have_count(4)

    select(page, "llm_1")
    page.keyboard.press("Delete")
    expect(nodes).to_have_count(3)
    page.keyboard.press("Control+z")
    expect(node(page, "llm_1")).to_be_visible()

    # a move reaches the server (an undo step) and comes back on undo
    before = _box(page, "out")
    _drag_until_it_moves(page, "out", 60, 120)
    expect(page.get_by_test_id("save-state")).to_have_text("Unsaved changes")
    assert _box(page, "out")["y"] > before["y"] + 80
    page.get_by_test_id("undo").click()
    expect(page.get_by_test_id("save-state")).to_have_text("Unsaved changes")  # llm_1 is still there
    expect(node(page, "llm_1")).to_be_visible()
    page.wait_for_function(f"(y) => Math.abs({OUT_Y} - y) < 2", arg=before["y"])
    page.get_by_test_id("redo").click()
    page.wait_for_function(f"(y) => {OUT_Y} > y + 80", arg=before["y"])
    # the copy's prompt names 'in', which is not upstream of it: saving says so and keeps the edit
    expect(node(page, "llm_1")).to_have_attribute("data-invalid", "true")
    page.keyboard.press("Control+s")
    expect(notification(page, "Not saved")).to_be_visible()
    expect(page.get_by_test_id("save-state")).to_have_text("Unsaved changes")
    connect_wired(page, "in", "输入", "llm_1", "system")
    expect(node(page, "llm_1")).to_have_attribute("data-invalid", "false")
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-state")).to_have_text("Saved · version 2")
    saved = workflows(served.home).version(owner_id=1, workflow_id=wf_id, number=2).document
    assert {n["id"] for n in saved["nodes"]} == {"in", "llm", "out", "llm_1"}
    assert page.errors == []


def test_an_undo_pressed_at_once_after_delete_brings_the_node_back(served, page):
    """Seen in a loaded run: Delete, then Ctrl+Z at once; the browser ran the key press before the
    timer that sends the removal, so the server undid the step before it and the node stayed gone.
    Both keys are fired here in one task (only promise callbacks run between them, as between two
    key presses), so no timer can run in between."""
    wf_id = make_workflow(served.home, LLM_CHAT)
    open_editor(page, served, wf_id)
    nodes = page.locator(".vue-flow__node")
    expect(nodes).to_have_count(3)
    node(page, "llm").click()
    expect(page.locator('.vue-flow__node.selected[data-id="llm"]')).to_have_count(1)
    page.evaluate(
        """async () => {
            const press = (init) => document.body.dispatchEvent(
                new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init }));
            press({ key: "Delete", code: "Delete" });
            for (let i = 0; i < 20; i++) await Promise.resolve();
            press({ key: "z", code: "KeyZ", ctrlKey: true });
        }"""
    )
    expect(node(page, "llm")).to_be_visible()
    expect(nodes).to_have_count(3)
    expect(page.get_by_test_id("save-state")).to_have_text("Saved · version 1")  # the draft is the version again
    assert page.errors == []


def test_a_second_tab_gets_a_conflict_not_a_silent_overwrite(served, page):
    wf_id = make_workflow(served.home, LLM_CHAT)
    other = new_page(served.browser)
    try:
        sign_in(other, served)
        open_editor(page, served, wf_id)
        open_editor(other, served, wf_id)

        select(page, "llm")
        page.get_by_test_id("node-label").fill("Mine")
        page.keyboard.press("Control+s")
        expect(page.get_by_test_id("save-state")).to_have_text("Saved · version 2")

        select(other, "llm")
        other.get_by_test_id("node-label").fill("Theirs")
        other.keyboard.press("Control+s")
        expect(other.get_by_test_id("conflict-message")).to_contain_text(
            "saved elsewhere meanwhile (another tab or person); it is now at version 2"
        )
        expect(other.get_by_test_id("save-state")).to_have_text("Unsaved changes")  # the edit is kept
        wfs = workflows(served.home)
        assert wfs.get(owner_id=1, workflow_id=wf_id).latest_version == 2
        assert (
            next(n for n in wfs.version(owner_id=1, workflow_id=wf_id, number=2).document["nodes"] if n["id"] == "llm")[
                "label"
            ]
            == "Mine"
        )

        other.get_by_test_id("conflict-keep").click()  # an explicit choice: save mine on top
        expect(other.get_by_test_id("save-state")).to_have_text("Saved · version 3")
        assert (
            next(n for n in wfs.version(owner_id=1, workflow_id=wf_id, number=3).document["nodes"] if n["id"] == "llm")[
                "label"
            ]
            == "Theirs"
        )
    finally:
        other.context.close()


XSS_LABEL = '<img src=x onerror="window.__xss=1">'
XSS_INPUT = '<script>window.__xss=2</script><img src=y onerror="window.__xss=3"><b>bold</b>'


def test_html_in_labels_outputs_and_errors_is_shown_as_text(served, page):
    doc = {
        "format": "flowai/1",
        "name": "<b>name</b>",
        "nodes": [
            {"id": "in", "type": "input", "label": XSS_LABEL, "config": {"fields": [{"name": "q", "type": "string"}]}},
            {
                "id": "tpl",
                "type": "template",
                "label": "<script>window.__xss=4</script>",
                "position": {"x": 300, "y": 0},
                "config": {"template": "{{in.q}}"},
            },
            {
                "id": "out",
                "type": "output",
                "label": "out",
                "position": {"x": 600, "y": 0},
                "config": {"value": "{{tpl.text}}"},
            },
        ],
        "edges": [{"source": "in", "target": "tpl"}, {"source": "tpl", "target": "out"}],
    }
    wf_id = make_workflow(served.home, doc)
    open_editor(page, served, wf_id)
    expect(node(page, "in").locator('[data-role="label"]')).to_have_text(XSS_LABEL)
    expect(node(page, "tpl").locator('[data-role="label"]')).to_have_text("<script>window.__xss=4</script>")
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-input-q").fill(XSS_INPUT)
    # a refused connection's reason names the labels: also text. The wire gesture starts and ends on
    # one node, which is no click on it: the Run tab stays (it used to switch to Settings while the
    # next click landed, the cause of this test's flakiness).
    connect_refused(page, "tpl", "text", "tpl", "template", "cannot connect to itself")
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed")
    expect(page.get_by_test_id("run-output-text")).to_have_text(XSS_INPUT)
    # the run's events came after the gesture's, so a switch of tab would have happened by now
    expect(page.get_by_test_id("tab-run")).to_have_attribute("aria-selected", "true")
    page.get_by_test_id("run-trace").click()
    expect(page.get_by_test_id("trace")).to_contain_text(XSS_LABEL)
    assert page.evaluate("() => window.__xss") is None
    assert page.locator('img[src="x"], img[src="y"], b:text("bold")').count() == 0  # (pierces the canvas)
    assert page.errors == []


def test_failed_node_skipped_nodes_and_live_streaming(served, page):
    doc = copy.deepcopy(LLM_CHAT)
    doc["nodes"][1]["config"]["model"] = "drip-8-150"
    wf_id = make_workflow(served.home, doc)
    open_editor(page, served, wf_id)
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-input-输入").fill("hi")
    page.get_by_test_id("run-start").click()
    expect(node(page, "llm")).to_have_attribute("data-status", "running")
    expect(node(page, "llm").locator('[data-role="spinner"]')).to_be_visible()
    expect(page.get_by_test_id("run-stream-llm")).to_contain_text("t1")  # text arrives while it runs
    assert node(page, "llm").get_attribute("data-status") == "running"
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed")
    expect(page.get_by_test_id("run-stream-llm")).to_have_text("t0 t1 t2 t3 t4 t5 t6 t7 ")

    # an upstream failure: the node shows its error, the nodes after it are skipped
    select(page, "llm")
    page.get_by_test_id("field-model").fill("error-500")
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "failed")
    expect(node(page, "llm")).to_have_attribute("data-status", "failed")
    expect(node(page, "llm").locator('[data-role="error"]')).to_contain_text("openai")
    expect(node(page, "out")).to_have_attribute("data-status", "skipped")
    expect(node(page, "in")).to_have_attribute("data-status", "done")
    assert page.errors == []


def test_view_a_version_read_only_and_restore_it(served, page):
    wf_id = make_workflow(served.home, LLM_CHAT)
    open_editor(page, served, wf_id)
    select(page, "llm")
    page.get_by_test_id("node-label").fill("Changed")
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-state")).to_have_text("Saved · version 2")

    page.get_by_test_id("tab-versions").click()
    page.get_by_test_id("version-view-1").click()
    expect(page.get_by_test_id("save-state")).to_have_text("Viewing version 1 (read-only)")
    expect(node(page, "llm").locator('[data-role="label"]')).to_have_text("LLM1")
    expect(page.get_by_test_id("canvas")).to_have_attribute("data-readonly", "true")
    select(page, "llm")
    page.keyboard.press("Delete")  # read-only: nothing happens
    expect(page.locator(".vue-flow__node")).to_have_count(3)
    expect(page.get_by_test_id("node-label")).to_have_attribute("readonly", "")
    page.get_by_test_id("back-to-draft").click()
    expect(node(page, "llm").locator('[data-role="label"]')).to_have_text("Changed")

    page.get_by_test_id("tab-versions").click()
    page.get_by_test_id("version-restore-1").click()
    expect(node(page, "llm").locator('[data-role="label"]')).to_have_text("LLM1")
    expect(page.get_by_test_id("save-state")).to_have_text("Unsaved changes")
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-state")).to_have_text("Saved · version 3")

    page.get_by_test_id("tab-versions").click()
    page.get_by_test_id("version-publish-2").click()
    expect(page.get_by_test_id("publish-text")).to_contain_text("Publish version 2?")
    page.get_by_test_id("publish-confirm").click()
    expect(page.get_by_test_id("published-id")).to_have_text(wf_id)
    assert workflows(served.home).get(owner_id=1, workflow_id=wf_id).published_version == 2


def test_the_editor_speaks_chinese(served, page):
    wf_id = make_workflow(served.home, LLM_CHAT)
    try:
        open_editor(page, served, wf_id, language="简体中文")
        expect(page.get_by_test_id("save")).to_contain_text("保存")
        expect(node(page, "llm").locator(".fa-type")).to_have_text("大模型")
        page.get_by_test_id("publish").click()
        expect(page.get_by_test_id("publish-text")).to_have_text("此操作将保存当前工作流并将其发布为最新版本")
        page.get_by_role("button", name="取消").click()
        expect(page.get_by_test_id("publish-dialog")).to_be_hidden()
        connect_refused(page, "in", "输入", "llm", "image", "类型不兼容")
    finally:
        switch_language(page, "English")


def test_an_unknown_workflow_is_not_found(served, page):
    page.goto(f"{served.url}/workflows/nope")
    expect(page.get_by_test_id("not-found")).to_be_visible()


def test_ports_follow_the_input_fields(served, page):
    wf_id = make_workflow(served.home, LLM_CHAT)
    open_editor(page, served, wf_id)
    select(page, "in")
    page.get_by_test_id("fields-add").click()
    expect(handle(page, "in", "field2", "source")).to_be_visible()  # a new field is a new output port
    page.get_by_test_id("fields-item-0").get_by_test_id("field-name").fill("question")
    expect(handle(page, "in", "question", "source")).to_be_visible()
    expect(handle(page, "in", "输入", "source")).to_have_count(0)
    # the renamed port keeps its edge, and the LLM's {{in.输入}} follows the new name
    expect(page.locator('.vue-flow__edge[data-id="in:question->llm:prompt"]')).to_have_count(1)
    # (the card names the wire feeding the prompt; the prompt's own {{in.question}} is checked in
    # tests/test_editor_state.py)
    expect(node(page, "llm").locator('[data-role="summary"]')).to_have_text("← 开始 · question")
    expect(page.get_by_test_id("issue-count")).to_have_text("No problems")
    page.get_by_test_id("tab-run").click()
    expect(page.get_by_test_id("run-input-question")).to_be_visible()
    expect(page.get_by_test_id("run-input-field2")).to_be_visible()
