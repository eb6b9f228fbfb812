"""What the gallery's template modules share: the ``Template`` record and small graph helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flowai.workflows.builder import Graph

from .models import PRICES

Text = tuple[str, str]  # (English, 简体中文)


@dataclass(frozen=True)
class Template:
    """One gallery entry. ``calls`` is how many predictions a run makes per model (loops counted
    for ``items`` items), for the cost estimate; ``build`` makes a fresh ``flowai/1`` document."""

    id: str
    name: str
    title: Text
    produces: Text
    description: Text
    calls: dict[str, int]
    build: Callable[[], dict]
    providers: tuple[str, ...] = ("replicate",)
    items: int = 1  # items assumed per run by ``calls`` (a batch, a list of styles, lines)

    @property
    def models(self) -> list[str]:
        return list(self.calls)

    def estimate(self) -> dict[str, Any]:
        """The estimated USD of one run from the published prices, and the models without one."""
        usd = sum(PRICES[m] * n for m, n in self.calls.items() if m in PRICES)
        return {"usd": round(usd, 4), "unpriced": [m for m in self.calls if m not in PRICES], "items": self.items}

    def document(self, name: str | None = None) -> dict:
        doc = self.build()
        if name:
            doc["name"] = name
        return doc


def replicate(
    g: Graph,
    id: str,
    model: str,
    label: str,
    at: tuple[float, float],
    params: dict[str, Any],
    *,
    ports: dict[str, str] | None = None,
    parent: str | None = None,
) -> Graph:
    """A Replicate node; ``ports`` declares media inputs (``params.<name>`` ports) by the model's schema."""
    extra: dict[str, Any] = {"media_ports": ports} if ports else {}
    return g.node(id, "replicate", label, at=at, parent=parent, model=model, params=params, **extra)


def staged(doc: dict, *stages: tuple[str, str, list[str]]) -> dict:
    """``doc`` with its stage frames: (id, label, node ids)."""
    doc["stages"] = [{"id": sid, "label": label, "nodes": nodes} for sid, label, nodes in stages]
    return doc
