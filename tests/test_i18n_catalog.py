"""The translation catalog: one JSON file per language, the same keys and ``{fields}`` in each, and
every text the UI shows comes from it (no page keeps its own table)."""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest

from ui.i18n import LANGUAGES, LOCALES, catalog

UI = Path(__file__).resolve().parent.parent / "ui"


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_each_language_has_a_catalog_file():
    assert sorted(p.stem for p in LOCALES.glob("*.json")) == sorted(LANGUAGES)
    for lang in LANGUAGES:
        assert json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_key_is_in_every_language_with_the_same_fields(lang):
    en, other = catalog("en"), catalog(lang)
    assert sorted(set(en) - set(other)) == [], f"missing in {lang}.json"
    assert sorted(set(other) - set(en)) == [], "missing in en.json"
    mismatched = {key: (en[key], other[key]) for key in en if _fields(en[key]) != _fields(other[key])}
    assert mismatched == {}
    assert [key for key, text in other.items() if not text.strip()] == []


def test_keys_are_namespaced_by_page():
    modules = {p.stem.removesuffix("_page") for p in UI.glob("*.py")}
    bad = [key for key in catalog("en") if not re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", key)]
    assert bad == []
    assert {key.split(".")[0] for key in catalog("en")} <= modules


def _inline_tables(tree: ast.Module) -> list[str]:
    """Module-level dicts whose values are (English, 中文) pairs: the old per-page tables."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            pairs = [
                v
                for v in node.value.values
                if isinstance(v, ast.Tuple)
                and len(v.elts) == 2
                and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in v.elts)
            ]
            if pairs and len(pairs) == len(node.value.values):
                found.append(ast.unparse(node.targets[0]))
    return found


def test_no_ui_module_keeps_an_inline_translation_table():
    kept = {
        p.name: tables
        for p in sorted(UI.glob("*.py"))
        if (tables := _inline_tables(ast.parse(p.read_text(encoding="utf-8"))))
    }
    assert kept == {}


def test_the_check_finds_an_inline_table():
    assert _inline_tables(ast.parse('TEXT = {"a": ("A", "甲"), "b": ("B", "乙")}')) == ["TEXT"]


def test_every_literal_key_the_ui_asks_for_exists():
    en = catalog("en")
    asked = set()
    for p in UI.glob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("t", "has"):
                key = node.args[0]
                choices = [key.body, key.orelse] if isinstance(key, ast.IfExp) else [key]  # t("a" if x else "b")
                asked.update(c.value for c in choices if isinstance(c, ast.Constant))
    assert asked and sorted(asked - set(en)) == []
