"""Drafts survive: the editor keeps its draft on the server a second after each edit (never a
version), and opening it again restores the edits ("Restored your unsaved changes from HH:MM",
Discard goes back to the saved version). Two tabs: the last kept draft wins, saving still gets
the conflict. The Published dialog links to the workflow's API page.

The workflow service and the editor state without a browser first, then the page in Chromium.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from flowai.demo import LLM_CHAT
from flowai.errors import ConflictError, InputError, NotFoundError
from flowai.workflows.graph import compile_graph
from flowai.workflows.starters import blank
from flowai.workflows.store import Workflows
from nodes import default_registry
from storage import queries
from storage.db import make_engine, session
from tests.browser import ADMIN, ServedApp, admin_page, chromium, new_page, shot, sign_in
from tests.editor_support import make_workflow, node, open_editor, select
from tests.manage_client import client, data, login
from ui import editor_intents as i
from ui.editor_model import Draft
from ui.editor_state import EditorState

REGISTRY = default_registry()


# the workflow service -------------------------------------------------------------------------


@pytest.fixture
def wfs(tmp_path) -> Workflows:
    engine = make_engine(f"sqlite:///{tmp_path / 'flowai.db'}")
    with session(engine) as s:
        user = queries.create_user(s, username="ann", password_hash=None)
        s.commit()
        assert user.id == 1
    return Workflows(engine, REGISTRY)


def _with_template(doc: dict, text: str) -> dict:
    edited = copy.deepcopy(doc)
    edited["nodes"].append(
        {"id": "tpl", "type": "template", "label": "T", "position": {"x": 0, "y": 0}, "config": {"template": text}}
    )
    return edited


def test_a_kept_draft_is_no_version_and_comes_back_until_saved_or_dropped(wfs):
    wf, v1 = wfs.create(owner_id=1, document=LLM_CHAT)
    assert wfs.kept_draft(owner_id=1, workflow_id=wf.id) is None  # just saved: nothing kept
    edited = _with_template(v1.document, "half-written {{")  # mid-edit: need not be valid
    at = wfs.keep_draft(owner_id=1, workflow_id=wf.id, document=edited, base_version=1)
    row = wfs.get(owner_id=1, workflow_id=wf.id)
    assert row.latest_version == 1 and len(wfs.versions(owner_id=1, workflow_id=wf.id)) == 1
    assert row.draft == edited and row.draft_base == 1 and row.updated_at == at
    kept = wfs.kept_draft(owner_id=1, workflow_id=wf.id)
    assert kept is not None and kept.document == edited and kept.base == 1 and kept.at == at
    assert kept.saved == v1.document

    again = _with_template(v1.document, "the last writer wins")  # another tab keeps its own
    wfs.keep_draft(owner_id=1, workflow_id=wf.id, document=again, base_version=1)
    assert wfs.kept_draft(owner_id=1, workflow_id=wf.id).document == again

    document, number = wfs.drop_draft(owner_id=1, workflow_id=wf.id)
    assert number == 1 and document == {**v1.document, "name": row.name}
    assert wfs.kept_draft(owner_id=1, workflow_id=wf.id) is None
    assert len(wfs.versions(owner_id=1, workflow_id=wf.id)) == 1


def test_saving_clears_the_kept_draft_and_a_stale_base_still_conflicts(wfs):
    wf, v1 = wfs.create(owner_id=1, document=LLM_CHAT)
    wfs.keep_draft(owner_id=1, workflow_id=wf.id, document=_with_template(v1.document, "a"), base_version=1)
    wfs.save(owner_id=1, workflow_id=wf.id, document=_with_template(v1.document, "saved"), base_version=1)
    assert wfs.kept_draft(owner_id=1, workflow_id=wf.id) is None  # the version is the draft now
    stale = _with_template(v1.document, "based on v1")
    wfs.keep_draft(owner_id=1, workflow_id=wf.id, document=stale, base_version=1)
    kept = wfs.kept_draft(owner_id=1, workflow_id=wf.id)
    assert kept is not None and kept.base == 1  # still based on v1, though v2 exists
    with pytest.raises(ConflictError):
        wfs.save(owner_id=1, workflow_id=wf.id, document=stale, base_version=1)


def test_a_rename_is_no_kept_edit_and_bad_drafts_or_workflows_are_refused(wfs):
    wf, _ = wfs.create(owner_id=1, document=LLM_CHAT)
    wfs.rename(owner_id=1, workflow_id=wf.id, name="Renamed")
    assert wfs.kept_draft(owner_id=1, workflow_id=wf.id) is None
    with pytest.raises(InputError):
        wfs.keep_draft(owner_id=1, workflow_id=wf.id, document={"nodes": "no"}, base_version=1)
    with pytest.raises(NotFoundError):
        wfs.keep_draft(owner_id=1, workflow_id="0" * 32, document={"nodes": []}, base_version=1)
    with pytest.raises(NotFoundError):
        wfs.keep_draft(owner_id=2, workflow_id=wf.id, document={"nodes": []}, base_version=1)  # not theirs


def test_an_edit_undone_and_kept_again_is_no_kept_edit(wfs):
    """The editor keeps the saved document as it holds it (an edit undone): nothing to restore."""
    wf, _ = wfs.create(owner_id=1, document=LLM_CHAT)
    held = Draft(wfs.export(owner_id=1, workflow_id=wf.id), REGISTRY).doc
    wfs.keep_draft(owner_id=1, workflow_id=wf.id, document=held, base_version=1)
    assert wfs.kept_draft(owner_id=1, workflow_id=wf.id) is None


# the editor state -------------------------------------------------------------------------------


def _state() -> EditorState:
    return EditorState(Draft(LLM_CHAT, REGISTRY), validate=lambda d: compile_graph(d, REGISTRY), base=1, published=None)


def test_the_state_knows_what_is_kept_and_recovers_and_discards_by_intents():
    state = _state()
    assert not state.unkept and state.kept_at is None
    state.apply(i.AddNode("template", {"x": 0, "y": 0}))
    assert state.unkept and state.dirty
    at = datetime(2026, 1, 2, 3, 4)
    change = state.apply(i.DraftKept(copy.deepcopy(state.draft.doc), at))
    assert change is not None and change.kept and not state.unkept and state.kept_at == at and state.dirty
    state.apply(i.Saved(2))
    assert not state.unkept and state.kept_at is None

    state = _state()
    recovered = _with_template(state.draft.doc, "kept")
    change = state.apply(i.Recover(recovered, at))
    assert change.graph and change.kept and state.recovered_at == at
    assert state.dirty and not state.unkept and state.draft.node("tpl") is not None
    change = state.apply(i.DiscardRecovered(copy.deepcopy(LLM_CHAT), 3))
    assert change.graph and state.recovered_at is None and state.base == 3
    assert not state.dirty and not state.unkept and state.draft.node("tpl") is None


# in the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("autosave")
    app = ServedApp.start(home)
    app.home = home
    try:
        with chromium() as browser:
            admin_page(browser, app).context.close()  # creates the admin account
            app.browser = browser
            app.api = client(app, login(app, *ADMIN))
            yield app
    finally:
        app.stop()


def _page(served):
    page = admin_page(served.browser, served)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.set_default_timeout(20_000)
    return page


@pytest.fixture
def page(served):
    page = _page(served)
    yield page
    page.context.close()


def _saved_draft() -> re.Pattern:
    return re.compile(r"^Saved draft · \d\d:\d\d$")


def _restored() -> re.Pattern:
    return re.compile(r"^Restored your unsaved changes from \d\d:\d\d$")


def _edit_template(page, text: str) -> None:
    """Add a Template node from the palette and type into its template field."""
    page.get_by_test_id("palette-template").click()
    expect(node(page, "template_1")).to_be_visible()
    page.get_by_test_id("field-template").fill(text)


@pytest.mark.browser
def test_a_reload_mid_edit_restores_the_draft_and_makes_no_version(served, page):
    wf_id = make_workflow(served.home, blank("Keep me", "en"))
    open_editor(page, served, wf_id)
    _edit_template(page, "Typed before the reload")
    expect(page.get_by_test_id("draft-state")).to_have_text(_saved_draft(), timeout=20_000)
    expect(page.get_by_test_id("save-state")).to_have_text("Unsaved changes")
    shot(page, "editor-draft-kept")

    page.reload()
    page.wait_for_selector('[data-testid="canvas"][data-ready="true"]', timeout=20_000)
    expect(page.get_by_test_id("recovered-message")).to_have_text(_restored())
    expect(node(page, "template_1")).to_be_visible()
    select(page, "template_1")
    expect(page.get_by_test_id("field-template")).to_have_value("Typed before the reload")
    expect(page.get_by_test_id("save-state")).to_have_text("Unsaved changes")
    shot(page, "editor-draft-restored")

    versions = data(served.api.get(f"/workflows/{wf_id}/versions"))
    assert versions["total"] == 1  # kept, never a version
    workflow = data(served.api.get(f"/workflows/{wf_id}"))
    assert workflow["latest_version"] == 1 and "template_1" in {n["id"] for n in workflow["document"]["nodes"]}

    page.get_by_test_id("discard-recovered").click()
    expect(node(page, "template_1")).to_have_count(0)
    expect(page.get_by_test_id("recovered-message")).to_be_hidden()
    expect(page.get_by_test_id("save-state")).to_have_text("Saved · version 1")
    page.reload()
    page.wait_for_selector('[data-testid="canvas"][data-ready="true"]', timeout=20_000)
    expect(node(page, "out")).to_be_visible()
    expect(node(page, "template_1")).to_have_count(0)
    expect(page.get_by_test_id("recovered-message")).to_be_hidden()
    assert data(served.api.get(f"/workflows/{wf_id}/versions"))["total"] == 1
    assert page.errors == []


@pytest.mark.browser
def test_two_tabs_the_last_kept_draft_wins_and_a_save_still_conflicts(served, page):
    wf_id = make_workflow(served.home, LLM_CHAT)
    other = _page(served)
    try:
        open_editor(page, served, wf_id)
        open_editor(other, served, wf_id)
        select(page, "llm")
        page.get_by_test_id("node-label").fill("First tab")
        expect(page.get_by_test_id("draft-state")).to_have_text(_saved_draft(), timeout=20_000)
        select(other, "llm")
        other.get_by_test_id("node-label").fill("Second tab")
        expect(other.get_by_test_id("draft-state")).to_have_text(_saved_draft(), timeout=20_000)
        document = data(served.api.get(f"/workflows/{wf_id}"))["document"]
        assert next(n for n in document["nodes"] if n["id"] == "llm")["label"] == "Second tab"

        page.keyboard.press("Control+s")
        expect(page.get_by_test_id("save-state")).to_have_text("Saved · version 2")
        expect(page.get_by_test_id("draft-state")).to_be_hidden()
        other.keyboard.press("Control+s")
        expect(other.get_by_test_id("conflict-message")).to_contain_text("it is now at version 2")
        other.get_by_test_id("conflict-reload").click()  # theirs: the kept edits of this tab go too
        other.wait_for_selector('[data-testid="canvas"][data-ready="true"]', timeout=20_000)
        expect(other.get_by_test_id("save-state")).to_have_text("Saved · version 2")
        expect(other.get_by_test_id("recovered-message")).to_be_hidden()
        assert data(served.api.get(f"/workflows/{wf_id}/versions"))["total"] == 2
        assert page.errors == [] and other.errors == []
    finally:
        other.context.close()


@pytest.mark.browser
def test_the_published_dialog_links_to_the_workflows_api_page(served, page):
    wf_id = make_workflow(served.home, blank("Link me", "en"))
    open_editor(page, served, wf_id)
    page.get_by_test_id("publish").click()
    page.get_by_test_id("publish-confirm").click()
    expect(page.get_by_test_id("published-dialog")).to_be_visible()
    make_workflow(served.home, blank("Published later", "en"), publish=True)  # listed (and opened) first otherwise
    link = page.get_by_test_id("published-api-link")
    expect(link).to_have_text("Keys and how to call it")
    shot(page, "editor-published-dialog")
    link.click()
    page.wait_for_url(f"**/api-keys?workflow={wf_id}")
    panel = page.get_by_test_id(f"call-{wf_id}")
    expect(panel.get_by_test_id(f"fields-{wf_id}")).to_be_visible()  # its panel is the open one
    expect(panel).to_be_in_viewport()
    assert page.errors == []
