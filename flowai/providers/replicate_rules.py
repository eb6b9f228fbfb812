"""The one editable table behind Replicate's three automatic fallbacks, and the pure mappings it drives.

The defaults below ship with FlowAI; ``FLOWAI_HOME/replicate_rules.json`` (or ``.toml``) overrides
them. The user file has the same shape; it is merged into the defaults: top-level scalars and lists
replace, ``aliases`` and ``models`` merge per name, and inside one model each key replaces (set a key to
``null`` to remove a default, e.g. ``{"models": {"black-forest-labs/flux-dev": {"edit_model": null}}}``).

Parameters are translated through *canonical* names (flux-dev's: ``image``, ``prompt_strength``,
``megapixels``, ``disable_safety_checker``, ``num_outputs``…). For each model:

``rename``      canonical name -> this model's name (kontext: ``{"image": "input_image"}``)
``values``      this model's param -> {given value (as text) -> its value, ``null`` = drop the param}
``image_param`` the input taking a reference image; ``null`` = takes none; absent = found in its schema
``edit_model``  a reference image given to this model goes to that image-editing model instead (Rule 1)
``moves``       {param this model does not accept -> a model that does} (Rule 2: instead of dropping)
``chain``       models tried in order when this one fails (failed prediction, 5xx, timeout) (Rule 3)
``max_prompt_chars``  the prompt is cut to this length
``price_per_output``  USD per output file, for the usage record (an estimate)

Top level: ``aliases`` (short name -> owner/name), ``edit_model`` (where a reference image goes when
the model takes none and names no ``edit_model``; ``null``: drop the image with a warning),
``image_params`` (names searched in a schema for the reference-image input), ``count_param`` (repeated
as N calls on a model without it), ``carry`` (params whose source default is sent on a switch, since
the target's default may differ: qwen-image defaults to 16:9), ``chain_with_image`` (``"skip"`` chain
models that take no image, or ``"drop"`` the image there).
"""

from __future__ import annotations

import copy
import logging
import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from flowai.errors import ProviderError

log = logging.getLogger("flowai.replicate")

_KONTEXT = {
    "rename": {"image": "input_image"},
    "values": {"output_format": {"webp": "png"}},
    "chain": ["black-forest-labs/flux-kontext-pro", "qwen/qwen-image"],
}

DEFAULT_RULES: dict[str, Any] = {
    "aliases": {
        "flux-dev": "black-forest-labs/flux-dev",
        "flux-schnell": "black-forest-labs/flux-schnell",
        "flux-kontext-max": "black-forest-labs/flux-kontext-max",
        "flux-kontext-pro": "black-forest-labs/flux-kontext-pro",
        "qwen-image": "qwen/qwen-image",
        "imagen-4-ultra": "google/imagen-4-ultra",
        "nano-banana": "google/nano-banana",
        "seedream-4": "bytedance/seedream-4",
        "recraft-v3-svg": "recraft-ai/recraft-v3-svg",
        "claude-4-sonnet": "anthropic/claude-4-sonnet",
        "remove-background": "bria/remove-background",
    },
    "edit_model": "black-forest-labs/flux-kontext-max",
    "image_params": ["image", "input_image", "image_input", "start_image", "reference_images", "images", "image_url"],
    "count_param": "num_outputs",
    "carry": ["aspect_ratio"],
    "chain_with_image": "skip",
    "models": {
        "black-forest-labs/flux-dev": {
            "edit_model": "black-forest-labs/flux-kontext-max",
            "chain": ["qwen/qwen-image", "google/imagen-4-ultra"],
            "price_per_output": 0.025,
        },
        "black-forest-labs/flux-schnell": {
            "moves": {"guidance": "black-forest-labs/flux-dev", "prompt_strength": "black-forest-labs/flux-dev"},
            "chain": ["black-forest-labs/flux-dev", "qwen/qwen-image"],
            "price_per_output": 0.003,
        },
        "black-forest-labs/flux-kontext-max": {**copy.deepcopy(_KONTEXT), "price_per_output": 0.08},
        "black-forest-labs/flux-kontext-pro": {
            **copy.deepcopy(_KONTEXT),
            "chain": ["qwen/qwen-image"],
            "price_per_output": 0.04,
        },
        "qwen/qwen-image": {
            "rename": {"prompt_strength": "strength"},
            "chain": ["google/imagen-4-ultra"],
        },
        "google/imagen-4-ultra": {
            "rename": {"megapixels": "image_size", "disable_safety_checker": "safety_filter_level"},
            "values": {
                "image_size": {"1": "1K", "0.25": None},
                "output_format": {"webp": "jpg"},
                "safety_filter_level": {"false": "block_only_high", "true": "block_only_high"},
            },
            "image_param": None,
            "max_prompt_chars": 1900,
            "price_per_output": 0.06,
        },
    },
}


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key in ("aliases", "models") and isinstance(value, dict):
            merged = out.setdefault(key, {})
            for name, entry in value.items():
                if key == "models" and isinstance(entry, dict) and isinstance(merged.get(name), dict):
                    merged[name] = {**merged[name], **entry}
                else:
                    merged[name] = entry
        else:
            out[key] = value
    return out


