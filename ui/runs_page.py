"""Runs (/runs): every run of the account (API, editor, background, batch), filtered and paged;
/runs/{id}: one run's trace, node by node. Every value is shown as text, or as media
(``media_view``: image, audio and video players, a download link for other files; the URL is an
attribute), never as HTML."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from nicegui import ui

from flowai.errors import FlowAIError
from flowai.platform import Platform
from flowai.runs.history import SOURCES, STATUSES, RunHistory, run_cost

from .i18n import has, labelled, language, t
from .layout import frame, safe_id, signed_in_user
from .media_view import TypeOf
from .media_view import render as render_media

PAGE_SIZE = 20
STATUS_COLOR = {
    "completed": "positive",
    "failed": "negative",
    "cancelled": "grey",
    "running": "primary",
    "pending": "orange",
    "paused": "orange",
    "skipped": "grey-5",
    "reused": "teal",
}


def _status(value: str) -> str:
    return t(f"runs.s_{value}") if has(f"runs.s_{value}") else value


def _source(value: str) -> str:
    return t(f"runs.src_{value}") if has(f"runs.src_{value}") else value


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 0.001:
        return t("runs.under_ms")
    return t("runs.ms", n=value * 1000) if value < 1 else t("runs.secs", n=value)


def _money(value: float | None) -> str:
    return "—" if value is None else f"${value:.6f}".rstrip("0").rstrip(".") if value else "$0"


def register(platform: Platform) -> None:
    history = RunHistory(platform.db)

    @ui.page("/runs")
    async def runs_page(status: str = "", workflow: str = "", source: str = "", page: int = 1):
        user = signed_in_user(platform)
        if user is None:
            return
        await platform.recorder.flush()
        names = {wf.id: wf.name for wf in platform.workflows.list(owner_id=user.id, limit=1000)[0]}
        status = status if status in STATUSES else ""
        source = source if source in SOURCES else ""
        page = max(1, page)
        rows, total = history.page(
            owner_id=user.id,
            status=status or None,
            workflow_id=workflow or None,
            source=source or None,
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        with frame(platform, t("runs.title")):
            _list(names, rows, total, status=status, workflow=workflow, source=source, page=page)

    @ui.page("/runs/{run_id}")
    async def run_page(run_id: str):
        user = signed_in_user(platform)
        if user is None:
            return
        await platform.recorder.flush()
        with frame(platform, t("runs.run")):
            ui.link("← " + t("runs.back"), "/runs").props('data-testid="back"')
            try:
                run = history.trace(owner_id=user.id, run_id=run_id)
            except FlowAIError:
                ui.label(t("runs.not_found")).classes("text-gray-500").props('data-testid="run-not-found"')
                return
            graph = _graph(platform, run.run)
            if graph is not None:
                run = history.trace(owner_id=user.id, run_id=run_id, graph=graph)
            names = {wf.id: wf.name for wf in platform.workflows.list(owner_id=user.id, limit=1000)[0]}
            titles = {kind.type: kind.definition.title.get(language()) for kind in platform.registry}
            _trace(
                run,
                names.get(run.run.workflow_id),
                run.run.workflow_id in names,
                titles,
                _file_types(platform, user.id),
                ports=_port_texts(platform.registry),
            )


def _graph(platform: Platform, run):
    """The graph the run ran (``Workflows.ran``); None when it cannot be compiled any more."""
    try:
        return platform.workflows.ran(run) if run.version or run.graph else None
    except FlowAIError:
        return None


def _list(names: dict[str, str], rows, total: int, *, status: str, workflow: str, source: str, page: int) -> None:
    def go(**change):
        query = {"status": status, "workflow": workflow, "source": source, "page": page, **change}
        query = {k: v for k, v in query.items() if v not in ("", None, 1)}
        ui.navigate.to("/runs" + ("?" + urlencode(query) if query else ""))

    with ui.row().classes("w-full items-center"):
        ui.label(t("runs.count", n=total)).classes("text-2xl")
        ui.space()
        ui.select(
            {"": t("runs.any"), **{s: _status(s) for s in STATUSES}},
            value=status,
            label=t("runs.status"),
            on_change=lambda e: go(status=e.value, page=1),
        ).classes("w-36").props('data-testid="filter-status"')
        ui.select(
            {"": t("runs.any"), **names},
            value=workflow if workflow in names else "",
            label=t("runs.workflow"),
            on_change=lambda e: go(workflow=e.value, page=1),
        ).classes("w-56").props('data-testid="filter-workflow"')
        ui.select(
            {"": t("runs.any"), **{s: _source(s) for s in SOURCES}},
            value=source,
            label=t("runs.source"),
            on_change=lambda e: go(source=e.value, page=1),
        ).classes("w-36").props('data-testid="filter-source"')
        ui.button(icon="refresh", on_click=lambda: go()).props("flat").tooltip(t("runs.refresh"))
    if not rows:
        ui.label(t("runs.none")).classes("text-gray-500").props('data-testid="no-runs"')
        return
    table_rows = [
        {
            "id": r.id,
            "status": r.status,
            "status_text": _status(r.status),
            "color": STATUS_COLOR.get(r.status, "grey"),
            "workflow": names.get(r.workflow_id) or t("runs.deleted_wf"),
            "version": _version(r.version),
            "source": _source(r.source),
            "started": r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "duration": _seconds(r.total_time),
            "cost": _money(run_cost(r.usage)),
        }
        for r in rows
    ]
    columns = [
        {"name": c, "label": t(f"runs.{c}"), "field": c, "align": "left"}
        for c in ("status", "workflow", "version", "source", "started", "duration", "cost")
    ]
    table = (
        ui.table(columns=columns, rows=table_rows, row_key="id")
        .classes("w-full")
        .props('data-testid="runs" flat bordered')
        .classes("cursor-pointer")
    )
    table.on("row-click", lambda e: ui.navigate.to(f"/runs/{e.args[1]['id']}"))  # the whole row opens the run
    table.add_slot(
        "body-cell-status",
        """
        <q-td :props="props">
          <q-badge :color="props.row.color" :data-testid="'status-' + props.row.id">
            {{ props.row.status_text }}</q-badge>
        </q-td>""",
    )
    table.add_slot(
        "body-cell-workflow",
        """
        <q-td :props="props">
          <a :href="'/runs/' + props.row.id" class="text-primary" :data-testid="'run-' + props.row.id">
            {{ props.value }}</a>
        </q-td>""",
    )
    pages = max(1, -(-total // PAGE_SIZE))
    if pages > 1:
        ui.pagination(
            1, pages, value=min(page, pages), direction_links=True, on_change=lambda e: go(page=e.value)
        ).props('data-testid="pages"')


def _file_types(platform: Platform, owner_id: int) -> TypeOf:
    """The stored type of the account's own file behind a ``/files/<id>`` URL (else None)."""

    def type_of(url: str) -> str | None:
        row = platform.files.get(url.split("?", 1)[0].removeprefix("/files/"))
        return row.type if row is not None and row.owner_id == owner_id else None

    return type_of


