"""English and 简体中文 for every page.

Each page module keeps its own strings as ``TEXT = {"key": ("English", "中文"), ...}`` and
calls ``t(TEXT, "key", **fmt)``; this module only knows which language the signed-in user
chose (kept in the browser's user storage and remembered on the account).
"""

from __future__ import annotations

from nicegui import app

LANGUAGES = {"en": "English", "zh": "简体中文"}


def language() -> str:
    lang = app.storage.user.get("lang")
    return lang if lang in LANGUAGES else "en"


def set_language(lang: str) -> None:
    app.storage.user["lang"] = lang if lang in LANGUAGES else "en"


def t(table: dict[str, tuple[str, str]], key: str, **fmt) -> str:
    """The text of ``key`` in the current language (English if the table lacks Chinese)."""
    en, zh = table[key]
    text = zh if language() == "zh" and zh else en
    return text.format(**fmt) if fmt else text
