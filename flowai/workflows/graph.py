"""The ``flowai/1`` graph document: parsing, validation and compilation for the engine.

``compile_graph`` either returns a :class:`CompiledGraph` (topologically ordered nodes with
validated configs, ports and template indexes) or raises :class:`GraphError` listing every
problem found, each located by node id, edge index and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from flowai.errors import GraphError, Issue
from flowai.ports import PortType, compatible
from flowai.texts import Text
from flowai.workflows.loops import (
    body_ancestors,
    body_of,
    check_parents,
    crossing_issue,
    not_visible_issue,
    ref_ports,
)
from flowai.workflows.templates import BRACES, LabelIndex, brace_refs
from nodes import Node, Registry
from nodes.input import InputConfig, check_input
from nodes.input import InputField as InputField  # re-exported: the API documents input fields

FORMAT = "flowai/1"
MAX_DEPTH = (
    64  # nesting of a document (configs included): deeper is refused, not stored (the JSON encoder stops at 255)
)
FALLBACK_PORT = "error"  # an edge from this port of a node without such an output runs when the node fails
NODE_ID = re.compile(r"[\w-]{1,64}")  # letters of any script, digits, "_", "-": safe in markup, URLs, templates


class Position(BaseModel):
    x: float = 0
    y: float = 0


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    type: str
    label: Text = ""
    position: Position = Field(default_factory=Position)
    config: dict[str, Any] = Field(default_factory=dict)
    parent: str | None = Field(default=None, description="The loop node this node is inside (its body)")

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        if not NODE_ID.fullmatch(value):
            raise ValueError("a node id is 1-64 letters (any script), digits, '_' or '-'")
        return value


class EdgeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    target: str
    source_port: str | None = None
    target_port: str | None = None


class GraphSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cache_ttl: float | None = Field(
        default=None,
        ge=0,
        description="Default node cache lifetime, seconds; off when empty (a node's own cache_ttl wins)",
    )


class StageSpec(BaseModel):
    """A named group of nodes (a labelled frame on the canvas); progress is reported per stage."""

    model_config = ConfigDict(extra="forbid")

    id: str
    label: str = Field(default="", max_length=200)
    nodes: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        if not NODE_ID.fullmatch(value):
            raise ValueError("a stage id is 1-64 letters (any script), digits, '_' or '-'")
        return value


class Size(BaseModel):
    model_config = ConfigDict(extra="forbid")

    width: float = Field(default=220, ge=40, le=4000)
    height: float = Field(default=140, ge=30, le=4000)


class NoteSpec(BaseModel):
    """A sticky note on the canvas: text for people; the engine ignores it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    text: Text = Field(default="", max_length=10_000)
    position: Position = Field(default_factory=Position)
    size: Size = Field(default_factory=Size)

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        if not NODE_ID.fullmatch(value):
            raise ValueError("a note id is 1-64 letters (any script), digits, '_' or '-'")
        return value


class GraphDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str = FORMAT
    name: Text = Field(default="Untitled", max_length=200)
    description: Text = ""
    nodes: list[NodeSpec] = Field(default_factory=list)
    edges: list[EdgeSpec] = Field(default_factory=list)
    settings: GraphSettings = Field(default_factory=GraphSettings)
    stages: list[StageSpec] = Field(default_factory=list)
    pins: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Editor test data: node id -> the outputs it is pinned to (never used by published runs)",
    )
    notes: list[NoteSpec] = Field(default_factory=list, description="Sticky notes on the canvas (ignored by runs)")


@dataclass(slots=True)
class CompiledNode:
    spec: NodeSpec
    impl: Node
    config: BaseModel | None  # validated config when it has no templates; else None (validated at run)
    inputs: dict[str, PortType]
    outputs: dict[str, PortType]
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    edge_inputs: dict[str, tuple[str, str]] = field(default_factory=dict)  # target port -> (source, port)
    edge_fields: dict[str, tuple[str, str]] = field(default_factory=dict)  # config field fed -> (source, port)
    labels: LabelIndex | None = None  # ancestors' labels, for $label.field references
    branch_ports: frozenset[str] = frozenset()  # a branching node's output ports that are branches
    child_ports: dict[str, set[str | None]] = field(default_factory=dict)  # branching: child -> source ports
    fallbacks: set[str] = field(default_factory=set)  # children reached only when this node fails

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def label(self) -> str:
        return self.spec.label or self.spec.id


