"""The dialogs of the settings panel's node tools: the sample values a node is run alone on, and
a node's pinned outputs (edited as JSON). Each reads the editor's state and emits intents; the
run panel starts the run."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from nicegui import ui

from flowai.runs import tools

from . import editor_intents as i
from .editor_state import EditorState
from .i18n import t
from .layout import safe_id

Samples = Callable[[], dict[str, dict[str, Any]]]  # what the sample dialog's boxes hold: node -> port -> value


def sample_dialog(state: EditorState, graph, node_id: str, wanted: list[tuple[str, str]]) -> tuple[ui.dialog, Samples]:
    """A dialog asking for the values of what ``node_id`` reads (``wanted``: its sources' ports),
    prefilled from the last run or the pins; it submits True to run. Returns it and the reader of
    the typed values (each typed by its port: text as it is, else JSON when it parses)."""
    known = {**state.run_outputs, **tools.pins(graph)}
    for src, port in wanted:  # a node inside a loop: its sample item is the last run's first one
        if port in graph.known[src].impl.body_ports and port not in (known.get(src) or {}):
            known[src] = {"item": tools.first_item(graph, src, known), "index": 0}
    boxes: dict[tuple[str, str], Any] = {}
    with ui.dialog() as dialog, ui.card().classes("w-[32rem] max-w-full").props('data-testid="sample-dialog"'):
        ui.label(t("editor_runs.sample_title", node=graph.known[node_id].label)).classes("text-lg")
        ui.label(t("editor_runs.sample_help" if wanted else "editor_runs.sample_none")).classes("text-xs text-gray-500")
        for src, port in wanted:
            boxes[(src, port)] = (
                ui.textarea(
                    state.draft.wire_source({"source": src, "source_port": port}),
                    value=_as_text((known.get(src) or {}).get(port)),
                )
                .props(f'autogrow outlined stack-label data-testid="{safe_id("sample", src, port)}"')
                .classes("w-full")
            )
        with ui.row().classes("w-full justify-end"):
            ui.button(t("editor_runs.sample_cancel"), on_click=dialog.close).props("flat")
            ui.button(t("editor_runs.run_node"), icon="play_arrow", on_click=lambda: dialog.submit(True)).props(
                'color=positive data-testid="sample-run"'
            )

    def samples() -> dict[str, dict[str, Any]]:
        upstream: dict[str, dict[str, Any]] = {}
        for (src, port), box in boxes.items():
            upstream.setdefault(src, {})[port] = _typed(box.value or "", tools.port_type(graph, src, port))
        return upstream

    return dialog, samples


def pin_dialog(state: EditorState, emit: i.Emit, node_id: str) -> None:
    """Pin the node's outputs (from the last run, editable as JSON), or unpin them."""
    pinned = state.draft.pins().get(node_id)
    outputs = pinned if pinned is not None else state.run_outputs.get(node_id)
    if outputs is None:
        _ins, ports = state.draft.ports(state.draft.node(node_id) or {})
        outputs = dict.fromkeys(ports, "")
    with ui.dialog() as dialog, ui.card().classes("w-[32rem] max-w-full").props('data-testid="pin-dialog"'):
        ui.label(t("editor_runs.pin_title", node=state.label_of(node_id))).classes("text-lg")
        ui.label(t("editor_runs.pin_help")).classes("text-xs text-gray-500")
        box = (
            ui.textarea(t("editor_runs.pin_value"), value=json.dumps(outputs, ensure_ascii=False, indent=1))
            .props('autogrow outlined data-testid="pin-value"')
            .classes("w-full font-mono")
        )
        error = ui.label().classes("text-sm text-red-700").props('data-testid="pin-error"')

        def save() -> None:
            try:
                value = json.loads(box.value or "")
            except ValueError:
                value = None
            if not isinstance(value, dict):
                error.text = t("editor_runs.pin_bad")
                return
            emit(i.SetPin(node_id, value))
            dialog.close()

        def unpin() -> None:
            emit(i.SetPin(node_id, None))
            dialog.close()

        with ui.row().classes("w-full justify-end"):
            if pinned is not None:
                ui.button(t("editor_runs.unpin"), icon="push_pin", on_click=unpin).props(
                    'flat color=negative data-testid="pin-remove"'
                )
            ui.space()
            ui.button(t("editor_runs.sample_cancel"), on_click=dialog.close).props("flat")
            ui.button(t("editor_runs.pin_save"), icon="push_pin", on_click=save).props('data-testid="pin-save"')
    dialog.on("hide", dialog.delete)
    dialog.open()


def _as_text(value: Any) -> str:
    """A sample value as typed in its box (JSON unless it is text)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _typed(text: str, kind: str) -> Any:
    """A typed sample value: text as it is for a text port, else JSON when it parses."""
    if kind in ("text", "string"):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
