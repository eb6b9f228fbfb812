"""The canvas in both languages: a graph with every built-in node type, an LLM without model or
prompt and with a temperature out of range, a Replicate node without a model. The node faces (ports,
type tags, problem badges), the problem list and the LLM's form show people's words in the UI
language: no English catalog text in 中文, no raw port id, no ``config.x`` path, no node id, no
pydantic English; the provider select reads "Automatic (priority order)" / "自动（按优先级）"; the
``{}`` button's tooltip never covers the menu it opens. Screenshots in both languages go to
test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from flowai.ports import PortType
from flowai.workflows.graph import FORMAT
from flowai.workflows.starters import blank
from nodes import default_registry
from tests.browser import ServedApp, admin_page, chromium, new_page, shot, sign_in
from tests.editor_support import admin_id, make_workflow, node, open_editor, workflows
from tests.pages_support import switch_language
from tests.test_ui_i18n import _english_lines
from ui.editor_model import default_config

pytestmark = pytest.mark.browser

REGISTRY = default_registry()
PATHS = re.compile(r"\bconfig\.|Field required|Input should|Value error|\bEdge \d")


def _document() -> dict:
    nodes = []
    for n, impl in enumerate(REGISTRY):
        config = default_config(impl)
        if impl.type == "input":
            config = {"fields": [{"name": "主题"}]}
        elif impl.type == "llm":
            config = {**config, "model": "", "prompt": "", "temperature": 5}
        elif impl.type == "replicate":
            config = {}  # no model: "config.model: Field required" to the API
        nodes.append(
            {
                "id": f"{impl.type}_1",
                "type": impl.type,
                "label": f"节点{n + 1}",
                "position": {"x": 60 + (n % 5) * 300, "y": 40 + (n // 5) * 280},
                "config": config,
            }
        )
    return {"format": FORMAT, "name": "每种节点的画布", "nodes": nodes, "edges": []}


def _raw_ports() -> set[str]:
    """Every port id a definition declares (and a condition's branches): none may show as a label."""
    raw = {"case_1", "case_2", "else"}
    for impl in REGISTRY:
        d = impl.definition
        raw |= {p.name for p in (*d.inputs, *d.outputs, *d.body)}
    return raw


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("canvas-zh")
    app = ServedApp.start(home)
    app.home = home
    try:
        with chromium() as browser:
            app.browser = browser
            yield app
    finally:
        app.stop()


@pytest.fixture(scope="module")
def page(served):
    page = admin_page(served.browser, served, width=1600, height=1000)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.set_default_timeout(20_000)
    yield page
    page.context.close()


def _invalid_workflow(home) -> str:
    """A workflow whose kept draft (the editor's autosave, unvalidated) is the graph above."""
    wf_id = make_workflow(home, blank("每种节点的画布", "zh"))
    wfs = workflows(home)
    wfs.keep_draft(owner_id=admin_id(wfs), workflow_id=wf_id, document=_document(), base_version=1)
    wfs.db.dispose()
    return wf_id


def _in_language(page, served, language: str) -> None:
    page.goto(served.url + "/")
    if page.get_by_test_id("language").inner_text().strip() != language:
        switch_language(page, language)


def _faces(page) -> tuple[list[str], list[str], list[str]]:
    """The canvas's port labels, type tags and problem badges' texts."""
    canvas = page.get_by_test_id("canvas")
    names = [x.strip() for x in canvas.locator(".fa-pname").all_inner_texts()]
    types = [x.strip() for x in canvas.locator(".fa-ptype").all_inner_texts()]
    badges = [b.get_attribute("title") or "" for b in canvas.locator('[data-role="badge"]').all()]
    return names, types, badges


def _messages(page) -> list[str]:
    problems = page.get_by_test_id("problems").get_by_test_id("problem")
    expect(problems.first).to_be_visible()
    return [x.strip() for x in problems.all_inner_texts()]


def _raw_in(texts: list[str]) -> list[str]:
    """Texts naming a config path, pydantic's English, or a node by its id."""
    ids = [f"{impl.type}_1" for impl in REGISTRY]
    return [x for x in texts if PATHS.search(x) or any(re.search(rf"(?<![\w.{{]){i}\b", x) for i in ids)]


def _provider_shown(page) -> str:
    node(page, "llm_1").locator(".fa-head").click()
    page.get_by_test_id("node-id").filter(has_text="llm_1").wait_for()
    return page.get_by_test_id("field-provider").input_value()  # (the test id is on the select's input)


def test_the_canvas_problems_and_form_in_chinese_have_no_english_or_raw_ids(served, page):
    wf_id = _invalid_workflow(served.home)
    _in_language(page, served, "简体中文")
    open_editor(page, served, wf_id)
    names, types, badges = _faces(page)
    assert names and types and badges
    messages = _messages(page)
    shot(page, "canvas-every-node-zh")
    left = {
        "port labels": sorted({x for x in names if x in _raw_ports()}),
        "type tags": sorted({x for x in types if x in {t.value for t in PortType}}),
        "badges": _raw_in(badges),
        "problems": _raw_in(messages),
        "english lines": _english_lines(page),
    }
    assert {k: v for k, v in left.items() if v} == {}
    assert "回答" in names and "提示词" in names and "当前项" in names  # titles from the definitions
    assert any("模型：必填" in m for m in messages), messages  # Replicate's model (a pydantic "missing")
    assert any(m.endswith("温度：不能大于 2") for m in messages), messages
    assert "Replicate 模型" in page.get_by_test_id("palette-replicate").inner_text()
    assert _provider_shown(page) == "自动（按优先级）"
    panel = page.get_by_test_id("settings-panel")
    assert _english_lines(page) == []
    assert "auto" not in [x.strip() for x in panel.inner_text().splitlines()]
    shot(page, "canvas-llm-form-zh")
    assert page.errors == []


def test_the_canvas_problems_and_form_in_english_name_fields_by_their_labels(served, page):
    wf_id = _invalid_workflow(served.home)
    _in_language(page, served, "English")
    open_editor(page, served, wf_id)
    names, _, badges = _faces(page)
    messages = _messages(page)
    shot(page, "canvas-every-node-en")
    left = {
        "port labels": sorted({x for x in names if x in _raw_ports()}),
        "badges": _raw_in(badges),
        "problems": _raw_in(messages),
    }
    assert {k: v for k, v in left.items() if v} == {}
    assert "Answer" in names and "Prompt" in names
    assert any("Model: required" in m for m in messages), messages
    assert any(m.endswith("Temperature: must be at most 2") for m in messages), messages
    assert _provider_shown(page) == "Automatic (priority order)"
    select = page.get_by_test_id("field-provider")
    select.click()
    options = page.locator(".q-menu .q-item")
    expect(options.first).to_be_visible()
    shown = [x.strip() for x in options.all_inner_texts()]
    assert "OpenAI" in shown and "openai" not in shown, shown
    page.keyboard.press("Escape")
    shot(page, "canvas-llm-form-en")
    assert page.errors == []


def _small_workflow(home) -> str:
    """Input -> LLM -> output: the LLM's variable menu is short (it opens below its button)."""
    doc = {
        "format": FORMAT,
        "name": "小流程",
        "nodes": [
            {"id": "in", "type": "input", "label": "开始", "config": {"fields": [{"name": "问题"}]}},
            {
                "id": "llm_1",
                "type": "llm",
                "label": "写作",
                "position": {"x": 300, "y": 0},
                "config": {"model": "m", "prompt": "{{in.问题}}"},
            },
            {"id": "out", "type": "output", "position": {"x": 600, "y": 0}, "config": {"value": "{{llm_1.text}}"}},
        ],
        "edges": [{"source": "in", "target": "llm_1"}, {"source": "llm_1", "target": "out"}],
    }
    return make_workflow(home, doc)


def test_the_insert_variable_tooltip_does_not_cover_its_menu(served, page):
    _in_language(page, served, "简体中文")
    open_editor(page, served, _small_workflow(served.home))
    _provider_shown(page)  # the LLM's form is open
    button = page.get_by_test_id("vars-system")
    button.hover()
    tip = page.locator(".q-tooltip").filter(has_text="插入变量")
    tip.wait_for()
    button.click()
    menu = page.get_by_test_id("vars-menu-system")
    menu.wait_for()
    box = button.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the pointer still on it
    page.wait_for_timeout(300)
    shot(page, "canvas-vars-menu-zh")
    if tip.count() and tip.is_visible():
        a, b = tip.bounding_box(), menu.bounding_box()
        overlap = not (
            a["x"] + a["width"] <= b["x"]
            or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"]
            or b["y"] + b["height"] <= a["y"]
        )
        assert not overlap, (a, b)
    page.keyboard.press("Escape")
    assert page.errors == []


def test_the_variable_menu_names_ports_by_their_titles_in_chinese(served, page):
    _in_language(page, served, "简体中文")
    open_editor(page, served, _invalid_workflow(served.home))
    _provider_shown(page)
    page.get_by_test_id("vars-prompt").click()
    menu = page.get_by_test_id("vars-menu-prompt")
    menu.wait_for()
    lines = [x.strip() for x in menu.inner_text().splitlines() if " · " in x]
    raw = [x for x in lines if x.rsplit(" · ", 1)[1] in _raw_ports()]
    assert lines and raw == [], raw  # "节点1 · 文字", not "节点1 · text" (the token below keeps the id)
    types = [x.rsplit(" ", 1)[-1] for x in menu.inner_text().splitlines() if x.strip().startswith("{{")]
    assert types and not {t for t in types if t in {p.value for p in PortType}}, types
    shot(page, "canvas-variable-menu-zh")
    page.keyboard.press("Escape")
    assert page.errors == []