@dataclass(slots=True)
class CompiledGraph:
    doc: GraphDoc
    nodes: dict[str, CompiledNode]  # in topological order
    input_node: CompiledNode
    output_nodes: list[CompiledNode]
    bodies: dict[str, CompiledGraph] = field(default_factory=dict)  # loop id -> its body (see loops.py)
    known: dict[str, CompiledNode] = field(default_factory=dict)  # every node, bodies included (templates)

    def __post_init__(self) -> None:
        if not self.known:
            self.known = dict(self.nodes)

    @property
    def input_config(self) -> InputConfig:
        """The input node's config (validated when the graph compiled: it takes no templates)."""
        return cast(InputConfig, self.input_node.config)

    def check_input(self, given: Any) -> dict[str, Any]:
        """A run's ``input`` checked against the input node's fields (defaults filled in);
        raises InputError listing every problem."""
        return check_input(self.input_config, given)


def parse(document: Any) -> GraphDoc:
    """Parse a document (dict) into a GraphDoc; structural problems become a GraphError."""
    if not isinstance(document, dict):
        raise GraphError([_issue("The workflow document must be a JSON object.")])
    if _deeper_than(document, MAX_DEPTH):
        raise GraphError([_issue(f"The workflow document is nested deeper than {MAX_DEPTH} levels.")])
    try:
        doc = GraphDoc.model_validate(document)
    except ValidationError as exc:
        raise GraphError([_located(document, err) for err in exc.errors()]) from None
    if doc.format != FORMAT:
        raise GraphError([_issue(f"Unsupported format {doc.format!r}; expected {FORMAT!r}.", field="format")])
    return doc


def compile_graph(document: Any, registry: Registry) -> CompiledGraph:
    doc = document if isinstance(document, GraphDoc) else parse(document)
    issues: list[dict] = []
    nodes: dict[str, CompiledNode] = {}
    broken: set[str] = set()  # nodes of unknown type: reported once, not again by each edge or template
    labels = {s.label for s in doc.nodes if s.label}

    for spec in doc.nodes:
        if spec.id in nodes:
            issues.append(_issue(f"Duplicate node id {spec.id!r}.", node=spec.id))
            continue
        impl = registry.get(spec.type)
        if impl is None:
            issues.append(
                _issue(
                    f"Node {spec.id!r} has unknown type {spec.type!r}; known types: {', '.join(registry.types())}.",
                    node=spec.id,
                    field="type",
                    code="unknown_type",
                    type=spec.type,
                )
            )
            broken.add(spec.id)
            continue
        config = _check_config(spec, impl, labels, issues)
        nodes[spec.id] = CompiledNode(
            spec,
            impl,
            config,
            impl.input_ports(spec.config),
            impl.output_ports(spec.config),
            branch_ports=frozenset(impl.branch_ports(spec.config)),
        )

    scope = check_parents(doc, nodes, issues)
    _check_edges(doc, nodes, broken, issues, scope)
    order = _topological_order(nodes, issues)

    inputs = [n for n in nodes.values() if n.spec.type == "input" and scope.get(n.id) is None]
    outputs = [n for n in nodes.values() if n.spec.type == "output" and scope.get(n.id) is None]
    if not inputs:
        issues.append(_issue("The workflow has no input node; add one to receive the run's input.", code="no_input"))
    elif len(inputs) > 1:
        issues.append(
            _issue(
                f"The workflow has {len(inputs)} input nodes; keep exactly one.",
                node=inputs[1].id,
                code="many_inputs",
                count=len(inputs),
            )
        )
    if not outputs:
        issues.append(_issue("The workflow has no output node; add one to return a result.", code="no_output"))
    names = [_output_name(n) for n in outputs]
    for n in outputs:
        if names.count(_output_name(n)) > 1:
            issues.append(
                _issue(
                    f"Two output nodes are named {_output_name(n)!r}; give each a distinct name.",
                    node=n.id,
                    field="config.name",
                    code="output_name_taken",
                    name=_output_name(n),
                )
            )
            break

    _check_stages(doc, nodes, broken, issues)
    _check_pins(doc, nodes, broken, issues)
    _check_notes(doc, issues)
    if order is not None:
        ancestors = body_ancestors(_ancestors(order, nodes), scope)
        _check_templates(nodes, ancestors, broken, issues, scope)
    if issues:
        raise GraphError(issues)
    assert order is not None  # without an order (a cycle) there is an issue
    top = {nid: nodes[nid] for nid in order if scope.get(nid) is None}
    bodies = {
        loop: CompiledGraph(
            doc, {nid: nodes[nid] for nid in order if scope.get(nid) == loop}, nodes[loop], [], {}, nodes
        )
        for loop in dict.fromkeys(p for p in scope.values() if p is not None)
    }
    return CompiledGraph(doc, top, inputs[0], outputs, bodies, nodes)


