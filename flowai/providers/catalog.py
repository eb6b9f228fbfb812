"""The providers FlowAI knows: one row each, and the default priority list of every task type.

A row names the protocol family that speaks to it (a key of ``families.FAMILIES``), its
default base URL, the environment variables holding its key (the name the dispatcher document
"多平台 API 调度与调用策略文档" lists first, then the provider's own usual names: the first one
set is used, and the Providers page says which), the tasks it serves in ``auto`` routing, the
default model per task, and list prices used to estimate a call's cost when the provider does not report one.

Prices are rough public list prices in USD, taken as estimates only (providers change them,
and a provider's price differs per model): per 1M prompt / completion tokens, per image, per
1,000 characters synthesised, per minute of audio transcribed. ``providers.toml`` may
override them (``[prices.<name>]``).

Environment overrides: ``<NAME>_BASE_URL`` replaces the base URL (proxies, tests, self-hosted
servers), ``<NAME>_MODEL`` the default model of the provider's first task, and
``<NAME>_<TASK>_MODEL`` (e.g. ``GEMINI_MULTIMODAL_MODEL``) that of a given task.
``OPENAI_BASE_URL`` alone, without a key, enables a self-hosted OpenAI-compatible server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .base import TASKS

OPENAI_COMPATIBLE = "openai"  # the family key of OpenAICompatible in FAMILIES


@dataclass(frozen=True, slots=True)
class Price:
    prompt: float = 0.0  # USD per 1M prompt tokens
    completion: float = 0.0  # USD per 1M completion tokens
    image: float = 0.0  # USD per image
    characters: float = 0.0  # USD per 1,000 characters of speech
    minute: float = 0.0  # USD per minute of audio transcribed

    def cost(self, usage) -> float:
        """The estimated cost of a call's ``Usage``."""
        return round(
            (usage.prompt_tokens or 0) * self.prompt / 1e6
            + (usage.completion_tokens or 0) * self.completion / 1e6
            + (usage.images or 0) * self.image
            + (usage.characters or 0) * self.characters / 1000
            + (usage.seconds or 0) * self.minute / 60,
            8,
        )


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    name: str
    title: str
    family: str
    base_url: str
    key_env: tuple[str, ...]  # environment variables of the key, first = the documented one
    tasks: tuple[str, ...]  # tasks it serves when routing is "auto"
    models: dict[str, str]  # task -> default model (may name tasks it only serves when pinned)
    price: Price = Price()
    option_env: dict[str, str] = field(default_factory=dict)  # option -> env var (required options)

    @property
    def prefix(self) -> str:
        return self.name.upper()

    @property
    def keyless_with_base_url(self) -> bool:
        """An overridden base URL alone enables it: ``OPENAI_BASE_URL`` for a self-hosted
        OpenAI-compatible server (Ollama, vLLM) that needs no key. Cloud providers need a key."""
        return self.name == "openai"

    def models_from(self, env: Mapping[str, str], chosen: Mapping[str, str] | None = None) -> dict[str, str]:
        """The catalog's models, then ``chosen`` (``[models.<name>]`` of providers.toml), then the environment."""
        models = {**self.models, **(chosen or {})}
        first = self.tasks[0] if self.tasks else next(iter(models), "text")
        if env.get(f"{self.prefix}_MODEL"):
            models[first] = env[f"{self.prefix}_MODEL"]
        for task in TASKS:
            if env.get(f"{self.prefix}_{task.upper()}_MODEL"):
                models[task] = env[f"{self.prefix}_{task.upper()}_MODEL"]
        return models

    def hint(self) -> str:
        """What to set to configure it, for error messages."""
        parts = [" or ".join(self.key_env)]
        parts += [env for env in self.option_env.values()]
        text = " and ".join(parts)
        if self.keyless_with_base_url:
            text += f" (or {self.prefix}_BASE_URL alone for a self-hosted OpenAI-compatible server)"
        return text


