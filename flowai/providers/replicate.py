"""Replicate over httpx: predictions (``Prefer: wait``, polling, cancel), schemas, files, budgets.

    replicate = Replicate.from_env(settings.env, http, home=settings.home)
    result = await replicate.run("flux-dev", {"prompt": "a fox"}, image=None, store=save)
    schema = await replicate.input_schema("black-forest-labs/flux-dev")   # JSON schema of its inputs

- Official models are created with ``POST /v1/models/{owner}/{name}/predictions``; ``owner/name:version``
  or a 64-hex version id with ``POST /v1/predictions``. A bare ``owner/name`` that is not official (that
  route answers 404) runs the model's latest version (``GET /v1/models/{owner}/{name}``, cached per client
  for ``schema_ttl``); a model Replicate does not have fails with a message naming it.
- ``Prefer: wait=N`` holds the create (read timeout N + 0.5 s); a prediction still running after it is
  polled (``GET /v1/predictions/{id}``, interval backing off from ``poll_interval``) until it ends,
  within ``timeout``.
- Cancelling the awaiting task (run cancelled, client gone, node timeout) cancels the prediction
  (``POST /v1/predictions/{id}/cancel``), then re-raises; a create still in flight is cancelled as soon
  as its id is known.
- Creates draw from the account's 600/minute budget shared by every run in the process
  (``replicate_budget``); a 429 blocks the budget for the time Replicate gave and the create is sent
  again. Creates are retried only on 429, 5xx and failed connects (no prediction exists then).
- ``max_retries`` (default 2, or ``REPLICATE_MAX_RETRIES`` in the environment) bounds the retries of a
  call that failed with a 5xx, a timeout or a failed connection (a 429 waits in the budget instead, up to
  8 times). ``run(..., max_retries=N)`` sets it for one call (a node's own setting), and
  ``with call_retries(N):`` for everything run inside (a batch's setting); the innermost wins.
- ``run`` applies the rules table's three fallbacks (``replicate_run``) and stores every output file
  the moment its prediction finishes (Replicate deletes them after an hour).
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, wait_random_exponential

from flowai.errors import ProviderError

from .base import ImageRequest, ImageResult, Media
from .family import Family, filename, redact, retry_after, transport_error
from .replicate_budget import Budget
from .replicate_files import DATA_URI_MAX, FILES_API_MAX, hand_off
from .replicate_rules import PredictionFailed, Rules, base_name
from .replicate_run import ReplicateResult, run_with_rules

DEFAULT_BASE_URL = "https://api.replicate.com"
DEFAULT_IMAGE_MODEL = "black-forest-labs/flux-dev"
TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})
VERSION_ID = re.compile(r"^[0-9a-f]{64}$")
MODEL_REF = re.compile(r"^[\w.-]+/[\w.-]+(:[0-9a-f]{64})?$")
THROTTLE_RESET = re.compile(r"resets in ~?\s*(\d+(?:\.\d+)?)\s*s", re.I)
ADDITIONAL = re.compile(r"Additional property ([\w.-]+) is not allowed")
DEFAULT_MAX_RETRIES = 2  # a failed call is sent at most 3 times
_RETRIES: ContextVar[int | None] = ContextVar("replicate_max_retries", default=None)


@contextmanager
def call_retries(retries: int | None) -> Iterator[None]:
    """Every Replicate call made inside (tasks started inside included) retries at most ``retries``
    times; None keeps the setting around it."""
    token = _RETRIES.set(_RETRIES.get() if retries is None else max(0, int(retries)))
    try:
        yield
    finally:
        _RETRIES.reset(token)


class Replicate(Family):
    """The Replicate family (``Family(name, *, base_url, api_key, client, models, options)``): errors and
    output downloads as every family has them (``family.Family``), its own rate budget and polling."""

    DEFAULT_BASE_URL = DEFAULT_BASE_URL

    def __init__(
        self,
        name: str = "replicate",
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: httpx.AsyncClient,
        models: dict[str, str] | None = None,
        options: dict[str, str] | None = None,
        rules: Rules | None = None,
        wait: int | None = None,
        poll_interval: float | None = None,
        timeout: float | None = None,
        rate_limit: int | None = None,
        rate_window: int | None = None,
        schema_ttl: float = 600.0,
        max_retries: int | None = None,
        allow_private: bool = False,
        max_media_bytes: int | None = None,
    ):
        opts = options or {}
        super().__init__(
            name,
            base_url=base_url,
            api_key=api_key,
            client=client,
            models=models,
            options=opts,
            allow_private=allow_private,
            max_media_bytes=max_media_bytes,
        )
        self.base_url = self.base_url.removesuffix("/v1")
        self.rules = rules or Rules.load()
        self.wait = min(max(int(wait if wait is not None else opts.get("wait", 60)), 0), 60)  # Prefer: wait=N
        self.poll_interval = float(poll_interval if poll_interval is not None else opts.get("poll_interval", 0.5))
        self.max_poll_interval = max(self.poll_interval, 5.0)
        self.timeout = float(timeout if timeout is not None else opts.get("timeout", 1800))
        limit = int(rate_limit if rate_limit is not None else opts.get("rate_limit", 600))
        window = int(rate_window if rate_window is not None else opts.get("rate_window", 60))
        self.creates = Budget.shared("create", self.base_url, api_key, limit, window)
        self.reads = Budget.shared("read", self.base_url, api_key, limit * 5, window)  # 3,000/min
        self.max_throttle_retries = 8
        retries = max_retries if max_retries is not None else opts.get("max_retries", DEFAULT_MAX_RETRIES)
        self.max_retries = max(0, int(retries))
        self.schema_ttl = schema_ttl
        self.data_uri_max = int(opts.get("data_uri_max", DATA_URI_MAX))  # smaller files go inline
        self._schemas: dict[str, tuple[float, dict | None, dict | None]] = {}
        self._versions: dict[str, tuple[float, str]] = {}  # community owner/name -> (expiry, latest version)
        self._loading: dict[str, asyncio.Future] = {}
        self._background: set[asyncio.Task] = set()

    @classmethod
    def from_env(cls, env: dict[str, str], client: httpx.AsyncClient, *, home=None, **kw) -> Replicate:
        """Base URL from REPLICATE_BASE_URL, token from REPLICATE_API_KEY or REPLICATE_API_TOKEN,
        creates per minute from REPLICATE_RATE_LIMIT, rules from ``home``/replicate_rules.json|toml."""
        rate = env.get("REPLICATE_RATE_LIMIT") or os.environ.get("REPLICATE_RATE_LIMIT")
        kw.setdefault("rate_limit", int(rate) if rate else None)
        retries = env.get("REPLICATE_MAX_RETRIES") or os.environ.get("REPLICATE_MAX_RETRIES")
        kw.setdefault("max_retries", int(retries) if retries else None)
        return cls(
            "replicate",
            base_url=env.get("REPLICATE_BASE_URL"),
            client=client,
            api_key=env.get("REPLICATE_API_KEY") or env.get("REPLICATE_API_TOKEN"),
            rules=kw.pop("rules", None) or Rules.load(home),
            **kw,
        )

    @property
    def configured(self) -> bool:
        return bool(self.api_key)

    # -- the high-level call -----------------------------------------------------------------------

    async def run(
        self,
        model: str,
        params: dict[str, Any],
        *,
        image: str | None = None,
        store=None,
        task: str = "replicate",
        max_retries: int | None = None,
    ) -> ReplicateResult:
        """Run ``model`` with ``params`` through the rules table (``replicate_run``): ``image`` is a URL or
        data URI of a reference image; ``store(url) -> url`` keeps each output file (streamed; else
        they are downloaded into ``result.media``); ``max_retries`` overrides the client's for this call."""
        with call_retries(max_retries):
            return await run_with_rules(self, model, params, image=image, store=store, task=task)

    async def generate_image(self, request: ImageRequest) -> ImageResult:
        """The ImageProvider protocol (router task ``image``): default model flux-dev."""
        params: dict[str, Any] = {"prompt": request.prompt, "aspect_ratio": request.aspect_ratio}
        if request.n > 1:
            params[self.rules.table.get("count_param") or "num_outputs"] = request.n
        if request.seed is not None:
            params["seed"] = request.seed
        if request.negative_prompt:
            params["negative_prompt"] = request.negative_prompt
        params.update(request.params)
        image = await self.file_input(request.reference_image) if request.reference_image else None
        model = request.model or self.models.get("image") or DEFAULT_IMAGE_MODEL
        result = await run_with_rules(self, model, params, image=image, store=None, task="image")
        images = [m for m in result.media if m.content_type.startswith("image/")] or result.media
        return ImageResult(images=images, usage=result.usage)

    async def check(self) -> str:
        account = await self._call("GET", "/v1/account", budget=self.reads)
        return f"Replicate account {account.get('username', '?')} ({account.get('type', 'user')})"

    # -- predictions -------------------------------------------------------------------------------

    async def create(self, model: str, input: dict[str, Any], *, wait: int | None = None) -> dict:
        """Create a prediction; with ``wait`` > 0 Replicate holds the answer up to that many seconds."""
        ref = self.rules.resolve(model)
        body: dict[str, Any]
        if VERSION_ID.match(ref):
            path, body = "/v1/predictions", {"version": ref, "input": input}
        elif MODEL_REF.match(ref):
            name, _, version = ref.partition(":")
            path, body = (
                ("/v1/predictions", {"version": version, "input": input})
                if version
                else (f"/v1/models/{name}/predictions", {"input": input})
            )
        else:
            raise ProviderError(
                f"{ref!r} is not a Replicate model: use owner/name, owner/name:version or a version id.",
                provider=self.name,
                retryable=False,
            )
        wait = self.wait if wait is None else wait
        headers = {"Prefer": f"wait={wait}"} if wait > 0 else {}
        timeout = httpx.Timeout(30.0, read=wait + 0.5 + 5.0, pool=None)
        known = self._versions.get(ref) if "version" not in body else None
        if known and known[0] > time.monotonic():  # a community model met before: straight to its version
            path, body = "/v1/predictions", {"version": known[1], "input": input}
        try:
            return await self._call(
                "POST", path, budget=self.creates, create=True, json=body, headers=headers, timeout=timeout
            )
        except ProviderError as exc:
            if exc.http_status != 404 or "version" in body:
                raise
        # Only official models run by name; a community one runs its latest version.
        body = {"version": await self.latest_version(ref), "input": input}
        return await self._call(
            "POST", "/v1/predictions", budget=self.creates, create=True, json=body, headers=headers, timeout=timeout
        )

    async def latest_version(self, name: str) -> str:
        """The id of ``owner/name``'s latest version (``GET /v1/models/{owner}/{name}``), cached for
        ``schema_ttl`` seconds; a model Replicate does not have is a clear, non-retryable error."""
        cached = self._versions.get(name)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            model = await self._call("GET", f"/v1/models/{name}", budget=self.reads)
        except ProviderError as exc:
            if exc.http_status != 404:
                raise
            raise ProviderError(
                f"Replicate has no model {name!r}: check the owner and name on replicate.com "
                "(or give owner/name:version).",
                provider=self.name,
                retryable=False,
                http_status=404,
                detail={"model": name},
            ) from None
        version = (model.get("latest_version") or {}).get("id")
        if not version:
            raise ProviderError(
                f"Replicate model {name!r} has no version to run yet.",
                provider=self.name,
                retryable=False,
                detail={"model": name},
            )
        self._versions[name] = (time.monotonic() + self.schema_ttl, version)
        return version

    async def get(self, prediction_id: str) -> dict:
        return await self._call("GET", f"/v1/predictions/{prediction_id}", budget=self.reads)

    async def cancel(self, prediction_id: str) -> dict:
        return await self._call("POST", f"/v1/predictions/{prediction_id}/cancel", budget=self.reads)

    async def predict(self, model: str, input: dict[str, Any]) -> dict:
        """Create, wait or poll until the prediction ends; cancel it if the caller is cancelled.

        Returns the succeeded prediction; raises PredictionFailed when it failed upstream."""
        creating = asyncio.ensure_future(self.create(model, input))
        try:
            prediction = await asyncio.shield(creating)
        except asyncio.CancelledError:
            self._spawn(self._cancel_when_created(creating))
            raise
        try:
            prediction = await self._until_done(prediction)
        except asyncio.CancelledError:
            await self._cancel_quietly(prediction["id"])
            raise
        status = prediction.get("status")
        if status != "succeeded":
            said = prediction.get("error")
            if said:
                self.log_upstream(f"prediction {prediction.get('id')} of {base_name(model)} {status}", str(said))
            error = _model_error(said, self.api_key) or status
            raise PredictionFailed(
                f"{self.name} prediction {prediction.get('id')} of {base_name(model)} {status}: {error}",
                provider=self.name,
                retryable=False,
                detail={
                    "prediction_id": prediction.get("id"),
                    "status": status,
                    "error": _model_error(said, self.api_key),
                    "model": model,
                },
            )
        return prediction

    async def _until_done(self, prediction: dict) -> dict:
        deadline = time.monotonic() + self.timeout
        interval = self.poll_interval
        while prediction.get("status") not in TERMINAL:
            if time.monotonic() >= deadline:
                await self._cancel_quietly(prediction["id"])
                raise ProviderError(
                    f"{self.name} prediction {prediction['id']} did not finish within {self.timeout:g} s (cancelled).",
                    provider=self.name,
                    retryable=True,
                )
            await asyncio.sleep(min(interval, max(deadline - time.monotonic(), 0)))
            interval = min(interval * 1.5, self.max_poll_interval)
            prediction = await self.get(prediction["id"])
        return prediction

    async def _cancel_quietly(self, prediction_id: str) -> None:
        """Cancel, shielded from a second cancellation and bounded in time; never raises."""
        task = self._spawn(self.cancel(prediction_id))
        try:
            await asyncio.wait_for(asyncio.shield(task), 10)
        except (asyncio.CancelledError, TimeoutError, ProviderError):
            pass

    async def _cancel_when_created(self, creating: asyncio.Future) -> None:
        try:
            prediction = await creating
        except (ProviderError, asyncio.CancelledError):
            return
        if prediction.get("status") not in TERMINAL:
            try:
                await self.cancel(prediction["id"])
            except ProviderError:
                pass

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def aclose(self) -> None:
        """Let pending cancels finish (call at shutdown)."""
        if self._background:
            await asyncio.wait(list(self._background), timeout=10)

    # -- schemas -----------------------------------------------------------------------------------

    async def input_schema(self, model: str) -> dict:
        """The JSON schema of ``model``'s inputs (``latest_version.openapi_schema``'s ``Input``, enums
        inlined), cached per model for ``schema_ttl`` seconds. The editor builds the node's form from it."""
        inputs, _ = await self.schemas(model)
        if inputs is None:
            raise ProviderError(
                f"{self.name}: no input schema for {model!r} (give owner/name).", provider=self.name, retryable=False
            )
        return inputs

    async def schemas(self, model: str) -> tuple[dict | None, dict | None]:
        """(Input, Output) schemas of a model; (None, None) for a bare version id."""
        ref = self.rules.resolve(model)
        if VERSION_ID.match(ref):
            return None, None
        cached = self._schemas.get(ref)
        if cached and cached[0] > time.monotonic():
            return cached[1], cached[2]
        loading = self._loading.get(ref)
        if loading is None:  # one fetch per model however many runs ask at once
            loading = self._loading[ref] = asyncio.ensure_future(self._fetch_schemas(ref))
            loading.add_done_callback(lambda _f: self._loading.pop(ref, None))
        return await asyncio.shield(loading)

    async def _fetch_schemas(self, ref: str) -> tuple[dict | None, dict | None]:
        name, _, version = ref.partition(":")
        if not MODEL_REF.match(ref):
            raise ProviderError(f"{ref!r} is not a Replicate model name.", provider=self.name, retryable=False)
        if version:
            openapi = (await self._call("GET", f"/v1/models/{name}/versions/{version}", budget=self.reads)).get(
                "openapi_schema"
            )
        else:
            latest = (await self._call("GET", f"/v1/models/{name}", budget=self.reads)).get("latest_version")
            openapi = (latest or {}).get("openapi_schema")
        components = ((openapi or {}).get("components") or {}).get("schemas") or {}
        inputs = _inline(components.get("Input"), components)
        outputs = _inline(components.get("Output"), components)
        self._schemas[ref] = (time.monotonic() + self.schema_ttl, inputs, outputs)
        return inputs, outputs

    async def schemas_or_none(self, model: str) -> tuple[dict | None, dict | None]:
        """Schemas when they can be had; a failed fetch only means the rules work without them."""
        try:
            return await self.schemas(model)
        except ProviderError:
            return None, None

    # -- files -------------------------------------------------------------------------------------

    async def file_input(self, media: Media) -> str:
        """A reference file as a model input: a data URI when small, else uploaded (files API)."""
        if len(media.data) < self.data_uri_max:
            return f"data:{media.content_type};base64,{base64.b64encode(media.data).decode()}"
        return await self.upload_bytes(media.data, media.content_type)

    async def hand_off(self, value: str, local=None) -> str:
        """A media input as something Replicate can fetch (``replicate_files.hand_off``): ``local`` is
        a ``LocalMedia`` for one of FlowAI's own files."""
        return await hand_off(self, value, local)

    async def upload_file(self, path: Path, content_type: str, name: str | None = None) -> str:
        """Upload a file through Replicate's files API (``POST /v1/files``, streamed from disk);
        returns its ``urls.get``, which a prediction's input may name."""
        size = path.stat().st_size
        if size > FILES_API_MAX:
            raise ProviderError(
                f"{self.name}: the file is {size} bytes, over the {FILES_API_MAX} bytes Replicate's files API "
                "takes; set FLOWAI_PUBLIC_URL so Replicate fetches it from this server.",
                provider=self.name,
                retryable=False,
            )
        with open(path, "rb") as f:  # httpx streams it in chunks, and rewinds it for a retry
            files = {"content": (name or filename("input", content_type), f, content_type)}
            uploaded = await self._call("POST", "/v1/files", budget=self.reads, files=files)
        return self._file_url(uploaded)

    async def upload_bytes(self, data: bytes, content_type: str) -> str:
        files = {"content": (filename("input", content_type), data, content_type)}
        return self._file_url(await self._call("POST", "/v1/files", budget=self.reads, files=files))

    def _file_url(self, uploaded: dict) -> str:
        url = ((uploaded or {}).get("urls") or {}).get("get")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ProviderError(f"{self.name}: the files API answered without urls.get.", provider=self.name)
        return url

    async def stream_output(self, url: str, write) -> str:
        """An output file to ``write`` as it downloads (``Family.stream_output``); a 5xx or a failed
        connection before any byte was written is tried again (up to 3 times)."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(lambda e: getattr(e, "retryable", False)),
            stop=_attempts(3),
            wait=wait_random_exponential(0.2, max=2),
            reraise=True,
        ):
            with attempt:
                return await Family.stream_output(self, url, write)
        raise AssertionError("unreachable")  # pragma: no cover

    async def download(self, url: str) -> Media:
        """Fetch an output file (``Family.fetch_output``: SSRF-checked, pinned, capped), retried on 5xx."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(lambda e: getattr(e, "retryable", False)),
            stop=_attempts(3),
            wait=wait_random_exponential(0.2, max=2),
            reraise=True,
        ):
            with attempt:
                return await self.fetch_output(url)
        raise AssertionError("unreachable")  # pragma: no cover

    def error_of(self, body: Any) -> tuple[str | None, str | None]:
        if isinstance(body, dict):
            detail = body.get("detail") or body.get("title") or body.get("error")
            return (str(detail).strip() if detail else None), None
        return None, None

    def http_error(self, resp: httpx.Response) -> ProviderError:
        """The family's mapping; a 422 also names the inputs the model refused (our own parameter names)."""
        exc = super().http_error(resp)
        if resp.status_code == 422:
            exc.detail = {"status": 422, "unknown_params": list(dict.fromkeys(ADDITIONAL.findall(resp.text)))}
        return exc

    # -- HTTP --------------------------------------------------------------------------------------

    def _auth(self) -> dict[str, str]:
        if not self.api_key:
            raise ProviderError(
                "Replicate is not configured: set REPLICATE_API_KEY (or REPLICATE_API_TOKEN).",
                provider=self.name,
                retryable=False,
            )
        return {"Authorization": f"Bearer {self.api_key}"}

    async def _call(
        self, method: str, path: str, *, budget: Budget, create: bool = False, headers: dict | None = None, **kw
    ) -> dict:
        """One API call within ``budget``; 429s wait for the time Replicate gave, then go again; 5xx and
        failed connects are retried with backoff (a create only while no prediction can exist)."""
        headers = {**self._auth(), **(headers or {})}

        def again(exc: BaseException) -> bool:
            if not isinstance(exc, ProviderError) or not exc.retryable:
                return False
            return not create or exc.http_status is not None or bool((exc.detail or {}).get("not_sent"))

        retries = _RETRIES.get()
        retries = self.max_retries if retries is None else retries

        def stop(state) -> bool:
            exc = state.outcome.exception()
            limit = self.max_throttle_retries if getattr(exc, "http_status", None) == 429 else retries + 1
            return state.attempt_number >= limit

        backoff = wait_random_exponential(multiplier=0.25, max=4)

        def wait(state) -> float:  # a 429 waits in the budget (all callers together), not here
            return 0.0 if getattr(state.outcome.exception(), "http_status", None) == 429 else backoff(state)

        async for attempt in AsyncRetrying(retry=retry_if_exception(again), stop=stop, wait=wait, reraise=True):
            with attempt:
                try:
                    async with budget.slot():
                        resp = await self.client.request(method, self.base_url + path, headers=headers, **kw)
                except httpx.TransportError as exc:
                    raise transport_error(self.name, exc) from None
                if resp.status_code == 429:
                    delay = _throttle_delay(resp)
                    budget.block(delay)
                    throttled = self.http_error(resp)
                    throttled.retry_after, throttled.retryable = delay, True
                    raise throttled
                if resp.status_code >= 400:
                    failure = self.http_error(resp)
                    failure.retryable = resp.status_code >= 500 or resp.status_code == 408
                    raise failure
                return resp.json()
        raise AssertionError("unreachable")  # pragma: no cover


