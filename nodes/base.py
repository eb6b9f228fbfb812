"""What every node type is: a definition (:class:`nodes.define.NodeDef`) and an async ``run``.

A node module never imports NiceGUI or storage. ``Node`` copies what the engine reads on its hot
path (``Config``, the port tables, ``aliases``, ``templated``, ``cacheable``, ``streams``) from the
definition once, when the class is created; the editor and the docs read ``definition``.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field

from flowai.ports import PortType

from .define import NodeDef, PortKind, Text

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
    retries: int | None = Field(
        default=None,
        ge=0,
        le=10,
        description="Extra attempts after a provider, network or timeout failure (not after a config error; empty = 0)",
    )
    retry_backoff: float | None = Field(
        default=None,
        ge=0,
        le=600,
        description="Seconds before the first retry, doubled for each further one, at most 60 s (empty = 1)",
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

    @property
    def body(self) -> LoopBody | None:
        """A loop node's body (the nodes inside it), to run once per item; None for other nodes."""


class LoopBody(Protocol):
    """What the engine hands a loop node to run the nodes inside it (flowai.runs.loops.ItemRunner)."""

    async def run(self, item: Any, index: int, result: str) -> Any:
        """Run the body once with ``item`` and ``index`` (pause, cancel and each body node's timeout
        apply); return ``result`` rendered over the body's outputs, or, when ``result`` is empty, the
        main (first) output of the body's last node that ran. A failing body node raises its
        FlowAIError (``node_id`` names it)."""

    def progress(self, done: int, total: int, failed: int = 0) -> None:
        """Report that ``done`` of ``total`` items have ended, ``failed`` of them with an error
        (the run's progress counts items)."""


class Node:
    """Base class of node types: set ``definition`` and write ``run``. Instances are stateless;
    one is registered per type. A node whose ports depend on its config (the input node's fields,
    a condition's cases) overrides ``input_ports`` / ``output_ports`` / ``branch_ports``."""

    definition: ClassVar[NodeDef]
    # Derived from the definition when the subclass is created (read by the engine and compiler):
    type: ClassVar[str]
    title: ClassVar[str]  # English; the definition has both languages
    group: ClassVar[str]
    task: ClassVar[str | None] = None
    Config: ClassVar[builtins.type[NodeConfig]] = NodeConfig  # builtins: the class's own `type` shadows it
    aliases: ClassVar[dict[str, str]] = {}
    templated: ClassVar[bool] = True
    cacheable: ClassVar[bool] = False
    streams: ClassVar[bool] = False
    port_fields: ClassVar[dict[str, str]] = {}  # input port -> the config field it feeds
    body_ports: ClassVar[dict[str, PortType]] = {}  # a container's ports for the nodes inside it
    body_fields: ClassVar[frozenset[str]] = frozenset()  # rendered per item by the body's runner
    _inputs: ClassVar[dict[str, PortType]] = {}
    _outputs: ClassVar[dict[str, PortType]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        d = cls.__dict__.get("definition")
        if d is None:
            return
        cls.type, cls.title, cls.group, cls.task = d.type, d.title.en, d.group, d.task
        cls.Config = d.config
        cls.aliases, cls.templated, cls.cacheable, cls.streams = dict(d.aliases), d.templated, d.cacheable, d.streams
        cls.port_fields = {p.name: p.feeds for p in d.inputs}
        cls._inputs = {p.name: p.type for p in d.inputs}
        cls._outputs = {p.name: p.type for p in d.outputs}
        cls.body_ports = {p.name: p.type for p in d.body}
        cls.body_fields = frozenset(d.body_fields)

    def input_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return dict(self._inputs)

    def output_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return dict(self._outputs)

    def port_title(self, kind: PortKind, name: str) -> Text | None:
        """What people call a port (``kind``: input, output or body): the definition's title; None
        for a port named by the config (an input node's fields), which goes by that name. A node
        whose ports come from its config may name them (a condition's cases)."""
        return self.definition.port_title(kind, name)

    def branch_ports(self, config: dict[str, Any]) -> set[str]:
        """Output ports that are branches (a condition's cases). After the node runs, its
        ``branch`` output names the one taken; nodes reached only through the other branches are
        skipped. Empty for every node that does not branch."""
        return set()

    async def run(self, ctx: NodeContext, config: Any) -> dict[str, Any]:
        raise NotImplementedError
