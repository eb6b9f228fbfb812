"""Run-input checking against the input node's fields (``nodes.input.check_input``), and the engine
behaviours that depend on it: one-pass rendering of user input, and several output nodes."""

from __future__ import annotations

import math

import pytest

from flowai.errors import InputError
from flowai.runs.engine import Engine
from flowai.runs.events import NodeFinished, RunStarted, RunSucceeded
from nodes.input import InputConfig, check_input
from tests.graphs import Graph, field


def config(*fields: dict) -> InputConfig:
    return InputConfig.model_validate({"fields": list(fields)})


def problems(cfg: InputConfig, given) -> dict:
    with pytest.raises(InputError) as info:
        check_input(cfg, given)
    err = info.value
    assert isinstance(err.detail, dict) and err.detail
    assert err.code == 40001 and err.status == 400
    assert err.message.endswith(".")
    return err.detail


# --- accepted input ----------------------------------------------------------------------------


def test_valid_input_is_returned_with_every_field():
    cfg = config(field("q", required=True), field("n", "number"), field("ok", "boolean"))
    assert check_input(cfg, {"q": "hi", "n": 2.5, "ok": True}) == {"q": "hi", "n": 2.5, "ok": True}
    assert check_input(cfg, {"q": "hi"}) == {"q": "hi", "n": None, "ok": None}


def test_default_applied_when_missing_or_null():
    cfg = config(field("name", default="friend"), field("k", "integer", default=3, required=True))
    assert check_input(cfg, {}) == {"name": "friend", "k": 3}
    assert check_input(cfg, {"name": None, "k": None}) == {"name": "friend", "k": 3}
    assert check_input(cfg, {"name": "Ann", "k": 7}) == {"name": "Ann", "k": 7}


def test_falsy_values_are_kept_not_replaced_by_the_default():
    cfg = config(field("s", default="d"), field("n", "number", default=1), field("b", "boolean", default=True))
    assert check_input(cfg, {"s": "", "n": 0, "b": False}) == {"s": "", "n": 0, "b": False}


def test_non_ascii_field_names():
    cfg = config(field("输入", required=True, max_length=5), field("用户名"))
    assert check_input(cfg, {"输入": "在吗?", "用户名": "张三"}) == {"输入": "在吗?", "用户名": "张三"}
    assert problems(cfg, {"用户名": "张三"}) == {"输入": "required field is missing"}


def test_max_length_counts_characters_not_bytes():
    cfg = config(field("s", max_length=3))
    assert check_input(cfg, {"s": "一二三"}) == {"s": "一二三"}


def test_integer_accepts_whole_floats_and_big_ints():
    cfg = config(field("k", "integer"))
    assert check_input(cfg, {"k": 4.0}) == {"k": 4.0}
    assert check_input(cfg, {"k": 10**30}) == {"k": 10**30}


def test_number_accepts_ints_floats_and_very_large_ints():
    cfg = config(field("n", "number"))
    assert check_input(cfg, {"n": 1})["n"] == 1
    assert check_input(cfg, {"n": -0.5})["n"] == -0.5
    assert check_input(cfg, {"n": 10**400})["n"] == 10**400  # json.loads (the CLI) yields such ints


def test_json_field_takes_anything():
    cfg = config(field("j", "json"))
    for value in ({"a": [1, 2]}, [1], "s", 3, True):
        assert check_input(cfg, {"j": value}) == {"j": value}


def test_media_fields_take_url_strings():
    cfg = config(field("img", "image"), field("f", "file"))
    assert check_input(cfg, {"img": "https://x/y.png", "f": "/files/a"})["img"] == "https://x/y.png"


# --- rejected input ----------------------------------------------------------------------------


@pytest.mark.parametrize("given", [None, [], "text", 3, [{"q": "x"}]])
def test_non_object_input(given):
    detail = problems(config(field("q")), given)
    assert detail == {"input": "expected an object"}


def test_missing_required_field():
    cfg = config(field("q", required=True))
    with pytest.raises(InputError) as info:
        check_input(cfg, {})
    assert info.value.detail == {"q": "required field is missing"}
    assert "'q'" in info.value.message and "missing" in info.value.message


def test_null_for_a_required_field_is_missing():
    assert problems(config(field("q", required=True)), {"q": None}) == {"q": "required field is missing"}


def test_unknown_field():
    detail = problems(config(field("q")), {"q": "x", "qq": "y"})
    assert detail == {"qq": "unknown field"}


