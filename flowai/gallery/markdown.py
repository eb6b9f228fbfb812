"""``docs/templates.md``, generated from the gallery's registry: ``python3 -m flowai.gallery.markdown``."""

from __future__ import annotations

import sys
from pathlib import Path

from flowai.providers.catalog import CATALOG

from . import TEMPLATES
from .models import PRICES

DOC = Path(__file__).resolve().parents[2] / "docs" / "templates.md"

HEAD = """# Template gallery

Generated from `flowai/gallery` by `python3 -m flowai.gallery.markdown`; do
not edit by hand.

Each template is a product of the idea book this project grows from, built as a `flowai/1`
document with the graph builder. Start one from the UI (Workflows → Template gallery → Use, which
opens it in the editor) or the CLI (`flowai template list`, `flowai template use NAME [--name N]
[--publish]`). Every template here runs on Replicate: it needs `REPLICATE_API_KEY` (or
`REPLICATE_API_TOKEN`), set in the environment or on the Providers page.

The cost per run adds the published per-output prices (Replicate rules table's
`price_per_output`: {prices}); the other models are billed by GPU time or at a price not
published, and are listed instead of guessed. Loops are counted for the number of items given.

Each template names the models the idea book names where Replicate serves them; where it does
not, or where another model does the job the book describes, the template says which it
substituted and why.
"""


def render() -> str:
    prices = ", ".join(f"{m.rsplit('/', 1)[-1]} ${p}" for m, p in sorted(PRICES.items()))
    parts = [HEAD.format(prices=prices), "| template | 中文 | makes | models | estimated cost per run |",
             "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for t in TEMPLATES:
        est = t.estimate()
        cost = f"${est['usd']:g}" + (f" + {len(est['unpriced'])} unpriced" if est["unpriced"] else "")
        if t.items > 1:
            cost += f" (for {t.items} items)"
        models = ", ".join(f"`{m}`" + (f" ×{n}" if n > 1 else "") for m, n in t.calls.items())
        parts.append(f"| **{t.name}** ({t.title[0]}) | {t.title[1]} | {t.produces[0]} | {models} | {cost} |")
    for t in TEMPLATES:
        doc = t.document()
        keys = ", ".join(CATALOG[p].key_env[0] for p in t.providers)
        fields = ", ".join(
            f"`{f['name']}` ({f['type']}{', required' if f.get('required') else ''})"
            for n in doc["nodes"]
            if n["type"] == "input"
            for f in n["config"]["fields"]
        )
        stages = " → ".join(s["label"] for s in doc.get("stages", []))
        parts += [
            "",
            f"## {t.name} — {t.title[0]} / {t.title[1]}",
            "",
            f"`flowai template use {t.id}` · makes: {t.produces[0]} ({t.produces[1]}) · keys: `{keys}`",
            "",
            f"Inputs: {fields}." + (f" Stages: {stages}." if stages else ""),
            "",
            t.description[0],
            "",
            t.description[1],
        ]
    return "\n".join(parts) + "\n"


def main() -> int:
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
