"""English and 简体中文: the header switch turns every page Chinese, and the account remembers it
across sign-out and sign-in."""

from __future__ import annotations

import re
import string

import httpx
import pytest
from playwright.sync_api import expect

from flowai.demo import EXAMPLES
from tests.browser import new_page, shot, sign_in
from tests.ui_support import browser, demo_app, demo_ids, demo_key, page  # noqa: F401  (fixtures)
from ui.i18n import catalog

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


def _english_patterns() -> list[re.Pattern]:
    """A whole-line pattern for each English catalog text that Chinese says differently. Left out: texts
    Chinese uses as they are ("API", "JSON"), and single lower-case words, which are also data shown
    as it is (a port named ``text``, a field type)."""
    en, zh = catalog("en"), catalog("zh")
    same = set(zh.values())
    patterns = []
    for text in en.values():
        parts = list(string.Formatter().parse(text))
        literal = "".join(lit for lit, *_ in parts)
        if text in same or re.fullmatch(r"[a-z_]+", text) or len(re.findall(r"[A-Za-z]", literal)) < 3:
            continue
        pattern = "".join(re.escape(lit) + (".+?" if name is not None else "") for lit, name, *_ in parts)
        patterns.append(re.compile(pattern))
    return patterns


def _english_lines(page) -> list[str]:
    patterns = _english_patterns()
    lines = {line.strip() for line in page.locator("body").inner_text().splitlines() if line.strip()}
    return sorted(line for line in lines if any(p.fullmatch(line) for p in patterns))


def test_no_english_catalog_text_is_left_on_a_chinese_page(page, demo_app):
    """Every page (and the editor's tabs and trace) in 中文 shows no line of the English catalog."""
    ids, key = demo_ids(demo_app), demo_key(demo_app)
    hello = ids["Hello (demo)"]
    url = f"{demo_app.url}/v1/api/workflow/run/{hello}"
    r = httpx.post(url, headers={"X-API-KEY": key}, json={"input": {"输入": "hi"}}, timeout=30)
    assert r.status_code == 200, r.text
    page.goto(demo_app.url + "/")
    if page.get_by_test_id("language").inner_text().strip() != "简体中文":
        _switch(page, "简体中文")
    page.get_by_test_id("nav-workflows").get_by_text("工作流").wait_for()
    left = {}
    for path, ready in (
        ("/", "workflows"),
        ("/api-keys", "keys"),
        ("/runs", "runs"),
        (f"/runs/{r.headers['X-Run-Id']}", "run-status"),
        ("/providers", "timezone"),
        (f"/workflows/{hello}", "canvas"),
    ):
        page.goto(demo_app.url + path)
        page.get_by_test_id(ready).first.wait_for()
        left[path] = _english_lines(page)
        shot(page, "zh-" + (path.strip("/").split("/")[0] or "workflows") + ("-page" if path.count("/") > 1 else ""))
        if path.startswith("/runs/"):  # Chinese colon and units: "耗时：< 1 毫秒", not "耗时: < 1 ms"
            expect(page.get_by_test_id("node-reply")).to_contain_text(re.compile(r"耗时：[^:]*秒"))
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-input-输入").fill("hi")
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed")
    left["run tab"] = _english_lines(page)
    shot(page, "zh-editor-run")
    page.get_by_test_id("run-trace").click()
    expect(page.get_by_test_id("trace").locator("tbody tr").first).to_contain_text("已完成")  # not "completed"
    left["trace"] = _english_lines(page)
    page.keyboard.press("Escape")
    page.get_by_test_id("tab-versions").click()
    page.get_by_test_id("diff-from").wait_for()
    left["versions tab"] = _english_lines(page)
    assert {where: lines for where, lines in left.items() if lines} == {}
    assert not page.errors


def test_the_english_check_finds_english():
    lines = ["Run", "Saved · version 3", "输入", "Input -> template -> output."]
    patterns = _english_patterns()
    assert [line for line in lines if any(p.fullmatch(line) for p in patterns)] == ["Run", "Saved · version 3"]
