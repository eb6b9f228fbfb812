"""The split node: text cut into a list of items (lines, paragraphs, sentences, by a separator).

Presets cover the usual cases: ``lines``, ``paragraphs`` (blank lines), ``sentences`` (after
。！？ and ! ?, or a full stop before a space; closing quotes stay with their sentence) and
``comma`` (, ， 、). ``separator`` splits on a plain string (``\\n`` and ``\\t`` may be typed as
escapes). ``pattern`` splits on a regular expression, bounded: the pattern is at most 200
characters and is matched by the ``regex`` library with a time limit, so no pattern can hang a
worker. Items are trimmed and empty ones dropped unless told otherwise.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Literal

import regex
from pydantic import Field

from flowai.errors import NodeError
from flowai.ports import PortType

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T

MAX_INPUT = 1_000_000  # characters of text split at most
MAX_PATTERN = 200
PATTERN_SECONDS = 1.0  # a user's pattern is stopped after this long
_CLOSE = "”’」』\"')）】"
_PRESETS = {
    "lines": re.compile(r"\r?\n"),
    "paragraphs": re.compile(r"\r?\n[ \t　]*\r?\n\s*"),
    "comma": re.compile(r"[,，、]"),
}
# A sentence: text up to its end mark (。！？!? or a full stop before a space or the end) and closing quotes.
_SENTENCE = re.compile(rf".*?(?:[。！？!?]+|\.+(?=\s|$)|$)[{_CLOSE}]*", re.S)


class SplitConfig(NodeConfig):
    text: str = ""
    mode: Literal["lines", "paragraphs", "sentences", "comma", "separator", "pattern"] = "lines"
    separator: str = Field(default="", max_length=100)
    pattern: str = Field(default="", max_length=MAX_PATTERN)
    trim: bool = True
    drop_empty: bool = True


class SplitNode(Node):
    definition = NodeDef(
        type="split",
        title=T("Split text", "文本拆分"),
        group="logic",
        description=T(
            "Splits text into a list: by lines, paragraphs, sentences, commas, a separator or a pattern.",
            "把文本拆成列表：按行、段落、句子、逗号、分隔符或正则表达式。",
        ),
        config=SplitConfig,
        fields={
            "text": FieldDef(
                T("Text", "文本"),
                T("The text to split, e.g. {{in.text}}", "要拆分的文本，例如 {{in.text}}"),
                widget="long_text",
            ),
            "mode": FieldDef(
                T("Split by", "拆分方式"),
                T("Where the text is cut into pieces", "文本在哪里切开"),
                widget="choice",
                choices={
                    "lines": T("Lines", "按行"),
                    "paragraphs": T("Paragraphs (blank lines)", "按段落（空行）"),
                    "sentences": T("Sentences (。！？.!?)", "按句子（。！？.!?）"),
                    "comma": T("Commas (, ， 、)", "按逗号（, ， 、）"),
                    "separator": T("A separator", "按分隔符"),
                    "pattern": T("A regular expression", "按正则表达式"),
                },
            ),
            "separator": FieldDef(
                T("Separator", "分隔符"),
                T("With 'A separator': the text between items (\\n = new line)", "“按分隔符”时使用（\\n 表示换行）"),
            ),
            "pattern": FieldDef(
                T("Pattern", "正则表达式"),
                T("With 'A regular expression': what separates items", "“按正则表达式”时：分隔各项的模式"),
                advanced=True,
            ),
            "trim": FieldDef(
                T("Trim items", "去除首尾空白"), T("Remove spaces around each item", "去掉每项首尾的空白")
            ),
            "drop_empty": FieldDef(T("Drop empty items", "丢弃空项"), T("Leave out empty items", "不输出空的项")),
        },
        inputs=(Port("text", PortType.TEXT),),
        outputs=(
            Port(
                "items",
                PortType.JSON,
                T("The items (a list of text)", "拆分出的各项（文本列表）"),
                title=T("Items", "各项"),
            ),
            Port("count", PortType.NUMBER, T("How many items", "项数"), title=T("Count", "项数")),
        ),
        summary=("mode",),
    )

    async def run(self, ctx, config: SplitConfig) -> dict[str, Any]:
        items = await asyncio.to_thread(split_text, config) if config.mode == "pattern" else split_text(config)
        if config.trim:
            items = [item.strip() for item in items]
        if config.drop_empty:
            items = [item for item in items if item.strip()]
        return {"items": items, "count": len(items)}


def split_text(config: SplitConfig) -> list[str]:
    text = config.text
    if len(text) > MAX_INPUT:
        raise NodeError(f"The split node takes at most {MAX_INPUT} characters of text ({len(text)} given).")
    if not text:
        return []
    if config.mode in _PRESETS:
        return _PRESETS[config.mode].split(text)
    if config.mode == "sentences":
        return [m.group(0) for m in _SENTENCE.finditer(text) if m.group(0)]
    if config.mode == "separator":
        separator = config.separator.replace("\\n", "\n").replace("\\t", "\t")
        if not separator:
            raise NodeError("The split node needs a separator.")
        return text.split(separator)
    if not config.pattern:
        raise NodeError("The split node needs a pattern.")
    try:
        compiled = regex.compile(config.pattern, regex.V0)
        parts = compiled.split(text, timeout=PATTERN_SECONDS, concurrent=True)
        return [part for part in parts if isinstance(part, str)]
    except regex.error as exc:
        raise NodeError(f"The split pattern is not a valid regular expression ({exc}).") from None
    except TimeoutError:
        raise NodeError(
            f"The split pattern took longer than {PATTERN_SECONDS:g} s on this text; use a simpler pattern."
        ) from None
