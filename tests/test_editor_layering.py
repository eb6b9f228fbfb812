"""The editor's shape, read from the imports: a state below, views beside each other, the page on top.

``ui.editor_state`` (with its intents and the draft model) imports no NiceGUI; each view (canvas
binding, settings, test runs, versions, save/publish) imports the state and its helpers but never
another view or the page; no ``TYPE_CHECKING`` import hides a dependency (``test_layering``'s
cycle check reads those too).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.test_layering import module_graph

ROOT = Path(__file__).resolve().parent.parent
STATE = {
    "ui.editor_state",
    "ui.editor_intents",
    "ui.editor_model",
    "ui.editor_frames",
    "ui.editor_wiring",
    "ui.editor_notes",
}
HELPERS = STATE | {
    "ui.editor_form",
    "ui.editor_hosted",
    "ui.editor_progress",
    "ui.editor_run_form",  # the test-run panel's input form
    "ui.editor_node_dialogs",  # the node tools' sample and pin dialogs
}
VIEWS = {"ui.editor_canvas", "ui.editor_panel", "ui.editor_runs", "ui.editor_save", "ui.editor_versions"}


def _editor_modules() -> list[Path]:
    return sorted((ROOT / "ui").glob("editor*.py"))


def test_the_state_imports_no_nicegui_at_any_depth():
    graph = module_graph()
    seen, todo = set(), list(STATE)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(graph[name])
    assert not {n for n in seen if n.startswith("ui.") and n not in STATE}, seen
    for name in seen:
        path = ROOT / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = ROOT / name.replace(".", "/") / "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] == "nicegui" for a in node.names), name
            elif isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] != "nicegui", name


def test_views_import_the_state_never_each_other_or_the_page():
    graph = module_graph()
    assert VIEWS | HELPERS | {"ui.editor"} == {f"ui.{p.stem}" for p in _editor_modules()}, "a new editor module?"
    for view in VIEWS:
        editor_deps = {d for d in graph[view] if d.startswith("ui.editor")}
        assert editor_deps <= HELPERS, f"{view} imports {sorted(editor_deps - HELPERS)}"
        assert "ui.editor_state" in graph[view] or "ui.editor_intents" in graph[view], view
    importers = {name for name, deps in graph.items() if "ui.editor" in deps}
    assert importers == {"ui.server"}, importers  # which registers the page


def test_no_editor_module_hides_an_import_behind_type_checking():
    for path in _editor_modules():
        assert "TYPE_CHECKING" not in path.read_text(encoding="utf-8"), path.name