def _attempts(n: int):
    return lambda state: state.attempt_number >= n


def _inline(schema: dict | None, components: dict) -> dict | None:
    """A component schema with each property's ``allOf: [{$ref}]`` / ``$ref`` merged in (enums inline)."""
    if not isinstance(schema, dict):
        return None

    def resolve(spec: dict) -> dict:
        refs = [spec["$ref"]] if "$ref" in spec else [p["$ref"] for p in spec.get("allOf") or () if "$ref" in p]
        if not refs:
            return spec
        merged = {k: v for k, v in spec.items() if k not in ("$ref", "allOf")}
        for ref in refs:
            target = components.get(ref.rsplit("/", 1)[-1]) or {}
            merged = {**{k: v for k, v in target.items() if k != "title"}, **merged}
        return merged

    out = resolve(dict(schema))
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: resolve(dict(v)) for k, v in out["properties"].items()}
    return out


def _model_error(error: Any, api_key: str | None) -> str | None:
    """What the model said went wrong, for the run: the exception's line of a traceback (its last
    line), anything key-like redacted, at most 300 characters; the whole text goes to the log."""
    lines = [line.strip() for line in str(error or "").strip().splitlines() if line.strip()]
    if not lines:
        return None
    line = lines[-1] if lines[0].startswith("Traceback") else lines[0]
    return redact(line, api_key)[:300]


def _throttle_delay(resp: httpx.Response) -> float:
    """Seconds until Replicate's budget resets: Retry-After, else "resets in ~Ns" in the detail, else 1."""
    seconds = retry_after(resp.headers)
    if seconds is not None:
        return seconds
    m = THROTTLE_RESET.search(resp.text)
    return float(m.group(1)) if m else 1.0
