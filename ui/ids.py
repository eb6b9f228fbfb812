"""``safe_id``: element ids and test ids from text that may be the user's."""

from __future__ import annotations

import re

_UNSAFE_ID = re.compile(r"[^\w-]")


def safe_id(*parts: object) -> str:
    """A ``data-testid`` value from parts that may be user text (field names, node ids, schema
    keys): anything but letters, digits, ``_`` and ``-`` becomes ``_``, so it can never break out
    of a props string (NiceGUI splits props on any whitespace and quotes)."""
    return _UNSAFE_ID.sub("_", "-".join(str(p) for p in parts))