def _check_stages(doc: GraphDoc, nodes: dict[str, CompiledNode], broken: set[str], issues: list[dict]) -> None:
    """Stage ids are unique; each names existing nodes, and a node is in one stage at most."""
    stage_of: dict[str, str] = {}
    ids: set[str] = set()
    for i, stage in enumerate(doc.stages):
        if stage.id in ids:
            message = f"Duplicate stage id {stage.id!r}."
            issues.append(_issue(message, field=f"stages.{i}.id", code="stage_duplicate", stage=stage.id))
        ids.add(stage.id)
        for j, nid in enumerate(stage.nodes):
            where = f"stages.{i}.nodes.{j}"
            if nid not in nodes:
                if nid not in broken:
                    issues.append(
                        _issue(
                            f"Stage {stage.id!r} names unknown node {nid!r}.",
                            field=where,
                            code="stage_unknown_node",
                            stage=stage.id,
                            missing=nid,
                        )
                    )
            elif nid in stage_of:
                other = stage_of[nid]
                again = "twice" if other == stage.id else f"in stages {other!r} and {stage.id!r}"
                issues.append(
                    _issue(
                        f"Node {nid!r} is {again}; a node belongs to one stage.",
                        node=nid,
                        field=where,
                        code="stage_twice",
                        ref_node=nid,
                        stage=stage.id,
                        other=other,
                    )
                )
            else:
                stage_of[nid] = stage.id


def _check_pins(doc: GraphDoc, nodes: dict[str, CompiledNode], broken: set[str], issues: list[dict]) -> None:
    """Each pinned output belongs to a node of the document (one inside a loop: each item takes it)."""
    for node_id in doc.pins:
        if node_id in broken:
            continue
        if nodes.get(node_id) is None:
            issues.append(
                _issue(
                    f"Pinned output of unknown node {node_id!r}.",
                    field=f"pins.{node_id}",
                    code="pin_unknown_node",
                    missing=node_id,
                )
            )


def _check_notes(doc: GraphDoc, issues: list[dict]) -> None:
    """Note ids are unique."""
    ids: set[str] = set()
    for i, note in enumerate(doc.notes):
        if note.id in ids:
            issues.append(
                _issue(f"Duplicate note id {note.id!r}.", field=f"notes.{i}.id", code="note_duplicate", note=note.id)
            )
        ids.add(note.id)


def _output_name(node: CompiledNode) -> str:
    return node.spec.config.get("name") or node.id


def _check_config(spec: NodeSpec, impl: Node, labels: set[str], issues: list[dict]) -> BaseModel | None:
    try:
        return impl.Config.model_validate(spec.config)
    except ValidationError as exc:
        real = []
        for err in exc.errors():
            raw = _at(spec.config, err["loc"])
            if (
                impl.templated
                and err["type"] != "extra_forbidden"
                and isinstance(raw, str)
                and (BRACES.search(raw) or any(f"${label}." in raw for label in labels))
            ):
                continue  # a template may render to a valid value; checked again at run time
            real.append(err)
        for err in real:
            loc = ".".join(str(p) for p in err["loc"])
            issues.append(
                _issue(
                    f"Node {spec.id!r}: config.{loc}: {err['msg']}.",
                    node=spec.id,
                    field=f"config.{loc}",
                    code="config",
                    path=loc,
                    kind=err["type"],
                    ctx={k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, (int, float, str))},
                )
            )
        return None


