"""The HTTP request node (FlowAI's "HTTP请求"): call a web API, pass its answer on.

URL, headers and body are templates (``{{in.message}}`` / ``$输入节点.message``). The call goes
through ``ctx.services.web``, which refuses private, loopback and link-local targets (every
redirect hop included) unless an admin allowed them, and caps the answer's size. Outputs are
FlowAI's ``body`` and ``status``, plus the parsed ``json`` and the response ``headers``.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import Field

from flowai.errors import InputError, NodeError
from flowai.ports import PortType

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T


class HttpConfig(NodeConfig):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str = ""
    headers: dict[str, str] = Field(default_factory=dict)
    body: str = ""
    fail_on_error: bool = True


class HttpNode(Node):
    definition = NodeDef(
        type="http",
        title=T("HTTP request", "HTTP 请求"),
        group="logic",
        description=T(
            "Calls a web API and passes its answer on. Private, loopback and link-local addresses are refused "
            "unless an admin allowed them.",
            "调用一个 Web API 并传出其响应。除非管理员允许，否则拒绝私有、回环和链路本地地址。",
        ),
        config=HttpConfig,
        fields={
            "method": FieldDef(T("Method", "方法"), T("The HTTP method of the request", "请求的 HTTP 方法")),
            "url": FieldDef(
                T("URL", "URL"),
                T("http(s) URL; may use {{node.port}} variables", "http(s) 地址；可使用 {{node.port}} 变量"),
                required=True,
            ),
            "headers": FieldDef(T("Headers", "请求头"), T("Request headers, a JSON object", "请求头，一个 JSON 对象")),
            "body": FieldDef(
                T("Body", "请求体"),
                T("Request body (JSON text for a JSON API)", "请求体（JSON API 用 JSON 文本）"),
                widget="long_text",
            ),
            "fail_on_error": FieldDef(
                T("Fail on error status", "出错状态码时失败"),
                T("Fail the node on an HTTP status of 400 or more", "HTTP 状态码为 400 及以上时本节点失败"),
            ),
        },
        inputs=(Port("url", PortType.TEXT), Port("body", PortType.TEXT)),
        outputs=(
            Port(
                "body", PortType.TEXT, T("The response body as text", "响应体文本"), title=T("Response body", "响应体")
            ),
            Port("status", PortType.NUMBER, T("The HTTP status", "HTTP 状态码"), title=T("Status", "状态码")),
            Port(
                "json",
                PortType.JSON,
                T("The body parsed as JSON (null if it is not JSON)", "按 JSON 解析的响应体（不是 JSON 则为 null）"),
                title=T("JSON", "JSON"),
            ),
            Port(
                "headers",
                PortType.JSON,
                T("The response headers (lower-case names)", "响应头（名称小写）"),
                title=T("Headers", "响应头"),
            ),
        ),
        summary=("url",),
    )

    async def run(self, ctx, config: HttpConfig) -> dict[str, Any]:
        if ctx.services is None or getattr(ctx.services, "web", None) is None:
            raise NodeError("HTTP requests are not available in this runtime.")
        headers = dict(config.headers)
        content = config.body.encode() if config.body and config.method != "GET" else None
        if content is not None and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json" if _is_json(config.body) else "text/plain; charset=utf-8"
        try:
            resp = await ctx.services.web.request(
                config.method,
                config.url.strip(),
                headers=headers,
                content=content,
                timeout=config.timeout or 30.0,
                what="HTTP node's URL",
            )
        except InputError as exc:  # a refused or unreachable target is this node's failure
            raise NodeError(exc.message) from None
        text = resp.body.decode("utf-8", errors="replace")
        if config.fail_on_error and resp.status >= 400:
            raise NodeError(f"The HTTP request answered {resp.status}: {text[:200]}", detail={"status": resp.status})
        parsed = None
        if text:
            try:
                parsed = orjson.loads(text)
            except orjson.JSONDecodeError:
                parsed = None
        return {
            "body": text,
            "status": resp.status,
            "json": parsed,
            "headers": {k.lower(): v for k, v in resp.headers.items()},
        }


def _is_json(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True
