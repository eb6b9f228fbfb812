"""Stability AI Stable Image v2beta (providers.md B4): multipart in, image bytes out.

The model names the endpoint: ``ultra``, ``core`` or ``sd3`` (an ``sd3.5-*`` model goes to
``sd3`` with a ``model`` field). One image per call, so ``n`` images are ``n`` calls. A
``finish-reason: CONTENT_FILTERED`` answer, and 403 ``content_moderation``, are content
errors (not retryable); error bodies are ``{"id", "name", "errors": [...]}``.
"""

from __future__ import annotations

from typing import Any

from flowai.mediatypes import sniff

from .base import ImageRequest, ImageResult, Media
from .family import Family, filename

ENDPOINTS = ("ultra", "core", "sd3")
FORMAT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class Stability(Family):
    DEFAULT_BASE_URL = "https://api.stability.ai"
    DEFAULT_MODELS = {"image": "core"}
    fatal = frozenset({"content_moderation", "payment_required", "insufficient_balance"})

    def error_of(self, body: Any) -> tuple[str | None, str | None]:
        if isinstance(body, dict) and "errors" in body:
            errors = body.get("errors") or []
            return "; ".join(str(e) for e in errors) or body.get("name"), body.get("name")
        return super().error_of(body)

    async def check(self) -> str:
        body = await self.request_json("GET", "/v1/user/balance")
        return f"{body.get('credits')} credits left"

    async def generate_image(self, request: ImageRequest) -> ImageResult:
        model = self.model_for("image", request.model)
        endpoint = model if model in ENDPOINTS else "sd3"
        params = dict(request.params)
        fmt = str(params.pop("output_format", "png"))
        fields: dict[str, Any] = {"prompt": request.prompt, "output_format": fmt}
        if endpoint == "sd3" and model != "sd3":
            fields["model"] = model
        if request.negative_prompt:
            fields["negative_prompt"] = request.negative_prompt
        files: dict[str, Any] = {}
        if request.reference_image is not None:
            ref = request.reference_image
            files["image"] = (filename("image", ref.content_type), ref.data, ref.content_type)
            fields["strength"] = params.pop("strength", 0.6)
            if endpoint == "sd3":
                fields["mode"] = "image-to-image"
        else:
            fields["aspect_ratio"] = request.aspect_ratio
        fields.update(params)

        async def one(seed: int | None) -> Media:
            form = {**{k: (None, str(v)) for k, v in fields.items() if v is not None}, **files}
            if seed is not None:
                form["seed"] = (None, str(seed))
            resp = await self.request(
                "POST", f"/v2beta/stable-image/generate/{endpoint}", files=form, headers={"Accept": "image/*"}
            )
            reason = resp.headers.get("finish-reason", "SUCCESS")
            if reason == "CONTENT_FILTERED":
                raise self.fail(
                    "the image was withheld by the content filter (CONTENT_FILTERED).", status=resp.status_code
                )
            if reason != "SUCCESS":
                raise self.fail(f"the image did not finish ({reason}).", retryable=True, status=resp.status_code)
            data = resp.content
            return Media(data, sniff(data[:64]) or FORMAT_TYPES.get(fmt, "image/png"))

        return await self.image_per_call(model, request, one)
