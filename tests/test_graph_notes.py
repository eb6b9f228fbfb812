"""Sticky notes in the ``flowai/1`` document and in the editor's state, without a browser.

The validator accepts ``notes`` and refuses bad ones with located 40001 problems; a document
without notes reads back byte for byte (no ``notes`` key appears); adding, editing, removing
notes and an auto-layout are each one undo step.
"""

from __future__ import annotations

import copy

import orjson
import pytest

from flowai.demo import LLM_CHAT
from flowai.errors import GraphError
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from tests.editor_support import admin_id, workflows
from ui import editor_intents as i
from ui.editor_model import Draft
from ui.editor_state import EditorState

REGISTRY = default_registry()
NOTE = {
    "id": "note_1",
    "text": "Ask for JSON here · 这里要 JSON",
    "position": {"x": 40, "y": -160},
    "size": {"width": 260, "height": 120},
}


def with_notes(*notes) -> dict:
    return {**copy.deepcopy(LLM_CHAT), "notes": list(notes)}


def problems(doc: dict) -> list[dict]:
    with pytest.raises(GraphError) as exc:
        compile_graph(doc, REGISTRY)
    assert exc.value.code == 40001
    return exc.value.issues


def test_a_document_with_notes_is_valid_and_runs_ignore_them():
    graph = compile_graph(with_notes(NOTE), REGISTRY)
    assert [n.id for n in graph.doc.notes] == ["note_1"]
    assert set(graph.nodes) == set(compile_graph(LLM_CHAT, REGISTRY).nodes)


@pytest.mark.parametrize(
    ("note", "field"),
    [
        ("a note", "notes.0"),
        ({"text": "no id"}, "notes.0.id"),
        ({"id": "has space"}, "notes.0.id"),
        ({"id": "n", "colour": "red"}, "notes.0.colour"),
        ({"id": "n", "size": {"width": 5, "height": 100}}, "notes.0.size.width"),
        ({"id": "n", "position": {"x": "left"}}, "notes.0.position.x"),
        ({"id": "n", "text": "x" * 10_001}, "notes.0.text"),
    ],
)
def test_a_bad_note_is_refused_with_a_located_problem(note, field):
    found = problems(with_notes(note))
    assert [p["field"] for p in found] == [field]


def test_two_notes_with_one_id_are_refused():
    found = problems(with_notes(NOTE, {**NOTE, "text": "again"}))
    assert found == [{"message": "Duplicate note id 'note_1'.", "node": None, "edge": None, "field": "notes.1.id"}]


def test_notes_are_stored_only_when_used(tmp_path):
    from flowai.access.users import Users  # noqa: PLC0415
    from storage.db import make_engine  # noqa: PLC0415 (a database only for this test)

    db = make_engine(f"sqlite:///{tmp_path / 'flowai.db'}")
    users = Users(db)
    users.setup_admin(username="admin", password="a-good-password", token=users.setup_token())
    db.dispose()
    wfs = workflows(tmp_path)
    owner = admin_id(wfs)
    plain, _ = wfs.create(owner_id=owner, document=LLM_CHAT)
    before = orjson.dumps(wfs.export(owner_id=owner, workflow_id=plain.id))
    assert b'"notes"' not in before
    noted, _ = wfs.create(owner_id=owner, document=with_notes(NOTE))
    assert wfs.export(owner_id=owner, workflow_id=noted.id)["notes"] == [NOTE]
    emptied, _ = wfs.create(owner_id=owner, document=with_notes())
    assert "notes" not in wfs.export(owner_id=owner, workflow_id=emptied.id)
    wfs.db.dispose()


@pytest.fixture
def state() -> EditorState:
    return EditorState(Draft(LLM_CHAT, REGISTRY), validate=lambda d: compile_graph(d, REGISTRY), base=1, published=None)


def test_notes_are_added_typed_moved_resized_and_removed_with_undo(state):
    change = state.apply(i.AddNote({"x": 10.4, "y": 20}))
    assert change is not None and change.added_notes == [
        {"id": "note_1", "text": "", "position": {"x": 10, "y": 20}, "size": {"width": 220, "height": 140}}
    ]
    state.apply(i.EditNote("note_1", text="H"))
    state.apply(i.EditNote("note_1", text="Hello"))  # typing: one undo step
    state.apply(i.EditNote("note_1", position={"x": 300, "y": 40}))
    state.apply(i.EditNote("note_1", size={"width": 10, "height": 9000}))  # held to the limits
    assert state.draft.doc["notes"] == [
        {"id": "note_1", "text": "Hello", "position": {"x": 300, "y": 40}, "size": {"width": 40, "height": 4000}}
    ]
    compile_graph(state.draft.doc, REGISTRY)  # what the editor writes, the validator accepts
    assert state.apply(i.EditNote("note_1", text="Hello")) is None  # nothing changed
    state.apply(i.Undo())
    state.apply(i.Undo())
    assert state.draft.doc["notes"][0]["position"] == {"x": 10, "y": 20}
    state.apply(i.Undo())
    assert state.draft.doc["notes"][0]["text"] == ""
    state.apply(i.Redo())
    change = state.apply(i.RemoveNote("note_1"))
    assert change is not None and change.removed_notes == ["note_1"]
    assert "notes" not in state.draft.doc  # the key goes with the last note
    assert state.apply(i.RemoveNote("note_1")) is None


def test_an_auto_layout_is_one_undo_step(state):
    before = copy.deepcopy(state.draft.doc)
    ids = [n["id"] for n in before["nodes"]]
    state.apply(i.AddNote({"x": 0, "y": 0}))
    with_note = copy.deepcopy(state.draft.doc)
    positions = {nid: {"x": 400 * k, "y": 0} for k, nid in enumerate(ids)}
    change = state.apply(i.AutoLayout(positions, {"note_1": {"x": 5, "y": -200}}))
    assert change is not None and change.document
    assert [n["position"] for n in state.draft.doc["nodes"]] == list(positions.values())
    assert state.draft.doc["notes"][0]["position"] == {"x": 5, "y": -200}
    assert state.apply(i.AutoLayout(positions, {"note_1": {"x": 5, "y": -200}})) is None  # already there
    state.apply(i.Undo())
    assert state.draft.doc == with_note
