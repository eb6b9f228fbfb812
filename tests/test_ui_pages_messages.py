"""Messages written for people: validation problems name nodes by label and fields by their
label (never ids or config paths), counts agree with their noun ("Copied 1 node"), and a tooltip
never covers the menu it describes."""

from __future__ import annotations

import pytest

from flowai.errors import GraphError
from flowai.workflows.builder import Graph, field
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from tests.ui_support import browser, demo_app, page  # noqa: F401  (fixtures)
from ui import i18n, issues


@pytest.fixture(params=["en", "zh"])
def lang(request, monkeypatch):
    """The UI language outside a browser session (normally the signed-in user's choice)."""
    monkeypatch.setattr(i18n, "language", lambda: request.param)
    monkeypatch.setattr(issues, "language", lambda: request.param)
    return request.param


def test_counts_agree_with_their_noun(lang):
    one, two = i18n.t("editor.copied_nodes", n=1), i18n.t("editor.copied_nodes", n=2)
    if lang == "en":
        assert (one, two) == ("Copied 1 node", "Copied 2 nodes")
        assert (i18n.t("editor.issues", n=1), i18n.t("editor.issues", n=3)) == ("1 problem", "3 problems")
    else:
        assert (one, two) == ("已复制 1 个节点", "已复制 2 个节点")


def test_validation_problems_use_labels_not_ids_or_config_paths(lang):
    registry = default_registry()
    doc = (
        Graph("Not wired")
        .input(field("question"), id="input_1", label="Question")
        .node("llm_1", "llm", "Writer", prompt="Reply to: {{input_1.question}}", max_tokens="many")
        .output("{{llm_1.text}}", label="Answer")
        .edge("llm_1", "out", "text", "value")
        .edge("llm_1", "ghost", "text", "value")
        .doc
    )
    with pytest.raises(GraphError) as caught:
        compile_graph(doc, registry)
    said = [issues.for_people(issue, doc, registry) for issue in caught.value.issues]
    assert len(said) >= 3
    for text in said:
        assert "config." not in text and "input_1" not in text and "llm_1" not in text, text
    joined = "\n".join(said)
    assert "“Writer”" in joined and "“Question”" in joined
    assert ("“Prompt”" if lang == "en" else "“提示词”") in joined
    assert ("“Max tokens”" if lang == "en" else "“最大 token 数”") in joined


@pytest.mark.browser
def test_the_theme_tooltip_does_not_cover_its_menu(page, demo_app):
    page.goto(demo_app.url + "/")
    button = page.get_by_test_id("theme")
    button.hover()
    tip = page.get_by_test_id("theme-tip")
    tip.wait_for()
    button.click()
    menu = page.get_by_test_id("theme-menu")
    menu.wait_for()
    page.mouse.move(*_centre(button.bounding_box()))  # the pointer still over the button
    page.wait_for_timeout(300)
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
    assert not page.errors


def _centre(box) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