def _check_edges(
    doc: GraphDoc, nodes: dict[str, CompiledNode], broken: set[str], issues: list[dict], scope: dict[str, str | None]
) -> None:
    seen: set[tuple[str, str, str | None, str | None]] = set()
    for i, e in enumerate(doc.edges):
        src, dst = nodes.get(e.source), nodes.get(e.target)
        if src is None or dst is None:
            missing = [n for n in dict.fromkeys((e.source, e.target)) if n not in nodes]
            if not any(n in broken for n in missing):
                issues.append(
                    _issue(
                        f"Edge {i} ({e.source} -> {e.target}) points to missing node "
                        f"{' and '.join(map(repr, missing))}.",
                        edge=i,
                    )
                )
            continue
        if e.source == e.target:
            issues.append(
                _issue(f"Edge {i} connects node {e.source!r} to itself.", edge=i, node=e.source, code="self_edge")
            )
            continue
        key = (e.source, e.target, e.source_port, e.target_port)
        if key in seen:
            continue
        seen.add(key)
        into_body = scope.get(e.target) == e.source  # a loop's item / index into a node of its body
        if scope.get(e.source) != scope.get(e.target) and not into_body:
            issues.append(crossing_issue(i, e.source, e.target, scope))
            continue
        if into_body:
            if e.source_port not in src.impl.body_ports or e.target_port is None:
                issues.append(crossing_issue(i, e.source, e.target, scope))
                continue
        else:
            if _fallback_edge(i, e, src, dst, issues):
                continue
            if e.target in src.fallbacks:
                issues.append(_mixed_fallback(i, e))
                continue
            if e.source not in dst.parents:
                dst.parents.append(e.source)
                src.children.append(e.target)
        if src.branch_ports:
            src.child_ports.setdefault(e.target, set()).add(e.source_port)
            if e.target_port is None and e.source_port is not None:  # "run this when that branch is taken"
                if e.source_port not in src.branch_ports:
                    issues.append(
                        _issue(
                            f"Edge {i}: node {e.source!r} has no branch {e.source_port!r} "
                            f"(branches: {', '.join(sorted(src.branch_ports))}).",
                            edge=i,
                            node=e.source,
                        )
                    )
                continue
        if (e.source_port is None) != (e.target_port is None):  # still orders execution: no follow-on issues
            issues.append(
                _issue(f"Edge {i} ({e.source} -> {e.target}) names only one port; name both or neither.", edge=i)
            )
            continue
        if e.source_port is None or e.target_port is None:  # neither (see above): the edge only orders execution
            continue
        out_type = (src.impl.body_ports if into_body else src.outputs).get(e.source_port)
        in_type = dst.inputs.get(e.target_port)
        if out_type is None:
            issues.append(
                _issue(
                    f"Edge {i}: node {e.source!r} has no output port {e.source_port!r} "
                    f"(ports: {', '.join(src.outputs) or 'none'})"
                    + (" (item and index reach only the nodes inside the loop)." if src.impl.body_ports else "."),
                    edge=i,
                    node=e.source,
                )
            )
        elif in_type is None:
            issues.append(
                _issue(
                    f"Edge {i}: node {e.target!r} has no input port {e.target_port!r} "
                    f"(ports: {', '.join(dst.inputs) or 'none'}).",
                    edge=i,
                    node=e.target,
                )
            )
        elif not compatible(out_type, in_type):
            issues.append(
                _issue(
                    f"Edge {i}: port type mismatch, {e.source}.{e.source_port} is {out_type} "
                    f"but {e.target}.{e.target_port} takes {in_type}.",
                    edge=i,
                    code="port_types",
                    source=e.source,
                    source_port=e.source_port,
                    target=e.target,
                    target_port=e.target_port,
                    out_type=str(out_type),
                    in_type=str(in_type),
                    node=e.target,
                )
            )
        elif e.target_port in dst.edge_inputs:
            issues.append(
                _issue(
                    f"Edge {i}: input port {e.target}.{e.target_port} already has an edge; "
                    f"an input port takes at most one.",
                    edge=i,
                    node=e.target,
                    code="port_taken",
                    target=e.target,
                    target_port=e.target_port,
                )
            )
        else:
            dst.edge_inputs[e.target_port] = (e.source, e.source_port)
            fed = dst.impl.port_fields.get(e.target_port, e.target_port)
            dst.edge_fields[fed] = (e.source, e.source_port)