@pytest.mark.parametrize(
    "type_, value, why",
    [
        ("string", 5, "expected a string"),
        ("string", ["a"], "expected a string"),
        ("string", True, "expected a string"),
        ("number", "5", "expected a number"),
        ("number", True, "expected a number"),
        ("number", False, "expected a number"),
        ("integer", "5", "expected a number"),
        ("integer", 2.5, "expected an integer"),
        ("integer", True, "expected a number"),
        ("boolean", "true", "expected true or false"),
        ("boolean", 1, "expected true or false"),
        ("boolean", 0, "expected true or false"),
        ("image", 5, "expected a URL string"),
    ],
)
def test_wrong_type(type_, value, why):
    assert problems(config(field("v", type_)), {"v": value}) == {"v": why}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("type_", ["number", "integer"])
def test_nan_and_infinity_are_rejected(type_, value):
    assert problems(config(field("v", type_)), {"v": value}) == {"v": "expected a finite number"}


def test_max_length_exceeded():
    detail = problems(config(field("s", max_length=3)), {"s": "abcd"})
    assert detail == {"s": "longer than max_length 3"}


def test_max_length_on_json_fields():
    detail = problems(config(field("j", "json", max_length=10)), {"j": {"key": "a long value"}})
    assert detail == {"j": "longer than max_length 10"}


def test_nul_byte_rejected():
    detail = problems(config(field("s")), {"s": "a\x00b"})
    assert detail == {"s": "contains a NUL character"}


def test_all_problems_are_listed():
    cfg = config(field("a", required=True), field("b", "number"), field("c", max_length=1))
    with pytest.raises(InputError) as info:
        check_input(cfg, {"b": "x", "c": "long", "d": 1})
    assert info.value.detail == {
        "a": "required field is missing",
        "b": "expected a number",
        "c": "longer than max_length 1",
        "d": "unknown field",
    }
    assert "(and 3 more problems)" in info.value.message


def test_no_fields_accepts_only_an_empty_object():
    cfg = config()
    assert check_input(cfg, {}) == {}
    assert problems(cfg, {"x": 1}) == {"x": "unknown field"}


# --- engine ------------------------------------------------------------------------------------


async def test_user_input_is_never_rendered_again():
    graph = (
        Graph()
        .input(field("x", required=True), label="开始")
        .template("t", "Echo: {{in.x}} / $开始.x")
        .output("{{t.text}}")
        .chain()
        .compile()
    )
    tricky = "{{in.x}} and $开始.x and {{t.text}}"
    run_input = check_input(graph.input_node.config, {"x": tricky})
    events: list = []
    output = await Engine().run(graph, run_input, events.append)
    assert output == f"Echo: {tricky} / {tricky}"
    assert isinstance(events[0], RunStarted) and events[0].data == {"x": tricky}
    assert isinstance(events[-1], RunSucceeded) and events[-1].output == output
    finished = {e.node: e.outputs for e in events if isinstance(e, NodeFinished)}
    assert finished["t"] == {"text": output}


async def test_edge_value_is_not_rendered_either():
    graph = (
        Graph()
        .input(x="string")
        .template("t", "ignored")
        .output("")
        .edge("in", "t", "x", "template")
        .edge("t", "out", "text", "value")
        .compile()
    )
    output = await Engine().run(graph, {"x": "{{in.x}}"}, [].append)
    assert output == "{{in.x}}"


async def test_single_output_returns_its_value_with_type():
    graph = Graph().input(field("n", "number")).output("{{in.n}}").chain().compile()
    assert await Engine().run(graph, {"n": 4.5}, [].append) == 4.5


async def test_several_outputs_are_keyed_by_name_or_id():
    graph = (
        Graph()
        .input(x="string")
        .output("A {{in.x}}", id="o1", name="first")
        .output("{{in.x}}", id="o2")
        .output({"n": "{{in.x}}"}, id="o3", name="third")
        .edge("in", "o1")
        .edge("in", "o2")
        .edge("in", "o3")
        .compile()
    )
    output = await Engine().run(graph, {"x": "hi"}, [].append)
    assert output == {"first": "A hi", "o2": "hi", "third": {"n": "hi"}}


# A whole-string reference keeps its value's type and an edge passes its value as is; a number (or a
# missing optional value) reaching a text config field renders as text (docs/graph-format.md).


async def test_number_into_a_text_field_through_a_whole_string_reference():
    graph = Graph().input(field("n", "number")).template("t", "{{in.n}}").output("{{t.text}}").chain().compile()
    assert await Engine().run(graph, {"n": 3}, [].append) == "3"


async def test_number_into_a_text_port_through_an_edge():
    graph = (
        Graph()
        .input(field("n", "number"))
        .template("t", "")
        .output("{{t.text}}")
        .chain()
        .edge("in", "t", "n", "template")
        .compile()
    )
    assert await Engine().run(graph, {"n": 3}, [].append) == "3"


async def test_missing_optional_value_into_a_text_field():
    graph = Graph().input(field("s")).template("t", "{{in.s}}").output("{{t.text}}").chain().compile()
    assert await Engine().run(graph, check_input(graph.input_node.config, {}), [].append) == ""
