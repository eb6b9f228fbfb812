"""A fake Replicate API that really listens on 127.0.0.1 (providers.md B3, replicate-models.md).

Endpoints: ``POST /v1/models/{owner}/{name}/predictions`` (official models), ``POST /v1/predictions``
(``version`` = 64-hex id, ``owner/name:id`` or an official ``owner/name``), ``GET /v1/predictions/{id}``,
``POST /v1/predictions/{id}/cancel``, ``GET /v1/models/{owner}/{name}`` (and ``/versions/{id}``) with
each model's ``openapi_schema`` and ``latest_version.id`` (enums behind ``allOf: [{$ref}]`` as on Replicate;
404 for a model it does not have, as for a community model on the official-model route), ``GET /v1/account``,
``POST /v1/files`` and ``GET /v1/files/{id}`` (Replicate's files API: multipart ``content``, answered
with a file object whose ``urls.get`` a prediction may name); output files are served at
``/files/{prediction}/{name}``, their bytes by extension: ``.mp4`` a streamed MP4 of
``video_bytes`` bytes, ``.svg`` an SVG, ``.glb`` a binary glTF, ``.json`` JSON, anything else a real PNG
(``png_bytes(prediction_id, name)``).

Every ``format: uri`` input is fetched as the model would: a ``data:`` URI decoded, a files-API URL
looked up, an http(s) URL on 127.0.0.1 downloaded (another host is taken on trust: no network in
tests); anything else (a relative ``/files/...`` path) answers 422
``Does not match format 'uri'``. What each input held is in ``fetched`` (param, type sniffed, size, how).
Media models besides the image ones: ``zsxkib/multitalk`` (image + first_audio -> mp4),
``fictions-ai/autocaption`` (video_file_input + transcript_file_input -> [mp4, json]),
``lucataco/dolphin`` (file -> markdown text), ``recraft-ai/recraft-v3-svg`` (-> svg) and
``firtoz/trellis`` (images[] -> {model_file: glb, color_video: mp4}).

Behaviour per model (``fake.behaviour[model] = ...``, default ``fast``):

=============  ===========================================================================
``fast``       succeeds at once (a ``Prefer: wait`` create answers with the output)
``slow``       runs ``slow_seconds``: a shorter ``Prefer: wait`` answers ``starting``/``processing``
``fail``       the prediction ends ``failed`` with ``MODEL_ERROR``
``error-500``  the create answers HTTP 500
=============  ===========================================================================

Inputs are validated like Replicate does: an unknown property, a value outside an enum, a wrong
type or a missing ``prompt`` answers 422 (``Input validation failed``). Creates are limited to
``limit`` per ``window`` seconds (moving window over the creates it did not refuse); over it the answer is 429
with Replicate's body ``{"detail": "Request was throttled. Your rate limit resets in ~Ns."}``.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import io
import math
import secrets
import struct
import subprocess
import tempfile
import time
import wave
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

TOKEN = "r8_test_token"
MODEL_ERROR = "CUDA out of memory. Tried to allocate 2.00 GiB"
COMMUNITY = "fake/community"
COMMUNITY_VERSION = "c" * 64
TERMINAL = {"succeeded", "failed", "canceled", "aborted"}

FLUX_RATIOS = ["1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"]
KONTEXT_RATIOS = [
    "match_input_image",
    "1:1",
    "16:9",
    "9:16",
    "4:3",
    "3:4",
    "3:2",
    "2:3",
    "4:5",
    "5:4",
    "21:9",
    "9:21",
    "2:1",
    "1:2",
]


def _num(kind: str, default: Any = None, lo: float | None = None, hi: float | None = None) -> dict:
    spec: dict[str, Any] = {"type": kind}
    if default is not None:
        spec["default"] = default
    if lo is not None:
        spec["minimum"] = lo
    if hi is not None:
        spec["maximum"] = hi
    return spec


URI = {"type": "string", "format": "uri"}
FLUX_DEV = {
    "prompt": {"type": "string"},
    "aspect_ratio": ("enum", FLUX_RATIOS, "1:1"),
    "image": URI,
    "prompt_strength": _num("number", 0.8, 0, 1),
    "num_outputs": _num("integer", 1, 1, 4),
    "num_inference_steps": _num("integer", 28, 1, 50),
    "guidance": _num("number", 3.5, 0, 10),
    "seed": _num("integer"),
    "output_format": ("enum", ["webp", "jpg", "png"], "webp"),
    "output_quality": _num("integer", 80, 0, 100),
    "go_fast": _num("boolean", True),
    "megapixels": ("enum", ["1", "0.25"], "1"),
    "disable_safety_checker": _num("boolean", False),
}
FLUX_SCHNELL = {k: v for k, v in FLUX_DEV.items() if k not in ("image", "prompt_strength", "guidance")}
KONTEXT = {
    "prompt": {"type": "string"},
    "input_image": URI,
    "aspect_ratio": ("enum", KONTEXT_RATIOS, "match_input_image"),
    "output_format": ("enum", ["jpg", "png"], "png"),
    "safety_tolerance": _num("integer", 2, 0, 6),
    "prompt_upsampling": _num("boolean", False),
    "seed": _num("integer"),
}
QWEN = {
    "prompt": {"type": "string"},
    "aspect_ratio": ("enum", ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3"], "16:9"),
    "image": URI,
    "strength": _num("number", 0.9, 0, 1),
    "negative_prompt": {"type": "string", "default": ""},
    "num_inference_steps": _num("integer", 30, 1, 50),
    "guidance": _num("number", 3, 0, 10),
    "seed": _num("integer"),
    "go_fast": _num("boolean", True),
    "output_format": ("enum", ["webp", "jpg", "png"], "webp"),
    "output_quality": _num("integer", 80, 0, 100),
    "disable_safety_checker": _num("boolean", False),
}
IMAGEN = {
    "prompt": {"type": "string"},
    "aspect_ratio": ("enum", ["1:1", "9:16", "16:9", "3:4", "4:3"], "1:1"),
    "image_size": ("enum", ["1K", "2K"], "1K"),
    "safety_filter_level": (
        "enum",
        ["block_low_and_above", "block_medium_and_above", "block_only_high"],
        "block_only_high",
    ),
    "output_format": ("enum", ["jpg", "png"], "jpg"),
}
LLAMA = {
    "prompt": {"type": "string"},
    "system_prompt": {"type": "string", "default": ""},
    "max_tokens": _num("integer", 512, 1),
    "temperature": _num("number", 0.6, 0, 5),
}
COMMUNITY_INPUTS = {"image": URI, "scale": _num("number", 4, 0, 10)}
VISION = {  # a LLaVA-style vision-language model (community: needs its version id)
    "image": URI,
    "prompt": {"type": "string"},
    "max_tokens": _num("integer", 1024, 1),
    "temperature": _num("number", 0.2, 0, 5),
}
VISION_MODEL = "yorickvp/llava-13b"
VISION_VERSION = "8" * 64

ARRAY_URI = {"type": "array", "items": URI, "title": "Output"}
ONE_URI = {**URI, "title": "Output"}
TEXT_ITERATOR = {
    "type": "array",
    "items": {"type": "string"},
    "title": "Output",
    "x-cog-array-type": "iterator",
    "x-cog-array-display": "concatenate",
}

ARRAY_FILES = {"type": "array", "items": URI}
MULTITALK = {
    "image": {**URI, "description": "Reference image of the speaker"},
    "first_audio": {**URI, "description": "First speaker's voice"},
    "second_audio": {**URI, "description": "Second speaker's voice (optional)"},
    "prompt": {"type": "string", "default": "A person talking"},
    "num_frames": _num("integer", 81, 25, 201),
    "seed": _num("integer"),
}
AUTOCAPTION = {
    "video_file_input": URI,
    "transcript_file_input": URI,
    "output_video": _num("boolean", True),
    "output_transcript": _num("boolean", True),
    "fontsize": _num("number", 7, 1, 20),
}
DOLPHIN = {"file": {**URI, "description": "A PDF or an image of a page"}}
RECRAFT_SVG = {"prompt": {"type": "string"}, "size": {"type": "string", "default": "1024x1024"}}
TRELLIS = {"images": {**ARRAY_FILES, "description": "Images of the object"}, "seed": _num("integer")}
TEXT_OUTPUT = {"type": "string", "title": "Output"}
TRELLIS_OUTPUT = {
    "type": "object",
    "title": "Output",
    "properties": {"model_file": URI, "color_video": URI},
}
MULTITALK_MODEL, AUTOCAPTION_MODEL, DOLPHIN_MODEL = "zsxkib/multitalk", "fictions-ai/autocaption", "lucataco/dolphin"
SVG_MODEL, TRELLIS_MODEL = "recraft-ai/recraft-v3-svg", "firtoz/trellis"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="teal"/></svg>\n'

JSON_OUTPUT = {"type": "object", "title": "Output"}
_IMG = {"image": URI}
_VIDEO_GEN = {
    "prompt": {"type": "string"},
    "image": URI,
    "duration": _num("integer", 5, 2, 12),
    "resolution": ("enum", ["480p", "720p", "1080p"], "1080p"),
    "aspect_ratio": ("enum", ["16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "9:21"], "16:9"),
    "fps": _num("integer", 24),
    "camera_fixed": _num("boolean", False),
    "seed": _num("integer"),
}
# The models the template gallery runs (replicate-models.md): name -> (inputs, output, official, version, required)
GALLERY_MODELS: dict[str, tuple[dict, dict, bool, str, list[str]]] = {
    "nightmareai/real-esrgan": (
        {**_IMG, "scale": _num("number", 4, 0, 10), "face_enhance": _num("boolean", False)},
        ONE_URI, False, "7" * 64, ["image"],
    ),
    "sczhou/codeformer": (
        {**_IMG, "codeformer_fidelity": _num("number", 0.5, 0, 1), "background_enhance": _num("boolean", True),
         "face_upsample": _num("boolean", True), "upscale": _num("integer", 2, 1, 10)},
        ONE_URI, False, "9" * 64, ["image"],
    ),
    "microsoft/bringing-old-photos-back-to-life": (
        {**_IMG, "HR": _num("boolean", False), "with_scratch": _num("boolean", False)},
        ONE_URI, False, "a1" * 32, ["image"],
    ),
    "piddnad/ddcolor": ({**_IMG, "model_size": ("enum", ["large", "tiny"], "large")}, ONE_URI, False, "a2" * 32,
                        ["image"]),
    "bria/remove-background": (
        {**_IMG, "preserve_alpha": _num("boolean", True), "content_moderation": _num("boolean", False)},
        ONE_URI, True, "a3" * 32, ["image"],
    ),
    "ideogram-ai/ideogram-v3-quality": (
        {"prompt": {"type": "string"},
         "aspect_ratio": ("enum", ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "4:5", "5:4"], "1:1"),
         "style_type": ("enum", ["None", "Auto", "General", "Realistic", "Design"], "None"),
         "style_reference_images": {**ARRAY_FILES, "description": "Images of the style"}, "seed": _num("integer")},
        ONE_URI, True, "a4" * 32, ["prompt"],
    ),
    "bytedance/seedance-1-pro": (_VIDEO_GEN, ONE_URI, True, "a5" * 32, ["prompt"]),
    "bytedance/seedance-1-lite": (_VIDEO_GEN, ONE_URI, True, "a6" * 32, ["prompt"]),
    "kwaivgi/kling-v2.1": (
        {"prompt": {"type": "string"}, "start_image": URI, "mode": ("enum", ["standard", "pro"], "standard"),
         "duration": _num("integer", 5, 5, 10), "negative_prompt": {"type": "string", "default": ""}},
        ONE_URI, True, "a7" * 32, ["prompt", "start_image"],
    ),
    "resemble-ai/chatterbox-pro": (
        {"prompt": {"type": "string"}, "voice": {"type": "string", "default": "Luna"},
         "exaggeration": _num("number", 0.5, 0.1, 1), "temperature": _num("number", 0.8, 0.1, 5),
         "seed": _num("integer")},
        ONE_URI, True, "a8" * 32, ["prompt"],
    ),
    "resemble-ai/chatterbox": (
        {"prompt": {"type": "string"}, "audio_prompt": {**URI, "description": "Reference audio of the voice"},
         "exaggeration": _num("number", 0.5, 0.25, 2), "cfg_weight": _num("number", 0.5, 0.2, 1)},
        ONE_URI, True, "a9" * 32, ["prompt"],
    ),
    "meta/musicgen": (
        {"prompt": {"type": "string"}, "duration": _num("integer", 8, 1, 300),
         "output_format": ("enum", ["wav", "mp3"], "wav"), "input_audio": {**URI, "description": "Melody audio"}},
        ONE_URI, False, "b1" * 32, [],
    ),
    "vaibhavs10/incredibly-fast-whisper": (
        {"audio": {**URI, "description": "Audio file"}, "task": ("enum", ["transcribe", "translate"], "transcribe"),
         "timestamp": ("enum", ["chunk", "word"], "chunk"), "language": {"type": "string", "default": "None"}},
        JSON_OUTPUT, False, "b2" * 32, ["audio"],
    ),
    "victor-upmeet/whisperx": (
        {"audio_file": {**URI, "description": "Audio file"}, "language": {"type": "string"},
         "align_output": _num("boolean", False)},
        JSON_OUTPUT, False, "b3" * 32, ["audio_file"],
    ),
    "bytedance/dolphin": (DOLPHIN, TEXT_OUTPUT, False, "b4" * 32, ["file"]),
    "anthropic/claude-4-sonnet": (
        {"prompt": {"type": "string"}, "system_prompt": {"type": "string", "default": ""},
         "max_tokens": _num("integer", 8192, 1024, 64000), "image": URI},
        TEXT_ITERATOR, True, "b5" * 32, ["prompt"],
    ),
}  # fmt: skip
GALLERY_FILES = {  # the files each media model of the gallery answers with
    "nightmareai/real-esrgan": ["upscaled.png"],
    "sczhou/codeformer": ["restored.png"],
    "microsoft/bringing-old-photos-back-to-life": ["restored.png"],
    "piddnad/ddcolor": ["colour.png"],
    "bria/remove-background": ["cutout.png"],
    "ideogram-ai/ideogram-v3-quality": ["poster.png"],
    "bytedance/seedance-1-pro": ["clip.mp4"],
    "bytedance/seedance-1-lite": ["clip.mp4"],
    "kwaivgi/kling-v2.1": ["clip.mp4"],
    "resemble-ai/chatterbox-pro": ["speech.wav"],
    "resemble-ai/chatterbox": ["speech.wav"],
    "meta/musicgen": ["music.wav"],
}
JSON_ANSWERS = {
    "vaibhavs10/incredibly-fast-whisper": {"text": "Welcome to the show.", "chunks": [{"timestamp": [0, 1.0]}]},
    "victor-upmeet/whisperx": {
        "segments": [{"start": 0.0, "end": 1.0, "text": "Under the moon we dance"}],
        "detected_language": "en",
    },
}

# name -> (inputs, output schema, official, version id, required)
MODELS: dict[str, tuple[dict, dict, bool, str, list[str]]] = {
    **GALLERY_MODELS,
    "black-forest-labs/flux-dev": (FLUX_DEV, ARRAY_URI, True, "d" * 64, ["prompt"]),
    "black-forest-labs/flux-schnell": (FLUX_SCHNELL, ARRAY_URI, True, "5" * 64, ["prompt"]),
    "black-forest-labs/flux-kontext-max": (KONTEXT, ONE_URI, True, "b" * 64, ["prompt"]),
    "black-forest-labs/flux-kontext-pro": (KONTEXT, ONE_URI, True, "a" * 64, ["prompt"]),
    "qwen/qwen-image": (QWEN, ARRAY_URI, True, "0" * 64, ["prompt"]),
    "google/imagen-4-ultra": (IMAGEN, ONE_URI, True, "e" * 64, ["prompt"]),
    "meta/meta-llama-3-8b-instruct": (LLAMA, TEXT_ITERATOR, True, "f" * 64, ["prompt"]),
    COMMUNITY: (COMMUNITY_INPUTS, ONE_URI, False, COMMUNITY_VERSION, ["image"]),
    VISION_MODEL: (VISION, TEXT_ITERATOR, False, VISION_VERSION, ["image", "prompt"]),
    MULTITALK_MODEL: (MULTITALK, ONE_URI, False, "1" * 64, ["image", "first_audio"]),
    AUTOCAPTION_MODEL: (AUTOCAPTION, ARRAY_URI, False, "2" * 64, ["video_file_input"]),
    DOLPHIN_MODEL: (DOLPHIN, TEXT_OUTPUT, False, "3" * 64, ["file"]),
    SVG_MODEL: (RECRAFT_SVG, ONE_URI, True, "4" * 64, ["prompt"]),
    TRELLIS_MODEL: (TRELLIS, TRELLIS_OUTPUT, False, "6" * 64, ["images"]),
}
# the files a media model answers with (their extensions decide the bytes served)
OUTPUT_FILES = {
    MULTITALK_MODEL: ["talk.mp4"],
    AUTOCAPTION_MODEL: ["captioned.mp4", "transcript.json"],
    SVG_MODEL: ["logo.svg"],
    **GALLERY_FILES,
}
WAV_SECONDS = 1.0  # the length of every WAV the fake answers with


def wav_bytes(seconds: float = WAV_SECONDS, rate: int = 8000) -> bytes:
    """A real mono 16-bit WAV of a 440 Hz tone."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(int(seconds * rate))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


