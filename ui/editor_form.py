"""Forms generated from JSON schemas: a node type's config model, a Replicate model's inputs.

Generic on purpose (new node types appear without editor changes). A node's form takes its labels,
help and widget hints from the node's definition (``FormContext.fields``, see nodes/define.py):
``long_text`` a text area, ``secret`` a hidden input, ``provider`` the providers serving the
node's task, ``model`` an input suggesting the task's default models, ``choices`` labelled enum
values, ``advanced`` fields under "Advanced". Otherwise the schema decides: strings become inputs
with a ``{{node.port}}`` variable picker, enums selects, booleans switches, bounded numbers sliders,
other numbers number inputs, lists of objects lists of sub-forms, other objects JSON text. A schema
from outside (a Replicate model's inputs) has no definition: its labels and help are the schema's,
and its prompts get text areas.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nicegui import ui

from flowai.providers.catalog import CATALOG, serving
from nodes.define import FieldDef

from .i18n import labelled, language, t
from .layout import safe_id
from .model_picker import ModelSource, model_picker

log = logging.getLogger("flowai.ui")


def provider_options(impl) -> list[str]:
    """'auto', then the providers serving the node's task in default priority order, then the
    others that can serve it (from the provider catalog)."""
    task = getattr(impl, "task", None) or "text"
    able = [name for name, spec in CATALOG.items() if task in spec.tasks]
    return list(dict.fromkeys(["auto", *serving(task), *able]))


def provider_labels(names: list[str]) -> dict[str, str]:
    """The provider select's options: each provider by its name for people ("auto" in words; a name
    the catalog does not know as it was typed)."""
    return {
        name: t("editor_form.provider_auto") if name == "auto" else CATALOG[name].title if name in CATALOG else name
        for name in dict.fromkeys(names)
    }


def model_options(impl) -> list[str]:
    """The default models of the providers serving the node's task (suggestions; any name goes)."""
    task = getattr(impl, "task", None) or "text"
    return list(dict.fromkeys(spec.models[task] for spec in CATALOG.values() if spec.models.get(task)))


def node_form_context(
    impl, *, variables: list[dict] | None, readonly: bool, model_source: ModelSource | None = None
) -> FormContext:
    """The context of a node's settings form: its definition's field hints and its task's options
    (``model_source``: the models each provider serves, for the model picker)."""
    return FormContext(
        variables=variables,
        readonly=readonly,
        providers=provider_options(impl),
        models=model_options(impl),
        fields=impl.definition.all_fields(),
        task=getattr(impl, "task", None) or "text",
        model_source=model_source,
    )


@dataclass
class FormContext:
    defs: dict = field(default_factory=dict)
    variables: list[dict] | None = None  # None: this node's strings are not templates
    readonly: bool = False
    providers: list[str] = field(default_factory=lambda: ["auto"])
    models: list[str] = field(default_factory=list)
    fields: dict[str, FieldDef] | None = None  # the node definition's field hints; None: a foreign schema
    wired: dict[str, dict] = field(default_factory=dict)  # field -> the wire feeding it ({text, ...})
    unwire: Callable[[str], None] | None = None  # removes the wire feeding a field
    depend: Callable[[str], None] | None = None  # makes a node upstream (a variable of it was picked)
    task: str = "text"  # the node's provider task (the model picker's)
    model_source: ModelSource | None = None  # None: the model field suggests the catalog's defaults
    widgets: dict[str, Any] = field(default_factory=dict)  # field -> its widget, as rendered so far


def resolve(prop: dict, defs: dict) -> tuple[dict, bool]:
    """Follow a ``$ref`` and unwrap ``anyOf [X, null]``; returns (schema, nullable)."""
    outer = {k: v for k, v in prop.items() if k not in ("$ref", "anyOf", "allOf")}
    if "$ref" in prop:
        prop = {**defs.get(prop["$ref"].rsplit("/", 1)[-1], {}), **outer}
    elif len(prop.get("allOf") or ()) == 1:  # OpenAPI's way to attach a default to a referenced enum
        inner, _ = resolve(prop["allOf"][0], defs)
        prop = {**inner, **outer}
    nullable = False
    if "anyOf" in prop:
        options = [p for p in prop["anyOf"] if p.get("type") != "null"]
        nullable = len(options) < len(prop["anyOf"])
        if len(options) == 1:
            inner, _ = resolve(options[0], defs)
            prop = {**inner, **outer}
        else:
            prop = outer
    return prop, nullable


