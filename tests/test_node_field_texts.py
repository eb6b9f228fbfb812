"""Every config field of every built-in node type speaks to people in English and 简体中文: a label
(not the field's name) and a help text in both, list items' fields included; a definition whose
field lacks a label in either language is refused at start-up."""

from __future__ import annotations

import dataclasses
import re

import pytest
from pydantic import BaseModel

from nodes import DefinitionError, FieldDef, Node, NodeConfig, NodeDef, Registry, T, default_registry
from nodes.define import LANGUAGES

REGISTRY = default_registry()
CJK = re.compile(r"[\u4e00-\u9fff]")
TERMS = {"URL", "JSON"}  # written the same in Chinese


def _fields(defs: dict[str, FieldDef], where: str = ""):
    for name, f in defs.items():
        yield f"{where}{name}", name, f
        yield from _fields(f.items or {}, f"{where}{name}.")


FIELDS = [(impl.type, path, name, f) for impl in REGISTRY for path, name, f in _fields(impl.definition.all_fields())]


def test_there_are_fields_to_check():
    assert len({kind for kind, *_ in FIELDS}) == len(REGISTRY.types()) >= 15
    assert any("." in path for _, path, _, _ in FIELDS)  # list items' fields too


@pytest.mark.parametrize(("kind", "path", "name", "f"), FIELDS, ids=[f"{k}.{p}" for k, p, _, _ in FIELDS])
def test_each_field_has_a_label_and_help_for_people_in_both_languages(kind, path, name, f):
    for what, text in (("label", f.label), ("help", f.help)):
        assert text is not None, f"{kind}.{path} has no {what}"
        for lang in LANGUAGES:
            assert text.get(lang).strip(), f"{kind}.{path}: no {lang} {what}"
        assert CJK.search(text.zh) or text.zh in TERMS, f"{kind}.{path}: the Chinese {what} {text.zh!r} is not Chinese"
    words = name.replace("_", " ")
    assert f.label.en not in {name, words.title()} or f.label.en == name.capitalize() and "_" not in name, (
        f"{kind}.{path}: {f.label.en!r} is the field's name, not a label"
    )
    assert "_" not in f.label.en and "_" not in f.label.zh
    assert f.help.en != f.label.en, f"{kind}.{path}: the help only repeats the label"
    for value, choice in (f.choices or {}).items():
        assert choice.en.strip() and choice.zh.strip(), f"{kind}.{path}: choice {value!r}"


class Item(BaseModel):
    word: str = ""


class ListConfig(NodeConfig):
    items: list[Item] = []


def _definition(**fields: FieldDef) -> type[Node]:
    definition = NodeDef(
        type="lister",
        title=T("Lister", "列举"),
        group="logic",
        description=T("Lists words.", "列出词语。"),
        config=ListConfig,
        fields=fields,
    )

    async def run(self, ctx, config):
        return {}

    return type("Lister", (Node,), {"definition": definition, "run": run})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"items": FieldDef(T("Items", ""), items={"word": FieldDef(T("Word", "词"))})}, "label of 'items' has no zh"),
        ({"items": FieldDef(T("", "条目"), items={"word": FieldDef(T("Word", "词"))})}, "label of 'items' has no en"),
        (
            {"items": FieldDef(T("Items", "条目"), items={"word": FieldDef(T("Word", ""))})},
            "label of items.'word' has no zh",
        ),
        ({"items": FieldDef(T("Items", "条目"))}, "config field items.'word' has no definition"),
        ({}, "config field 'items' has no definition (label in en and zh)"),
    ],
)
def test_the_registry_refuses_a_field_without_both_labels(fields, message):
    with pytest.raises(DefinitionError, match=re.escape(message)):
        Registry([_definition(**fields)()])


def test_a_field_with_both_labels_is_accepted():
    good = _definition(items=FieldDef(T("Items", "条目"), items={"word": FieldDef(T("Word", "词"))}))
    assert "lister" in Registry([good()])
    bad_help = dataclasses.replace(good.definition, fields={"items": FieldDef(T("Items", "条目"), T("Some", " "))})
    with pytest.raises(DefinitionError, match="help of 'items' has no zh translation"):
        Registry([type("Bad", (good,), {"definition": bad_help})()])
