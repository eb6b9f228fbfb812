"""The editor, the Studio and the template gallery in a real browser, light and dark, English and
简体中文, at 1400 px: text contrasts with what is behind it (WCAG AA, 4.5:1) and nothing is a light
island on a dark page (the canvas, its node cards, the palette, the side panel, dialogs). The
colours are read from the computed styles, through the canvas's shadow root. Screenshots go to
test-artifacts/ (editor-<theme>-<lang>-*.png, studio-*, gallery-*). At 390 px the editor is a
read-only view: its workflow name cannot be changed either."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import ServedApp, admin_page, new_page, shot, sign_in
from tests.editor_support import make_workflow, open_editor, select
from tests.pages_support import switch_language
from tests.ui_support import browser, demo_ids, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

AA = 4.5

# An element's text colour and the colour really behind it (its own background and its ancestors',
# alpha-blended, across shadow roots), the WCAG contrast ratio of the two, and the luminances.
COLOURS = """(el) => {
  const parse = (c) => {
    const m = c && c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const up = (e) => e.parentElement || (e.getRootNode && e.getRootNode().host) || null;
  const layers = [];
  for (let e = el; e; e = up(e)) {
    const bg = parse(getComputedStyle(e).backgroundColor);
    if (bg && bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
  }
  let base = [255, 255, 255];
  for (const [r, g, b, a] of layers.reverse()) {
    base = [r * a + base[0] * (1 - a), g * a + base[1] * (1 - a), b * a + base[2] * (1 - a)];
  }
  const c = parse(getComputedStyle(el).color) || [0, 0, 0, 1];
  const fg = [0, 1, 2].map((i) => c[i] * c[3] + base[i] * (1 - c[3]));
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [l1, l2] = [lum(fg), lum(base)];
  return { ratio: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05), bg: lum(base), fg: l1,
           text: (el.innerText || el.value || "").slice(0, 40) };
}"""

# Visible elements of some size whose own opaque background is light: on a dark page, islands.
ISLANDS = """(root) => {
  const found = [];
  const lum = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return 0;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    if (p.length > 3 && p[3] < 0.5) return 0;
    const [r, g, b] = p.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const walk = (node) => {
    for (const el of node.querySelectorAll("*")) {
      if (el.shadowRoot) walk(el.shadowRoot);
      const box = el.getBoundingClientRect();
      if (el.matches(".q-focus-helper, .q-ripple__inner")) continue;  // hover and click veils, not surfaces
      if (box.width * box.height < 600 || box.width < 16 || box.height < 12) continue;
      if (box.bottom < 0 || box.right < 0 || box.top > innerHeight || box.left > innerWidth) continue;
      const style = getComputedStyle(el);
      if (style.visibility === "hidden" || style.display === "none" || Number(style.opacity) === 0) continue;
      const l = lum(style.backgroundColor);
      const name = String(el.className.baseVal ?? el.className).slice(0, 60);
      const text = (el.innerText || "").slice(0, 30);
      if (l > 0.4) found.push(`${el.tagName.toLowerCase()}.${name} ${l.toFixed(2)} ${text}`);
    }
  };
  walk(root);
  return found;
}"""


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """``flowai serve --demo``, and its home (workflows are added to its database)."""
    home = tmp_path_factory.mktemp("home")
    app = ServedApp.start(home, "--demo")
    app.home = home  # type: ignore[attr-defined]
    try:
        yield app
    finally:
        app.stop()


def _theme(page, theme: str) -> None:
    page.get_by_test_id("theme").click()
    page.get_by_test_id(f"theme-{theme}").click()
    page.keyboard.press("Escape")


def colours(locator) -> dict:
    return locator.evaluate(COLOURS)


class Findings:
    """Every contrast or island problem of a run, so one run shows them all."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def readable(self, where: str, locator, minimum: float = AA) -> None:
        locator.first.wait_for()
        for c in locator.evaluate_all(f"(els) => els.map({COLOURS})"):
            if c["ratio"] < minimum:
                self.problems.append(f"{where}: {c['text']!r} contrast {c['ratio']:.2f} < {minimum}")

    def background(self, where: str, locator, dark: bool) -> None:
        c = colours(locator)
        if dark and c["bg"] > 0.1 or not dark and c["bg"] < 0.7:
            self.problems.append(f"{where}: background luminance {c['bg']:.2f} in {'dark' if dark else 'light'}")

    def no_islands(self, where: str, page) -> None:
        islands = page.evaluate(ISLANDS, page.locator("body").element_handle())
        self.problems += [f"{where}: light island {e}" for e in islands]


def _check_editor(page, found: Findings, where: str, dark: bool) -> None:
    canvas = page.get_by_test_id("canvas")
    found.readable(f"{where} palette", page.locator('[data-testid^="palette-"][draggable="true"] > div'))
    found.background(f"{where} palette item", page.locator('[data-testid="palette-llm"]'), dark)
    found.background(f"{where} canvas", canvas.locator(".fa-canvas"), dark)
    found.background(f"{where} node card", canvas.locator(".fa-node").first, dark)
    found.readable(f"{where} node title", canvas.locator(".fa-label"))
    found.readable(f"{where} port name", canvas.locator(".fa-pname"))
    found.readable(f"{where} workflow name", page.locator('input[data-testid="wf-name"]'))
    found.readable(f"{where} save state", page.get_by_test_id("save-state"))
    found.readable(f"{where} description", page.get_by_test_id("wf-description"))
    found.readable(f"{where} panel labels", page.locator('[data-testid="side-panel"] .q-field__label'))
    found.background(f"{where} controls", canvas.locator(".vue-flow__controls-button").first, dark)


def _editor_views(page, app, found: Findings, where: str, dark: bool) -> None:
    """The Hello demo with its panel tabs and the shortcuts dialog; the LLM chat demo (a problem badge)."""
    ids = demo_ids(app)
    open_editor(page, app, ids["Hello (demo)"])
    _check_editor(page, found, where, dark)
    shot(page, f"{where}-hello")
    if dark:
        found.no_islands(f"{where} hello", page)
    page.get_by_test_id("canvas").locator(".fa-node .fa-head").first.click()
    page.get_by_test_id("node-id").wait_for()
    found.readable(f"{where} node form inputs", page.locator('[data-testid="side-panel"] .q-field__native'))
    shot(page, f"{where}-node")
    page.get_by_test_id("tool-pin").click()
    page.get_by_test_id("pin-dialog").wait_for()
    found.readable(f"{where} pin value", page.locator('[data-testid="pin-dialog"] .q-field__native'))
    shot(page, f"{where}-pin")
    if dark:
        found.no_islands(f"{where} pin", page)
    page.keyboard.press("Escape")
    page.get_by_test_id("pin-dialog").wait_for(state="detached")
    page.get_by_test_id("tab-run").click()
    page.wait_for_timeout(300)
    found.readable(f"{where} run panel inputs", page.locator('[data-testid="side-panel"] .q-field__native'))
    page.locator('[data-testid^="run-input-"]').first.fill("hi")
    page.get_by_test_id("run-start").click()
    page.locator('[data-testid="run-status"][data-state="completed"]').wait_for()
    found.readable(f"{where} run output", page.get_by_test_id("run-output-text"))
    shot(page, f"{where}-run")
    if dark:
        found.no_islands(f"{where} run", page)
    page.get_by_test_id("run-trace").click()
    page.get_by_test_id("trace").wait_for()
    page.wait_for_timeout(300)
    found.readable(f"{where} trace", page.locator('[data-testid="trace"] .text-sm, [data-testid="trace"] .text-xs'))
    shot(page, f"{where}-trace")
    if dark:
        found.no_islands(f"{where} trace", page)
    page.keyboard.press("Escape")
    page.get_by_test_id("trace").wait_for(state="detached")
    page.get_by_test_id("publish").click()
    page.get_by_test_id("publish-confirm").click()
    page.get_by_test_id("published-dialog").wait_for()
    found.readable(
        f"{where} published", page.locator('[data-testid="published-dialog"] :is(.text-base, .text-xs, .font-mono)')
    )
    shot(page, f"{where}-published")
    if dark:
        found.no_islands(f"{where} published", page)
    page.get_by_test_id("published-close").click()
    page.get_by_test_id("tab-versions").click()
    page.wait_for_timeout(300)
    shot(page, f"{where}-versions")
    if dark:
        found.no_islands(f"{where} versions", page)
    page.get_by_test_id("shortcuts").click()
    page.get_by_test_id("shortcut-help").wait_for()
    found.readable(f"{where} shortcut keys", page.locator('[data-testid="shortcut-help"] .font-mono'))
    shot(page, f"{where}-shortcuts")
    if dark:
        found.no_islands(f"{where} shortcuts", page)
    page.get_by_test_id("shortcut-close").click()

    open_editor(page, app, ids["LLM chat"])
    canvas = page.get_by_test_id("canvas")
    canvas.locator(".fa-badge").first.wait_for()
    found.readable(f"{where} problem badge", canvas.locator(".fa-badge"))
    found.readable(f"{where} node problem", canvas.locator(".fa-issue"))
    found.readable(f"{where} problem list", page.locator('[data-testid="problem"] .text-sm'))
    found.readable(f"{where} problem count", page.get_by_test_id("issue-count"))
    _check_editor(page, found, where, dark)
    canvas.locator(".vue-flow__pane").click(button="right", position={"x": 120, "y": 120})
    canvas.locator('[data-role="context-menu"]').wait_for()
    found.readable(f"{where} context menu", canvas.locator(".fa-menu-item"))
    shot(page, f"{where}-llm")
    if dark:
        found.no_islands(f"{where} llm", page)
    page.keyboard.press("Escape")


def test_editor_studio_and_gallery_in_both_languages_and_both_themes(page, demo_app):
    found = Findings()
    for lang, language in (("zh", "简体中文"), ("en", "English")):
        page.goto(demo_app.url + "/")
        page.get_by_test_id("workflows").wait_for()
        if page.get_by_test_id("language").inner_text().strip() != language:
            switch_language(page, language)
        for theme in ("light", "dark"):
            dark = theme == "dark"
            page.goto(demo_app.url + "/")
            page.get_by_test_id("workflows").wait_for()
            _theme(page, theme)
            where = f"editor-{theme}-{lang}"
            _editor_views(page, demo_app, found, where, dark)

            page.goto(demo_app.url + "/studio")
            page.get_by_test_id("studio-new").wait_for()
            found.readable(f"studio-{theme}-{lang} fields", page.locator('[data-testid="studio-new"] .q-field__native'))
            projects = page.locator('[data-testid="studio-empty"], [data-testid^="project-"] :is(.text-sm, .text-xs)')
            found.readable(f"studio-{theme}-{lang} projects", projects)
            shot(page, f"studio-{theme}-{lang}")
            if dark:
                found.no_islands(f"studio-{theme}-{lang}", page)
            page.get_by_test_id("studio-novel").fill("Chapter 1. A fox finds a lantern in the snow.")
            page.get_by_test_id("studio-create").click()
            page.wait_for_url("**/studio/*")
            page.wait_for_load_state("networkidle")
            found.readable(f"studio-project-{theme}-{lang}", page.locator(".q-page .text-sm:not(a):not(.q-btn *)"))
            shot(page, f"studio-project-{theme}-{lang}")
            if dark:
                found.no_islands(f"studio-project-{theme}-{lang}", page)

            page.goto(demo_app.url + "/")
            page.get_by_test_id("import-workflow").click()
            page.get_by_test_id("import-paste").wait_for()
            found.readable(f"import-{theme}-{lang}", page.locator(".q-dialog .q-field__native"))
            shot(page, f"import-{theme}-{lang}")
            if dark:
                found.no_islands(f"import-{theme}-{lang}", page)
            page.keyboard.press("Escape")
            page.get_by_test_id("open-gallery").click()
            gallery = page.get_by_test_id("gallery")
            gallery.wait_for()
            texts = gallery.locator('[data-testid^="title-"], [data-testid^="cost-"], [data-testid^="key-"]')
            found.readable(f"gallery-{theme}-{lang} text", texts)
            shot(page, f"gallery-{theme}-{lang}")
            if dark:
                found.no_islands(f"gallery-{theme}-{lang}", page)
            page.get_by_test_id("gallery-close").click()
    _theme(page, "system")
    assert not found.problems, "\n".join(found.problems)
    assert not page.errors


def test_at_390_px_the_workflow_name_is_read_only_too(browser, demo_app):  # noqa: F811
    wf_id = demo_ids(demo_app)["Parallel branches (demo)"]
    phone = new_page(browser, width=390, height=844)
    try:
        phone.emulate_media(color_scheme="dark")
        sign_in(phone, demo_app)
        open_editor(phone, demo_app, wf_id)
        name = phone.locator('input[data-testid="wf-name"]')
        before = name.input_value()
        assert phone.get_by_test_id("canvas").get_attribute("data-readonly") == "true"
        read_only = "document.querySelector('input[data-testid=\"wf-name\"]').readOnly"
        try:  # the page learns it is on a phone once the canvas is drawn
            phone.wait_for_function(read_only, timeout=3_000)
        except PlaywrightTimeout:
            pass
        name.click()
        phone.keyboard.type(" renamed")
        phone.wait_for_timeout(600)
        assert name.input_value() == before
        assert phone.evaluate(read_only)
        canvas = phone.get_by_test_id("canvas")
        canvas.locator(".fa-node .fa-head").first.click()
        canvas.locator('[data-role="node-details"]').wait_for()
        found = Findings()
        found.background("details", canvas.locator('[data-role="node-details"]'), dark=True)
        found.readable("details", canvas.locator('[data-role="node-details"] .fa-label'))
        shot(phone, "editor-390-readonly-dark")
        assert not found.problems, found.problems
    finally:
        phone.context.close()  # a disconnect keeps whatever the page had changed as a draft
    wide = new_page(browser)
    try:
        sign_in(wide, demo_app)
        open_editor(wide, demo_app, wf_id)
        assert wide.locator('input[data-testid="wf-name"]').input_value() == before
        assert wide.get_by_test_id("recovered-message").is_hidden()
    finally:
        wide.context.close()


# How long a tab of the side panel and a port's "+" inside the canvas's shadow root take to change
MOTION = """() => {
  const plus = document.querySelector('.fa-host').shadowRoot.querySelector('.fa-plus');
  return [document.querySelector('.q-tab'), plus].map((el) => getComputedStyle(el).transitionDuration);
}"""


def test_a_system_asking_for_reduced_motion_gets_no_transitions(browser, demo_app):  # noqa: F811
    """WCAG 2.3.3: where the system asks for reduced motion, the page's and the canvas's transitions
    end at once; elsewhere they run."""
    wf_id = demo_ids(demo_app)["Parallel branches (demo)"]
    for motion, durations in (("no-preference", ["0.3s, 0.3s", "0.1s"]), ("reduce", ["1e-05s", "1e-05s"])):
        page = admin_page(browser, demo_app)
        try:
            page.emulate_media(reduced_motion=motion)
            open_editor(page, demo_app, wf_id)
            assert page.evaluate(MOTION) == durations, motion
        finally:
            page.context.close()


def test_every_canvas_colour_has_a_light_and_a_dark_value():
    """The canvas's colour variables: each one used has its light value (``:host`` in the canvas's
    stylesheet) and its dark value (ui/theme.py), and neither set names one nobody uses."""
    import re

    from ui.canvas.flow_canvas import CSS
    from ui.theme import CANVAS_DARK_CSS

    host = CSS[CSS.index(":host {\n") : CSS.index("}", CSS.index(":host {\n"))]
    light = set(re.findall(r"(--fa-[a-z-]+):", host))
    dark = set(re.findall(r"(--fa-[a-z-]+):", CANVAS_DARK_CSS))
    used = set(re.findall(r"var\((--fa-[a-z-]+)\)", CSS))
    assert used == light == dark


def parts_flow() -> dict:
    """A loop with a node inside, a stage around the input, a sticky note: every kind of frame."""
    return {
        "format": "flowai/1",
        "name": "Parts",
        "nodes": [
            {
                "id": "in",
                "type": "input",
                "position": {"x": 0, "y": 120},
                "config": {"fields": [{"name": "xs", "type": "json"}]},
            },
            {
                "id": "lp",
                "type": "loop",
                "label": "Shots",
                "position": {"x": 300, "y": 40},
                "config": {"items": "{{in.xs}}", "concurrency": 2},
            },
            {
                "id": "llm",
                "type": "llm",
                "label": "Draw",
                "parent": "lp",
                "position": {"x": 480, "y": 160},
                "config": {"model": "echo", "prompt": "shot {{lp.index}}: {{lp.item}}"},
            },
            {"id": "out", "type": "output", "position": {"x": 1000, "y": 120}, "config": {"value": "{{lp.results}}"}},
        ],
        "edges": [{"source": "in", "target": "lp"}, {"source": "lp", "target": "out"}],
        "stages": [{"id": "script", "label": "Script", "nodes": ["in"]}],
        "notes": [
            {
                "id": "note_1",
                "text": "Ask for JSON here · 这里要 JSON",
                "position": {"x": 0, "y": -160},
                "size": {"width": 260, "height": 120},
            }
        ],
    }


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_loops_stages_notes_minimap_and_the_node_picker_in_both_themes(page, demo_app, theme):
    wf_id = make_workflow(demo_app.home, parts_flow())
    page.goto(demo_app.url + "/")
    page.get_by_test_id("workflows").wait_for()
    _theme(page, theme)
    dark = theme == "dark"
    found = Findings()
    open_editor(page, demo_app, wf_id)
    canvas = page.get_by_test_id("canvas")
    if canvas.get_attribute("data-minimap") != "true":  # remembered by the browser
        canvas.locator('[data-role="minimap-toggle"]').click()
    canvas.locator(".vue-flow__minimap").wait_for()
    found.background("minimap", canvas.locator(".vue-flow__minimap"), dark)
    found.readable("loop title", canvas.locator(".fa-loop .fa-label"))
    found.readable("loop hint", canvas.locator(".fa-loop-summary, .fa-loop-hint"), 3.0)
    found.readable("stage title", canvas.locator(".fa-stage-label"))
    found.readable("note text", canvas.locator(".fa-note-text"))
    found.readable("port names", canvas.locator(".fa-pname"))
    shot(page, f"editor-{theme}-parts")
    if dark:
        found.no_islands("parts", page)
    canvas.locator(".fa-port-out").first.hover()
    canvas.locator(".fa-port-plus").first.click()
    canvas.locator(".fa-picker").wait_for()
    found.readable("picker items", canvas.locator(".fa-picker-item"))
    found.readable("picker search", canvas.locator(".fa-picker-search"))
    shot(page, f"editor-{theme}-picker")
    if dark:
        found.no_islands("picker", page)
    page.keyboard.press("Escape")
    # a saved change compared with the version before it: old beside new, the node marked on the canvas
    select(page, "out")
    page.get_by_test_id("field-value").fill("{{lp.results}} done")
    page.get_by_test_id("save").click()
    page.get_by_test_id("save-message").fill("Done")
    page.get_by_test_id("save-confirm").click()
    page.get_by_test_id("tab-versions").click()
    page.get_by_test_id("diff-compare").click()
    changed = page.get_by_test_id("diff-field-out-config_value")
    changed.wait_for()
    found.readable("diff", changed.locator('[data-testid="diff-old"], [data-testid="diff-new"]'))
    found.readable("diff title", changed.locator(".text-xs").first)
    page.wait_for_timeout(500)  # the stage frames follow their nodes a moment later
    shot(page, f"editor-{theme}-diff")
    if dark:
        found.no_islands("diff", page)
    _theme(page, "system")
    assert not found.problems, "\n".join(found.problems)
