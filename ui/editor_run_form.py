"""The test-run panel's input form: one field per field of the draft's input node, the values
typed so far (kept across redraws, e.g. when a field is added on the canvas), and a refused
value marked under its field (Quasar's error state) with the cursor put there."""

from __future__ import annotations

import json
from typing import Any

from nicegui import ui

from .i18n import t
from .layout import safe_id

FIELD_MESSAGES = {  # check_input's reasons, as the form says them under a field
    "required field is missing": "editor_runs.field_required",
    "json": "editor_runs.field_json",
    "expected a number": "editor_runs.field_number",
    "expected a finite number": "editor_runs.field_number",
    "expected an integer": "editor_runs.field_integer",
}


class RunInputForm:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}  # field name -> its value as typed (JSON fields: ("json", text))
        self.boxes: dict[str, Any] = {}  # field name -> its element (marked when its value is refused)
        self.column = ui.column().classes("w-full gap-1")

    def draw(self, doc: dict[str, Any]) -> None:
        """The form for ``doc``'s input node (a note when the draft has none)."""
        node = next((n for n in doc["nodes"] if n.get("type") == "input"), None)
        fields = (node or {}).get("config", {}).get("fields") or []
        self.column.clear()
        self.boxes = {}
        with self.column:
            if node is None:
                ui.label(t("editor_runs.no_input")).classes("text-sm text-orange-700")
                return
            for f in fields:
                if isinstance(f, dict) and f.get("name"):
                    self._field(f)

    def _field(self, f: dict) -> None:
        name, kind = f["name"], f.get("type", "string")
        label = name + (" *" if f.get("required") else "")
        value = self.values.get(name, f.get("default"))
        tid = f'data-testid="{safe_id("run-input", name)}"'

        def put(v: Any) -> None:
            self.values[name] = v
            self.mark(name, None)  # typed again: the field's error goes

        if kind == "boolean":
            box = ui.switch(label, value=bool(value), on_change=lambda e: put(e.value)).props(tid)
        elif kind in ("number", "integer"):
            box = ui.number(label, value=value, on_change=lambda e: put(e.value)).props(tid).classes("w-full")
        elif kind == "json":
            box = (
                ui.textarea(
                    label,
                    value=json.dumps(value) if value is not None else "",
                    placeholder=t("editor_runs.json_hint"),
                    on_change=lambda e: put(("json", e.value)),
                )
                .props(tid)
                .props("autogrow outlined")
                .classes("w-full")
            )
        elif kind in ("image", "audio", "video", "file"):
            box = ui.input(
                label,
                value=value or "",
                placeholder=t("editor_runs.url_hint"),
                on_change=lambda e: put(e.value or None),
            ).props(tid)
            box.classes("w-full")
        else:
            box = (
                ui.textarea(label, value=value or "", on_change=lambda e: put(e.value))
                .props(tid)
                .props("autogrow outlined")
                .classes("w-full")
            )
        self.boxes[name] = box

    def mark(self, name: str, message: str | None) -> None:
        """Show ``message`` under the field (Quasar's error state), or clear it (None)."""
        box = self.boxes.get(name)
        if box is not None and not isinstance(box, ui.switch):  # (a switch holds a valid value)
            box.error = message

    def refused(self, problems: dict[str, str]) -> bool:
        """Mark each field whose value is refused (``problems``: field -> check_input's reason, or
        "json" for text that does not parse) and put the cursor in the first; whether any was."""
        first = None
        for name in self.boxes:
            why = problems.get(name)
            self.mark(name, _field_message(why) if why else None)
            if why and first is None:
                first = name
        if first is not None:
            self.boxes[first].run_method("focus")
        return first is not None

    def input(self, bad: dict[str, str] | None = None) -> dict[str, Any]:
        """The form's values; JSON text that does not parse is left out (and noted in ``bad``)."""
        out = {}
        for name, v in self.values.items():
            if isinstance(v, tuple) and v[0] == "json":
                try:
                    v = json.loads(v[1]) if v[1].strip() else None
                except ValueError:
                    if bad is not None:
                        bad[name] = "json"
                    continue
            if v is not None and v != "":
                out[name] = v
        return out


def _field_message(why: str) -> str:
    key = FIELD_MESSAGES.get(why)
    return t(key) if key else t("editor_runs.field_invalid", problem=why)