def _fallback_edge(i: int, e: EdgeSpec, src: CompiledNode, dst: CompiledNode, issues: list[dict]) -> bool:
    """Take an edge from ``src``'s ``error`` port (when it has no such output of its own): ``dst`` runs
    only if ``src`` fails, and reads ``{{src.error}}`` (``code``, ``message``). Whether it was one."""
    if e.source_port != FALLBACK_PORT or (FALLBACK_PORT in src.outputs and e.target not in src.fallbacks):
        return False
    src.outputs[FALLBACK_PORT] = PortType.JSON
    if e.target in src.children and e.target not in src.fallbacks:
        issues.append(_mixed_fallback(i, e))
        return True
    src.fallbacks.add(e.target)
    if e.source not in dst.parents:
        dst.parents.append(e.source)
        src.children.append(e.target)
    if e.target_port is None:
        return True
    in_type = dst.inputs.get(e.target_port)
    if in_type is None:
        issues.append(
            _issue(
                f"Edge {i}: node {e.target!r} has no input port {e.target_port!r} "
                f"(ports: {', '.join(dst.inputs) or 'none'}).",
                edge=i,
                node=e.target,
            )
        )
    elif not compatible(PortType.JSON, in_type):
        issues.append(
            _issue(
                f"Edge {i}: {e.source}.error is json (code, message) but {e.target}.{e.target_port} takes "
                f"{in_type}; connect it to a json port, or read {{{{{e.source}.error.message}}}}.",
                edge=i,
                node=e.target,
                code="fallback_type",
                source=e.source,
                target=e.target,
                target_port=e.target_port,
                in_type=str(in_type),
                ref=f"{{{{{e.source}.error.message}}}}",
            )
        )
    elif e.target_port in dst.edge_inputs:
        issues.append(
            _issue(
                f"Edge {i}: input port {e.target}.{e.target_port} already has an edge; "
                "an input port takes at most one.",
                edge=i,
                node=e.target,
                code="port_taken",
                target=e.target,
                target_port=e.target_port,
            )
        )
    else:
        dst.edge_inputs[e.target_port] = (e.source, FALLBACK_PORT)
        dst.edge_fields[dst.impl.port_fields.get(e.target_port, e.target_port)] = (e.source, FALLBACK_PORT)
    return True


def _mixed_fallback(i: int, e: EdgeSpec) -> dict:
    return _issue(
        f"Edge {i}: node {e.target!r} follows {e.source!r} both on success and on its error port; "
        f"keep one: an error edge runs {e.target!r} only when {e.source!r} fails.",
        edge=i,
        code="mixed_fallback",
        source=e.source,
        target=e.target,
        node=e.target,
    )


def _topological_order(nodes: dict[str, CompiledNode], issues: list[dict]) -> list[str] | None:
    indegree = {nid: len(n.parents) for nid, n in nodes.items()}
    ready = [nid for nid, d in indegree.items() if d == 0]
    order: list[str] = []
    while ready:
        nid = ready.pop()
        order.append(nid)
        for child in nodes[nid].children:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    if len(order) < len(nodes):
        remaining = {nid for nid, d in indegree.items() if d > 0}
        while True:  # drop nodes that only hang below a cycle: they are not part of it
            sinks = {nid for nid in remaining if not remaining.intersection(nodes[nid].children)}
            if not sinks:
                break
            remaining -= sinks
        stuck = sorted(remaining)
        issues.append(
            _issue(
                f"The workflow has a cycle through nodes {', '.join(stuck[:10])}; remove an edge to break it.",
                node=stuck[0],
                code="cycle",
                nodes=stuck[:10],
            )
        )
        return None
    return order