PortTexts = dict[str, tuple[dict[str, str], dict[str, str]]]  # node type -> (input labels, output help) by port


def _port_texts(registry) -> PortTexts:
    """For each node type: its input ports' labels (those of the config fields they feed) and its
    output ports' help, in the UI language, from the node definitions."""
    lang = language()
    texts: PortTexts = {}
    for impl in registry:
        d = impl.definition
        fields = d.all_fields()
        labels = {p.name: fields[p.feeds].label.get(lang) for p in d.inputs if p.feeds in fields}
        helps = {p.name: p.help.get(lang) for p in d.outputs if p.help is not None}
        texts[d.type] = (labels, helps)
    return texts


def _trace(
    trace,
    workflow_name: str | None,
    exists: bool,
    titles: dict[str, str],
    type_of: TypeOf | None = None,
    *,
    ports: PortTexts | None = None,
) -> None:
    run = trace.run
    with ui.row().classes("w-full items-center gap-4"):
        if exists:
            ui.link(workflow_name or "", f"/workflows/{run.workflow_id}").classes(
                "text-2xl text-primary no-underline hover:underline"
            ).props('data-testid="run-workflow"').tooltip(t("runs.open_workflow"))
        else:
            ui.label(workflow_name or t("runs.deleted_wf")).classes("text-2xl")
        _badge(run.status, testid="run-status")
        if exists:
            ui.space()
            ui.button(
                t("runs.open_canvas"),
                icon="account_tree",
                on_click=lambda: ui.navigate.to(f"/workflows/{run.workflow_id}?run={run.id}"),
            ).props('outline no-caps data-testid="open-on-canvas"').tooltip(t("runs.open_canvas_tip"))
    with ui.grid().classes("w-full text-sm grid-cols-2 sm:grid-cols-3 lg:grid-cols-6"):
        for key, value in (
            ("version", _version(run.version)),
            ("source", _source(run.source)),
            ("started", run.created_at.strftime("%Y-%m-%d %H:%M:%S")),
            ("duration", _seconds(run.total_time)),
            ("cost", _money(trace.cost)),
            ("run", run.id),
        ):
            with ui.column().classes("gap-0"):
                ui.label(t(f"runs.{key}")).classes("text-gray-500")
                ui.label(value).classes("break-all").props(f'data-testid="{safe_id("run", key)}"')
    with ui.row().classes("w-full gap-4 no-wrap"):
        with ui.card().classes("w-1/2").props('flat bordered data-testid="run-input"'):
            ui.label(t("runs.input")).classes("font-bold")
            if isinstance(run.input, dict):
                _ports(run.input, next((n.types for n in trace.nodes if n.type == "input"), {}), type_of)
            else:
                _value(run.input, type_of=type_of)
        with ui.card().classes("w-1/2").props('flat bordered data-testid="run-output"'):
            if run.error:
                ui.label(t("runs.error")).classes("font-bold text-red-700")
                ui.label(str(run.error.get("message") or run.error)).classes("text-red-700 whitespace-pre-wrap").props(
                    'data-testid="run-error"'
                )
            else:
                ui.label(t("runs.output")).classes("font-bold")
                if isinstance(run.output, dict) and not render_media(run.output, type_of=type_of):
                    _ports(run.output, None, type_of)
                else:
                    _value(run.output, type_of=type_of)
    ui.label(t("runs.nodes")).classes("text-xl mt-2")
    for node in trace.nodes:
        _node(node, titles.get(node.type, node.type), type_of, (ports or {}).get(node.type, ({}, {})))


