"""A fake Stability AI Stable Image v2beta API (providers.md B4) on 127.0.0.1.

``POST /v2beta/stable-image/generate/{ultra|core|sd3}`` takes multipart form data and answers
PNG bytes (its colour from the ``seed``) with ``finish-reason`` and ``seed`` headers when
``Accept: image/*``. Scripts by the sd3 ``model`` field (or ``fake.script``): ``filtered``
(200 with ``finish-reason: CONTENT_FILTERED``), ``moderation`` (403 ``content_moderation``),
and the base scripts. Errors are ``{"id", "name", "errors": [...]}``.
``GET /v1/user/balance`` answers the credits left.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .base import Fake, png

NAMES = {
    400: "bad_request",
    401: "unauthorized",
    403: "content_moderation",
    429: "rate_limit_exceeded",
    500: "internal_error",
}


@dataclass
class FakeStability(Fake):
    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/v2beta/stable-image/generate/{endpoint}", self._generate, methods=["POST"]),
                Route("/v1/user/balance", self._balance),
            ]
        )

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        return JSONResponse(
            {"id": "fake-error-id", "name": NAMES.get(status, "error"), "errors": [message]}, status_code=status
        )

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return self.error(401, "authorization: invalid or missing API key")
        return None

    async def _balance(self, request: Request) -> Response:
        return self._denied(request) or JSONResponse({"credits": 42.5})

    async def _generate(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return self.error(400, "content-type: must be multipart/form-data")
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        image = form.get("image")
        self.requests.append(
            {
                "endpoint": request.path_params["endpoint"],
                **fields,
                "image": await image.read() if image is not None and not isinstance(image, str) else None,
                "accept": request.headers.get("accept"),
            }
        )
        model = fields.get("model", "")
        if answer := self.scripted(model):
            return answer
        if (model or self.script) == "moderation":
            return self.error(403, "Your request was flagged by our content moderation system.")
        if not fields.get("prompt"):
            return self.error(400, "prompt: cannot be empty")
        seed = int(fields.get("seed") or 0)
        reason = "CONTENT_FILTERED" if (model or self.script) == "filtered" else "SUCCESS"
        return Response(png(seed), media_type="image/png", headers={"finish-reason": reason, "seed": str(seed)})
