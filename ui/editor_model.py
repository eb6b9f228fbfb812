"""The editor's draft: a ``flowai/1`` document plus the operations the canvas sends, with undo.

No NiceGUI here: the page (``ui/editor.py``) turns canvas events into calls on :class:`Draft`
and sends the returned views back to the browser. Every mutating call records an undo step
(quick successive edits of the same field coalesce into one step).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import orjson
from pydantic import ValidationError

from flowai.errors import GraphError
from flowai.ports import PortType, compatible
from flowai.workflows.graph import FORMAT
from nodes import Registry
from nodes.define import PortKind

from . import editor_frames as frames
from . import editor_notes as notes

HISTORY = 100  # undo steps kept
COALESCE = 1.5  # seconds within which edits of the same field are one undo step
REF_START = re.compile(r"\{\{(\s*)([^{}\s.]+)\.")  # the "{{node." of a {{node.port}} reference


def edge_id(edge: dict) -> str:
    """The canvas id of an edge; the same function as ``edgeId`` in ui/canvas/flow_canvas.js."""
    return f"{edge['source']}:{edge.get('source_port') or ''}->{edge['target']}:{edge.get('target_port') or ''}"


def _copy(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


def compat_table() -> dict[str, list[str]]:
    """For each input port type, the output types it accepts (what flowai.ports.compatible says)."""
    return {t.value: [s.value for s in PortType if compatible(s, t)] for t in PortType}


def default_config(impl) -> dict[str, Any]:
    """A new node's config: the config model's defaults (the base timeout/cache fields left out),
    then the definition's starter config over them."""
    try:
        config = impl.Config().model_dump(mode="json", exclude_none=True)
    except ValidationError:  # required fields: start from the defaults that exist
        config = {
            name: f.get_default(call_default_factory=True)
            for name, f in impl.Config.model_fields.items()
            if not f.is_required()
        }
        config = _copy({k: v for k, v in config.items() if v is not None})
    return {**config, **_copy(impl.definition.starter)}


