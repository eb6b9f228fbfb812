"""Test helpers around the product's graph builder (``flowai.workflows.builder``).

    chain("input", "template", "output")                      # in -> template -> output, ordering edges
    Graph().input(x="string").template("t", "{{in.x}}").output("{{t.text}}").chain().doc

``Graph`` is the builder with ``compile()``; ``.doc`` is the plain dict (a fresh deep copy each
time), so a test may break it further by hand. ``issues(doc)`` compiles and returns the
GraphError's issues.
"""

from __future__ import annotations

from typing import Any

import pytest

from flowai.errors import GraphError
from flowai.workflows import builder
from flowai.workflows.builder import field
from flowai.workflows.graph import CompiledGraph, compile_graph
from nodes import default_registry

REGISTRY = default_registry()

_DEFAULT_IDS = {"input": "in", "template": "t", "llm": "llm", "output": "out"}
__all__ = ["Graph", "chain", "check", "compile_doc", "field", "find_issue", "issues", "one_issue"]


class Graph(builder.Graph):
    """The product's builder (flowai/workflows/builder.py) plus ``compile()`` with the default registry."""

    def compile(self) -> CompiledGraph:
        return compile_graph(self.doc, REGISTRY)


def chain(*types: str) -> dict:
    """A straight line of nodes of these types, joined by ordering-only edges.

    Ids are ``in``, ``t``, ``llm``, ``out`` (``t2``, ``t3`` … when a type repeats). The input node
    has one string field ``x``; a template renders ``{{<previous id>.…}}``-free text; the output
    returns ``""``.
    """
    g = Graph()
    seen: dict[str, int] = {}
    for t in types:
        seen[t] = seen.get(t, 0) + 1
        base = _DEFAULT_IDS.get(t, t)
        nid = base if seen[t] == 1 else f"{base}{seen[t]}"
        if t == "input":
            g.input(field("x"), id=nid)
        elif t == "template":
            g.template(nid, "text")
        elif t == "output":
            g.output("", id=nid)
        else:
            g.node(nid, t)
    return g.chain().doc


def issues(doc: Any) -> list[dict]:
    """Compile ``doc``, expect a GraphError, and return its issues."""
    with pytest.raises(GraphError) as info:
        compile_graph(doc, REGISTRY)
    err = info.value
    assert err.issues, "GraphError without issues"
    assert err.detail == err.issues
    for issue in err.issues:
        assert set(issue) == {"message", "node", "edge", "field"}, issue
        assert isinstance(issue["message"], str) and issue["message"].strip()
    return err.issues


def one_issue(doc: Any, **where: Any) -> dict:
    """Exactly one issue, located as ``where`` says (node=, edge=, field=)."""
    found = issues(doc)
    assert len(found) == 1, found
    return check(found[0], **where)


def find_issue(found: list[dict], **where: Any) -> dict:
    """The one issue among ``found`` located at ``where``."""
    hits = [i for i in found if all(i[k] == v for k, v in where.items())]
    assert len(hits) == 1, f"expected one issue at {where}, got {found}"
    return hits[0]


def check(issue: dict, **where: Any) -> dict:
    for k, v in where.items():
        assert issue[k] == v, f"{k}: expected {v!r}, got {issue[k]!r} in {issue}"
    return issue


def compile_doc(doc: dict) -> CompiledGraph:
    return compile_graph(doc, REGISTRY)