@functools.cache
def real_mp4() -> bytes:
    """A real one-second 64x64 H.264 + AAC MP4, made once with ffmpeg."""
    from flowai.media.ffmpeg import executable

    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/clip.mp4"
        lavfi = ["-f", "lavfi", "-i", "color=c=teal:s=64x64:d=1:r=10", "-f", "lavfi", "-i", "sine=f=440:d=1"]
        codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]
        subprocess.run([executable(), "-v", "error", "-y", *lavfi, *codecs, path], check=True, timeout=60)
        with open(path, "rb") as f:
            return f.read()


def glb_bytes() -> bytes:
    """A minimal binary glTF 2.0: header, then one JSON chunk."""
    doc = b'{"asset":{"version":"2.0"}}  '
    body = struct.pack("<I4s", len(doc), b"JSON") + doc
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


def mp4_chunks(size: int, chunk: int = 256 * 1024):
    """``size`` bytes of an MP4 (an ftyp box, then zeros), made chunk by chunk (never held whole)."""
    yield MP4_HEAD
    left = size - len(MP4_HEAD)
    block = bytes(chunk)
    while left > 0:
        yield block[: min(chunk, left)]
        left -= chunk


def openapi(name: str) -> dict:
    """The model's ``openapi_schema`` as Replicate serves it: enums as components behind allOf refs."""
    inputs, output, _, _, required = MODELS[name]
    props, components = {}, {}
    for order, (key, spec) in enumerate(inputs.items()):
        if isinstance(spec, tuple):
            _, values, default = spec
            components[key] = {"title": key, "description": "An enumeration.", "enum": values, "type": "string"}
            props[key] = {"allOf": [{"$ref": f"#/components/schemas/{key}"}], "default": default, "x-order": order}
        else:
            props[key] = {**spec, "title": key.replace("_", " ").title(), "x-order": order}
    components["Input"] = {"type": "object", "title": "Input", "required": required, "properties": props}
    components["Output"] = output
    return {"openapi": "3.0.2", "components": {"schemas": components}}