class Draft:
    def __init__(
        self, document: dict, registry: Registry, *, titles: dict[str, str] | None = None, language: str = "en"
    ):
        self.registry = registry
        self.titles = titles or {}  # node type -> title shown (the UI language's)
        self.pin_label = "pinned"  # the pin badge's tooltip (the UI language's)
        self.type_labels: dict[str, str] = {}  # port type -> its tag on the cards (the UI language's)
        self.say_issue: Callable[[dict, dict], str] | None = None  # a validation issue in people's words
        self.language = language  # of the choices' labels on the cards
        self.doc = self._clean(document)
        self.saved = _copy(self.doc)
        self.undo_stack: list[dict] = []
        self.redo_stack: list[dict] = []
        self._last: tuple[Any, float] = (None, 0.0)

    @staticmethod
    def _clean(document: dict) -> dict:
        doc = _copy(document)
        doc.setdefault("format", FORMAT)
        doc.setdefault("name", "Untitled")
        doc["nodes"] = [n for n in doc.get("nodes") or [] if isinstance(n, dict)]
        doc["edges"] = [e for e in doc.get("edges") or [] if isinstance(e, dict)]
        for n in doc["nodes"]:
            n.setdefault("label", "")
            n.setdefault("config", {})
            n.setdefault("position", {"x": 0, "y": 0})
        return doc

    # reads ------------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self.doc != self.saved

    def mark_saved(self) -> None:
        self.saved = _copy(self.doc)

    def node(self, node_id: str | None) -> dict | None:
        return next((n for n in self.doc["nodes"] if n["id"] == node_id), None) if node_id else None

    def ports(self, node: dict) -> tuple[dict[str, str], dict[str, str]]:
        impl = self.registry.get(node.get("type"))
        if impl is None:
            return {}, {}
        try:
            inputs = {k: str(v) for k, v in impl.input_ports(node.get("config") or {}).items()}
            outputs = {k: str(v) for k, v in impl.output_ports(node.get("config") or {}).items()}
        except Exception:  # a malformed config: validation reports it; show no ports meanwhile
            return {}, {}
        return inputs, outputs

    def node_view(self, node: dict, **extra: Any) -> dict:
        impl = self.registry.get(node.get("type"))
        inputs, outputs = self.ports(node)
        pos = node.get("position") or {}
        body = impl.body_ports if impl else {}
        return {
            "id": node["id"],
            "position": {"x": pos.get("x", 0), "y": pos.get("y", 0)},  # absolute, also inside a loop
            "parent": node.get("parent"),
            "data": {
                "label": node.get("label") or "",
                "ntype": node.get("type"),
                "title": self.titles.get(node.get("type")) or (impl.title if impl else node.get("type")),
                "group": impl.group if impl else "other",
                "inputs": [self.port_view(impl, "input", k, v) for k, v in inputs.items()],
                "outputs": [self.port_view(impl, "output", k, v) for k, v in outputs.items()],
                "body": [self.port_view(impl, "body", k, str(v)) for k, v in body.items()],  # a loop's inside
                "frame": bool(body),
                "nests": frames.can_nest(self.registry, node),
                "summary": self.summary(node),
                "issues": [],
                "status": None,
                "statusText": "",
                "error": None,
                "stream": "",
                "pinned": self.pin_text(node["id"]),
                **extra,
            },
        }

    def port_view(self, impl, kind: PortKind, name: str, port_type: str) -> dict:
        """A port on a card: its id (the wire's handle) and type, and what people read: its title
        from the node's definition (a port named by the config goes by that name) and its type's tag."""
        title = impl.port_title(kind, name) if impl is not None else None
        return {
            "name": name,
            "type": port_type,
            "label": title.get(self.language) if title is not None else name,
            "typeLabel": self.type_labels.get(port_type, port_type),
        }

    def wire_source(self, edge: dict) -> str:
        """ "LLM1 · Answer": the node (its label, else its type's title) and the port (its title) a
        wire comes from, as the node face and the settings form show it."""
        source = self.node(edge["source"]) or {}
        port = edge.get("source_port") or ""
        impl = self.registry.get(source.get("type") or "")
        title = (impl.port_title("output", port) or impl.port_title("body", port)) if impl is not None else None
        name = source.get("label") or self.titles.get(str(source.get("type"))) or edge["source"]
        return f"{name} · {title.get(self.language) if title is not None else port}"

    def pins(self) -> dict[str, dict[str, Any]]:
        """Node id -> the outputs it is pinned to (test data; the document's ``pins``)."""
        pins = self.doc.get("pins")
        return pins if isinstance(pins, dict) else {}

    def pin_text(self, node_id: str) -> str:
        """The pin badge's text for a node: empty when it is not pinned."""
        return self.pin_label if node_id in self.pins() else ""

    def edge_view(self, edge: dict, doc: dict | None = None) -> dict:
        source = next((n for n in (doc or self.doc)["nodes"] if n["id"] == edge["source"]), None)
        port_type = self.ports(source)[1].get(edge.get("source_port") or "") if source else None
        impl = self.registry.get((source or {}).get("type") or "")
        if port_type is None and impl is not None and edge.get("source_port") in impl.body_ports:
            port_type = str(impl.body_ports[edge["source_port"]])
        if not edge.get("source_port"):
            port_type = "order"
        return {
            "id": edge_id(edge),
            "source": edge["source"],
            "target": edge["target"],
            "sourceHandle": edge.get("source_port"),
            "targetHandle": edge.get("target_port"),
            "portType": port_type or "any",
        }

    def graph_view(self, doc: dict | None = None) -> dict:
        doc = doc or self.doc
        return {
            "nodes": [self.node_view(n) for n in doc["nodes"]],
            "edges": [self.edge_view(e, doc) for e in doc["edges"]],
            "stages": frames.stage_view(doc),
            "notes": notes.view(doc),
        }

    def summary(self, node: dict) -> str:
        """The text on a node's card: the first non-empty of the fields its definition names."""
        impl = self.registry.get(node.get("type") or "")
        config = node.get("config") or {}
        feeds = {e.get("target_port"): e for e in self.doc["edges"] if e["target"] == node.get("id")}
        for key in impl.definition.summary if impl else ():
            if key in feeds:  # a wire feeds the field: its own value is not used
                return f"← {self.wire_source(feeds[key])}"
            value = config.get(key)
            choices = impl.definition.fields[key].choices if impl and key in impl.definition.fields else None
            if choices and value in choices:  # a choice reads as its label ("Whole document", not "none")
                return choices[value].get(self.language)
            if isinstance(value, str) and value.strip():
                text = value.strip()
                return text if len(text) <= 120 else text[:117] + "..."
        return ""

    def ancestors(self, node_id: str) -> list[str]:
        """Nodes upstream of ``node_id`` (through edges), nearest first."""
        parents: dict[str, list[str]] = {}
        for e in self.doc["edges"]:
            parents.setdefault(e["target"], []).append(e["source"])
        order: list[str] = []
        seen = {node_id}
        frontier = [node_id]
        while frontier:
            nxt = []
            for nid in frontier:
                for p in parents.get(nid, []):
                    if p not in seen:
                        seen.add(p)
                        order.append(p)
                        nxt.append(p)
            frontier = nxt
        return order

    def variables(self, node_id: str) -> list[dict]:
        """``{{node.port}}`` variables a node's templates may use: its ancestors' output ports; inside
        a loop also the loop's ``item`` and ``index`` and what is upstream of the loop."""
        parent = (self.node(node_id) or {}).get("parent")
        upstream = [a for a in self.ancestors(node_id) if a != parent]
        found = frames.loop_variables(self, node_id) if parent else []
        seen = {v["token"] for v in found}
        return [self._said(v) for v in found + [v for v in self.upstream_outputs(upstream) if v["token"] not in seen]]

    def _said(self, variable: dict) -> dict:
        """A variable with its port's title and type's tag for the variable menu (its token stays)."""
        impl = self.registry.get(str((self.node(variable["node"]) or {}).get("type")))
        port = self.port_view(impl, "output", variable["port"], variable["type"])
        if port["label"] == variable["port"]:  # not an output: a loop's inside port?
            port = self.port_view(impl, "body", variable["port"], variable["type"])
        return {**variable, "port_label": port["label"], "type_label": port["typeLabel"]}

    def upstream_outputs(self, node_ids: list[str]) -> list[dict]:
        """The output ports of these nodes, as template variables."""
        found = []
        for aid in node_ids:
            node = self.node(aid)
            if node is None:
                continue
            for port, ptype in self.ports(node)[1].items():
                found.append(
                    {
                        "token": f"{{{{{aid}.{port}}}}}",
                        "node": aid,
                        "label": node.get("label") or self.titles.get(str(node.get("type"))) or aid,
                        "port": port,
                        "type": ptype,
                    }
                )
        return [self._said(v) for v in found]

    def issues(self, validate) -> tuple[dict[str, list[str]], list[str]]:
        """Validation problems by node id, and the ones that concern no node (``validate`` raises
        GraphError, e.g. ``platform.workflows.validate``)."""
        try:
            validate(self.doc)
        except GraphError as exc:
            return self.locate(exc.issues)
        return {}, []

    def locate(self, issues: list[dict]) -> tuple[dict[str, list[str]], list[str]]:
        by_node: dict[str, list[str]] = {}
        general: list[str] = []
        for issue in issues:
            node = issue.get("node")
            edge = issue.get("edge")
            if node is None and isinstance(edge, int) and 0 <= edge < len(self.doc["edges"]):
                node = self.doc["edges"][edge]["target"]
            if self.say_issue is not None:  # in people's words (the page's ui.issues.said)
                message = general_message = self.say_issue(issue, self.doc)
            else:
                general_message = issue.get("message", "")
                message = re.sub(r"^Node '[^']*': ", "", general_message)
            if node is not None and self.node(node) is not None:
                by_node.setdefault(node, []).append(message)
            else:
                general.append(general_message)
        return by_node, general

    # history ----------------------------------------------------------------------------
    def _record(self, key: Any = None) -> None:
        now = time.monotonic()
        last_key, last_at = self._last
        self._last = (key, now)
        if key is not None and key == last_key and now - last_at < COALESCE:
            return
        self.undo_stack.append(_copy(self.doc))
        del self.undo_stack[:-HISTORY]
        self.redo_stack.clear()

    def undo(self) -> bool:
        if not self.undo_stack:
            return False
        self.redo_stack.append(_copy(self.doc))
        self.doc = self.undo_stack.pop()
        self._last = (None, 0.0)
        return True

    def redo(self) -> bool:
        if not self.redo_stack:
            return False
        self.undo_stack.append(_copy(self.doc))
        self.doc = self.redo_stack.pop()
        self._last = (None, 0.0)
        return True

    # operations -------------------------------------------------------------------------
    def new_id(self, type_: str, taken: set[str] | None = None) -> str:
        taken = taken if taken is not None else {n["id"] for n in self.doc["nodes"]}
        base = re.sub(r"[^\w-]", "_", type_)[:50] or "node"
        n = 1
        while f"{base}_{n}" in taken:
            n += 1
        return f"{base}_{n}"

    def _new_label(self, title: str) -> str:
        labels = {n.get("label") for n in self.doc["nodes"]}
        n = 1
        while f"{title}{n}" in labels:
            n += 1
        return f"{title}{n}"

    def add_node(self, type_: str, position: dict, parent: str | None = None) -> dict:
        """A new node at ``position``; inside the loop ``parent`` when it may go there."""
        impl = self.registry.get(type_)
        if impl is None:
            raise ValueError(f"unknown node type {type_!r}")
        self._record()
        node = {
            "id": self.new_id(type_),
            "type": type_,
            "label": self._new_label(self.titles.get(type_) or impl.title),
            "position": {"x": float(position.get("x", 0)), "y": float(position.get("y", 0))},
            "config": default_config(impl),
        }
        if (
            parent is not None
            and frames.can_nest(self.registry, node)
            and frames.is_loop(self.registry, self.node(parent))
        ):
            node["parent"] = parent
        self.doc["nodes"].append(node)
        return node

    def move(
        self,
        positions: dict[str, dict],
        parents: dict[str, str | None] | None = None,
        stages: dict[str, str | None] | None = None,
    ) -> bool:
        """Move nodes (absolute positions), put them into or out of loops (``parents``: node id
        -> loop id or None) and stages (``stages``: node id -> stage id or None). Whether a parent
        asked for was refused."""
        changed = {
            nid: p
            for nid, p in positions.items()
            if self.node(nid) is not None and self.node(nid).get("position") != {"x": p.get("x", 0), "y": p.get("y", 0)}
        }
        reparent, refused = frames.parent_changes(self.doc, self.registry, parents or {})
        restage = {n: s for n, s in (stages or {}).items() if frames.stage_of(self.doc, n) != s}
        if not changed and not reparent and not restage:
            return refused
        self._record()
        frames.move_to_stages(self.doc, restage)
        for nid, p in changed.items():
            self.node(nid)["position"] = {"x": p.get("x", 0), "y": p.get("y", 0)}
        for nid, parent in reparent.items():
            frames.set_parent(self.node(nid) or {}, parent)
        return refused

    def connect(self, edge: dict) -> dict | None:
        e = {
            "source": edge.get("source"),
            "source_port": edge.get("source_port"),
            "target": edge.get("target"),
            "target_port": edge.get("target_port"),
        }
        if self.node(e["source"]) is None or self.node(e["target"]) is None:
            return None
        if any(edge_id(x) == edge_id(e) for x in self.doc["edges"]):
            return None
        self._record()
        self.doc["edges"].append({k: v for k, v in e.items() if v is not None})
        return e

    def remove(self, node_ids: list[str], edges: list[dict]) -> tuple[list[str], list[str]]:
        """Remove nodes (with their edges) and edges; return the removed node and edge ids."""
        nodes = {nid for nid in node_ids if self.node(nid) is not None}
        nodes |= {inner for nid in list(nodes) for inner in frames.body(self.doc, nid)}  # a loop goes whole
        gone_edges = {edge_id(e) for e in edges}
        hit = [e for e in self.doc["edges"] if edge_id(e) in gone_edges or e["source"] in nodes or e["target"] in nodes]
        if not nodes and not hit:
            return [], []
        self._record()
        self.doc["nodes"] = [n for n in self.doc["nodes"] if n["id"] not in nodes]
        self.doc["edges"] = [e for e in self.doc["edges"] if e not in hit]
        frames.clean_stages(self.doc, nodes)
        if any(nid in self.pins() for nid in nodes):
            self._put_pins({k: v for k, v in self.pins().items() if k not in nodes})
        return sorted(nodes), [edge_id(e) for e in hit]

    def set_pin(self, node_id: str, outputs: dict[str, Any] | None) -> bool:
        """Pin a node's outputs (None: unpin); False when nothing changes."""
        if self.node(node_id) is None or self.pins().get(node_id) == outputs:
            return False
        if outputs is None and node_id not in self.pins():
            return False
        self._record()
        pins = dict(self.pins())
        if outputs is None:
            pins.pop(node_id, None)
        else:
            pins[node_id] = _copy(outputs)
        self._put_pins(pins)
        return True

    def _put_pins(self, pins: dict[str, dict[str, Any]]) -> None:
        if pins:
            self.doc["pins"] = pins
        else:
            self.doc.pop("pins", None)

    def set_config(self, node_id: str, key: str, value: Any) -> dict:
        """Set one config value (None removes it).

        When the node's ports change, edges on a port that is gone are dropped, except when
        exactly one port was renamed (an input field renamed): its edges and the
        ``{{node.port}}`` references to it follow the new name. Returns ``{"ports": changed?,
        "removed": edge ids, "added": edges, "touched": ids of nodes whose config was rewritten}``.
        """
        result: dict[str, Any] = {"ports": False, "removed": [], "added": [], "touched": []}
        node = self.node(node_id)
        if node is None:
            return result
        before = self.ports(node)
        self._record(("config", node_id, key))
        if value is None:
            node["config"].pop(key, None)
        else:
            node["config"][key] = value
        after = self.ports(node)
        if after == before:
            return result
        result["ports"] = True
        out_rename, in_rename = _renamed(before[1], after[1]), _renamed(before[0], after[0])
        edges = []
        for e in self.doc["edges"]:
            new: dict | None = e
            if e["source"] == node_id and e.get("source_port") is not None and e["source_port"] not in after[1]:
                new = {**e, "source_port": out_rename[1]} if out_rename else None
            if (
                new is not None
                and e["target"] == node_id
                and e.get("target_port") is not None
                and e["target_port"] not in after[0]
            ):
                new = {**new, "target_port": in_rename[1]} if in_rename else None
            if new is not e:
                result["removed"].append(edge_id(e))
                if new is not None:
                    result["added"].append(new)
            if new is not None:
                edges.append(new)
        self.doc["edges"] = edges
        if out_rename:
            pattern = re.compile(r"(\{\{\s*" + re.escape(node_id) + r"\.)" + re.escape(out_rename[0]) + r"(?=[\s.}])")
            for other in self.doc["nodes"]:
                config = _sub(other.get("config") or {}, pattern, lambda m, new=out_rename[1]: m.group(1) + new)
                if config != other.get("config"):
                    other["config"] = config
                    result["touched"].append(other["id"])
        return result

    # stages --------------------------------------------------------------------------------
    def group_stage(self, node_ids: list[str], label: str) -> str | None:
        """A new stage of these nodes (a node inside a loop counts as its loop); its id."""
        members = frames.stage_members(self.doc, self.registry, node_ids)
        if not members:
            return None
        self._record()
        stage_id = frames.new_stage_id(self.doc, label)
        frames.group(self.doc, stage_id, label.strip() or stage_id, members)
        return stage_id

    def rename_stage(self, stage_id: str, label: str) -> bool:
        stage = next((s for s in frames.stages(self.doc) if s["id"] == stage_id), None)
        if stage is None or stage.get("label") == label or not label.strip():
            return False
        self._record(("stage", stage_id))
        stage["label"] = label.strip()
        return True

    def remove_stage(self, stage_id: str) -> bool:
        """Ungroup a stage (its nodes stay)."""
        if not any(s["id"] == stage_id for s in frames.stages(self.doc)):
            return False
        self._record()
        self.doc["stages"] = [s for s in frames.stages(self.doc) if s["id"] != stage_id]
        return True

    # notes ---------------------------------------------------------------------------------
    def add_note(self, position: dict, text: str = "") -> dict:
        self._record()
        return notes.add(self.doc, position, text)

    def edit_note(
        self, note_id: str, *, text: str | None = None, position: dict | None = None, size: dict | None = None
    ) -> bool:
        """Change a note's text, position or size; whether anything changed. Typing in a note
        coalesces into one undo step."""
        note = notes.find(self.doc, note_id)
        if note is None:
            return False
        new = dict(note)
        if text is not None:
            new["text"] = text[: notes.MAX_TEXT]
        if position is not None:
            new["position"] = notes.point(position)
        if size is not None:
            new["size"] = notes.size(size)
        if new == note:
            return False
        self._record(("note", note_id) if text is not None and position is None and size is None else None)
        note.update(new)
        return True

    def remove_note(self, note_id: str) -> bool:
        if notes.find(self.doc, note_id) is None:
            return False
        self._record()
        return notes.remove(self.doc, note_id)

    # auto-layout -------------------------------------------------------------------------------
    def arrange(self, positions: dict[str, dict], note_positions: dict[str, dict] | None = None) -> bool:
        """Put nodes (absolute positions) and notes where an auto-layout placed them: one undo
        step; whether anything moved. Loops, stages and parents stay as they are."""
        moved = {
            nid: {"x": round(float(p.get("x", 0))), "y": round(float(p.get("y", 0)))}
            for nid, p in positions.items()
            if self.node(nid) is not None and isinstance(p, dict)
        }
        moved = {nid: p for nid, p in moved.items() if self.node(nid).get("position") != p}
        moved_notes = {
            k: notes.point(p)
            for k, p in (note_positions or {}).items()
            if notes.find(self.doc, k) is not None and notes.find(self.doc, k).get("position") != notes.point(p)
        }
        if not moved and not moved_notes:
            return False
        self._record()
        for nid, p in moved.items():
            self.node(nid)["position"] = p
        for k, p in moved_notes.items():
            notes.find(self.doc, k)["position"] = p
        return True

    def set_label(self, node_id: str, label: str) -> None:
        node = self.node(node_id)
        if node is not None and node.get("label") != label:
            self._record(("label", node_id))
            node["label"] = label

    def set_meta(self, key: str, value: str) -> None:
        if self.doc.get(key) != value:
            self._record(("meta", key))
            self.doc[key] = value

    def replace(self, document: dict) -> None:
        """Put another document (a restored version) in the draft; undoable."""
        self._record()
        self.doc = self._clean(document)

    def copy(self, node_ids: list[str]) -> dict:
        ids = set(node_ids)
        ids |= {inner for nid in node_ids for inner in frames.body(self.doc, nid)}  # a loop with its body
        return {
            "nodes": _copy([n for n in self.doc["nodes"] if n["id"] in ids]),
            "edges": _copy([e for e in self.doc["edges"] if e["source"] in ids and e["target"] in ids]),
        }

    def paste(self, clip: dict, position: dict | None = None) -> tuple[list[dict], list[dict]]:
        """Add copies of the clipboard's nodes (new ids, labels, positions) and their inner edges."""
        nodes = [n for n in clip.get("nodes") or [] if self.registry.get(n.get("type")) is not None]
        if not nodes:
            return [], []
        self._record()
        taken = {n["id"] for n in self.doc["nodes"]}
        mapping: dict[str, str] = {}
        for n in nodes:
            mapping[n["id"]] = new = self.new_id(n["type"], taken)
            taken.add(new)
        xs = [float((n.get("position") or {}).get("x", 0)) for n in nodes]
        ys = [float((n.get("position") or {}).get("y", 0)) for n in nodes]
        dx, dy = (position["x"] - min(xs), position["y"] - min(ys)) if position else (40.0, 40.0)
        labels = {n.get("label") for n in self.doc["nodes"]}
        added = []
        for n in nodes:
            copy = _copy(n)
            copy["id"] = mapping[n["id"]]
            pos = n.get("position") or {}
            copy["position"] = {"x": float(pos.get("x", 0)) + dx, "y": float(pos.get("y", 0)) + dy}
            label = n.get("label") or ""
            while label and label in labels:
                label = f"{label} copy"
            copy["label"] = label
            labels.add(label)
            copy["config"] = _rename_refs(copy.get("config") or {}, mapping)
            frames.set_parent(copy, mapping.get(n.get("parent") or ""))  # a loop copied with its body
            self.doc["nodes"].append(copy)
            added.append(copy)
        edges = []
        for e in clip.get("edges") or []:
            if e["source"] in mapping and e["target"] in mapping:
                new = {**e, "source": mapping[e["source"]], "target": mapping[e["target"]]}
                self.doc["edges"].append(new)
                edges.append(new)
        return added, edges


def _renamed(before: dict, after: dict) -> tuple[str, str] | None:
    """(old, new) when exactly one port gave way to exactly one new one."""
    gone = [k for k in before if k not in after]
    new = [k for k in after if k not in before]
    return (gone[0], new[0]) if len(gone) == 1 and len(new) == 1 else None


def _sub(value: Any, pattern: re.Pattern, repl) -> Any:
    if isinstance(value, str):
        return pattern.sub(repl, value)
    if isinstance(value, list):
        return [_sub(v, pattern, repl) for v in value]
    if isinstance(value, dict):
        return {k: _sub(v, pattern, repl) for k, v in value.items()}
    return value


def _rename_refs(value: Any, mapping: dict[str, str]) -> Any:
    """Point ``{{old.port}}`` references among pasted nodes at their copies."""
    if isinstance(value, str):
        return REF_START.sub(lambda m: "{{" + m.group(1) + mapping.get(m.group(2), m.group(2)) + ".", value)
    if isinstance(value, list):
        return [_rename_refs(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: _rename_refs(v, mapping) for k, v in value.items()}
    return value
