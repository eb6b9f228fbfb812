"""The Replicate models the gallery's templates run, with what is known of their prices.

Names are Replicate's ``owner/name`` as checked against the catalog of models the idea book names.
``PRICES`` holds a price only where one is published (USD per output file, from the Replicate rules
table's ``price_per_output``); every other model here is billed by GPU time or at a price not
published, and an estimate lists it as such instead of guessing.
"""

from __future__ import annotations

from flowai.providers.replicate_rules import DEFAULT_RULES

FLUX_DEV = "black-forest-labs/flux-dev"
KONTEXT_PRO = "black-forest-labs/flux-kontext-pro"
KONTEXT_MAX = "black-forest-labs/flux-kontext-max"
IDEOGRAM = "ideogram-ai/ideogram-v3-quality"
RECRAFT_SVG = "recraft-ai/recraft-v3-svg"
UPSCALER = "nightmareai/real-esrgan"  # "upscaler" in the idea book: no model has that name
CODEFORMER = "sczhou/codeformer"
OLD_PHOTOS = "microsoft/bringing-old-photos-back-to-life"
DDCOLOR = "piddnad/ddcolor"
TRELLIS = "firtoz/trellis"
REMOVE_BG = "bria/remove-background"
SEEDANCE_PRO = "bytedance/seedance-1-pro"
SEEDANCE_LITE = "bytedance/seedance-1-lite"
KLING = "kwaivgi/kling-v2.1"
MULTITALK = "zsxkib/multitalk"
AUTOCAPTION = "fictions-ai/autocaption"
CHATTERBOX_PRO = "resemble-ai/chatterbox-pro"
CHATTERBOX = "resemble-ai/chatterbox"
MUSICGEN = "meta/musicgen"
FAST_WHISPER = "vaibhavs10/incredibly-fast-whisper"
WHISPERX = "victor-upmeet/whisperx"
DOLPHIN = "bytedance/dolphin"
CLAUDE = "anthropic/claude-4-sonnet"

PRICES: dict[str, float] = {
    name: float(entry["price_per_output"])
    for name, entry in DEFAULT_RULES["models"].items()
    if isinstance(entry, dict) and entry.get("price_per_output") is not None
}
