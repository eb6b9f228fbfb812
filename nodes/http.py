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


class HttpConfig(NodeConfig):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str = Field(default="", description="http(s) URL; may use {{node.port}} variables")
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers")
    body: str = Field(default="", description="Request body (JSON text for a JSON API)")
    fail_on_error: bool = Field(default=True, description="Fail the node on an HTTP status of 400 or more")


class HttpNode(Node):
    type = "http"
    title = "HTTP request"
    group = "logic"
    Config = HttpConfig

    def input_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"url": PortType.TEXT, "body": PortType.TEXT}

    def output_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"body": PortType.TEXT, "status": PortType.NUMBER, "json": PortType.JSON, "headers": PortType.JSON}

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
