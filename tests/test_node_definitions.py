"""Declarative node definitions: the registry checks each at start-up, and a node type added from
one definition (here, a throwaway ``shout`` node) appears in a run, the generated docs, and the
editor's palette and form in both languages — without touching ``ui/``.

Run as a script (``python -m tests.test_node_definitions PORT``) it serves the app with the
throwaway node registered, for the browser test.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field

from flowai.docs import NODES_MD, render
from flowai.ports import PortType
from flowai.runs.engine import Engine, RunState
from flowai.workflows.graph import compile_graph
from nodes import DefinitionError, FieldDef, Node, NodeConfig, NodeDef, Port, Registry, T, default_registry
from tests.browser import ServedApp
from tests.fakes.replicate_server import TOKEN, fake_replicate  # noqa: F401 (fixture)
from tests.graphs import Graph
from tests.pages_support import switch_language
from tests.proc import flowai_env


class ShoutConfig(NodeConfig):
    words: str = ""
    times: int = Field(default=1, ge=1, le=5)
    tone: Literal["loud", "louder"] = "loud"
    password: str = ""


class ShoutNode(Node):
    definition = NodeDef(
        type="shout",
        title=T("Shout", "大喊"),
        group="logic",
        description=T("Repeats the words in capitals.", "把话用大写重复几遍。"),
        config=ShoutConfig,
        fields={
            "words": FieldDef(T("Words to shout", "要喊的话"), T("Any text", "任意文本"), widget="long_text"),
            "times": FieldDef(T("How many times", "重复次数")),
            "tone": FieldDef(T("Tone", "语气"), choices={"loud": T("Loud", "大声"), "louder": T("Louder", "更大声")}),
            "password": FieldDef(T("Password", "密码"), widget="secret"),
        },
        inputs=(Port("text", PortType.TEXT, field="words"),),  # the port feeds a field of another name
        outputs=(Port("loud", PortType.TEXT, T("The shouted words", "喊出的话"), title=T("Shouted", "喊声")),),
        summary=("words",),
    )

    async def run(self, ctx, config: ShoutConfig) -> dict:
        return {"loud": " ".join([config.words.upper()] * config.times)}


def with_shout() -> Registry:
    return Registry([*default_registry(), ShoutNode()])


# the registry's checks ------------------------------------------------------------------------


def _variant(**changes) -> Node:
    """A ShoutNode whose definition differs by ``changes``."""
    cls = type("Variant", (ShoutNode,), {"definition": dataclasses.replace(ShoutNode.definition, **changes)})
    return cls()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"inputs": (Port("text", PortType.TEXT, field="words"), Port("text", PortType.TEXT, field="times"))},
            "duplicate input port 'text'",
        ),  # noqa: E501
        (
            {
                "outputs": (
                    Port("loud", PortType.TEXT, title=T("A", "甲")),
                    Port("loud", PortType.JSON, title=T("B", "乙")),
                )
            },
            "duplicate output port 'loud'",
        ),
        ({"inputs": (Port("text", PortType.TEXT),)}, "input port 'text' names no config field ('text')"),
        ({"title": T("Shout", "")}, "title has no zh translation"),
        ({"description": T("", "说明")}, "description has no en translation"),
        ({"fields": {"words": FieldDef(T("Words", "话"))}}, "config field 'times' has no definition"),
        (
            {"fields": {**ShoutNode.definition.fields, "times": FieldDef(T("Times", " "))}},
            "label of 'times' has no zh translation",
        ),  # noqa: E501
        (
            {"fields": {**ShoutNode.definition.fields, "volume": FieldDef(T("Volume", "音量"))}},
            "field definition 'volume' names no config field",
        ),  # noqa: E501
        ({"group": "misc"}, "unknown palette group 'misc'"),
        ({"task": "dance"}, "unknown provider task 'dance'"),
        ({"aliases": {"result": "text"}}, "alias 'result' names no output port ('text')"),
        ({"type": "Shout!"}, "the type id must be lower-case"),
        (
            {
                "fields": {
                    **ShoutNode.definition.fields,
                    "tone": FieldDef(T("Tone", "语气"), choices={"soft": T("Soft", "轻")}),
                }
            },
            "choice 'soft' of 'tone' is not one of its values",
        ),
        (
            {"fields": {**ShoutNode.definition.fields, "words": FieldDef(T("Words", "话"), widget="slider")}},
            "unknown widget 'slider'",
        ),
        ({"starter": {"times": 9}}, "the starter config is invalid"),
        ({"outputs": (Port("loud", PortType.TEXT),)}, "title of output port 'loud' must be a Text(en, zh)"),
        (
            {"outputs": (Port("loud", PortType.TEXT, title=T("Shouted", "")),)},
            "title of output port 'loud' has no zh translation",
        ),
        (
            {"inputs": (Port("text", PortType.TEXT, field="words", title=T("", "文字")),)},
            "title of input port 'text' has no en translation",
        ),
    ],
)
def test_a_bad_definition_is_refused_at_start_up_with_what_is_wrong(changes, message):
    with pytest.raises(DefinitionError) as info:
        Registry([*default_registry(), _variant(**changes)])
    assert message in str(info.value)
    assert "'shout'" in str(info.value) or "Shout!" in str(info.value)


def test_the_registry_refuses_a_type_twice_a_node_without_definition_or_run():
    with pytest.raises(DefinitionError, match="registered twice"):
        Registry([ShoutNode(), ShoutNode()])

    class Bare(Node):
        pass

    with pytest.raises(DefinitionError, match="no node definition"):
        Registry([Bare()])
    lazy = type("Lazy", (Node,), {"definition": ShoutNode.definition})
    with pytest.raises(DefinitionError, match="no run method"):
        Registry([lazy()])


def test_every_built_in_definition_passes_and_labels_every_field_in_both_languages():
    for impl in default_registry():
        d = impl.definition
        assert set(d.all_fields()) == set(impl.Config.model_fields), d.type
        for f in d.all_fields().values():
            assert f.label.en.strip() and f.label.zh.strip()
            assert "_" not in f.label.en, f"{d.type}: {f.label.en!r} is a field name, not a label"


# a run, through the engine ---------------------------------------------------------------------


async def test_the_throwaway_node_runs_and_its_port_feeds_the_field_it_names():
    doc = (
        Graph()
        .input(x="string")
        .node("s", "shout", times=2)
        .output("{{s.loud}}")
        .edge("in", "s", "x", "text")
        .edge("s", "out", "loud", "value")
        .doc
    )
    graph = compile_graph(doc, with_shout())
    output = await Engine().run(graph, {"x": "hi there"}, lambda e: None, state=RunState())
    assert output == "HI THERE HI THERE"


def test_the_default_registry_does_not_know_the_throwaway_node():
    assert "shout" not in default_registry()


# the docs ----------------------------------------------------------------------------------------


def test_the_generated_reference_documents_the_throwaway_node():
    text = render(with_shout())
    assert "## Shout · 大喊 (`shout`)" in text
    assert "Repeats the words in capitals." in text and "把话用大写重复几遍。" in text
    assert "| `text` | text | `words` |" in text  # the input port and the field it feeds
    assert "| `loud` | text | The shouted words · 喊出的话 |" in text
    assert '| `words` | text | `""` | Words to shout · 要喊的话 | Any text · 任意文本 |' in text
    assert "| `times` | integer | `1` | How many times · 重复次数 |  |" in text


# the editor: palette and form in both languages (real Chromium) --------------------------------


class ServedWithShout(ServedApp):
    """This module as a script: ``flowai serve`` with the throwaway node registered."""

    def __init__(self, home: Path, port: int):
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.test_node_definitions", str(port)],
            env=flowai_env(home),
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines = []


@pytest.mark.browser
def test_the_throwaway_node_is_in_the_palette_and_its_form_in_english_and_chinese(tmp_path):
    from tests.browser import chromium, new_page, shot, sign_in
    from tests.conftest import free_port
    from tests.editor_support import make_workflow, node, open_editor

    app = ServedWithShout(tmp_path, free_port())
    try:
        app.wait_ready(until_line="in a browser", timeout=60)
        with chromium() as browser:
            page = new_page(browser)
            sign_in(page, app)
            for language, title, group, next_group, label, help_text in (
                ("English", "Shout", "Logic", "Outputs", "Words to shout", "Repeats the words in capitals."),
                ("简体中文", "大喊", "逻辑", "输出", "要喊的话", "把话用大写重复几遍。"),
            ):
                # a workflow per language: the node added in the other one stays in its kept draft
                doc = Graph("Shouting").input(x="string").output("{{in.x}}").chain().doc
                wf_id = make_workflow(tmp_path, doc)
                page.goto(app.url + "/")
                switch_language(page, language)  # waits for the reload the switch makes, before leaving the page
                open_editor(page, app, wf_id)
                palette = page.get_by_test_id("palette")
                item = page.get_by_test_id("palette-shout")
                assert item.inner_text().strip() == title
                shown = palette.text_content() or ""  # in its group: after its title, before the next group
                assert shown.index(group) < shown.index(title) < shown.index(next_group), shown
                item.click()
                added = page.locator('[data-testid^="node-shout"]').first
                added.wait_for(timeout=15_000)
                added.locator(".fa-head").click()
                page.get_by_test_id("node-help").filter(has_text=help_text).wait_for(timeout=15_000)
                words = page.get_by_test_id("field-words")
                words.wait_for()
                assert label in page.locator(".q-field").filter(has=words).inner_text()
                assert words.evaluate("el => el.tagName") == "TEXTAREA"  # the long_text widget
                times = page.get_by_test_id("field-times")  # a bounded integer: a slider under its label
                assert ("How many times" if language == "English" else "重复次数") in times.inner_text()
                english = language == "English"
                tone = page.locator(".q-field").filter(has=page.get_by_test_id("field-tone"))
                assert ("Loud" if english else "大声") in tone.inner_text()  # the choice's label, not its value
                assert page.get_by_test_id("field-password").get_attribute("type") == "password"  # the secret widget
                page.get_by_text("Advanced" if english else "高级", exact=True).click()
                ttl = page.locator(".q-field").filter(has=page.get_by_test_id("field-cache_ttl"))
                ttl.wait_for()  # the base fields' labels come from the definitions too
                assert ("Cache TTL (seconds)" if english else "缓存时长（秒）") in ttl.inner_text()
                shot(page, f"node-definition-{'zh' if language != 'English' else 'en'}")
    finally:
        app.stop()


@pytest.mark.browser
def test_a_model_params_field_loads_the_models_own_form(tmp_path, fake_replicate):  # noqa: F811
    """The Replicate node's ``params`` carries the ``model_params`` widget: the editor offers to load
    the model's input schema and builds a form from it (no node type named in ui/)."""
    from tests.browser import ServedApp, chromium, new_page, sign_in
    from tests.editor_support import make_workflow, open_editor, select

    doc = (
        Graph("Replicate form")
        .input(x="string", at=(0, 0))
        .node("rep", "replicate", at=(300, 0), model="black-forest-labs/flux-dev", params={"prompt": "{{in.x}}"})
        .output("{{rep.file}}", at=(600, 0))
        .chain()
        .doc
    )
    app = ServedApp.start(tmp_path, env={"REPLICATE_API_KEY": TOKEN, "REPLICATE_BASE_URL": fake_replicate.url})
    try:
        with chromium() as browser:
            page = new_page(browser)
            sign_in(page, app)
            open_editor(page, app, make_workflow(tmp_path, doc))
            select(page, "rep")
            params = page.get_by_test_id("field-params")
            assert '"prompt"' in params.input_value()  # JSON text until the schema is loaded
            page.get_by_test_id("load-params").click()
            prompt = page.get_by_test_id("field-prompt")
            prompt.wait_for(timeout=20_000)
            assert prompt.input_value() == "{{in.x}}"
            assert prompt.evaluate("el => el.tagName") == "TEXTAREA"
            assert fake_replicate.schema_gets >= 1
    finally:
        app.stop()


if __name__ == "__main__":  # the served app for the browser test
    from flowai.settings import Settings
    from ui.server import serve

    serve(Settings.from_env(), port=int(sys.argv[1]), registry=with_shout())
