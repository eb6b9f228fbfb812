"""The condition node (FlowAI's "条件判断", Dify's IF/ELSE): pick one branch by the first match.

``value`` is what is checked (usually one variable, ``{{in.type}}`` / ``$输入.userType``); the
cases are checked in order and the first that matches wins; no match takes ``else``. Each case is
an output port (``case_1``, ``case_2``, … and ``else``) carrying the checked value; nodes reached
only through branches not taken are skipped. Comparison is on text, except gt/lt/gte/lte, which
compare numbers.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flowai.errors import NodeError
from flowai.ports import PortType
from flowai.workflows.templates import to_text

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, PortKind, T, Text

Operator = Literal[
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "starts_with",
    "not_starts_with",
    "ends_with",
    "not_ends_with",
    "is_empty",
    "is_not_empty",
    "gt",
    "gte",
    "lt",
    "lte",
]

_TEXT_TESTS = {
    "equals": lambda a, b: a == b,
    "not_equals": lambda a, b: a != b,
    "contains": lambda a, b: b in a,
    "not_contains": lambda a, b: b not in a,
    "starts_with": lambda a, b: a.startswith(b),
    "not_starts_with": lambda a, b: not a.startswith(b),
    "ends_with": lambda a, b: a.endswith(b),
    "not_ends_with": lambda a, b: not a.endswith(b),
    "is_empty": lambda a, b: a.strip() == "",
    "is_not_empty": lambda a, b: a.strip() != "",
}
_NUMBER_TESTS = {"gt": float.__gt__, "gte": float.__ge__, "lt": float.__lt__, "lte": float.__le__}


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator: Operator = "equals"
    value: str = ""


class ConditionConfig(NodeConfig):
    value: Any = ""
    cases: list[Case] = Field(default_factory=lambda: [Case()], min_length=1, max_length=20)


OPERATORS = {
    "equals": T("equals", "等于"),
    "not_equals": T("does not equal", "不等于"),
    "contains": T("contains", "包含"),
    "not_contains": T("does not contain", "不包含"),
    "starts_with": T("starts with", "开头是"),
    "not_starts_with": T("does not start with", "开头不是"),
    "ends_with": T("ends with", "结尾是"),
    "not_ends_with": T("does not end with", "结尾不是"),
    "is_empty": T("is empty", "为空"),
    "is_not_empty": T("is not empty", "不为空"),
    "gt": T("> (number)", "大于（数字）"),
    "gte": T(">= (number)", "大于等于（数字）"),
    "lt": T("< (number)", "小于（数字）"),
    "lte": T("<= (number)", "小于等于（数字）"),
}


class ConditionNode(Node):
    definition = NodeDef(
        type="condition",
        title=T("Condition", "条件分支"),
        group="logic",
        description=T(
            "Picks one branch: the cases are checked in order, the first match wins, no match takes 'else'. "
            "Nodes reached only through branches not taken are skipped.",
            "选择一个分支：按顺序检查各条件，第一个满足的胜出，都不满足走 else。只经由未选分支到达的节点会被跳过。",
        ),
        config=ConditionConfig,
        fields={
            "value": FieldDef(
                T("Value to check", "要检查的值"),
                T("What to check, e.g. {{in.type}}", "要检查的内容，例如 {{in.type}}"),
            ),
            "cases": FieldDef(
                T("Cases", "条件"),
                T(
                    "Checked in order; the first match wins, else the 'else' branch",
                    "按顺序检查；第一个满足的胜出，否则走 else 分支",
                ),
                items={
                    "operator": FieldDef(
                        T("Operator", "运算"), T("How the value is compared", "如何比较"), choices=OPERATORS
                    ),
                    "value": FieldDef(
                        T("Compared with", "比较值"),
                        T("Text or a number; empty for the is-empty checks", "文本或数字；“为空”类判断可留空"),
                    ),
                },
            ),
        },
        inputs=(Port("value", PortType.ANY),),
        outputs=(
            Port(
                "branch",
                PortType.TEXT,
                T("The branch taken (case_1 … or else)", "所走的分支（case_1 … 或 else）"),
                title=T("Branch taken", "所走分支"),
            ),
        ),
        dynamic_outputs=T(
            "One branch port per case, case_1, case_2, …, and else (any type), carrying the checked value.",
            "每个条件一个分支端口：case_1、case_2 …… 以及 else（任意类型），携带被检查的值。",
        ),
        summary=("value",),
    )

    def output_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        ports = dict.fromkeys(self.branch_ports(config), PortType.ANY)
        return {**ports, "branch": PortType.TEXT}

    def port_title(self, kind: PortKind, name: str) -> Text | None:
        if kind == "output" and name == "else":
            return T("Else", "否则")
        number = name.removeprefix("case_")
        if kind == "output" and number != name and number.isdigit():
            return T(f"Case {number}", f"条件 {number}")
        return super().port_title(kind, name)

    def branch_ports(self, config: dict[str, Any]) -> set[str]:
        cases = config.get("cases")
        count = len(cases) if isinstance(cases, list) and cases else 1
        return {f"case_{i}" for i in range(1, count + 1)} | {"else"}

    async def run(self, ctx, config: ConditionConfig) -> dict[str, Any]:
        subject = to_text(config.value)
        taken = "else"
        for i, case in enumerate(config.cases, start=1):
            if _matches(subject, case):
                taken = f"case_{i}"
                break
        return {"branch": taken, taken: config.value}


def _matches(subject: str, case: Case) -> bool:
    if case.operator in _NUMBER_TESTS:
        try:
            return _NUMBER_TESTS[case.operator](float(subject), float(case.value))
        except ValueError:
            raise NodeError(f"Condition {case.operator}: {subject!r} or {case.value!r} is not a number.") from None
    return _TEXT_TESTS[case.operator](subject, case.value)