def _node(node, kind: str, type_of: TypeOf | None = None, ports: tuple[dict, dict] = ({}, {})) -> None:
    """One node's card; ``kind``: its type's title in the page's language."""
    with ui.card().classes("w-full").props(f'flat bordered data-testid="{safe_id("node", node.node_id)}"'):
        with ui.row().classes("w-full items-center gap-3"):
            ui.label(node.label).classes("font-bold")
            ui.label(f"{kind} · {node.node_id}").classes("text-gray-500 text-sm")
            _badge(node.status)
            ui.space()
            ui.label(labelled(t("runs.time"), _seconds(node.time_spend))).classes("text-sm")
        usage = node.usage or {}
        if usage:
            facts = [
                (t("runs.provider"), usage.get("provider")),
                (t("runs.model"), usage.get("model")),
                (t("runs.tokens"), _tokens(usage)),
                (t("runs.cost"), _money(usage.get("cost")) if usage.get("cost") is not None else None),
            ]
            with ui.row().classes("gap-4 text-sm"):
                for name, value in facts:
                    if value not in (None, ""):
                        ui.label(labelled(name, value))
                if usage.get("cache_hit"):
                    ui.badge(t("runs.cache_hit"), color="teal")
            for fb in usage.get("fallbacks") or ():
                ui.label(
                    labelled(t("runs.fallbacks"), f"{fb.get('provider')} — {fb.get('reason')}")
                    + (f" (HTTP {fb['status']})" if fb.get("status") else "")
                ).classes("text-sm text-orange-700")
        if node.error:
            ui.label(node.error).classes("text-red-700 whitespace-pre-wrap text-sm").props('data-testid="node-error"')
        with ui.row().classes("w-full gap-4 no-wrap"):
            if node.inputs:
                with ui.column().classes("w-1/2 gap-1"):
                    ui.label(t("runs.inputs")).classes("text-gray-500 text-sm")
                    _ports(node.inputs, node.types, type_of, labels=ports[0])
            if node.outputs:
                with ui.column().classes("w-1/2 gap-1").props('data-testid="node-outputs"'):
                    ui.label(t("runs.outputs")).classes("text-gray-500 text-sm")
                    outputs = {k: v for k, v in node.outputs.items() if k != "usage"}
                    _ports(outputs, node.types, type_of, helps=ports[1])


def _tokens(usage: dict) -> str | None:
    if usage.get("total_tokens") is None and usage.get("prompt_tokens") is None:
        units = [(usage.get(k), k) for k in ("characters", "seconds", "images") if usage.get(k) is not None]
        return ", ".join(f"{v} {k}" for v, k in units) or None
    return f"{usage.get('total_tokens')} ({usage.get('prompt_tokens')} + {usage.get('completion_tokens')})"


def _ports(
    values: dict[str, Any],
    types: dict[str, str] | None = None,
    type_of: TypeOf | None = None,
    *,
    labels: dict[str, str] | None = None,
    helps: dict[str, str] | None = None,
) -> None:
    """Values by port: an input port under the label of the field it feeds (its name below), an
    output port by its name (what ``{{node.port}}`` says) with its help on hover."""
    for port, value in values.items():
        if value is None:
            continue
        with ui.row().classes("w-full gap-2 no-wrap items-start"):
            label = (labels or {}).get(port)
            if label and label != port:
                with ui.column().classes("gap-0 min-w-16").props(f'data-testid="{safe_id("port", port)}"'):
                    ui.label(label).classes("text-xs text-gray-600")
                    ui.label(port).classes("text-xs font-mono text-gray-500")
            else:
                name = ui.label(port).classes("text-xs font-mono text-gray-500 min-w-16")
                if (helps or {}).get(port):
                    name.tooltip((helps or {})[port])
            with ui.column().classes("grow gap-0"):
                _value(value, (types or {}).get(port), type_of=type_of)


def _value(value: Any, kind: str | None = None, *, type_of: TypeOf | None = None) -> None:
    """A value as the user sees it: media as players or a download link (``media_view``), everything
    else as plain text."""
    if render_media(value, kind=kind, type_of=type_of):
        return
    if isinstance(value, str):
        ui.label(value).classes("whitespace-pre-wrap break-all")
    else:
        ui.label(json.dumps(value, ensure_ascii=False, indent=2)).classes("whitespace-pre-wrap font-mono text-sm")


def _badge(status: str, *, testid: str | None = None) -> None:
    badge = ui.badge(_status(status), color=STATUS_COLOR.get(status, "grey"))
    if testid:
        badge.props(f'data-testid="{safe_id(testid)}"')


def _version(number: int) -> str:
    """Editor test runs of an unsaved canvas are recorded as version 0: the draft."""
    return str(number) if number else t("runs.draft")