def _title(key: str, prop: dict) -> str:
    return prop.get("title") or key.replace("_", " ").capitalize()


def _hint(ctx: FormContext, key: str) -> FieldDef | None:
    return (ctx.fields or {}).get(key)


def render_form(
    schema: dict, values: dict, on_change: Callable[[str, Any], None], ctx: FormContext, *, skip: tuple[str, ...] = ()
) -> None:
    """Widgets for each property of ``schema``; ``on_change(key, value)`` on edits (None = unset)."""
    ctx.defs = {**ctx.defs, **schema.get("$defs", {})}
    props = schema.get("properties", {})
    order = sorted(props, key=lambda k: props[k].get("x-order", 0) if isinstance(props[k], dict) else 0)
    advanced = [k for k in order if (h := _hint(ctx, k)) is not None and h.advanced and k not in skip]
    main = [k for k in order if k not in advanced and k not in skip]
    for key in main:
        render_field(key, props[key], values.get(key, props[key].get("default")), on_change, ctx)
    if advanced:
        with ui.expansion(t("editor_form.advanced")).classes("w-full").props("dense"):
            for key in advanced:
                render_field(key, props[key], values.get(key), on_change, ctx)


def render_field(key: str, raw: dict, value: Any, on_change: Callable[[str, Any], None], ctx: FormContext) -> None:
    prop, nullable = resolve(raw, ctx.defs)
    hint = _hint(ctx, key)
    lang = language()
    title = hint.label.get(lang) if hint else _title(key, prop)
    help_text = (hint.help.get(lang) if hint.help else None) if hint else prop.get("description")
    widget = hint.widget if hint else None
    kind = prop.get("type")
    test_id = f'data-testid="{safe_id("field", key)}"'

    def emit(v: Any) -> None:
        on_change(key, v)

    if key in ctx.wired:  # a wire feeds it: its source instead of an editor (its value is not used)
        _wired_field(key, title, ctx)
        return

    if widget == "provider" and kind == "string":
        options = provider_labels([*ctx.providers, *([value] if value else [])])
        w = ui.select(
            options,
            value=value or "auto",
            label=title,
            with_input=True,
            new_value_mode="add-unique",
            on_change=lambda e: emit(e.value or "auto"),
        )
    elif "enum" in prop:
        values = list(prop["enum"])
        labels = hint.choices if hint and hint.choices else {}
        choices = {v: labels[v].get(lang) if v in labels else str(v) for v in values}
        w = ui.select(
            choices,
            value=value if value in values else prop.get("default"),
            label=title,
            on_change=lambda e: emit(e.value),
        )
    elif kind == "boolean":
        w = ui.switch(title, value=bool(value), on_change=lambda e: emit(bool(e.value)))
    elif kind in ("number", "integer"):
        w = _number(key, prop, nullable, value, emit, title, ctx.readonly)
    elif kind == "array" and resolve(prop.get("items", {}), ctx.defs)[0].get("type") == "object":
        w = _object_list(key, prop, value, emit, ctx, title, hint.items if hint else None)
    elif kind in ("array", "object"):
        w = _json_text(value, emit, title, nullable)
    else:  # a string, or an untyped value (edited as text)
        w = _text(key, prop, value, emit, ctx, title, nullable, widget)
    if w is None:
        return
    ctx.widgets[key] = w
    w.classes("w-full").props(test_id)
    if help_text:
        w.tooltip(help_text)
    if ctx.readonly:
        if isinstance(w, (ui.input, ui.textarea, ui.number, ui.select)):
            w.props("readonly")
        elif isinstance(w, ui.switch):
            w.disable()


def _wired_field(key: str, title: str, ctx: FormContext) -> None:
    """A field fed by a wire: "← Input1 · 输入" and an Unwire action that gives it its editor back."""
    with (
        ui.column()
        .classes("w-full gap-0 rounded border border-dashed px-2 py-1")
        .props(f'data-testid="{safe_id("wired", key)}"')
    ):
        ui.label(title).classes("text-xs text-gray-500")
        with ui.row().classes("w-full items-center no-wrap gap-1"):
            ui.label(f"← {ctx.wired[key]['text']}").classes("text-sm font-medium grow break-all").props(
                f'data-testid="{safe_id("wired-source", key)}"'
            )
            if ctx.unwire is not None and not ctx.readonly:
                unwire = ctx.unwire
                ui.button(t("editor_form.unwire"), icon="link_off", on_click=lambda: unwire(key)).props(
                    f'flat dense size=sm data-testid="{safe_id("unwire", key)}"'
                ).tooltip(t("editor_form.unwire_help"))
        ui.label(t("editor_form.wired_help")).classes("text-xs text-gray-500")


