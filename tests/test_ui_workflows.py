"""The workflows list in a real browser: create (blank, from a template), rename, duplicate,
delete after confirming, import a flowai/1 file, export one."""

from __future__ import annotations

import json
import time

import pytest

from flowai.demo import EXAMPLES, PARALLEL
from tests.browser import shot
from tests.ui_support import browser, copy_with, demo_app, demo_ids, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _row(page, text: str):
    return page.get_by_test_id("workflows").locator("tbody tr", has_text=text)


def _row_id(row) -> str:
    return row.locator("code").inner_text().strip()


@pytest.fixture
def listing(page, demo_app):
    page.goto(demo_app.url + "/")
    page.get_by_test_id("workflows").wait_for()
    return page


def test_create_blank_and_from_a_template(listing):
    page = listing
    page.get_by_test_id("new-workflow").click()
    page.get_by_test_id("new-name").fill("My <i>blank</i> flow")
    page.get_by_test_id("create-workflow").click()
    page.wait_for_url("**/workflows/*")  # Create opens the new workflow's editor
    page.goto(page.url.split("/workflows/")[0] + "/")
    row = _row(page, "My <i>blank</i> flow")  # shown as typed: text, not markup
    row.wait_for()
    assert row.locator("a i").count() == 0 and "My <i>blank</i> flow" in row.locator("a").inner_text()
    assert row.locator("td").nth(2).inner_text().strip() == "1"  # version 1
    assert row.locator("td").nth(3).inner_text().strip() == "—"  # not published
    assert row.locator("a").get_attribute("href") == f"/workflows/{_row_id(row)}"

    page.get_by_test_id("new-workflow").click()
    page.get_by_test_id("new-name").fill("From LLM template")
    page.get_by_test_id("new-template").click()
    page.get_by_role("option", name="LLM chat").click()
    page.get_by_test_id("create-workflow").click()
    page.wait_for_url("**/workflows/*")
    page.goto(page.url.split("/workflows/")[0] + "/")
    _row(page, "From LLM template").wait_for()
    page.get_by_text(f"Workflows ({len(EXAMPLES) + 2})").wait_for()  # the demos and the two made here
    assert not page.errors


def test_rename_duplicate_and_copy_the_id(listing, demo_app):
    page = listing
    wf_id = demo_ids(demo_app)["Parallel branches (demo)"]
    page.get_by_test_id(f"rename-{wf_id}").click()
    page.get_by_test_id("rename-input").fill("Parallel renamed")
    page.get_by_test_id("rename-save").click()
    row = _row(page, "Parallel renamed")
    row.wait_for()
    assert _row_id(row) == wf_id
    assert row.locator("td").nth(2).inner_text().strip() == "1"  # renaming makes no new version

    page.get_by_test_id(f"duplicate-{wf_id}").click()
    copy = _row(page, "Parallel renamed (copy)")
    copy.wait_for()
    assert _row_id(copy) != wf_id
    assert copy.locator("td").nth(3).inner_text().strip() == "—"  # a copy starts unpublished

    assert copy_with(page, page.get_by_test_id(f"copy-id-{wf_id}")) == wf_id
    assert not page.errors


def test_delete_asks_for_confirmation(listing):
    page = listing
    page.get_by_test_id("new-workflow").click()
    page.get_by_test_id("new-name").fill("Doomed")
    page.get_by_test_id("create-workflow").click()
    page.wait_for_url("**/workflows/*")
    page.goto(page.url.split("/workflows/")[0] + "/")
    row = _row(page, "Doomed")
    row.wait_for()
    wf_id = _row_id(row)

    page.get_by_test_id(f"delete-{wf_id}").click()
    dialog = page.get_by_test_id("delete-dialog")
    dialog.get_by_text("“Doomed” and all its versions will be deleted").wait_for()
    page.get_by_test_id("delete-cancel").click()
    dialog.wait_for(state="hidden")
    assert row.is_visible()

    page.get_by_test_id(f"delete-{wf_id}").click()
    page.get_by_test_id("delete-confirm").click()
    row.wait_for(state="detached")
    page.reload()
    page.get_by_test_id("workflows").wait_for()
    assert _row(page, "Doomed").count() == 0
    assert not page.errors


def test_import_then_export_round_trip(listing, tmp_path):
    page = listing
    document = {**PARALLEL, "name": "Imported 并行"}
    path = tmp_path / "flow.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    page.get_by_test_id("import-workflow").click()
    page.get_by_test_id("import-publish").click()
    page.get_by_test_id("import-upload").locator("input[type=file]").set_input_files(str(path))
    row = _row(page, "Imported 并行")
    row.wait_for()
    assert row.locator("td").nth(3).inner_text().strip() == "1"  # published on import
    wf_id = _row_id(row)

    with page.expect_download() as info:
        page.get_by_test_id(f"export-{wf_id}").click()
    exported = json.loads(open(info.value.path(), encoding="utf-8").read())
    assert info.value.suggested_filename.endswith(".json")
    assert exported["format"] == "flowai/1" and exported["name"] == "Imported 并行"
    assert {n["id"] for n in exported["nodes"]} == {n["id"] for n in PARALLEL["nodes"]}
    shot(page, "workflows-list")

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "flowai/1", "name": "broken", "nodes": [], "edges": []}))
    page.get_by_test_id("import-workflow").click()
    page.get_by_test_id("import-upload").locator("input[type=file]").set_input_files(str(bad))
    error = page.get_by_test_id("import-error")
    error.get_by_text("This workflow cannot be imported").wait_for()
    assert _row(page, "broken").count() == 0
    assert not page.errors


def test_a_page_whose_browser_stalls_for_twelve_seconds_keeps_what_was_typed_and_answers_the_next_click(listing):
    """A browser that stops answering for a while (a stalled tab, a network blip, a busy machine)
    comes back to the same page: seen, NiceGUI's default gave up on it after 3 s of silence, so the
    page reloaded itself when it reconnected, losing the name typed in the open dialog, and the
    user's click landed on the reloaded page (a Delete that opened no dialog, a Regenerate that
    sent the old prompt)."""
    page = listing
    page.get_by_test_id("new-workflow").click()
    page.get_by_test_id("new-name").fill("Typed before the stall")
    page.evaluate("window.flowaiSameDocument = true")

    def stall(route):  # the page's script waits on this answer: no socket message is handled meanwhile
        time.sleep(12)
        route.fulfill(body="ok")

    page.route("**/_stall", stall)
    page.evaluate("() => { const r = new XMLHttpRequest(); r.open('GET', '/_stall', false); r.send(); }")
    page.wait_for_timeout(3_000)  # time to reconnect (before: to find its client gone, and reload)
    assert page.evaluate("window.flowaiSameDocument === true"), "the page reloaded itself"
    assert page.get_by_test_id("new-name").input_value() == "Typed before the stall"
    page.get_by_test_id("create-workflow").click()
    page.wait_for_url("**/workflows/*")
    page.goto(page.url.split("/workflows/")[0] + "/")
    _row(page, "Typed before the stall").wait_for()
    assert not page.errors
