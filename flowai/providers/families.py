"""Protocol families by name: the catalog names a family, the router builds it from here.

Every family class has the constructor
``Family(name, *, base_url, api_key, client, models, options)``: ``models`` maps a task type
to its default model, ``options`` holds extra credentials (e.g. Play.ht's user id) and
tuning (``poll_interval``, ``poll_timeout``, ``include_usage``, ``thinking_budget``).
``base_url`` may be None: the family's ``DEFAULT_BASE_URL`` is used.

    family        tasks                        providers using it
    openai        text, multimodal, image,     OpenAI, Groq, Mistral, Together, DeepInfra,
                  tts, stt                     Fireworks, OpenRouter, Perplexity, AI21,
                                               Gemini-compat, self-hosted *_BASE_URL servers
    anthropic     text, multimodal             Anthropic
    cohere        text, multimodal             Cohere (v2 native)
    gemini        text, multimodal             Gemini (native)
    stability     image                        Stability AI
    huggingface   text, image, stt             Hugging Face Inference Providers
    assemblyai    stt                          AssemblyAI
    gladia        stt                          Gladia
    playht        tts                          Play.ht (options: user_id)
    elevenlabs    tts                          ElevenLabs
    replicate     image, multimodal            Replicate (+ the replicate node; multimodal with a
                                               vision-language model chosen in providers.toml)
"""

from __future__ import annotations

from .anthropic import Anthropic
from .assemblyai import AssemblyAI
from .cohere import Cohere
from .elevenlabs import ElevenLabs
from .gemini import Gemini
from .gladia import Gladia
from .huggingface import HuggingFace
from .openai_compat import OpenAICompatible
from .playht import PlayHT
from .replicate_chat import ReplicateChat
from .stability import Stability

FAMILIES: dict[str, type] = {
    "openai": OpenAICompatible,
    "replicate": ReplicateChat,
    "anthropic": Anthropic,
    "cohere": Cohere,
    "gemini": Gemini,
    "stability": Stability,
    "huggingface": HuggingFace,
    "assemblyai": AssemblyAI,
    "gladia": Gladia,
    "playht": PlayHT,
    "elevenlabs": ElevenLabs,
}