def _number(key: str, prop: dict, nullable: bool, value: Any, emit, title: str, readonly: bool):
    integer = prop.get("type") == "integer"
    low = prop.get("minimum", prop.get("exclusiveMinimum"))
    high = prop.get("maximum", prop.get("exclusiveMaximum"))

    def cast(v):
        if v is None or v == "":
            return None if nullable else prop.get("default")
        return int(v) if integer else float(v)

    if low is not None and high is not None and high - low <= 10 and not nullable:
        step = 1 if integer else round((high - low) / 100, 4) or 0.01
        with ui.column().classes("w-full gap-0") as box:
            shown = ui.label(labelled(title, value if value is not None else prop.get("default"))).classes("text-sm")
            slider = ui.slider(min=low, max=high, step=step, value=value if value is not None else prop.get("default"))
            slider.props(f'label data-testid="{safe_id("slider", key)}"')
            if readonly:
                slider.disable()

            def changed(e):
                shown.text = labelled(title, e.value)
                emit(cast(e.value))

            slider.on_value_change(changed)
        return box
    return ui.number(
        title,
        value=value,
        min=low,
        max=high,
        step=1 if integer else None,
        precision=0 if integer else None,
        on_change=lambda e: emit(cast(e.value)),
    )


def _text(key: str, prop: dict, value: Any, emit, ctx: FormContext, title: str, nullable: bool, widget: str | None):
    shown = value if isinstance(value, str) else ("" if value is None else json.dumps(value, ensure_ascii=False))
    untyped = "type" not in prop

    def changed(e):
        v = e.value
        if v == "" and nullable:
            v = None
        elif untyped and key == "default" and isinstance(v, str):
            try:
                v = json.loads(v)
            except ValueError:
                pass
        emit(v)

    foreign_prompt = ctx.fields is None and key.endswith(("prompt", "text"))  # a schema without hints
    if widget == "long_text" or untyped or foreign_prompt:
        w: ui.input = ui.textarea(title, value=shown, on_change=changed).props("autogrow outlined")
    elif widget == "secret":
        w = ui.input(title, value=shown, on_change=changed, password=True, password_toggle_button=True)
        w.props("dense")
    elif widget == "model" and ctx.model_source is not None and not ctx.readonly:
        w = model_picker(title, shown, changed, ctx.model_source, task=ctx.task, provider=lambda n: _pin(ctx, n))
    elif widget == "model":
        w = ui.input(title, value=shown, on_change=changed, autocomplete=ctx.models).props("dense")
        w.props(f'placeholder="{t("editor_form.empty_default")}"')
    else:
        w = ui.input(title, value=shown, on_change=changed).props("dense")
    if ctx.variables is not None and not ctx.readonly:
        _picker(w, key, ctx.variables, ctx.depend)
    return w


def _pin(ctx: FormContext, provider: str) -> None:
    """A model picked from ``provider``'s list runs there: the node's provider follows (the router
    would otherwise send the name to the first provider in priority order, which may not know it).
    Setting the select back to Automatic keeps the model and brings the fallback back."""
    select = ctx.widgets.get("provider")
    if not isinstance(select, ui.select) or select.value == provider:
        return
    if provider not in select.options:
        select.set_options(provider_labels([*ctx.providers, provider]))
    select.value = provider  # its on_change records the change, as choosing it would


