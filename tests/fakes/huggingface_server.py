"""A fake Hugging Face router (providers.md B4) on 127.0.0.1.

- ``POST /hf-inference/models/{repo}``: a repo with ``whisper`` in its name transcribes (raw
  audio bytes, or JSON ``{"inputs": <base64>, "parameters"}``) to ``{"text"}``; any other repo
  answers PNG bytes for ``{"inputs": prompt, "parameters": {"seed", ...}}``.
- ``/v1/chat/completions``: the OpenAI fake; ``GET /v1/models`` lists models.

Scripts by repo name (``org/<script>``): ``loading`` (503 ``{"error", "estimated_time"}``), and
the base scripts. Errors are ``{"error": "..."}``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from .base import Fake, png
from .openai_server import FakeOpenAI

TRANSCRIPT = " Hello from the fake Whisper."


@dataclass
class FakeHuggingFace(Fake):
    def __post_init__(self) -> None:
        self.chat = FakeOpenAI(api_key=self.api_key)
        self.app = Starlette(
            routes=[
                Route("/hf-inference/models/{repo:path}", self._infer, methods=["POST"]),
                Route("/v1/models", self._models),
                Mount("/", self.chat.app),
            ]
        )

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        return JSONResponse({"error": message}, status_code=status)

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return self.error(401, "Invalid credentials in Authorization header")
        return None

    async def _models(self, request: Request) -> Response:
        return self._denied(request) or JSONResponse({"object": "list", "data": [{"id": "meta-llama/fake"}]})

    async def _infer(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        repo = request.path_params["repo"]
        script = repo.rsplit("/", 1)[-1]
        if "whisper" in repo:
            if request.headers.get("content-type", "").startswith("application/json"):
                body = await request.json()
                self.requests.append(
                    {"repo": repo, "audio": base64.b64decode(body["inputs"]), "parameters": body.get("parameters")}
                )
            else:
                self.requests.append(
                    {"repo": repo, "audio": await request.body(), "content_type": request.headers.get("content-type")}
                )
            return JSONResponse({"text": TRANSCRIPT})
        body = await request.json()
        self.requests.append({"repo": repo, **body})
        if answer := self.scripted(script):
            return answer
        if script == "loading":
            return JSONResponse(
                {"error": f"Model {repo} is currently loading", "estimated_time": 12.5}, status_code=503
            )
        return Response(png(int(body.get("parameters", {}).get("seed") or 0)), media_type="image/png")
