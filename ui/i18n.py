"""English and 简体中文 for every page: one catalog per language in ``ui/locales/<lang>.json``.

A catalog is a flat JSON object of namespaced keys (``"api.new_key"``; the namespace is the page
module) to texts with ``{name}`` fields filled by ``str.format``. Pages call ``t("api.new_key")`` or
``t("runs.deleted", n=3)`` (``n=1`` picks the singular ``<key>_one`` where there is one); this
module also knows which language the signed-in user chose (kept in the browser's user storage and
remembered on the account) and the matching Quasar language pack.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from nicegui import app, context
from nicegui.language import Language

LANGUAGES = {"en": "English", "zh": "简体中文"}
QUASAR: dict[str, Language] = {"en": "en-US", "zh": "zh-CN"}  # Quasar's own language pack per UI language
LOCALES = Path(__file__).with_name("locales")


@cache
def catalog(lang: str) -> dict[str, str]:
    """Every text of one language, read once from its JSON file."""
    with (LOCALES / f"{lang}.json").open(encoding="utf-8") as f:
        return json.load(f)


def language() -> str:
    lang = app.storage.user.get("lang")
    return lang if lang in LANGUAGES else "en"


def set_language(lang: str) -> None:
    app.storage.user["lang"] = lang if lang in LANGUAGES else "en"


def serve_page_in_language() -> None:
    """Serve the page being built with Quasar's own texts (table pagination, date pickers, "Connection
    lost") and ``<html lang>`` in the user's language. NiceGUI takes the language from the route's
    shared ``Page``, so this client gets its own copy of it."""
    client = context.client
    wanted = QUASAR[language()]
    if client.page.resolve_language() != wanted:
        client.page = copy.copy(client.page)
        client.page.language = wanted


def listing(items: Iterable[str]) -> str:
    """Items joined the way the language lists them ("a, b" / "a、b")."""
    return t("i18n.list_sep").join(items)


def labelled(label: str, value: object) -> str:
    """``label: value`` with the language's colon ("Model: x" / "模型：x")."""
    return t("i18n.labelled", label=label, value=value)


def has(key: str) -> bool:
    """Whether the catalog has ``key`` (for keys built from data, such as a run's status)."""
    return key in catalog("en")


def t(key: str, **fmt: object) -> str:
    """The text of ``key`` in the current language, ``{name}`` fields filled from ``fmt``. With
    ``n=1`` the singular ``<key>_one`` is used where the catalog has one ("Copied 1 node").

    A key missing from the catalog is a bug and raises KeyError.
    """
    texts = catalog(language())
    if fmt.get("n") == 1 and f"{key}_one" in texts:
        key = f"{key}_one"
    text = texts[key]
    return text.format(**fmt) if fmt else text
