"""The ``flowai/1`` document as a JSON Schema (2020-12), generated from the graph model and the node registry.

Nothing here is written by hand: the document's shape comes from ``GraphDoc`` (``graph.py``) and each
node's ``config`` from its type's ``Config`` model, as a ``oneOf`` selected by ``type``. On a node type
whose string values are templates (``Node.templated``), a config value may also be a ``{{node.port}}``
template in place of a value of another type (it is checked once rendered, at run time).

What JSON Schema cannot say is left to validation on save (``compile_graph``, 400 with located issues):
edges and templates naming existing nodes and ancestors, unique node ids, exactly one input node, at
least one output node, no cycle, compatible port types.
"""

from __future__ import annotations

import copy

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from nodes import Registry

from .graph import FORMAT, EdgeSpec, GraphSettings, NodeSpec, NoteSpec, Position, StageSpec

TEMPLATE = {
    "type": "string",
    "pattern": r"\{\{\s*[^{}\s.]+\.[^{}\s]+?\s*\}\}",
    "description": "A template ({{node_id.port}}) rendered at run time",
}


def document_schema(registry: Registry, ref_prefix: str = "#/$defs/") -> tuple[dict, dict[str, dict]]:
    """``(schema, defs)``: the document's schema and the named schemas it refers to by ``ref_prefix``.

    Standalone (``full_schema``) the defs go in ``$defs``; an OpenAPI document puts them in
    ``components.schemas`` (``ref_prefix="#/components/schemas/"``).
    """
    nodes = list(registry)
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation")
        for m in (Position, EdgeSpec, GraphSettings, StageSpec, NoteSpec, *(node.Config for node in nodes))
    ]
    keys, found = models_json_schema(models, ref_template=ref_prefix + "{model}")
    defs: dict[str, dict] = found.get("$defs", {})
    ref = {model: keys[(model, "validation")] for model, _ in models}

    def config_name(node) -> str:
        return ref[node.Config]["$ref"].removeprefix(ref_prefix)

    for node in nodes:
        if node.templated:
            name = config_name(node)
            defs[name] = _templatable(defs[name])
    spec = NodeSpec.model_json_schema()["properties"]
    variants = []
    for node in nodes:
        name = f"Node_{node.type}"
        defs[name] = {
            "type": "object",
            "title": f"{node.title} node" if getattr(node, "title", "") else f"{node.type} node",
            "additionalProperties": False,
            "required": ["id", "type"],
            "properties": {
                "id": spec["id"],
                "type": {"const": node.type},
                "label": spec["label"],
                "position": ref[Position],
                "config": ref[node.Config],
                "parent": spec["parent"],
            },
        }
        variants.append({"$ref": ref_prefix + name})
    doc = copy.deepcopy(_graph_properties())
    schema = {
        "type": "object",
        "title": "flowai/1 document",
        "description": "A workflow graph (docs/graph-format.md). Also checked on save: edges and templates name "
        "existing nodes (templates only ancestors), node ids are unique, exactly one input node, at least one "
        "output node, no cycle, port types match.",
        "additionalProperties": False,
        "properties": {
            **doc,
            "format": {"const": FORMAT, "default": FORMAT},
            "nodes": {"type": "array", "items": {"oneOf": variants}, "default": []},
            "edges": {"type": "array", "items": ref[EdgeSpec], "default": []},
            "settings": ref[GraphSettings],
            "stages": {"type": "array", "items": ref[StageSpec], "default": []},
            "notes": {"type": "array", "items": ref[NoteSpec], "default": []},
        },
    }
    return schema, defs


def full_schema(registry: Registry) -> dict:
    """A standalone JSON Schema document for ``flowai/1`` (with its own ``$defs``)."""
    schema, defs = document_schema(registry)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "$defs": defs}


def _graph_properties() -> dict:
    from .graph import GraphDoc

    props = GraphDoc.model_json_schema()["properties"]
    return {k: props[k] for k in ("name", "description", "pins")}


def _templatable(schema: dict) -> dict:
    """Each property may also be a template (its value is checked once rendered)."""
    schema = copy.deepcopy(schema)
    for name, prop in schema.get("properties", {}).items():
        if prop.get("type") == "string" and not set(prop) - {"type", "title", "description", "default"}:
            continue  # any string already (a template included)
        schema["properties"][name] = {"anyOf": [prop, TEMPLATE], **_annotations(prop)}
    return schema


def _annotations(prop: dict) -> dict:
    return {k: prop[k] for k in ("title", "description", "default") if k in prop}