class PredictionFailed(ProviderError):
    """A prediction ended ``failed``, ``aborted`` or ``canceled`` upstream. Not retryable as it is;
    the rules chain (Rule 3) may move the call to another model."""


def chainable(exc: BaseException) -> bool:
    """Rule 3's trigger: a failed prediction, or an upstream failure left after retries (5xx, 429,
    timeout, connection). A request the API refused (4xx) or the caller's cancel is not."""
    if isinstance(exc, PredictionFailed):
        return (exc.detail or {}).get("status") in ("failed", "aborted")
    return isinstance(exc, ProviderError) and exc.retryable


@dataclass(frozen=True)
class Switch:
    """One fallback taken, as recorded in the usage's ``fallbacks``."""

    rule: str  # image_input | params | chain
    reason: str
    model: str
    to: str | None = None
    status: int | None = None

    def record(self, provider: str) -> dict[str, Any]:
        out = {
            "provider": provider,
            "model": self.model,
            "rule": self.rule,
            "reason": self.reason,
            "status": self.status,
        }
        if self.to:
            out["to"] = self.to
        return out


class Rules:
    """The merged rules table with the lookups and parameter mappings the client needs."""

    def __init__(self, table: dict[str, Any] | None = None, *, source: str = "defaults"):
        self.table = _merge(DEFAULT_RULES, table or {})
        self.source = source

    @classmethod
    def load(cls, home: Path | str | None = None) -> Rules:
        """Defaults merged with ``<home>/replicate_rules.json`` or ``.toml`` (home: FLOWAI_HOME, ~/.flowai)."""
        home = Path(home or os.environ.get("FLOWAI_HOME") or Path.home() / ".flowai").expanduser()
        for path in (home / "replicate_rules.json", home / "replicate_rules.toml"):
            if path.is_file():
                raw = path.read_bytes()
                table = tomllib.loads(raw.decode()) if path.suffix == ".toml" else orjson.loads(raw)
                if not isinstance(table, dict):
                    raise ValueError(f"{path}: the rules file must hold an object")
                log.info("replicate rules from %s", path)
                return cls(table, source=str(path))
        return cls()

    # -- lookups ------------------------------------------------------------------------------------

    def resolve(self, model: str) -> str:
        """A short name (``flux-dev``) -> ``owner/name``; ``owner/name[:version]`` and hashes unchanged."""
        model = model.strip()
        return self.table.get("aliases", {}).get(model, model)

    def entry(self, model: str) -> dict[str, Any]:
        return self.table.get("models", {}).get(base_name(model)) or {}

    def chain(self, model: str) -> list[str]:
        return [self.resolve(m) for m in self.entry(model).get("chain") or []]

    def edit_model(self, model: str, *, explicit_only: bool = False) -> str | None:
        entry = self.entry(model)
        if "edit_model" in entry or explicit_only:
            target = entry.get("edit_model")
        else:
            target = self.table.get("edit_model")
        return self.resolve(target) if target else None

    def image_param(self, model: str, schema: dict | None) -> str | None:
        """The input of ``model`` that takes a reference image, or None when it takes none."""
        entry = self.entry(model)
        if "image_param" in entry:
            return entry["image_param"]
        props = properties(schema)
        for name in self.table.get("image_params") or ():
            if name in props:
                return name
        if schema is None:  # unknown: trust the canonical name through the model's renames
            return (entry.get("rename") or {}).get("image", "image")
        return None

    def price(self, model: str) -> float | None:
        return self.entry(model).get("price_per_output")

    # -- parameter mapping --------------------------------------------------------------------------

    def to_canonical(self, model: str, params: dict[str, Any]) -> dict[str, Any]:
        back = {own: canon for canon, own in (self.entry(model).get("rename") or {}).items()}
        return {back.get(k, k): v for k, v in params.items()}

    def from_canonical(self, model: str, params: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Rename canonical params to ``model``'s names and map values; returns (params, dropped)."""
        entry = self.entry(model)
        rename, values = entry.get("rename") or {}, entry.get("values") or {}
        out: dict[str, Any] = {}
        dropped: list[str] = []
        for key, value in params.items():
            name = rename.get(key, key)
            table = values.get(name)
            if table is not None and _as_text(value) in table:
                value = table[_as_text(value)]
                if value is None:
                    dropped.append(name)
                    continue
            out[name] = value
        limit = entry.get("max_prompt_chars")
        if limit and isinstance(out.get("prompt"), str) and len(out["prompt"]) > limit:
            out["prompt"] = out["prompt"][:limit]
        return out, dropped

    def translate(
        self, source: str, target: str, params: dict[str, Any], source_schema: dict | None
    ) -> tuple[dict[str, Any], list[str]]:
        """``params`` written for ``source`` made into ``target``'s names and values (a switch)."""
        canonical = self.to_canonical(source, params)
        for name in self.table.get("carry") or ():
            default = properties(source_schema).get(name, {}).get("default")
            if name not in canonical and default is not None:
                canonical[name] = default
        return self.from_canonical(target, canonical)

    def moves_for(self, model: str, rejected: list[str]) -> str | None:
        moves = self.entry(model).get("moves") or {}
        for name in rejected:
            if moves.get(name):
                return self.resolve(moves[name])
        return None


# -- schemas -------------------------------------------------------------------------------------


def base_name(model: str) -> str:
    """``owner/name:version`` -> ``owner/name``."""
    return model.split(":", 1)[0]


def properties(schema: dict | None) -> dict[str, dict]:
    return (schema or {}).get("properties") or {}


_TYPES = {"integer": int, "number": float, "boolean": bool, "string": str}


def fit(params: dict[str, Any], schema: dict | None) -> tuple[dict[str, Any], list[str], list[str]]:
    """Keep what the schema accepts: coerce scalar types, move an aspect ratio outside the enum to the
    nearest allowed one, drop unknown params and enum values the model refuses.

    Returns (fitted params, unknown param names, names dropped for a refused value)."""
    if schema is None:
        return dict(params), [], []
    props = properties(schema)
    out: dict[str, Any] = {}
    unknown: list[str] = []
    refused: list[str] = []
    for key, value in params.items():
        spec = props.get(key)
        if spec is None:
            unknown.append(key)
            continue
        value = _coerce(value, spec)
        enum = spec.get("enum")
        if enum and value not in enum:
            near = nearest_ratio(value, enum) if key == "aspect_ratio" else None
            if near is None:
                refused.append(key)
                continue
            value = near
        out[key] = value
    return out, unknown, refused


def _coerce(value: Any, spec: dict) -> Any:
    kind = spec.get("type")
    if isinstance(value, str) and kind in ("integer", "number"):
        try:
            number = float(value.strip())
            return int(number) if kind == "integer" and number.is_integer() else number
        except ValueError:
            return value
    if isinstance(value, str) and kind == "boolean" and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        text = format(value, "g")
        return text if not spec.get("enum") or text in spec["enum"] else value
    return value


def _ratio(text: Any) -> float | None:
    try:
        w, h = str(text).split(":")
        return float(w) / float(h)
    except (ValueError, ZeroDivisionError):
        return None


def nearest_ratio(value: Any, allowed: list) -> Any:
    """The allowed ``W:H`` nearest to ``value`` on a log scale (21:9 -> 16:9, 4:5 -> 3:4)."""
    wanted = _ratio(value)
    choices = [(abs(math.log(r / wanted)), a) for a in allowed if (r := _ratio(a)) and wanted]
    return min(choices)[1] if choices else None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return format(value, "g") if isinstance(value, float) else str(value)
