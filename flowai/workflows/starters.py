"""Documents a new workflow starts from: a blank input -> output skeleton, or a template.

The templates are the example workflows (``flowai.workflows.examples``), among them input -> LLM -> output.
The blank skeleton speaks the designer's language: its labels and its input field are English
("Start", "End", ``input``) or Chinese ("开始", "结束", ``输入``).
"""

from __future__ import annotations

import copy

from .builder import Graph, field
from .examples import EXAMPLES

# language -> (input field, input label, output label)
BLANK_WORDS = {"en": ("input", "Start", "End"), "zh": ("输入", "开始", "结束")}


def blank(name: str = "Untitled", language: str = "zh") -> dict:
    """An input node wired straight to an output node: the smallest valid workflow, labelled in
    ``language`` (``en`` or ``zh``; the default keeps the Chinese field ``输入`` of the demos)."""
    port, start, end = BLANK_WORDS.get(language, BLANK_WORDS["en"])
    return (
        Graph(name, "")
        .input(field(port, required=True, max_length=2000), label=start, at=(0, 0))
        .output(f"{{{{in.{port}}}}}", label=end, at=(400, 0))
        .edge("in", "out", port, "value")
        .doc
    )


def template_names() -> list[str]:
    return [doc["name"] for doc in EXAMPLES]


def from_template(template: str | None, name: str, language: str = "zh") -> dict:
    """The document for a new workflow called ``name``: a copy of a template, or the blank skeleton
    in ``language``."""
    if not template:
        return blank(name, language)
    doc = copy.deepcopy(next(d for d in EXAMPLES if d["name"] == template))
    doc["name"] = name
    return doc
