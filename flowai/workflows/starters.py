"""Documents a new workflow starts from: a blank input -> output skeleton, or a template.

The templates are the example workflows (``flowai.workflows.examples``), among them input -> LLM -> output.
"""

from __future__ import annotations

import copy

from .builder import Graph, field
from .examples import EXAMPLES


def blank(name: str = "Untitled") -> dict:
    """An input node wired straight to an output node: the smallest valid workflow."""
    return (
        Graph(name, "")
        .input(field("输入", required=True, max_length=2000), label="开始", at=(0, 0))
        .output("{{in.输入}}", label="结束", at=(400, 0))
        .edge("in", "out", "输入", "value")
        .doc
    )


def template_names() -> list[str]:
    return [doc["name"] for doc in EXAMPLES]


def from_template(template: str | None, name: str) -> dict:
    """The document for a new workflow called ``name``: a copy of a template, or the blank skeleton."""
    if not template:
        return blank(name)
    doc = copy.deepcopy(next(d for d in EXAMPLES if d["name"] == template))
    doc["name"] = name
    return doc
