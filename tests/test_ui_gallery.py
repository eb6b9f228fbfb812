"""The template gallery in a real browser: a card per template with its names in English and 中文,
what it makes (in the page's language), its models, a cost estimate and whether its key is set —
read from the credentials, so a key saved on the providers page turns it to "set" — and "Use"
creates the workflow and opens it in the editor."""

from __future__ import annotations

import re

import pytest

from flowai.gallery import TEMPLATES, find
from tests.browser import ServedApp, chromium, new_page, shot, sign_in, signed_in_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    app = ServedApp.start(tmp_path_factory.mktemp("home"))  # no provider key in its environment
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="module")
def page(served):
    with signed_in_page(served) as p:
        yield p


def open_gallery(page, served):
    page.goto(served.url + "/")
    page.get_by_test_id("open-gallery").click()
    page.get_by_test_id("gallery").wait_for()
    return page.get_by_test_id("gallery")


def key_states(page) -> set[str | None]:
    return {page.get_by_test_id(f"key-{t.id}-replicate").get_attribute("data-state") for t in TEMPLATES}


def switch(page, language: str) -> None:
    page.get_by_test_id("language").click()
    page.get_by_role("option", name=language).click()


def test_a_card_per_template_in_both_languages_with_keys_unset_then_set(page, served):
    gallery = open_gallery(page, served)
    assert gallery.locator('[data-testid^="template-"]').count() == len(TEMPLATES) == 14
    for template in TEMPLATES:
        card = page.get_by_test_id(f"template-{template.id}")
        assert page.get_by_test_id(f"title-en-{template.id}").inner_text() == template.title[0]
        assert page.get_by_test_id(f"title-zh-{template.id}").inner_text() == template.title[1]
        assert template.produces[0] in card.inner_text()
        assert all(m.rsplit("/", 1)[-1] in card.inner_text() for m in template.models)
    assert key_states(page) == {"missing"}
    assert "REPLICATE_API_KEY is missing" in page.get_by_test_id("key-photo_restore-replicate").inner_text()
    assert page.get_by_test_id("cost-product_shoot").inner_text().startswith("≈ $0.24 per run")
    shot(page, "gallery-en")

    page.goto(served.url + "/providers")  # the key saved on the providers page is what the gallery reads
    page.get_by_test_id("set-key-replicate").click()
    page.get_by_test_id("credential-key").fill("r8_saved_here_0123456789")
    page.get_by_test_id("credential-save").click()
    page.get_by_test_id("provider-replicate").get_by_text("saved here").wait_for()

    open_gallery(page, served)
    assert key_states(page) == {"set"}
    page.get_by_test_id("gallery-close").click()
    switch(page, "简体中文")
    page.get_by_test_id("open-gallery").get_by_text("模板库").wait_for()  # the page reloads in Chinese
    open_gallery(page, served)
    card = page.get_by_test_id("template-brand_ai")
    assert find("BrandAI").produces[1] in card.inner_text() and "AI 品牌设计师" in card.inner_text()
    assert "REPLICATE_API_KEY 已设置" in page.get_by_test_id("key-brand_ai-replicate").inner_text()
    shot(page, "gallery-zh")
    page.get_by_test_id("gallery-close").click()
    switch(page, "English")
    page.get_by_test_id("open-gallery").get_by_text("Template gallery").wait_for()
    assert not page.errors


def test_use_creates_the_workflow_and_opens_the_editor(page, served):
    open_gallery(page, served)
    page.get_by_test_id("use-home_visualizer").click()
    page.wait_for_url(re.compile(r"/workflows/[0-9a-f]{32}$"))
    page.get_by_test_id("canvas").wait_for()
    assert page.get_by_test_id("wf-name").input_value() == "HomeVisualizer"
    page.goto(served.url + "/")
    page.get_by_test_id("workflows").locator("tbody tr", has_text="HomeVisualizer").wait_for()
    assert not page.errors