def _ancestors(order: list[str], nodes: dict[str, CompiledNode]) -> dict[str, frozenset[str]]:
    result: dict[str, frozenset[str]] = {}
    for nid in order:
        parents = nodes[nid].parents
        if not parents:
            result[nid] = frozenset()
        elif len(parents) == 1:
            result[nid] = result[parents[0]] | {parents[0]}
        else:
            acc: set[str] = set(parents)
            for p in parents:
                acc |= result[p]
            result[nid] = frozenset(acc)
    return result


def _check_templates(
    nodes: dict[str, CompiledNode],
    ancestors: dict[str, frozenset[str]],
    broken: set[str],
    issues: list[dict],
    scope: dict[str, str | None],
) -> None:
    for nid, node in nodes.items():
        if not node.impl.templated:
            continue
        uses_labels = False
        for path, text in _strings(node.spec.config):
            uses_labels = uses_labels or "$" in text
            per_item = path.split(".", 1)[0] in node.impl.body_fields  # rendered per item, over the body
            visible = body_of(nid, scope) | {nid} if per_item else ancestors[nid]
            for ref_node, port in brace_refs(text):
                where = f"config.{path}"
                ports = ref_ports(ref_node, nid, nodes, scope, per_item)
                if ref_node in broken:
                    continue
                if ref_node not in nodes:
                    issues.append(
                        _issue(
                            f"Node {nid!r}: {where} names unknown node {ref_node!r} in '{{{{{ref_node}.{port}}}}}'.",
                            node=nid,
                            field=where,
                            code="ref_unknown_node",
                            path=path,
                            ref=f"{{{{{ref_node}.{port}}}}}",
                        )
                    )
                elif ref_node not in visible:
                    issues.append(not_visible_issue(nid, where, ref_node, scope, per_item))
                elif port not in ports and port not in nodes[ref_node].impl.aliases:
                    issues.append(
                        _issue(
                            f"Node {nid!r}: {where} names port {port!r} that node {ref_node!r} "
                            f"does not have here (ports: {', '.join(ports)}).",
                            node=nid,
                            field=where,
                            code="ref_unknown_port",
                            path=path,
                            ref=f"{{{{{ref_node}.{port}}}}}",
                            ref_node=ref_node,
                            port=port,
                        )
                    )
        if uses_labels:
            upstream = sorted(ancestors[nid])
            node.labels = LabelIndex.build(
                [
                    (nodes[a].spec.label, a, list(ref_ports(a, nid, nodes, scope, False)), nodes[a].impl.aliases)
                    for a in upstream
                ]
            )
            by_label: dict[str, list[str]] = {}  # a label two ancestors share is ambiguous where it is used
            for a in upstream:
                if nodes[a].spec.label:
                    by_label.setdefault(nodes[a].spec.label, []).append(a)
            for path, text in _strings(node.spec.config):
                for label, ids in by_label.items():
                    if len(ids) > 1 and f"${label}." in text:
                        issues.append(
                            _issue(
                                f"Node {nid!r}: config.{path} refers to ${label}, but nodes "
                                f"{', '.join(map(repr, ids))} upstream are all labelled {label!r}; "
                                f"rename one.",
                                code="label_ambiguous",
                                path=path,
                                label=label,
                                node=nid,
                                field=f"config.{path}",
                            )
                        )


def _strings(value: Any, path: str = ""):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}.{i}" if path else str(i))


def _at(value: Any, loc: tuple) -> Any:
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists/objects more than ``limit`` levels (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return False


def _located(document: dict, err: ErrorDetails) -> dict:
    loc = err["loc"]
    where = ".".join(str(p) for p in loc)
    node = edge = None
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
        raw = _at(document, loc[:2])
        node = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    if len(loc) >= 2 and loc[0] == "edges" and isinstance(loc[1], int):
        edge = loc[1]
    return _issue(f"{where}: {err['msg']}.", node=node, edge=edge, field=where)


def _issue(
    message: str,
    *,
    node: str | None = None,
    edge: int | None = None,
    field: str | None = None,
    code: str | None = None,
    **params: Any,
) -> dict:
    return Issue.of(message, node=node, edge=edge, field=field, code=code, **params)