def png_bytes(prediction_id: str, name: str) -> bytes:
    """A valid 1x1 PNG that carries which prediction and file it is (so bytes differ per file)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    text = f"Comment\0{prediction_id}/{name}".encode()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"tEXt", text)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x80\x00"))
        + chunk(b"IEND", b"")
    )


@dataclass
class _Prediction:
    id: str
    model: str
    version: str
    input: dict
    behaviour: str
    started: float
    duration: float
    canceled: bool = False

    def status(self) -> str:
        if self.canceled:
            return "canceled"
        elapsed = time.monotonic() - self.started
        if elapsed < self.duration:
            return "starting" if elapsed < self.duration / 4 else "processing"
        return "failed" if self.behaviour == "fail" else "succeeded"


def _invalid(fields: list[tuple[str, str]]) -> JSONResponse:
    detail = "".join(f"- {f}: {d}\n" for f, d in fields)
    return JSONResponse(
        {
            "title": "Input validation failed",
            "status": 422,
            "detail": detail,
            "invalid_fields": [{"type": "invalid", "field": f, "description": d} for f, d in fields],
        },
        status_code=422,
    )


def _file_spec(spec: dict) -> bool:
    return spec.get("format") == "uri" or (
        spec.get("type") == "array" and (spec.get("items") or {}).get("format") == "uri"
    )


def validate(name: str, given: Any) -> JSONResponse | None:
    inputs, _, _, _, required = MODELS[name]
    if not isinstance(given, dict):
        return _invalid([("input", "Invalid type. Expected: object")])
    problems = [("input", f"{r} is required") for r in required if r not in given]
    for key, value in given.items():
        spec = inputs.get(key)
        if spec is None:
            problems.append(("input", f"Additional property {key} is not allowed"))
        elif isinstance(spec, tuple):
            if value not in spec[1]:
                problems.append((key, f"{key} must be one of the following: {', '.join(map(repr, spec[1]))}"))
        else:
            kind = spec.get("type")
            ok = {
                "string": isinstance(value, str),
                "array": isinstance(value, list),
                "boolean": isinstance(value, bool),
                "integer": isinstance(value, int) and not isinstance(value, bool),
                "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            }.get(kind, True)
            uris = (value if isinstance(value, list) else [value]) if _file_spec(spec) else []
            if not ok:
                problems.append((key, f"Invalid type. Expected: {kind}, given: {type(value).__name__}"))
            elif any(not (isinstance(u, str) and u.startswith(("http://", "https://", "data:"))) for u in uris):
                problems.append((key, "Does not match format 'uri'"))
            elif kind in ("integer", "number") and (
                value < spec.get("minimum", value) or value > spec.get("maximum", value)
            ):
                problems.append((key, f"{key} out of range"))
    return _invalid(problems) if problems else None


@dataclass
class FakeReplicate:
    token: str = TOKEN
    limit: int = 600
    window: float = 60.0
    slow_seconds: float = 0.6
    url: str = ""
    behaviour: dict[str, str] = field(default_factory=dict)
    predictions: dict[str, _Prediction] = field(default_factory=dict)
    created: list[tuple[str, dict]] = field(default_factory=list)  # (model, input) of each accepted create
    real_media: bool = False  # .mp4 outputs are a real playable clip (real_mp4) instead of video_bytes of padding
    answers: dict[str, str] = field(default_factory=dict)  # a text model's scripted answer (else it echoes)
    create_arrivals: list[float] = field(default_factory=list)  # every create request, throttled ones too
    throttled: int = 0
    cancels: list[str] = field(default_factory=list)
    polls: int = 0
    waits: list[str] = field(default_factory=list)  # Prefer headers of creates
    uploads: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)  # id -> (bytes, type, name)
    fetched: list[tuple[str, str | None, int, str]] = field(default_factory=list)  # (param, type, size, how)
    video_bytes: int = 64 * 1024  # size of every .mp4 output
    files_served: int = 0
    schema_gets: int = 0
    output_url: str = ""  # when set, every prediction's output is this URL (a hostile upstream)
    model_error: str = MODEL_ERROR  # what a ``fail`` prediction says

    def __post_init__(self) -> None:
        self._window: deque[float] = deque()
        self.app = Starlette(
            routes=[
                Route("/v1/models/{owner}/{name}/predictions", self._create_official, methods=["POST"]),
                Route("/v1/predictions", self._create_version, methods=["POST"]),
                Route("/v1/predictions/{pid}", self._get, methods=["GET"]),
                Route("/v1/predictions/{pid}/cancel", self._cancel, methods=["POST"]),
                Route("/v1/models/{owner}/{name}", self._model, methods=["GET"]),
                Route("/v1/models/{owner}/{name}/versions/{version}", self._version, methods=["GET"]),
                Route("/v1/account", self._account, methods=["GET"]),
                Route("/v1/files", self._upload, methods=["POST"]),
                Route("/v1/files/{fid}", self._file_object, methods=["GET"]),
                Route("/files/{pid}/{file}", self._file, methods=["GET"]),
                Route("/redirect", self._redirect, methods=["GET"]),
            ]
        )

    # -- what tests read -------------------------------------------------------------------------

    def max_creates_in_window(self) -> int:
        """The most create requests (throttled included) that arrived within any ``window`` seconds."""
        times, best, lo = sorted(self.create_arrivals), 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= self.window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    async def await_cancels(self, count: int = 1, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.cancels) < count:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    # -- endpoints -------------------------------------------------------------------------------

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def _json(self, prediction: _Prediction) -> dict:
        status = prediction.status()
        base = f"{self.url}/v1/predictions/{prediction.id}"
        out = {
            "id": prediction.id,
            "model": prediction.model,
            "version": prediction.version,
            "input": prediction.input,
            "status": status,
            "output": None,
            "error": None,
            "logs": "",
            "created_at": "2025-01-01T00:00:00Z",
            "metrics": {},
            "urls": {"get": base, "cancel": base + "/cancel", "stream": base + "/stream"},
        }
        if status == "succeeded":
            out["output"] = self._output(prediction)
            out["metrics"] = {"predict_time": round(prediction.duration or 0.01, 3)}
        elif status == "failed":
            out["error"] = self.model_error
        return out

    def _output(self, p: _Prediction) -> Any:
        if self.output_url:
            return self.output_url
        inputs, schema = MODELS[p.model][:2]
        default = inputs["output_format"][2] if "output_format" in inputs else "png"
        fmt = p.input.get("output_format", default)
        if p.model in OUTPUT_FILES:
            files = [f"{self.url}/files/{p.id}/{n}" for n in OUTPUT_FILES[p.model]]
            return files if schema is ARRAY_URI else files[0]
        if p.model == TRELLIS_MODEL:
            return {
                "model_file": f"{self.url}/files/{p.id}/mesh.glb",
                "color_video": f"{self.url}/files/{p.id}/turn.mp4",
            }
        if p.model in JSON_ANSWERS:
            return JSON_ANSWERS[p.model]
        if schema is TEXT_ITERATOR and p.model in self.answers:
            return [self.answers[p.model]]
        if p.model in (DOLPHIN_MODEL, "bytedance/dolphin"):
            return "# Page\n\nRead from the file."
        if schema is TEXT_ITERATOR:
            image = str(p.input.get("image", ""))
            seen = f"I see a {image.split(';')[0].removeprefix('data:')} image. " if image else ""
            return [f"{w} " for w in f"{seen}You said: {p.input.get('prompt', '')}".split()]
        files = [f"{self.url}/files/{p.id}/out-{i}.{fmt}" for i in range(int(p.input.get("num_outputs", 1)))]
        return files if schema is ARRAY_URI else files[0]

    def _unauthorized(self) -> JSONResponse:
        return JSONResponse(
            {"title": "Unauthenticated", "detail": "You did not pass a valid authentication token", "status": 401},
            status_code=401,
        )

    async def _create_official(self, request: Request) -> Response:
        name = f"{request.path_params['owner']}/{request.path_params['name']}"
        return await self._create(request, name, official_path=True)

    async def _create_version(self, request: Request) -> Response:
        return await self._create(request, None, official_path=False)

    async def _create(self, request: Request, name: str | None, *, official_path: bool) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        now = time.monotonic()
        self.create_arrivals.append(now)
        while self._window and now - self._window[0] >= self.window:
            self._window.popleft()
        if len(self._window) >= self.limit:
            self.throttled += 1
            reset = max(1, round(self._window[0] + self.window - now))
            return JSONResponse(
                {
                    "title": "Request was throttled",
                    "status": 429,
                    "detail": f"Request was throttled. Your rate limit resets in ~{reset}s.",
                },
                status_code=429,
            )
        self._window.append(now)  # counted on arrival, before any await (concurrent creates see it)
        body = await request.json()
        if name is None:
            name = self._by_version(str(body.get("version", "")))
            if name is None:
                return JSONResponse(
                    {
                        "title": "Invalid version",
                        "status": 422,
                        "detail": "The specified version does not exist (or perhaps you don't have "
                        "permission to use it?)",
                    },
                    status_code=422,
                )
        if name not in MODELS or (official_path and not MODELS[name][2]):
            return JSONResponse(
                {"title": "Not found", "status": 404, "detail": "The requested resource could not be found."},
                status_code=404,
            )
        behaviour = self.behaviour.get(name, "fast")
        if behaviour == "error-500":
            return JSONResponse(
                {"title": "Internal Server Error", "status": 500, "detail": "Internal server error"}, status_code=500
            )
        invalid = validate(name, body.get("input"))
        if invalid is None:
            invalid = await self._fetch_inputs(name, body["input"])
        if invalid is not None:
            return invalid
        self.created.append((name, body["input"]))
        pid = secrets.token_hex(10)
        duration = self.slow_seconds if behaviour == "slow" else (0.05 if behaviour == "fail" else 0.0)
        p = self.predictions[pid] = _Prediction(pid, name, MODELS[name][3], body["input"], behaviour, now, duration)
        prefer = request.headers.get("prefer", "")
        self.waits.append(prefer)
        if prefer.startswith("wait"):
            hold = float(prefer.partition("=")[2] or 60)
            while p.status() not in TERMINAL and time.monotonic() - now < hold:
                await asyncio.sleep(min(0.02, max(hold - (time.monotonic() - now), 0.001)))
        return JSONResponse(self._json(p), status_code=201)

    async def _fetch_inputs(self, name: str, given: dict) -> JSONResponse | None:
        """Fetch every file input as the model would (recorded in ``fetched``); 422 when one cannot be."""
        inputs = MODELS[name][0]
        for key, value in given.items():
            spec = inputs.get(key)
            if not isinstance(spec, dict) or not _file_spec(spec):
                continue
            for url in value if isinstance(value, list) else [value]:
                got = await self._fetch(url)
                if got is None:
                    return _invalid([(key, f"could not fetch {url[:80]}")])
                data, how = got
                self.fetched.append((key, _sniff(data), len(data), how))
        return None

    async def _fetch(self, url: str) -> tuple[bytes, str] | None:
        if url.startswith("data:"):
            return base64.b64decode(url.partition(",")[2]), "data"
        prefix = f"{self.url}/v1/files/"
        if url.startswith(prefix):
            upload = self.uploads.get(url[len(prefix) :])
            return (upload[0], "files") if upload else None
        if httpx.URL(url).host not in ("127.0.0.1", "localhost"):
            return b"", "remote"  # no network in tests: a public URL is taken on trust
        async with httpx.AsyncClient(timeout=30) as http:
            resp = await http.get(url)
        return (resp.content, "url") if resp.status_code == 200 else None

    def _by_version(self, version: str) -> str | None:
        """``version`` of POST /v1/predictions: a version id, ``owner/name:id``, or an official ``owner/name``."""
        name, _, vid = version.rpartition(":")
        for model, (_, _, _official, v, _) in MODELS.items():
            if vid == v and name in ("", model):
                return model
        return version if version in MODELS and MODELS[version][2] else None

    async def _get(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        p = self.predictions.get(request.path_params["pid"])
        if p is None:
            return JSONResponse({"title": "Not found", "status": 404, "detail": "Not found."}, status_code=404)
        self.polls += 1
        return JSONResponse(self._json(p))

    async def _cancel(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        p = self.predictions.get(request.path_params["pid"])
        if p is None:
            return JSONResponse({"title": "Not found", "status": 404, "detail": "Not found."}, status_code=404)
        self.cancels.append(p.id)
        if p.status() not in TERMINAL:
            p.canceled = True
        return JSONResponse(self._json(p))

    async def _model(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        name = f"{request.path_params['owner']}/{request.path_params['name']}"
        if name not in MODELS:
            return JSONResponse({"title": "Not found", "status": 404, "detail": "Not found."}, status_code=404)
        self.schema_gets += 1
        owner, short = name.split("/")
        return JSONResponse(
            {
                "url": f"https://replicate.com/{name}",
                "owner": owner,
                "name": short,
                "description": "fake",
                "visibility": "public",
                "run_count": 1,
                "latest_version": {
                    "id": MODELS[name][3],
                    "created_at": "2025-01-01T00:00:00Z",
                    "cog_version": "0.14.0",
                    "openapi_schema": openapi(name),
                },
            }
        )

    async def _version(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        name = f"{request.path_params['owner']}/{request.path_params['name']}"
        if name not in MODELS or MODELS[name][3] != request.path_params["version"]:
            return JSONResponse({"title": "Not found", "status": 404, "detail": "Not found."}, status_code=404)
        self.schema_gets += 1
        return JSONResponse({"id": MODELS[name][3], "openapi_schema": openapi(name)})

    async def _account(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        return JSONResponse({"type": "user", "username": "fake-user", "name": "Fake User", "github_url": None})

    async def _upload(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        form = await request.form()
        content = form.get("content")
        if content is None or isinstance(content, str):
            return JSONResponse(
                {"title": "Bad request", "status": 400, "detail": "content is required"}, status_code=400
            )
        data = await content.read()
        fid = secrets.token_hex(8)
        kind = content.content_type or "application/octet-stream"
        self.uploads[fid] = (data, kind, content.filename or "file")
        return JSONResponse(self._file_json(fid), status_code=201)

    def _file_json(self, fid: str) -> dict:
        data, kind, name = self.uploads[fid]
        return {
            "id": fid,
            "name": name,
            "content_type": kind,
            "size": len(data),
            "etag": fid,
            "checksums": {},
            "metadata": {},
            "created_at": "2025-01-01T00:00:00Z",
            "expires_at": "2025-01-02T00:00:00Z",
            "urls": {"get": f"{self.url}/v1/files/{fid}"},
        }

    async def _file_object(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        fid = request.path_params["fid"]
        if fid not in self.uploads:
            return JSONResponse({"title": "Not found", "status": 404, "detail": "Not found."}, status_code=404)
        return JSONResponse(self._file_json(fid))

    async def _redirect(self, request: Request) -> Response:
        return Response(status_code=302, headers={"Location": request.query_params["to"]})

    async def _file(self, request: Request) -> Response:
        pid, name = request.path_params["pid"], request.path_params["file"]
        if pid not in self.predictions:
            return Response(status_code=404)
        self.files_served += 1
        suffix = name.rpartition(".")[2]
        if suffix == "mp4" and self.real_media:
            return Response(real_mp4(), media_type="video/mp4")
        if suffix == "wav":
            return Response(wav_bytes(), media_type="audio/wav")
        if suffix == "mp4":
            size = self.video_bytes
            return StreamingResponse(
                _aiter(mp4_chunks(size)), media_type="video/mp4", headers={"content-length": str(size)}
            )
        if suffix == "svg":
            return Response(SVG, media_type="image/svg+xml")
        if suffix == "glb":
            return Response(glb_bytes(), media_type="model/gltf-binary")
        if suffix == "json":
            return Response(b'{"segments": [{"start": 0, "end": 1, "text": "hello"}]}', media_type="application/json")
        return Response(png_bytes(pid, name), media_type="image/png")


async def _aiter(chunks):
    for chunk in chunks:
        yield chunk


def _sniff(data: bytes) -> str | None:
    from flowai.mediatypes import sniff

    return sniff(data[:64])


@pytest.fixture
def fake_replicate():
    """A running FakeReplicate; ``.url`` is its base URL (``http://127.0.0.1:PORT``)."""
    from tests.conftest import ThreadServer

    fake = FakeReplicate()
    with ThreadServer(fake.app) as server:
        fake.url = server.url
        yield fake
