"""Protocol families by name: the catalog names a family, the router builds it from here.

Every family class has the constructor
``Family(name, *, base_url, api_key, client, models, options)``: ``models`` maps a task type
to its default model, ``options`` holds extra credentials (e.g. Play.ht's user id).
"""

from __future__ import annotations

from .openai_compat import OpenAICompatible

FAMILIES: dict[str, type] = {
    "openai": OpenAICompatible,
}
