"""The json and split logic nodes, run by the engine in real graphs: an input feeds them through a
port or a template, the output node collects what they produced."""

from __future__ import annotations

import time

import pytest

from flowai.errors import GraphError, NodeError
from flowai.runs.engine import Engine
from tests.graphs import Graph, compile_doc

SHOTS = {
    "title": "雨夜",
    "shots": [
        {"prompt": "A bookshop at night", "seconds": 3},
        {"prompt": "Rain on the window", "seconds": 2.5},
        {"seconds": 4},
    ],
    "meta.v": 2,
}
PROMPTS = ["A bookshop at night", "Rain on the window"]


async def run(doc: dict, inputs: dict):
    return await Engine().run(compile_doc(doc), inputs, lambda event: None)


def picking(path: str, *, port: bool = True, **config) -> dict:
    g = Graph().input(data="json" if port else "string")
    if port:
        g.node("pick", "json", path=path, **config).edge("in", "pick", "data", "value")
    else:
        g.node("pick", "json", value="{{in.data}}", path=path, **config).edge("in", "pick")
    return g.output({"value": "{{pick.value}}", "text": "{{pick.text}}"}).edge("pick", "out").doc


@pytest.mark.parametrize(
    "path,value,text",
    [
        ("shots[0].prompt", "A bookshop at night", "A bookshop at night"),
        ("shots[*].prompt", PROMPTS, '["A bookshop at night","Rain on the window"]'),
        ("shots[*].seconds", [3, 2.5, 4], "[3,2.5,4]"),
        ("shots[-1]", {"seconds": 4}, '{"seconds":4}'),
        ("shots.1.seconds", 2.5, "2.5"),
        ("title", "雨夜", "雨夜"),
        ('["meta.v"]', 2, "2"),
        ("shots[2].prompt", "none", "none"),  # missing: the default
        ("shots[9]", "none", "none"),
        ("title.x", "none", "none"),
    ],
)
async def test_paths_pick_values_from_a_json_port(path, value, text):
    out = await run(picking(path, default="none"), {"data": SHOTS})
    assert out == {"value": value, "text": text}


async def test_json_text_from_an_llm_in_a_code_fence_and_the_whole_value():
    fenced = '```json\n{"shots": [{"prompt": "雨"}, {"prompt": "夜"}]}\n```'
    out = await run(picking("shots[*].prompt", port=False), {"data": fenced})
    assert out == {"value": ["雨", "夜"], "text": '["雨","夜"]'}
    out = await run(picking("", port=False), {"data": "[1, 2]"})
    assert out == {"value": [1, 2], "text": "[1,2]"}
    out = await run(picking("a", port=False, default="空"), {"data": ""})  # no value: the default
    assert out == {"value": "空", "text": "空"}


async def test_bad_json_text_and_bad_paths_fail_with_clear_messages():
    with pytest.raises(NodeError, match="not JSON"):
        await run(picking("a", port=False), {"data": "shots: one"})
    for path in ("shots[x]", "shots..prompt", "shots[0]prompt", "a b"):
        with pytest.raises(NodeError, match="not valid"):
            await run(picking(path), {"data": SHOTS})


def splitting(**config) -> dict:
    return (
        Graph()
        .input(text="string")
        .node("cut", "split", **config)
        .edge("in", "cut", "text", "text")
        .output({"items": "{{cut.items}}", "count": "{{cut.count}}"})
        .edge("cut", "out")
        .doc
    )


@pytest.mark.parametrize(
    "config,text,items",
    [
        ({}, "第一行\r\n  第二行 \n\n第三行\n", ["第一行", "第二行", "第三行"]),
        ({"trim": False, "drop_empty": False}, "a\n b\n\n", ["a", " b", "", ""]),
        ({"mode": "paragraphs"}, "One\nstill one\n\n  \nTwo\n\n\nThree", ["One\nstill one", "Two", "Three"]),
        (
            {"mode": "sentences"},
            "他说：“好。”然后走了！真的吗？ Yes. It is 3.14 now... Right",
            ["他说：“好。”", "然后走了！", "真的吗？", "Yes.", "It is 3.14 now...", "Right"],
        ),
        ({"mode": "comma"}, "猫，狗、鸟, fish,", ["猫", "狗", "鸟", "fish"]),
        ({"mode": "separator", "separator": "|"}, "a | b||c", ["a", "b", "c"]),
        ({"mode": "separator", "separator": "\\n---\\n"}, "one\n---\ntwo", ["one", "two"]),
        ({"mode": "pattern", "pattern": r"\s*第\d+镜\s*"}, "第1镜 推门 第2镜 看信", ["推门", "看信"]),
        ({}, "", []),
    ],
)
async def test_split_modes(config, text, items):
    assert await run(splitting(**config), {"text": text}) == {"items": items, "count": len(items)}


async def test_split_refuses_bad_or_missing_patterns_and_separators():
    with pytest.raises(NodeError, match="not a valid regular expression"):
        await run(splitting(mode="pattern", pattern="(unclosed"), {"text": "x"})
    with pytest.raises(NodeError, match="needs a pattern"):
        await run(splitting(mode="pattern"), {"text": "x"})
    with pytest.raises(NodeError, match="needs a separator"):
        await run(splitting(mode="separator"), {"text": "x"})
    with pytest.raises(GraphError, match="at most 200 characters"):  # refused when the graph is checked
        await run(splitting(mode="pattern", pattern="a" * 201), {"text": "x"})


async def test_a_catastrophic_pattern_is_stopped_not_left_running():
    started = time.monotonic()
    with pytest.raises(NodeError, match="took longer than 1 s"):
        await run(splitting(mode="pattern", pattern=r"(x+x+)+y"), {"text": "x" * 5000})
    assert time.monotonic() - started < 60  # one second of CPU time, on a loaded machine
