"""Documents a new workflow starts from: a blank input -> output skeleton, or a template.

The templates are the demo examples (``flowai.demo``), among them input -> LLM -> output.
"""

from __future__ import annotations

import copy

from flowai.demo import EXAMPLES
from flowai.workflows.graph import FORMAT


def blank(name: str = "Untitled") -> dict:
    """An input node wired straight to an output node: the smallest valid workflow."""
    return {
        "format": FORMAT,
        "name": name,
        "description": "",
        "nodes": [
            {
                "id": "in",
                "type": "input",
                "label": "开始",
                "position": {"x": 0, "y": 0},
                "config": {"fields": [{"name": "输入", "type": "string", "required": True, "max_length": 2000}]},
            },
            {
                "id": "out",
                "type": "output",
                "label": "结束",
                "position": {"x": 400, "y": 0},
                "config": {"value": "{{in.输入}}"},
            },
        ],
        "edges": [{"source": "in", "source_port": "输入", "target": "out", "target_port": "value"}],
    }


def template_names() -> list[str]:
    return [doc["name"] for doc in EXAMPLES]


def from_template(template: str | None, name: str) -> dict:
    """The document for a new workflow called ``name``: a copy of a template, or the blank skeleton."""
    if not template:
        return blank(name)
    doc = copy.deepcopy(next(d for d in EXAMPLES if d["name"] == template))
    doc["name"] = name
    return doc
