"""Fakes for the novel-to-video studio on 127.0.0.1, answering REAL small media (tests/fakes/studio_media.py).

``FakeWriter`` is the text and voice providers of the design document:

- ``POST /v1/chat/completions`` in the OpenAI wire format (providers.md B1; JSON or SSE stream):
  a request asking for JSON (``response_format: {"type": "json_object"}``) is answered ``plan``
  (the shot list the test sets); any other is a "screenplay": ``SCREENPLAY`` followed by the last
  user message.
- ``POST /v1/text-to-speech/{voice}?output_format=`` in ElevenLabs' (header ``xi-api-key``): the
  text spoken as a sine of ``VOICE_HZ`` lasting ``voice_seconds(text)``, as raw 16-bit PCM for
  ``pcm_<rate>`` or an MP3 otherwise.

``FakeStudioReplicate`` is the fake Replicate (tests/fakes/replicate_server.py: predictions,
files API, model and version lookup) with the studio's models added to its table: the official
``bytedance/seedream-4`` (a PNG per picture), ``google/nano-banana-pro`` (a 3x3 storyboard sheet
PNG), ``bytedance/seedance-1-lite`` (an MP4 lasting the asked ``duration``) and the community
``meta/musicgen`` (an MP3 sine of ``MUSIC_HZ`` lasting ``duration``). Each output is made for
the prediction's own input, by ffmpeg or Pillow, when it is downloaded.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from . import studio_media
from .openai_server import API_KEY, error_body
from .replicate_server import ARRAY_URI, MODELS, ONE_URI, URI, FakeReplicate, _num

SCREENPLAY = "SCREENPLAY\n"
VOICE_HZ = 880
MUSIC_HZ = 220

SEEDREAM, BANANA_PRO, SEEDANCE_LITE, MUSICGEN = (
    "bytedance/seedream-4",
    "google/nano-banana-pro",
    "bytedance/seedance-1-lite",
    "meta/musicgen",
)
_RATIOS = ["match_input_image", "1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9"]
_IMAGES = {"type": "array", "items": URI}
STUDIO_MODELS: dict[str, tuple[dict, dict, bool, str, list[str]]] = {
    SEEDREAM: (
        {
            "prompt": {"type": "string"},
            "image_input": _IMAGES,
            "size": ("enum", ["1K", "2K", "4K", "custom"], "2K"),
            "aspect_ratio": ("enum", _RATIOS, "match_input_image"),
            "max_images": _num("integer", 1, 1, 15),
        },
        ARRAY_URI,
        True,
        "d1" * 32,
        ["prompt"],
    ),
    BANANA_PRO: (
        {
            "prompt": {"type": "string"},
            "image_input": _IMAGES,
            "aspect_ratio": ("enum", _RATIOS[:6] + ["21:9"], "match_input_image"),
            "resolution": ("enum", ["1K", "2K", "4K"], "2K"),
            "output_format": ("enum", ["jpg", "png"], "jpg"),
        },
        ONE_URI,
        True,
        "ab" * 32,
        ["prompt"],
    ),
    SEEDANCE_LITE: (
        {
            "prompt": {"type": "string"},
            "image": URI,
            "duration": _num("integer", 5, 2, 12),
            "resolution": ("enum", ["480p", "720p", "1080p"], "720p"),
            "camera_fixed": _num("boolean", False),
            "seed": _num("integer"),
        },
        ONE_URI,
        True,
        "cd" * 32,
        ["prompt"],
    ),
    MUSICGEN: (
        {
            "prompt": {"type": "string"},
            "model_version": (
                "enum",
                ["stereo-melody-large", "stereo-large", "melody-large", "large"],
                "stereo-melody-large",
            ),
            "duration": _num("integer", 8, 1, 300),
            "output_format": ("enum", ["wav", "mp3"], "wav"),
        },
        ONE_URI,
        False,
        "d4" * 32,
        ["prompt"],
    ),
}
MODELS.update(STUDIO_MODELS)  # the fake's model table is the module's; these names are the studio's own
assert len({m[3] for m in MODELS.values()}) == len(MODELS), "two fake models share a version id"


def voice_seconds(text: str) -> float:
    """How long the fake voice speaks ``text``: 0.1 s a character, between 0.6 and 4 s."""
    return round(min(max(0.1 * len(text), 0.6), 4.0), 2)


@dataclass
class FakeStudioReplicate(FakeReplicate):
    def _output(self, p) -> Any:
        if p.model not in STUDIO_MODELS:
            return super()._output(p)
        if p.model == SEEDREAM:
            return [f"{self.url}/files/{p.id}/picture.png"]
        if p.model == BANANA_PRO:
            return f"{self.url}/files/{p.id}/board.{p.input.get('output_format', 'jpg')}"
        if p.model == SEEDANCE_LITE:
            return f"{self.url}/files/{p.id}/clip.mp4"
        return f"{self.url}/files/{p.id}/music.{p.input.get('output_format', 'wav')}"

    async def _file(self, request: Request) -> Response:
        p = self.predictions.get(request.path_params["pid"])
        if p is None or p.model not in STUDIO_MODELS:
            return await super()._file(request)
        self.files_served += 1
        seed = len(self.predictions) % len(studio_media.COLOURS)
        if p.model == SEEDREAM:
            return Response(studio_media.picture(seed), media_type="image/png")
        if p.model == BANANA_PRO:
            return Response(studio_media.grid(), media_type="image/png")
        seconds = float(p.input.get("duration", 5 if p.model == SEEDANCE_LITE else 8))
        if p.model == SEEDANCE_LITE:
            return Response(studio_media.clip(seconds, seed), media_type="video/mp4")
        if p.input.get("output_format") == "mp3":
            return Response(studio_media.tone_mp3(seconds, MUSIC_HZ), media_type="audio/mpeg")
        return Response(studio_media.tone_wav(seconds, MUSIC_HZ), media_type="audio/wav")


@dataclass
class FakeWriter:
    """An OpenAI-compatible writer and voice; ``plan`` is what a JSON request is answered."""

    api_key: str = API_KEY
    url: str = ""
    plan: dict = field(default_factory=dict)
    chats: list[dict] = field(default_factory=list)
    speeches: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/text-to-speech/{voice}", self._speech, methods=["POST"]),
            ]
        )

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse(
                error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"), status_code=401
            )
        return None

    async def _chat(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        body = await request.json()
        self.chats.append(body)
        if (body.get("response_format") or {}).get("type") == "json_object":
            text = json.dumps(self.plan, ensure_ascii=False)
        else:
            users = [m.get("content") for m in body.get("messages", []) if m.get("role") == "user"]
            text = SCREENPLAY + str(users[-1] if users else "")
        usage = {"prompt_tokens": 10, "completion_tokens": len(text) // 4 + 1, "total_tokens": 11 + len(text) // 4}
        head = {"id": f"chatcmpl-{len(self.chats)}", "created": int(time.time()), "model": body.get("model") or "x"}
        if not body.get("stream"):
            return JSONResponse(
                {
                    **head,
                    "object": "chat.completion",
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                    ],
                    "usage": usage,
                }
            )

        def chunk(choices: list, **extra: Any) -> str:
            return f"data: {json.dumps({**head, 'object': 'chat.completion.chunk', 'choices': choices, **extra})}\n\n"

        async def stream():
            for i in range(0, len(text), 40):
                yield chunk([{"index": 0, "delta": {"content": text[i : i + 40]}, "finish_reason": None}])
            yield chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}])
            yield chunk([], usage=usage)
            yield "data: [DONE]\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def _speech(self, request: Request) -> Response:
        if request.headers.get("xi-api-key") != self.api_key:
            return JSONResponse(
                {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}, status_code=401
            )
        body = await request.json()
        fmt = request.query_params.get("output_format", "mp3_44100_128")
        self.speeches.append({**body, "voice": request.path_params["voice"], "output_format": fmt})
        seconds = voice_seconds(str(body.get("text", "")))
        if fmt.startswith("pcm_"):
            wav = studio_media.tone_wav(seconds, VOICE_HZ, rate=int(fmt.removeprefix("pcm_")))
            return Response(wav[44:], media_type="audio/pcm")  # the samples without the WAV header
        return Response(studio_media.tone_mp3(seconds, VOICE_HZ), media_type="audio/mpeg")
