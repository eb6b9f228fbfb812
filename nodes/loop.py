"""The loop (map) node: runs the nodes inside it once per item of a list, results in item order.

The nodes inside the loop (its *body*: nodes whose ``parent`` is the loop, drawn as a container
on the canvas) see ``{{loop.item}}`` and ``{{loop.index}}`` (or take them through edges from the
loop's ``item`` / ``index`` ports), their body siblings, and everything upstream of the loop.
``concurrency`` items run at once, item starts are spaced by ``delay`` seconds; ``result`` is
rendered for each item over the body's outputs (empty: the last body node's main output).
A failing item either fails the loop (``on_error: fail``, naming the item's index) or is
collected in ``errors`` with its index while the others go on (``collect``; its result is null).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from pydantic import Field

from flowai.errors import FlowAIError, NodeError
from flowai.ports import PortType

from .base import LoopBody, Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T

MAX_ITEMS = 1000


class LoopConfig(NodeConfig):
    items: Any = Field(default_factory=list, description="The list to loop over (a non-list is one item)")
    concurrency: int = Field(default=4, ge=1, le=32)
    delay: float = Field(default=0.0, ge=0, le=3600)
    on_error: Literal["fail", "collect"] = "fail"
    result: str = ""
    timeout: float | None = Field(default=3600.0, gt=0, description="Seconds before the whole loop is stopped")


class LoopNode(Node):
    definition = NodeDef(
        type="loop",
        title=T("Loop", "循环"),
        group="logic",
        description=T(
            "Runs the nodes inside it once per item of a list (a non-list is one item), a few at a time; "
            "the results come out in item order. Inside, {{loop_id.item}} is the item and "
            "{{loop_id.index}} its index (from 0). A failing item fails the loop or is collected "
            "in errors with its index. The loop's timeout covers all its items (default 1 hour); "
            "each node inside keeps its own.",
            "对列表中的每一项运行一次框内的节点（不是列表则视为一项），可同时运行多项；结果按项的顺序输出。"
            "框内用 {{循环节点ID.item}} 取当前项、{{循环节点ID.index}} 取序号（从 0 开始）。"
            "某项失败时可让整个循环失败，或记入 errors（含序号）后继续。循环的超时覆盖全部项（默认 1 小时），"
            "框内每个节点仍有自己的超时。",
        ),
        config=LoopConfig,
        fields={
            "items": FieldDef(
                T("Items", "列表"),
                T("The list to loop over, e.g. {{shots.value}}", "要循环的列表，例如 {{shots.value}}"),
            ),
            "concurrency": FieldDef(
                T("At once", "并发数"), T("How many items run at the same time (1-32)", "同时运行的项数（1-32）")
            ),
            "delay": FieldDef(
                T("Delay (seconds)", "间隔（秒）"),
                T("Seconds between the starts of two items", "相邻两项开始之间的秒数"),
                advanced=True,
            ),
            "on_error": FieldDef(
                T("When an item fails", "某项失败时"),
                T(
                    "Stop the whole loop, or note the error in errors and go on with the other items",
                    "停止整个循环，或把错误记进 errors 后继续处理其他项",
                ),
                widget="choice",
                choices={
                    "fail": T("Fail the loop", "整个循环失败"),
                    "collect": T("Collect the error and go on", "记录错误并继续"),
                },
            ),
            "result": FieldDef(
                T("Result per item", "每项的结果"),
                T(
                    "What each item gives, over the nodes inside, e.g. {{video_1.video}}; "
                    "empty: the last node's main output",
                    "每项输出什么（引用框内节点），例如 {{video_1.video}}；留空则取最后一个节点的主输出",
                ),
            ),
        },
        inputs=(Port("items", PortType.JSON, T("The list to loop over", "要循环的列表")),),
        outputs=(
            Port(
                "results",
                PortType.JSON,
                T("Each item's result, in item order", "每项的结果，按顺序"),
                title=T("Results", "结果"),
            ),
            Port(
                "errors",
                PortType.JSON,
                T("Failed items: index, node, code, message", "失败的项：序号、节点、错误码、信息"),
                title=T("Errors", "错误"),
            ),
            Port("count", PortType.NUMBER, T("How many items", "项数"), title=T("Count", "项数")),
        ),
        body=(
            Port(
                "item",
                PortType.ANY,
                T("The current item (inside the loop)", "当前项（框内可用）"),
                title=T("Item", "当前项"),
            ),
            Port(
                "index",
                PortType.NUMBER,
                T("The current item's index, from 0", "当前项的序号，从 0 开始"),
                title=T("Index", "序号"),
            ),
        ),
        body_fields=("result",),
        summary=("items",),
    )

    async def run(self, ctx, config: LoopConfig) -> dict[str, Any]:
        body: LoopBody | None = ctx.body
        if body is None:
            raise NodeError("The loop has no nodes inside it.")
        items = [] if config.items is None else config.items if isinstance(config.items, list) else [config.items]
        if len(items) > MAX_ITEMS:
            raise NodeError(f"A loop takes at most {MAX_ITEMS} items ({len(items)} given).")
        results: list[Any] = [None] * len(items)
        errors: list[dict[str, Any]] = []
        slots = asyncio.Semaphore(config.concurrency)
        spacing = _Spacing(config.delay)
        done = 0

        async def one(index: int, item: Any) -> None:
            nonlocal done
            async with slots:
                await spacing.wait()
                try:
                    results[index] = await body.run(item, index, config.result)
                except FlowAIError as exc:
                    failed = {
                        "index": index,
                        "node": getattr(exc, "node_id", None),
                        "code": exc.code,
                        "message": exc.message,
                    }
                    if config.on_error == "fail":
                        raise ItemFailed(failed) from exc
                    errors.append(failed)
                done += 1
                body.progress(done, len(items), len(errors))

        body.progress(0, len(items))
        tasks = [asyncio.create_task(one(i, item)) for i, item in enumerate(items)]
        try:
            for finished in asyncio.as_completed(tasks):
                await finished  # the first failure (on_error: fail) ends the loop
        except ItemFailed as exc:
            raise NodeError(
                f"Item {exc.failed['index']} of the loop failed at node {exc.failed['node']}: {exc.failed['message']}",
                detail=exc.failed,
            ) from None
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        errors.sort(key=lambda e: e["index"])
        return {"results": results, "errors": errors, "count": len(items)}


class ItemFailed(Exception):
    def __init__(self, failed: dict[str, Any]):
        super().__init__(failed["message"])
        self.failed = failed


class _Spacing:
    """Item starts at least ``delay`` seconds apart."""

    def __init__(self, delay: float):
        self.delay = delay
        self.next = 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if self.delay <= 0:
            return
        async with self.lock:
            pause = self.next - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            self.next = time.monotonic() + self.delay
