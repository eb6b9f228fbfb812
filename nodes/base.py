"""What every node type declares: a config model, typed ports, and an async ``run``.

A node module never imports NiceGUI or storage. The editor builds its settings form from
``Config``; the engine reads the ports to check edges and hands ``run`` a rendered config.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field

from flowai.ports import PortType

if TYPE_CHECKING:
    from flowai.services import NodeServices


class NodeConfig(BaseModel):
    """Base of every node's config. Unknown keys are refused so typos surface on save."""

    model_config = ConfigDict(extra="forbid")

    timeout: float | None = Field(default=None, gt=0, description="Seconds before this node is stopped")
    cache_ttl: float | None = Field(
        default=None,
        ge=0,
        description="Seconds an identical call is served from the cache (0 = never; empty = the workflow's setting)",
    )


class NodeContext(Protocol):
    """What the engine hands a running node."""

    node_id: str
    run_id: str
    run_input: dict[str, Any]
    services: NodeServices  # chat / image / speech / transcribe / metered, media, replicate, web
    workflow_id: str | None  # the workflow being run (None for ad-hoc graphs)
    owner_id: int | None  # the account that owns it (media are stored under it)

    def stream(self, content: str | None, reasoning: str | None = None) -> None:
        """Emit a text delta (and/or a reasoning delta) of this node."""

    def record_usage(self, usage: dict[str, Any]) -> None:
        """Record provider, model, tokens and cost of a call this node made."""


class Node:
    """Base class of node types. Instances are stateless; one is registered per type."""

    type: ClassVar[str]
    title: ClassVar[str]
    group: ClassVar[str]  # palette group: inputs, ai, media, logic, outputs
    Config: ClassVar[type[NodeConfig]] = NodeConfig
    aliases: ClassVar[dict[str, str]] = {}  # extra port names accepted in $label.field references
    templated: ClassVar[bool] = True  # whether string config values are rendered as templates
    cacheable: ClassVar[bool] = False  # outputs depend only on the rendered config (safe to cache)
    streams: ClassVar[bool] = False  # emits text deltas (a cache hit replays its text as one delta)

    def input_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {}

    def output_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {}

    def branch_ports(self, config: dict[str, Any]) -> set[str]:
        """Output ports that are branches (a condition's cases). After the node runs, its
        ``branch`` output names the one taken; nodes reached only through the other branches are
        skipped. Empty for every node that does not branch."""
        return set()

    async def run(self, ctx: NodeContext, config: Any) -> dict[str, Any]:
        raise NotImplementedError
