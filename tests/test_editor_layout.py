"""Layout and organisation in the editor, in a real Chromium against ``flowai serve`` (fake OpenAI).

Auto-layout (dagre) of the 200-node bench graph leaves no two nodes overlapping; after a run that
streams long text no node covers another (results collapse to a few lines, expand on click);
click-to-add puts each node on a free spot; palette search filters by English and 中文 titles and
Enter adds the first match; Ctrl+A selects all; the right-click menu duplicates, deletes, adds a
note and lays out; ``?`` opens the shortcut help; the minimap is off until asked for; the palette
and side panel collapse (remembered) and the canvas widens; at 390 px the canvas fills the width,
read-only, with a node's details on tap.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bench.editor import document as bench_document
from flowai.demo import LLM_CHAT
from tests.browser import ServedApp, admin_page, chromium, new_page, shot, sign_in
from tests.conftest import ThreadServer
from tests.editor_support import centre, make_workflow, node, open_editor
from tests.editor_support import workflows as stored
from tests.fakes.openai_server import FakeOpenAI
from tests.pages_support import switch_language
from tests.test_canvas_loops import loop_flow
from tests.wait import wait_until
from ui.editor import SHORTCUTS

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)  # a loaded 2-core machine: layouts of 200 nodes take seconds

BOXES = """() => [...document.querySelector('[data-testid=canvas]').shadowRoot
    .querySelectorAll('.vue-flow__node-flowai, .vue-flow__node-flowai-loop')]
    .map((el) => { const r = el.getBoundingClientRect();
                   return { id: el.dataset.id, x: r.x, y: r.y, w: r.width, h: r.height }; })"""


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    """Pairs of node boxes that overlap (a loop and the nodes inside it are meant to)."""
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if (
                a["x"] < b["x"] + b["w"]
                and b["x"] < a["x"] + a["w"]
                and a["y"] < b["y"] + b["h"]
                and b["y"] < a["y"] + a["h"]
            ):
                found.append((a["id"], b["id"]))
    return found


def inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"]
        and inner["y"] >= outer["y"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )


def chain(count: int = 4, prompt: str = "{{in.q}}") -> dict:
    """input -> ``count`` echo LLMs side by side (all fed by the input) -> output of the first."""
    nodes = [
        {
            "id": "in",
            "type": "input",
            "label": "Start",
            "position": {"x": 0, "y": 0},
            "config": {"fields": [{"name": "q", "type": "string"}]},
        }
    ]
    edges = []
    for k in range(1, count + 1):
        nodes.append(
            {
                "id": f"llm{k}",
                "type": "llm",
                "label": f"Writer {k}",
                "position": {"x": 320, "y": (k - 1) * 200},
                "config": {"model": "echo", "prompt": prompt},
            }
        )
        edges.append({"source": "in", "target": f"llm{k}"})
    nodes.append(
        {
            "id": "out",
            "type": "output",
            "label": "End",
            "position": {"x": 700, "y": 0},
            "config": {"value": "{{llm1.text}}"},
        }
    )
    edges.append({"source": "llm1", "target": "out"})
    return {"format": "flowai/1", "name": "Four writers", "nodes": nodes, "edges": edges}


@pytest.fixture(scope="module")
def fake():
    fake = FakeOpenAI()
    with ThreadServer(fake.app) as server:
        fake.url = f"{server.url}/v1"
        yield fake


@pytest.fixture(scope="module")
def served(tmp_path_factory, fake):
    home = tmp_path_factory.mktemp("editor-layout")
    app = ServedApp.start(home, env={"OPENAI_API_KEY": fake.api_key, "OPENAI_BASE_URL": fake.url})
    app.home = home
    try:
        with chromium() as browser:
            admin_page(browser, app).context.close()  # creates the admin account
            app.browser = browser
            yield app
    finally:
        app.stop()


def open_page(served, *, width: int = 1440, height: int = 900):
    page = admin_page(served.browser, served, width=width, height=height)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(20_000)
    page.errors = errors
    return page


@pytest.fixture
def page(served):
    page = open_page(served)
    yield page
    page.context.close()


def boxes(page) -> list[dict]:
    return page.evaluate(BOXES)


def wait_dirty(page) -> None:
    """Until the canvas reports an edit (an auto-layout of 200 nodes takes seconds on a loaded machine)."""
    # (the toolbar's state: unsaved as a version; the canvas's own flag clears once the draft is kept)
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-dirty", "true", timeout=90_000)


def save(page, version: int) -> None:
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-state")).to_contain_text(f"version {version}")


def test_auto_layout_of_the_200_node_bench_graph_leaves_no_two_nodes_overlapping(served, page):
    wf_id = make_workflow(served.home, bench_document())
    open_editor(page, served, wf_id)
    page.get_by_test_id("auto-layout").click()
    wait_dirty(page)
    found = boxes(page)
    assert len(found) == 200
    assert overlapping(found) == []
    save(page, 2)
    doc = stored(served.home).version(owner_id=1, workflow_id=wf_id, number=2).document
    xs = [n["position"]["x"] for n in doc["nodes"]]  # a chain, left to right
    assert xs == sorted(xs) and len(set(xs)) == 200
    shot(page, "editor-layout-bench")
    # one undo step puts every node back
    page.keyboard.press("Control+z")
    save(page, 3)
    again = stored(served.home).version(owner_id=1, workflow_id=wf_id, number=3).document
    assert [n["position"] for n in again["nodes"]] == [n["position"] for n in bench_document()["nodes"]]
    assert page.errors == []


def test_auto_layout_keeps_a_loops_nodes_inside_its_frame_and_a_stage_together(served, page):
    doc = loop_flow()
    doc["stages"] = [{"id": "script", "label": "Script", "nodes": ["in", "free"]}]
    wf_id = make_workflow(served.home, doc)
    open_editor(page, served, wf_id)
    page.keyboard.press("Shift+L")
    wait_dirty(page)
    expect(node(page, "llm")).to_be_visible()

    def framed() -> bool:  # the frames follow their nodes a few frames later
        frame = page.get_by_test_id("stage-script").bounding_box()
        return inside(node(page, "llm").bounding_box(), node(page, "lp").bounding_box()) and all(
            inside(node(page, nid).bounding_box(), frame) for nid in ("in", "free")
        )

    wait_until(framed, message="the loop's and the stage's frames did not come around their nodes")
    assert inside(node(page, "llm").bounding_box(), node(page, "lp").bounding_box())
    frame = page.get_by_test_id("stage-script").bounding_box()
    for nid in ("in", "free"):
        assert inside(node(page, nid).bounding_box(), frame)
    assert overlapping([b for b in boxes(page) if b["id"] != "lp"]) == []
    save(page, 2)
    saved = stored(served.home).version(owner_id=1, workflow_id=wf_id, number=2).document
    assert next(n for n in saved["nodes"] if n["id"] == "llm")["parent"] == "lp"
    assert page.errors == []


def test_after_a_run_that_streams_long_text_no_node_overlaps_another(served, page):
    wf_id = make_workflow(served.home, chain())
    open_editor(page, served, wf_id)
    assert overlapping(boxes(page)) == []
    long_text = " ".join(f"word{k}" for k in range(400))
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-input-q").fill(long_text)
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed", timeout=30_000)
    results = node(page, "llm2").locator('[data-role="results"]')
    expect(results.locator('[data-role="stream"]')).to_contain_text("word399")
    assert overlapping(boxes(page)) == []
    shot(page, "editor-layout-after-run")
    # the whole text on click, collapsed again on a second click
    short = results.bounding_box()["height"]
    assert short < 80
    results.click()
    expect(results).to_have_attribute("data-open", "true")
    assert results.bounding_box()["height"] > short + 40
    results.click()
    expect(results).to_have_attribute("data-open", "false")
    assert page.errors == []


def test_click_to_add_puts_each_node_on_a_free_spot(served, page):
    wf_id = make_workflow(served.home, chain(1))
    open_editor(page, served, wf_id)
    for k in range(1, 4):
        page.get_by_test_id("palette-template").click()
        expect(node(page, f"template_{k}")).to_be_visible()
    assert overlapping(boxes(page)) == []
    assert page.errors == []


def test_palette_search_filters_in_both_languages_and_enter_adds_the_first_match(served, page):
    wf_id = make_workflow(served.home, chain(1))
    open_editor(page, served, wf_id)
    search = page.get_by_test_id("palette-search")
    search.fill("templ")
    expect(page.get_by_test_id("palette-template")).to_be_visible()
    expect(page.get_by_test_id("palette-llm")).to_be_hidden()
    search.fill("模板")  # the 中文 title, typed in the English editor
    expect(page.get_by_test_id("palette-template")).to_be_visible()
    expect(page.get_by_test_id("palette-input")).to_be_hidden()
    search.press("Enter")
    expect(node(page, "template_1")).to_be_visible()
    expect(search).to_have_value("")
    expect(page.get_by_test_id("palette-llm")).to_be_visible()
    search.fill("no such node")
    expect(page.get_by_test_id("palette-none")).to_be_visible()
    search.press("Enter")
    expect(node(page, "template_2")).to_have_count(0)
    assert page.errors == []


def test_select_all_menu_and_shortcut_help(served, page):
    wf_id = make_workflow(served.home, chain(2))
    open_editor(page, served, wf_id)
    page.get_by_test_id("canvas").click(position={"x": 30, "y": 30})
    page.keyboard.press("Control+a")
    expect(page.locator(".vue-flow__node-flowai.selected")).to_have_count(4)

    # right-click a node: duplicate it beside itself
    node(page, "llm2").locator(".fa-head").click(button="right")
    menu = page.locator('[data-role="context-menu"]')
    expect(menu.locator(".fa-menu-item")).to_have_count(5)
    menu.locator('[data-action="duplicate"]').click()
    expect(node(page, "llm_1")).to_be_visible()
    assert overlapping(boxes(page)) == []
    # ... delete it again
    node(page, "llm_1").locator(".fa-head").click(button="right")
    menu.locator('[data-action="delete"]').click()
    expect(node(page, "llm_1")).to_have_count(0)
    # right-click the canvas: a note
    page.get_by_test_id("canvas").click(position={"x": 40, "y": 500}, button="right")
    expect(menu.locator(".fa-menu-item")).to_have_count(3)
    menu.locator('[data-action="note"]').click()
    expect(page.get_by_test_id("note-note_1")).to_be_visible()

    page.get_by_test_id("canvas").click(position={"x": 30, "y": 30})
    page.keyboard.press("?")
    help_ = page.get_by_test_id("shortcut-help")
    expect(help_).to_be_visible()
    expect(help_.locator('[data-role="shortcut"]')).to_have_count(len(SHORTCUTS))
    expect(help_).to_contain_text("Ctrl/⌘ + A")
    expect(help_).to_contain_text("Shift + L")
    shot(page, "editor-shortcuts")
    page.get_by_test_id("shortcut-close").click()
    expect(help_).to_have_count(0)
    assert page.errors == []


def test_the_minimap_is_off_until_asked_for_and_remembered(served, page):
    wf_id = make_workflow(served.home, chain(2))
    open_editor(page, served, wf_id)
    expect(page.locator(".vue-flow__minimap")).to_have_count(0)
    page.locator('[data-role="minimap-toggle"]').click()
    expect(page.locator(".vue-flow__minimap")).to_be_visible()
    page.reload()
    page.wait_for_selector('[data-testid="canvas"][data-ready="true"]')
    expect(page.locator(".vue-flow__minimap")).to_be_visible()
    page.locator('[data-role="minimap-toggle"]').click()
    expect(page.locator(".vue-flow__minimap")).to_have_count(0)
    assert page.errors == []


def test_at_1024_px_the_panels_collapse_and_the_canvas_widens(served):
    page = open_page(served, width=1024, height=768)
    try:
        wf_id = make_workflow(served.home, chain(2))
        open_editor(page, served, wf_id)
        canvas = page.get_by_test_id("canvas")
        narrow = canvas.bounding_box()["width"]
        assert narrow > 480  # a narrower side panel below 1280 px (it was ~400 px)
        shot(page, "editor-1024-en")
        page.get_by_test_id("toggle-palette").click()
        expect(page.get_by_test_id("palette")).to_be_hidden()
        page.get_by_test_id("toggle-panel").click()
        expect(page.get_by_test_id("side-panel")).to_be_hidden()
        page.wait_for_function(
            "(w) => document.querySelector('[data-testid=canvas]')"
            ".getBoundingClientRect().width > Math.max(w + 400, 940)",
            arg=narrow,
        )
        shot(page, "editor-1024-collapsed")
        page.reload()  # remembered
        page.wait_for_selector('[data-testid="canvas"][data-ready="true"]')
        expect(page.get_by_test_id("palette")).to_be_hidden()
        expect(page.get_by_test_id("side-panel")).to_be_hidden()
        page.get_by_test_id("toggle-palette").click()
        page.get_by_test_id("toggle-panel").click()
        expect(page.get_by_test_id("side-panel")).to_be_visible()
        expect(page.get_by_test_id("palette")).to_be_visible()
        assert page.errors == []
    finally:
        page.context.close()


def test_at_390_px_the_canvas_fills_the_width_without_sideways_scroll_and_shows_details_on_tap(served):
    page = open_page(served, width=390, height=844)
    try:
        wf_id = make_workflow(served.home, chain(2))
        open_editor(page, served, wf_id)
        canvas = page.get_by_test_id("canvas")
        expect(canvas).to_have_attribute("data-phone", "true")
        expect(canvas).to_have_attribute("data-readonly", "true")
        box = canvas.bounding_box()
        assert box["width"] > 330 and box["height"] > 300
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        node(page, "llm1").locator(".fa-head").click()
        details = page.locator('[data-role="node-details"]')
        expect(details).to_contain_text("Writer 1")
        shot(page, "editor-390-en")
        details.locator('[data-role="details-close"]').click()
        expect(details).to_have_count(0)
        switch_language(page, "简体中文")
        page.wait_for_selector('[data-testid="canvas"][data-ready="true"]')
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, "editor-390-zh")
        switch_language(page, "English")
        assert page.errors == []
    finally:
        page.context.close()


@pytest.mark.parametrize("width", [1440, 1024])
def test_screenshots_in_both_languages(served, width):
    page = open_page(served, width=width, height=900)
    try:
        wf_id = make_workflow(served.home, chain(3))
        open_editor(page, served, wf_id)
        page.get_by_test_id("auto-layout").click()
        wait_dirty(page)
        shot(page, f"editor-{width}-en")
        switch_language(page, "简体中文")
        page.wait_for_selector('[data-testid="canvas"][data-ready="true"]')
        page.get_by_test_id("palette-search").fill("模型")
        node(page, "llm1").locator(".fa-head").click(button="right")
        expect(page.locator('[data-role="context-menu"]')).to_contain_text("自动整理布局")
        shot(page, f"editor-{width}-zh")
        page.keyboard.press("Escape")
        switch_language(page, "English")
        assert page.errors == []
    finally:
        page.context.close()


def test_the_toolbar_stays_one_line_and_the_canvas_never_moves_when_statuses_appear(served):
    """Seen: at 1400 px the kept-draft time ("Saved draft · 13:03") wrapped the toolbar, moving the
    whole canvas 16 px down under the designer's pointer (a wire dropped there landed on a node's
    header); at 1024 px a recovered draft's message took five lines and squashed the name to
    nothing. Now what the toolbar says is cut short ("…", whole on hover) and nothing wraps."""
    wf_id = make_workflow(served.home, LLM_CHAT)
    for width in (1400, 1280, 1024):  # after the first, the editor opens on a recovered draft
        page = open_page(served, width=width)
        try:
            open_editor(page, served, wf_id)
            canvas, toolbar = page.get_by_test_id("canvas"), page.get_by_test_id("save-state").locator("xpath=../..")
            top, height = canvas.bounding_box()["y"], toolbar.bounding_box()["height"]
            page.get_by_test_id("palette-llm").click()  # a new node: problems, warnings, a draft to keep
            kept = page.get_by_test_id("draft-state")
            expect(kept).to_contain_text("Saved draft", timeout=30_000, use_inner_text=False)
            expect(page.get_by_test_id("issue-count")).to_contain_text("problem")
            assert canvas.bounding_box()["y"] == top and toolbar.bounding_box()["height"] == height
            assert page.evaluate("document.documentElement.scrollWidth") == width
            name = page.get_by_test_id("wf-name").bounding_box()
            assert name["width"] >= 120, name  # the workflow's name stays readable
            for said in ("save-state", "issue-count", "draft-state"):  # one line each, whole on hover
                label = page.get_by_test_id(said)
                assert label.evaluate("e => e.scrollHeight <= 24"), said
            assert page.get_by_test_id("draft-state").get_attribute("title").startswith("Saved draft")
            # below 1280 px the kept draft's time and the shortcuts button give their room up
            expect(page.get_by_test_id("draft-state")).to_be_visible(visible=width >= 1280)
            if width < 1400:
                expect(page.get_by_test_id("recovered-message")).to_be_visible()
                expect(page.get_by_test_id("discard-recovered")).to_be_visible()
                discard = page.get_by_test_id("discard-recovered").bounding_box()
                assert discard["x"] + discard["width"] <= page.get_by_test_id("undo").bounding_box()["x"]
            shot(page, f"editor-toolbar-{width}")
            assert page.errors == []
        finally:
            page.context.close()
