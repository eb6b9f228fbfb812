"""The template gallery: workflows of real products from the idea book, each a ``flowai/1`` document
made by the graph builder, with what it makes, the models it runs, the keys it needs and an estimated
cost per run. ``flowai template list|use`` and the editor's gallery dialog read ``TEMPLATES``.

May import ``flowai.workflows`` (the graph builder), ``flowai.providers`` (prices of the Replicate
rules table, the catalog's key variables) and the leaf modules; never ``flowai.runs``, ``flowai.api``,
storage or ``ui``.

    from flowai.gallery import TEMPLATES, find
    doc = find("PhotoRestore").document("My restorer")
"""

from __future__ import annotations

from collections.abc import Mapping

from flowai.errors import NotFoundError
from flowai.providers.catalog import CATALOG

from . import images, talk, video
from .common import Template

__all__ = ["TEMPLATES", "Template", "find", "key_status"]

# The registry, in gallery order. Novel to video (flowai.workflows.novel_video, written on its own
# branch) is registered here once it lands: ``Template("novel_video", "Novel to video", ...)`` built
# by that module's document function, placed first.
TEMPLATES: tuple[Template, ...] = (*video.TEMPLATES, *images.TEMPLATES, *talk.TEMPLATES)


def find(name: str) -> Template:
    """The template called ``name`` (its id or its name, any case)."""
    wanted = name.strip().lower()
    for template in TEMPLATES:
        if wanted in (template.id, template.name.lower()):
            return template
    names = ", ".join(t.name for t in TEMPLATES)
    raise NotFoundError(f"No template {name!r}. Templates: {names}.")


def key_status(template: Template, configured: Mapping[str, bool]) -> list[dict]:
    """For each provider the template needs: its name, the variables that hold its key, whether set."""
    return [
        {"provider": p, "env": list(CATALOG[p].key_env), "configured": bool(configured.get(p))}
        for p in template.providers
    ]
