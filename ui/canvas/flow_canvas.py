"""``FlowCanvas``: Vue Flow as a NiceGUI element. Props in, events out, ``run_method`` for calls.

The vendored dist files live in ``vendor/`` (see ``vendor/README.md``); nothing is loaded from a
CDN. The canvas renders in the element's shadow root (flow_canvas.js says why), styled by
``flow_canvas.css`` and Vue Flow's stylesheets. The initial graph goes in as a prop once (every
later prop change would re-send all props); live changes go through ``run_method``
(``addNodes``, ``updateNode``, ``setGraph``...). The element's ``data-ready``, ``data-readonly``,
``data-dirty`` and ``data-refused`` attributes mirror the canvas state (tests wait on them).

Events (``canvas.on(name, handler)``, ``e.args`` is the payload): ``ready``, ``add_node``
``{type, position}``, ``move`` ``{positions}``, ``connect`` ``{source, source_port, target,
target_port}``, ``remove`` ``{nodes, edges}``, ``select`` ``{id}``, ``refused`` ``{message}``,
``undo``, ``redo``, ``copy`` ``{ids}``, ``paste`` ``{position}``, ``save``, ``add_connected``
``{type, position, upstream: [node, port] | null, downstream: [node, port] | null}`` (a node picked
where a wire was let go on empty canvas, or from a "+" on a port or an edge). A ``connect`` without
ports is an order edge (a wire dropped on a node's body, or on its header's square handles).
``undo``, ``redo``, ``copy`` ``{ids}``, ``paste`` ``{position}``, ``save``, ``layout`` ``{positions,
notes}`` (an auto-layout, done in the browser with the vendored dagre), ``note_add`` ``{position}``,
``note_edit`` ``{id, text | position | size}``, ``note_remove`` ``{id}``, ``duplicate`` ``{ids,
position}`` (the right-click menu), ``help`` (the ``?`` key). Calls for layout and organisation:
``autoLayout``, ``freeSpot(point?, size?)`` (the free place nearest a point, default the view's
centre), ``addNotes``, ``removeNotes``, ``selectAll``. Below 640 px wide the canvas is read-only
(``data-phone``) and a tap shows a node's details.
"""

from __future__ import annotations

from pathlib import Path

from nicegui import ui

HERE = Path(__file__).parent
VENDOR = HERE / "vendor"
# the canvas's own rules, and reduced motion as on the page around it (the page's rules stop at the
# shadow root)
CSS = "".join(
    path.read_text(encoding="utf-8")
    for path in (HERE / "flow_canvas.css", HERE.parent / "static" / "reduced_motion.css")
)


class FlowCanvas(
    ui.element,
    component="flow_canvas.js",
    esm={
        "@vue-flow/core": "vendor/core",
        "@vue-flow/background": "vendor/background",
        "@vue-flow/controls": "vendor/controls",
        "@vue-flow/minimap": "vendor/minimap",
    },
):
    def __init__(
        self,
        graph: dict,
        *,
        texts: dict[str, str],
        compat: dict[str, list[str]],
        readonly: bool = False,
        kinds: list[dict] | None = None,
    ) -> None:
        super().__init__()
        self._props["graph"] = graph
        self._props["kinds"] = kinds or []  # the node types a dropped wire's picker offers
        self._props["texts"] = texts
        self._props["compat"] = compat
        self._props["readonly"] = readonly
        self._props["flow-id"] = f"flowai-{self.id}"
        self._props["css"] = CSS
        self.add_resource(VENDOR)