def _p(name, title, family, base_url, keys, tasks, models, price, options=None) -> ProviderSpec:
    return ProviderSpec(name, title, family, base_url, tuple(keys), tuple(tasks), models, price, options or {})


_OPENAI = OPENAI_COMPATIBLE
PROVIDERS: tuple[ProviderSpec, ...] = (
    _p(
        "groq",
        "Groq",
        _OPENAI,
        "https://api.groq.com/openai/v1",
        ["GROQ_API_KEY"],
        ["text"],
        {"text": "llama-3.3-70b-versatile"},
        Price(0.59, 0.79),
    ),
    _p(
        "mistral",
        "Mistral AI",
        _OPENAI,
        "https://api.mistral.ai/v1",
        ["MISTRAL_API_KEY"],
        ["text"],
        {"text": "mistral-small-latest"},
        Price(0.2, 0.6),
    ),
    _p(
        "cohere",
        "Cohere",
        "cohere",
        "https://api.cohere.com",
        ["COHERE_API_KEY", "CO_API_KEY"],
        ["text"],
        {"text": "command-r-08-2024"},
        Price(0.15, 0.6),
    ),
    _p(
        "together",
        "Together AI",
        _OPENAI,
        "https://api.together.xyz/v1",
        ["TOGETHER_API_KEY", "TOGETHERAI_API_KEY"],
        ["text"],
        {"text": "meta-llama/Llama-3.3-70B-Instruct-Turbo"},
        Price(0.88, 0.88),
    ),
    _p(
        "ai21",
        "AI21 Labs",
        _OPENAI,
        "https://api.ai21.com/studio/v1",
        ["AI21_API_KEY"],
        ["text"],
        {"text": "jamba-mini"},
        Price(0.2, 0.4),
    ),
    _p(
        "openrouter",
        "OpenRouter",
        _OPENAI,
        "https://openrouter.ai/api/v1",
        ["OPENROUTER_API_KEY"],
        ["text"],
        {"text": "openai/gpt-4o-mini"},
        Price(0.15, 0.6),
    ),
    _p(
        "gemini",
        "Google Gemini",
        "gemini",
        "https://generativelanguage.googleapis.com/v1beta",
        ["GOOGLE_GEMINI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"],
        ["text", "multimodal"],
        {"text": "gemini-2.0-flash", "multimodal": "gemini-2.0-flash"},
        Price(0.1, 0.4),
    ),
    _p(
        "deepinfra",
        "DeepInfra",
        _OPENAI,
        "https://api.deepinfra.com/v1/openai",
        ["DEEPINFRA_API_KEY", "DEEPINFRA_API_TOKEN"],
        ["text", "image"],
        {"text": "meta-llama/Meta-Llama-3.1-8B-Instruct", "image": "black-forest-labs/FLUX-1-schnell"},
        Price(0.03, 0.05, image=0.0005),
    ),
    _p(
        "fireworks",
        "Fireworks AI",
        _OPENAI,
        "https://api.fireworks.ai/inference/v1",
        ["FIREWORKS_API_KEY", "FIREWORKS_AI_API_KEY"],
        ["text", "image"],
        {
            "text": "accounts/fireworks/models/llama-v3p1-8b-instruct",
            "image": "accounts/fireworks/models/flux-1-schnell-fp8",
        },
        Price(0.2, 0.2, image=0.0014),
    ),
    _p(
        "anthropic",
        "Anthropic",
        "anthropic",
        "https://api.anthropic.com",
        ["ANTHROPIC_API_KEY"],
        ["text"],
        {"text": "claude-3-5-haiku-latest", "multimodal": "claude-3-5-haiku-latest"},
        Price(0.8, 4.0),
    ),
    _p(
        "openai",
        "OpenAI",
        _OPENAI,
        "https://api.openai.com/v1",
        ["OPENAI_API_KEY"],
        ["text"],
        {
            "text": "gpt-4o-mini",
            "multimodal": "gpt-4o-mini",
            "image": "gpt-image-1",
            "tts": "gpt-4o-mini-tts",
            "stt": "whisper-1",
        },
        Price(0.15, 0.6, image=0.04, characters=0.015, minute=0.006),
    ),
    _p(
        "perplexity",
        "Perplexity",
        _OPENAI,
        "https://api.perplexity.ai",
        ["PERPLEXITY_API_KEY", "PPLX_API_KEY"],
        ["text"],
        {"text": "sonar"},
        Price(1.0, 1.0),
    ),
    _p(
        "stability",
        "Stability AI",
        "stability",
        "https://api.stability.ai",
        ["STABILITY_API_KEY", "STABILITY_KEY"],
        ["image"],
        {"image": "core"},
        Price(image=0.03),
    ),
    _p(
        "replicate",
        "Replicate",
        "replicate",
        "https://api.replicate.com",
        ["REPLICATE_API_KEY", "REPLICATE_API_TOKEN"],
        ["image", "multimodal"],
        {"image": "black-forest-labs/flux-dev"},  # multimodal: the model [models.replicate] chooses
        Price(image=0.025),
    ),
    _p(
        "huggingface",
        "Hugging Face",
        "huggingface",
        "https://router.huggingface.co",
        ["HUGGINGFACE_API_KEY", "HF_TOKEN", "HUGGINGFACEHUB_API_TOKEN", "HUGGING_FACE_HUB_TOKEN"],
        ["image", "stt"],
        {"image": "black-forest-labs/FLUX.1-schnell", "stt": "openai/whisper-large-v3"},
        Price(image=0.003, minute=0.006),
    ),
    _p(
        "assemblyai",
        "AssemblyAI",
        "assemblyai",
        "https://api.assemblyai.com",
        ["ASSEMBLYAI_API_KEY"],
        ["stt"],
        {"stt": "best"},
        Price(minute=0.0062),
    ),
    _p(
        "gladia",
        "Gladia",
        "gladia",
        "https://api.gladia.io",
        ["GLADIA_API_KEY"],
        ["stt"],
        {"stt": "solaria-1"},
        Price(minute=0.0102),
    ),
    _p(
        "playht",
        "Play.ht",
        "playht",
        "https://api.play.ht",
        ["PLAYHT_API_KEY", "PLAY_HT_API_KEY"],
        ["tts"],
        {"tts": "Play3.0-mini"},
        Price(characters=0.05),
        {"user_id": "PLAYHT_USER_ID"},
    ),
    _p(
        "elevenlabs",
        "ElevenLabs",
        "elevenlabs",
        "https://api.elevenlabs.io",
        ["ELEVENLABS_API_KEY", "ELEVEN_API_KEY", "XI_API_KEY"],
        ["tts"],
        {"tts": "eleven_multilingual_v2"},
        Price(characters=0.18),
    ),
)

CATALOG: dict[str, ProviderSpec] = {p.name: p for p in PROVIDERS}

# Default priorities, after the seed "多平台 API 调度与调用策略文档" tables.
DEFAULT_PRIORITIES: dict[str, tuple[str, ...]] = {
    "text": (
        "groq",
        "mistral",
        "cohere",
        "together",
        "ai21",
        "openrouter",
        "gemini",
        "deepinfra",
        "fireworks",
        "anthropic",
        "openai",
        "perplexity",
    ),
    "image": ("stability", "replicate", "deepinfra", "huggingface", "fireworks"),
    "stt": ("assemblyai", "gladia", "huggingface"),
    "tts": ("playht", "elevenlabs"),
    # The seed also lists Gladia ("audio + text") here. FlowAI's multimodal task is a chat whose
    # messages carry images, and Gladia has no chat or image API: it serves audio through the
    # stt task (and an stt node feeding an llm node gives "audio + text"), so it is not listed.
    # Replicate serves it with the vision-language model chosen in providers.toml.
    "multimodal": ("gemini", "replicate"),
}


def serving(task: str) -> list[str]:
    """Every provider that serves ``task`` in auto routing, in default priority order."""
    return list(DEFAULT_PRIORITIES.get(task, ()))
