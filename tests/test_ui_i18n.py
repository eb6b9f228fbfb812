"""English and 简体中文: the header switch turns every page Chinese, and the account remembers it
across sign-out and sign-in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from flowai.demo import EXAMPLES
from tests.browser import new_page, shot, sign_in
from tests.ui_support import browser, demo_app, demo_ids, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

CHINESE = {  # page -> texts it shows in Chinese
    "/": [f"工作流（{len(EXAMPLES)}）", "新建工作流", "导入", "工作流ID", "已发布版本"],
    "/api-keys": ["API 密钥", "创建新密钥", "已发布的工作流", "如何调用", "有效"],
    "/runs": ["运行记录（0）", "没有符合条件的运行记录。"],
    "/providers": ["时区", "调用优先级", "凭据与配额", "设置配额", "测试连接"],
}


def _switch(page, language: str) -> None:
    page.get_by_test_id("language").click()
    page.get_by_role("option", name=language).click()


def test_switch_to_chinese_everywhere_and_it_is_remembered(page, demo_app):
    page.goto(demo_app.url + "/")
    page.get_by_test_id("nav-workflows").get_by_text("Workflows").wait_for()
    _switch(page, "简体中文")
    page.get_by_test_id("nav-workflows").get_by_text("工作流").wait_for()
    for path, texts in CHINESE.items():
        page.goto(demo_app.url + path)
        for text in texts:
            page.get_by_text(text).first.wait_for()
        assert page.get_by_test_id("nav-api").inner_text() == "API管理"
    page.goto(demo_app.url + "/")
    page.get_by_test_id("workflows").wait_for()
    shot(page, "workflows-zh")

    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/login")
    sign_in(page, demo_app)
    page.get_by_text(f"工作流（{len(EXAMPLES)}）").wait_for()  # remembered on the account, not only in the browser
    assert page.get_by_test_id("nav-runs").inner_text() == "运行记录"

    _switch(page, "English")
    page.get_by_text(f"Workflows ({len(EXAMPLES)})").wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    sign_in(page, demo_app)
    page.get_by_text(f"Workflows ({len(EXAMPLES)})").wait_for()
    assert not page.errors


def test_quasar_texts_api_fields_and_trace_follow_the_language(page, demo_app, browser):
    """Quasar's own texts (a table's pagination) and ``<html lang>`` follow the user's language, per
    browser; the API page describes input fields in Chinese punctuation and words."""
    tts = demo_ids(demo_app)["Text to speech"]
    page.goto(demo_app.url + "/api-keys")
    keys = page.get_by_test_id("keys")
    expect(keys).to_contain_text("Records per page")
    _switch(page, "简体中文")
    expect(page.get_by_test_id("keys")).to_contain_text("每页的行数")
    expect(page.get_by_test_id("keys")).to_contain_text("1-1 / 1")
    assert "Records per page" not in page.get_by_test_id("keys").inner_text()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    expect(page.get_by_test_id(f"fields-{tts}")).to_have_text("输入字段：文本（字符串，必填）")

    other = new_page(browser)  # another browser at the same time keeps its own (default) language
    try:
        other.goto(demo_app.url + "/login")
        other.get_by_test_id("submit").wait_for()
        assert other.evaluate("document.documentElement.lang") == "en-US"
    finally:
        other.context.close()
    page.reload()
    expect(page.get_by_test_id("keys")).to_contain_text("每页的行数")

    _switch(page, "English")
    expect(page.get_by_test_id("keys")).to_contain_text("Records per page")
    expect(page.get_by_test_id(f"fields-{tts}")).to_have_text("Input fields: 文本 (string, required)")
    assert page.evaluate("document.documentElement.lang") == "en-US"
    assert not page.errors