def _picker(w, key: str, variables: list[dict], depend: Callable[[str], None] | None = None) -> None:
    """A button in the field that inserts ``{{node.port}}`` at the cursor. Variables of nodes not
    yet upstream (``"upstream": False``) come after a divider: picking one also makes its node
    upstream (``depend``: an order edge), so the template may name it."""

    async def insert(token: str, node: str | None = None) -> None:
        js = (
            f'(() => {{ const el = document.querySelector("#{w.html_id} textarea, #{w.html_id} input");'
            f" return el ? [el.selectionStart, el.selectionEnd] : null; }})()"
        )
        try:
            pos = await ui.run_javascript(js)
        except TimeoutError:
            pos = None
        text = w.value or ""
        start, end = pos if isinstance(pos, list) and len(pos) == 2 and pos[0] is not None else (len(text), len(text))
        w.value = text[:start] + token + text[end:]
        if node is not None and depend is not None:
            depend(node)

    upstream = [v for v in variables if v.get("upstream", True)]
    others = [v for v in variables if not v.get("upstream", True)] if depend is not None else []
    with w.add_slot("append"):
        with ui.button(icon="data_object").props(
            f'flat dense round size=sm data-testid="{safe_id("vars", key)}"'
        ):  # the tip goes to the left, and hides when the menu opens (which may open over it)
            tip = ui.tooltip(t("editor_form.insert_var")).props(
                f'anchor="center left" self="center right" data-testid="{safe_id("vars-tip", key)}"'
            )
            menu = ui.menu().props(f'data-testid="{safe_id("vars-menu", key)}"')
            menu.on("before-show", lambda: tip.run_method("hide"))
            with menu:
                if not upstream and not others:
                    ui.menu_item(t("editor_form.no_vars")).props("disable")
                for v in upstream:
                    _var_item(v, lambda token=v["token"]: insert(token))
                if others:
                    ui.separator()
                    ui.label(t("editor_form.other_nodes")).classes("text-xs text-gray-500 px-4 py-2 max-w-xs")
                for v in others:
                    _var_item(v, lambda token=v["token"], node=v["node"]: insert(token, node))


def _var_item(v: dict, on_click) -> None:
    item = ui.menu_item(on_click=on_click)
    item.props(f'data-testid="{safe_id("var", v["node"], v["port"])}"')
    with item, ui.column().classes("gap-0"):
        ui.label(f"{v['label']} · {v.get('port_label') or v['port']}").classes("text-sm")
        ui.label(f"{v['token']}  {v.get('type_label') or v['type']}").classes("text-xs text-gray-500")


def _json_text(value: Any, emit, title: str, nullable: bool):
    w = ui.textarea(title, value="" if value is None else json.dumps(value, ensure_ascii=False, indent=1))
    w.props("autogrow outlined")

    def changed(e):
        if not e.value.strip():
            w.props(remove="error")
            emit(None)
            return
        try:
            parsed = json.loads(e.value)
        except ValueError:
            w.props(f'error error-message="{t("editor_form.bad_json")}"')
            return
        w.props(remove="error")
        emit(parsed)

    w.on_value_change(changed)
    return w


def _object_list(
    key: str, prop: dict, value: Any, emit, ctx: FormContext, title: str, item_fields: dict[str, FieldDef] | None
):
    item_schema, _ = resolve(prop.get("items", {}), ctx.defs)
    items: list[dict] = [dict(v) for v in (value or []) if isinstance(v, dict)]
    box = ui.column().classes("w-full gap-1")

    def new_item() -> dict:
        item = {}
        for k, p in item_schema.get("properties", {}).items():
            if "default" in p and p["default"] is not None:
                item[k] = p["default"]
            elif k in item_schema.get("required", []) and p.get("type") == "string":
                n = len(items) + 1
                names = {i.get(k) for i in items}
                while f"field{n}" in names:
                    n += 1
                item[k] = f"field{n}"
        return item

    def rebuild() -> None:
        box.clear()
        with box:
            ui.label(title).classes("text-sm font-medium")
            for i, item in enumerate(items):
                with (
                    ui.card()
                    .classes("w-full p-2 gap-1")
                    .props(f'flat bordered data-testid="{safe_id(key, "item", i)}"')
                ):
                    sub = FormContext(ctx.defs, None, ctx.readonly, ctx.providers, ctx.models, item_fields)
                    render_form(item_schema, item, lambda k, v, i=i: changed(i, k, v), sub)
                    if not ctx.readonly:
                        ui.button(t("editor_form.remove_item"), icon="delete", on_click=lambda i=i: remove(i)).props(
                            f'flat dense size=sm color=negative data-testid="{safe_id(key, "remove", i)}"'
                        )
            if not ctx.readonly:
                ui.button(t("editor_form.add_item"), icon="add", on_click=add).props(
                    f'flat dense size=sm data-testid="{safe_id(key, "add")}"'
                )

    def changed(i: int, k: str, v: Any) -> None:
        if v is None:
            items[i].pop(k, None)
        else:
            items[i][k] = v
        emit([dict(x) for x in items])

    def add() -> None:
        items.append(new_item())
        emit([dict(x) for x in items])
        rebuild()

    def remove(i: int) -> None:
        items.pop(i)
        emit([dict(x) for x in items])
        rebuild()

    rebuild()
    return box
