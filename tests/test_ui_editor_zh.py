"""简体中文 in the editor: every built-in node type's form (added from the palette, its advanced
fields and list items opened) and the editor's toolbar, panels and dialogs show no text of the
English catalog, no English field label and no raw field name. English forms show people's labels,
not field names. Screenshots of each form in both languages go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from flowai.workflows.starters import blank
from nodes import default_registry
from nodes.define import FieldDef
from tests.browser import ServedApp, admin_page, chromium, new_page, shot, sign_in
from tests.editor_support import make_workflow, open_editor
from tests.pages_support import switch_language
from tests.test_ui_i18n import _english_lines

pytestmark = pytest.mark.browser

REGISTRY = default_registry()


def _fields(defs: dict[str, FieldDef]):
    for name, f in defs.items():
        yield name, f
        yield from _fields(f.items or {})


def _raw_names(lang: str) -> set[str]:
    """How a field would look without its definition (its name, or the name made into words), where
    that is not also how a label in ``lang`` reads ("Image" is both a field and its label)."""
    raw, labels = set(), set()
    for impl in REGISTRY:
        for name, f in _fields(impl.definition.all_fields()):
            raw |= {name, name.replace("_", " ").capitalize(), name.replace("_", " ").title()}
            labels.add(f.label.get(lang))
    return raw - labels


def _english_labels() -> set[str]:
    """Every field label whose English differs from its Chinese."""
    return {
        f.label.en for impl in REGISTRY for _, f in _fields(impl.definition.all_fields()) if f.label.en != f.label.zh
    }


def _leftovers(text: str, *, chinese: bool) -> list[str]:
    """Lines (or a slider's "label: value") that are a raw field name or, in Chinese, an English label."""
    bad = _raw_names("zh" if chinese else "en") | (_english_labels() if chinese else set())
    found = []
    for line in (x.strip() for x in text.splitlines()):
        head = re.split(r"[:：]\s", line, maxsplit=1)[0].strip()  # a slider shows "Temperature: 0.7"
        if line in bad or head in bad:
            found.append(line)
    return sorted(set(found))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("editor-zh")
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
    page = admin_page(served.browser, served)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.set_default_timeout(20_000)
    yield page
    page.context.close()


def _open_every_part(page) -> None:
    """Open the form's collapsed parts: Advanced, and one item of every empty list of objects."""
    panel = page.get_by_test_id("settings-panel")
    advanced = panel.locator(".q-expansion-item__container > .q-item")
    for n in range(advanced.count()):
        advanced.nth(n).click()
    adds = panel.locator('[data-testid$="-add"]')
    for n in range(adds.count()):
        button = adds.nth(n)
        key = (button.get_attribute("data-testid") or "")[: -len("-add")]
        if not panel.locator(f'[data-testid="{key}-item-0"]').count():
            button.click()
            panel.locator(f'[data-testid="{key}-item-0"]').wait_for()


def _every_form(page, served, wf_id: str, lang: str) -> dict[str, list[str]]:
    chinese = lang == "zh"
    open_editor(page, served, wf_id)
    left: dict[str, list[str]] = {}
    for impl in REGISTRY:
        kind = impl.type
        before = page.locator(f'[data-testid^="node-{kind}_"]').count()
        page.get_by_test_id(f"palette-{kind}").click()
        expect(page.locator(f'[data-testid^="node-{kind}_"]')).to_have_count(before + 1)
        title = impl.definition.title.get(lang)
        panel = page.get_by_test_id("settings-panel")
        expect(panel.get_by_test_id("node-help")).to_have_text(impl.definition.description.get(lang))
        expect(panel).to_contain_text(title)
        _open_every_part(page)
        for f in impl.definition.fields.values():  # each field shows its label in this language
            if f.widget != "model_params":
                expect(panel).to_contain_text(f.label.get(lang))
        text = panel.inner_text()
        problems = _leftovers(text, chinese=chinese) + (_english_lines(page) if chinese else [])
        if problems:
            left[kind] = problems
        shot(page, f"node-form-{kind}-{lang}")
    return left


def test_every_node_form_in_english_shows_labels_not_field_names(served, page):
    wf_id = make_workflow(served.home, blank("Every node, English", "en"))
    page.goto(served.url + "/")
    if page.get_by_test_id("language").inner_text().strip() != "English":
        switch_language(page, "English")
    assert _every_form(page, served, wf_id, "en") == {}
    assert page.errors == []


def test_every_node_form_in_chinese_has_no_english_left(served, page):
    wf_id = make_workflow(served.home, blank("每种节点", "zh"))
    page.goto(served.url + "/")
    switch_language(page, "简体中文")
    assert _every_form(page, served, wf_id, "zh") == {}
    assert page.errors == []


def test_the_editors_toolbar_panels_and_dialogs_in_chinese(served, page):
    wf_id = make_workflow(served.home, blank("中文编辑器", "zh"))
    page.goto(served.url + "/")
    if page.get_by_test_id("language").inner_text().strip() != "简体中文":
        switch_language(page, "简体中文")
    open_editor(page, served, wf_id)
    left: dict[str, list[str]] = {}

    def check(where: str) -> None:
        lines = _english_lines(page)
        if lines:
            left[where] = lines

    expect(page.get_by_test_id("save-state")).to_have_text("已保存 · 版本 1")
    check("toolbar and workflow settings")
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-start").wait_for()
    check("test-run tab")
    page.get_by_test_id("tab-versions").click()
    page.get_by_test_id("diff-from").wait_for()
    check("versions tab")
    page.get_by_test_id("tab-settings").click()

    page.get_by_test_id("palette-template").click()  # an edit: kept as a draft, then restored
    expect(page.get_by_test_id("draft-state")).to_have_text(re.compile(r"^已保存草稿 · \d\d:\d\d$"), timeout=20_000)
    check("kept draft")
    page.reload()
    page.wait_for_selector('[data-testid="canvas"][data-ready="true"]', timeout=20_000)
    expect(page.get_by_test_id("recovered-message")).to_have_text(re.compile(r"^已恢复你 \d\d:\d\d 未保存的修改$"))
    check("restored draft")
    shot(page, "editor-draft-restored-zh")

    page.get_by_test_id("save").click()
    page.get_by_test_id("save-dialog").wait_for()
    check("save dialog")
    page.get_by_test_id("save-confirm").click()
    expect(page.get_by_test_id("save-state")).to_have_text("已保存 · 版本 2")
    page.get_by_test_id("publish").click()
    page.get_by_test_id("publish-dialog").wait_for()
    check("publish dialog")
    page.get_by_test_id("publish-confirm").click()
    page.get_by_test_id("published-dialog").wait_for()
    expect(page.get_by_test_id("published-api-link")).to_have_text("密钥与调用方法")
    check("published dialog")
    shot(page, "editor-published-dialog-zh")
    page.get_by_test_id("published-close").click()
    assert left == {}
    assert page.errors == []


def test_a_runs_trace_shows_input_ports_under_their_fields_labels_in_chinese(served, page):
    wf_id = make_workflow(served.home, blank("中文运行", "zh"))
    page.goto(served.url + "/")
    if page.get_by_test_id("language").inner_text().strip() != "简体中文":
        switch_language(page, "简体中文")
    open_editor(page, served, wf_id)
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-input-输入").fill("你好")
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed")
    page.goto(f"{served.url}/runs")
    page.get_by_test_id("runs").locator("tbody tr").first.locator("td").nth(4).click()
    page.wait_for_url(re.compile(r".*/runs/[0-9a-f]{32}$"))
    port = page.get_by_test_id("node-out").get_by_test_id("port-value")  # the output node's value port
    expect(port).to_have_text(re.compile(r"^值\s*value$"))
    assert _english_lines(page) == []
    shot(page, "run-trace-zh")
    assert page.errors == []
