"""The router: serves a node's provider call from the first provider able to, in priority order.

For each call it

1. refuses at once when the workflow's daily budget is spent (``BudgetExceededError``), and per
   candidate holds the call's estimated cost against it in the same statement that checks it
   (concurrent runs are admitted one by one; the real cost replaces the estimate afterwards);
2. lists candidates: ``provider="auto"`` walks the task's priority list (``ProviderConfig``)
   keeping providers that have credentials and are not cooling down; a named provider pins
   the call to it;
3. per candidate, reserves quota atomically in the database (an exhausted quota skips the
   provider without calling it), calls it with retries (exponential backoff with jitter,
   honouring ``Retry-After`` up to a cap: a longer wait moves on), and falls back to the next
   candidate on a retryable failure (429, 5xx, timeout, connection error) or an account
   problem of that provider (401, 402, a non-retryable 429 such as exhausted credit);
   a 4xx caused by the request ends the call with the provider's message;
4. counts the units served (tokens, characters, seconds, images), estimates the cost from the
   price table when the provider did not say, and records both per provider and period, and
   the cost per workflow and day.

A chat stream falls back only before its first delta: after it, a failure is the node's error.
After ``cooldown_failures`` consecutive failed calls a provider is skipped for
``cooldown_seconds`` (per process); a refused credential (401/403) cools it down at once, and a
``Retry-After`` while another candidate is left moves on at once, cooling the provider down for
that long. Every result's ``usage.fallbacks`` lists the providers tried before
(``{"provider", "status", "error", "reason"}``: ``error`` is the class, e.g. ``rate_limited`` or
``provider_auth_failed``, ``reason`` our safe message, never the upstream's body); when all fail,
``ProviderError`` (50002) carries them in ``detail["attempts"]`` with ``detail["error"]``
``all_providers_failed`` (``provider_auth_failed`` when every provider refused its credential).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from flowai.errors import ProviderError

from .base import (
    AudioResult,
    ChatChunk,
    ChatRequest,
    ImageRequest,
    ImageResult,
    Scope,
    SpeechRequest,
    Transcript,
    TranscriptionRequest,
    Usage,
    serves,
    task_call,
)
from .budget_watch import BudgetWatch
from .catalog import CATALOG
from .config import FileConfig, Policy, ProviderConfig
from .credentials import Credentials
from .directory import Directory, ProviderSource
from .family import error_class, transport_error
from .ledger import Ledger, Reservation, SpendHold
from .monitor import OK, CallStats
from .monitor import error_class as outcome_class

_EXHAUSTED = object()
OUTPUT_ESTIMATE = 1024  # completion tokens a chat is assumed to cost when it sets no max_tokens
# what one attempt at a chat opens: its exit stack, the stream, its chunks and the first of them
_Opened = tuple[AsyncExitStack, Any, AsyncIterator[ChatChunk], ChatChunk | None]


@dataclass(frozen=True, slots=True)
class _Hold:
    """What a call holds while it runs: its provider's quota and its workflow's budget."""

    quota: Reservation | None = None
    spend: SpendHold | None = None


@dataclass(slots=True)
class _Health:
    failures: int = 0
    until: float = 0.0  # monotonic time the cool-down ends
    why: str = ""  # what started the cool-down, for the skipped attempt's reason
    refused: Any = None  # the client whose credential was refused: a rebuilt one (a new key) is not cooled


class Router:
    def __init__(
        self,
        providers: ProviderSource,
        config: ProviderConfig | None = None,
        *,
        ledger: Ledger | None = None,
        clock: Callable[[], float] = time.monotonic,
        stats: CallStats | None = None,
    ):
        self.providers = providers
        self.stats = stats  # per-attempt outcomes and latency (monitor.py), None: not kept
        self.config = config or ProviderConfig()
        self.ledger = ledger
        self.clock = clock
        self._health: dict[str, _Health] = {}
        self.budget_watch: BudgetWatch | None = None  # warns as a workflow's budget runs low (budget_watch.py)
        # told of each cool-down this process starts (provider, unix time it ends, why): a scaled
        # deployment shares it with its other processes (flowai.scale.cooldowns)
        self.on_cooldown: Callable[[str, float, str], None] | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], client: httpx.AsyncClient, *, policy: Policy | None = None) -> Router:
        """A router on environment credentials only: no database, so no quotas, usage or budgets."""
        directory = Directory(Credentials(None, "", env), client)
        return cls(directory, ProviderConfig(FileConfig(policy=policy or Policy())))

    # -- the task methods (flowai.services.Services) --

    @asynccontextmanager
    async def chat(
        self, request: ChatRequest, *, provider: str = "auto", task: str = "text", scope: Scope | None = None
    ) -> AsyncIterator[RoutedStream]:
        if task not in ("text", "multimodal"):
            raise ProviderError(f"A chat call serves the text or multimodal task, not {task!r}.", retryable=False)
        candidates, attempts = await self._candidates(task, provider, scope)
        estimate = {
            "tokens": sum(len(_text_of(m.get("content"))) for m in request.messages) // 4,
            "output": request.max_tokens or OUTPUT_ESTIMATE,
        }
        model = None  # the model of the last provider tried, for the trace of a failed call
        for i, (name, client) in enumerate(candidates):
            reservation = await self._reserve(name, estimate, attempts, scope)
            if reservation is _EXHAUSTED:
                continue
            retrying = self._retrying(more=i < len(candidates) - 1)
            model = request.model or getattr(client, "default_model", None)
            try:
                opened: _Opened = await retrying(self._open_chat, name, client, request, task)
                stack, stream, chunks, first = opened
            except ProviderError as exc:
                await self._failed(name, exc, reservation, attempts, client=client)
                if _falls_back(exc):
                    continue
                ended = _ended(exc, attempts)
                ended.model = model
                raise ended from None
            except BaseException:  # cancelled (or a bug): nothing was served, give the quota back
                self._release_now(reservation)
                raise
            async with stack:
                routed = RoutedStream(first, chunks, stream.usage)
                try:
                    yield routed
                except (ProviderError, httpx.HTTPError) as exc:  # after the first delta: no switch
                    await self._failed(
                        name, exc if isinstance(exc, ProviderError) else transport_error(name, exc), reservation, None
                    )
                    raise
                except BaseException:  # cancelled mid-stream (client gone, timeout): what was streamed is billed
                    self._served_now(routed.billed(estimate["tokens"]), name, task, attempts, reservation, scope)
                    raise
                await self._served(stream.usage, name, task, attempts, reservation, scope)
            return
        failed = _all_failed(attempts)
        failed.model = model
        raise failed

    async def image(self, request: ImageRequest, *, provider: str = "auto", scope: Scope | None = None) -> ImageResult:
        price = self._price_estimate("image", provider)
        return await self._call(
            "image", request, provider, scope, {"images": request.n, "cost": request.n * price.image}
        )

    async def speech(
        self, request: SpeechRequest, *, provider: str = "auto", scope: Scope | None = None
    ) -> AudioResult:
        price = self._price_estimate("tts", provider)
        chars = len(request.text)
        return await self._call(
            "tts", request, provider, scope, {"characters": chars, "cost": chars * price.characters / 1000}
        )

    async def transcribe(
        self, request: TranscriptionRequest, *, provider: str = "auto", scope: Scope | None = None
    ) -> Transcript:
        return await self._call("stt", request, provider, scope, {})

    async def metered(
        self, name: str, call: Callable[[], Awaitable[Any]], *, task: str, scope: Scope | None = None
    ) -> Any:
        """Account for a call made outside the task methods (the replicate node, which has its own
        rate limit and model fallbacks): the workflow's budget is checked first and the provider's
        quota reserved, and the usage the result reports (``result.usage``) is counted and costed.
        No retries or provider fallback here."""
        await self._check_budget(scope)
        attempts: list[dict[str, Any]] = []
        reservation = await self._reserve(name, {}, attempts, scope)
        if reservation is _EXHAUSTED:
            raise ProviderError(attempts[0]["reason"], provider=name, retryable=False, detail={"attempts": attempts})
        started = time.perf_counter()
        try:
            result = await call()
        except ProviderError as exc:
            self._observe(name, task, started, exc)
            await self._failed(name, exc, reservation, None)
            raise
        except BaseException:
            self._release_now(reservation)
            raise
        self._observe(name, task, started, None)
        await self._served(result.usage, name, task, result.usage.fallbacks, reservation, scope)
        return result

    # -- health (cool-down) --

    def cooling_until(self, name: str) -> float | None:
        """Unix time the provider's cool-down ends, or None when it is not cooling down."""
        health = self._health.get(name)
        if health is None or health.until <= self.clock():
            return None
        return time.time() + (health.until - self.clock())

    def cool_down(self, name: str, until: float, why: str) -> None:
        """Skip ``name`` until unix time ``until``: a cool-down another process started."""
        health = self._health.setdefault(name, _Health())
        ends = self.clock() + (until - time.time())
        if ends > health.until:
            health.until, health.why = ends, why

    # -- internals --

    async def _call(
        self, task: str, request: Any, provider: str, scope: Scope | None, estimate: dict[str, float]
    ) -> Any:
        candidates, attempts = await self._candidates(task, provider, scope)
        for i, (name, client) in enumerate(candidates):
            reservation = await self._reserve(name, estimate, attempts, scope)
            if reservation is _EXHAUSTED:
                continue
            retrying = self._retrying(more=i < len(candidates) - 1)
            try:
                result: Any = await retrying(self._call_once, name, task_call(client, task), request, task)
            except ProviderError as exc:
                await self._failed(name, exc, reservation, attempts, client=client)
                if _falls_back(exc):
                    continue
                raise _ended(exc, attempts) from None
            except BaseException:
                self._release_now(reservation)
                raise
            await self._served(result.usage, name, task, attempts, reservation, scope)
            return result
        raise _all_failed(attempts)

    async def _candidates(
        self, task: str, provider: str, scope: Scope | None
    ) -> tuple[list[tuple[str, Any]], list[dict[str, Any]]]:
        """The providers to try in order, and the attempts already settled (skipped while cooling down)."""
        await self._check_budget(scope)
        if provider not in ("", "auto"):
            if not self.providers.known(provider):
                raise ProviderError(
                    f"Unknown provider {provider!r}; known providers: {', '.join(CATALOG)}.",
                    provider=provider,
                    retryable=False,
                )
            client = self.providers.get(provider)
            if client is None:
                raise ProviderError(
                    f"Provider {provider!r} is not configured; set {self.providers.hint(provider)} "
                    "or enter its key on the Providers page.",
                    provider=provider,
                    retryable=False,
                )
            if not serves(client, task):
                raise ProviderError(
                    f"Provider {provider!r} cannot serve the {task} task.", provider=provider, retryable=False
                )
            return [(provider, client)], []  # pinned: tried even while cooling down (there is no other)
        names = self.config.priorities(task)
        found = [(n, c) for n in names if (c := self.providers.get(n)) is not None and _serves(c, task)]
        if not found:
            raise ProviderError(self._none_ready(task, names), retryable=False)
        for n, c in found:
            health = self._health.get(n)
            if health is not None and health.refused is not None and health.refused is not c:
                del self._health[n]  # its credentials changed since its key was refused
        ready = [(n, c) for n, c in found if self.cooling_until(n) is None]
        skipped: list[dict[str, Any]] = [
            {
                "provider": n,
                "status": None,
                "error": "cooling_down",
                "reason": f"{n} is cooling down after {self._health[n].why or f'{self._health[n].failures} failures'} "
                f"({self._health[n].until - self.clock():.0f} s left).",
            }
            for n, _ in found
            if self.cooling_until(n) is not None
        ]
        if not ready:
            raise ProviderError(
                f"Every {task} provider is cooling down after repeated failures: "
                + " ".join(a["reason"] for a in skipped),
                detail={"error": "all_providers_failed", "attempts": skipped},
                retryable=False,
            )
        return ready, skipped

    def _none_ready(self, task: str, names: list[str]) -> str:
        """Why no provider can serve ``task``: the keys to set, and what the ones with a key lack."""
        missing = getattr(self.providers, "missing", None)
        has_key = getattr(self.providers, "has_key", None)
        problems = [p for n in names if missing is not None and (p := missing(n, task))]
        keyless = [self.providers.hint(n) for n in names if has_key is None or not has_key(n)]
        pin = (
            " (or pin a configured provider that reads images, e.g. openai or anthropic)"
            if task == "multimodal"
            else ""
        )
        text = f"set one of: {'; '.join(keyless)}; or enter a key on the Providers page{pin}" if keyless else ""
        if not problems:
            return f"No {task} provider is configured; {text}."
        return f"No {task} provider is ready: {'; '.join(problems)}." + (f" Otherwise {text}." if text else "")

    async def _check_budget(self, scope: Scope | None) -> None:
        """Refuse before choosing a provider when the budget is already spent (the hold per candidate,
        ``_reserve``, is what keeps concurrent calls within it)."""
        if self.ledger is None or scope is None or not scope.workflow_id:
            return
        ledger, wf = self.ledger, scope.workflow_id
        known, budget = ledger.cached_budget(wf)
        if not known:
            budget = await asyncio.to_thread(ledger.budget, wf)
        if budget is None:
            return
        spent = await asyncio.to_thread(ledger.spent_today, wf)
        if spent >= budget:
            raise ledger.budget_error(budget, spent)

    async def _reserve(
        self, name: str, estimate: Mapping[str, float], attempts: list, scope: Scope | None
    ) -> _Hold | object:
        """Hold the workflow's budget (BudgetExceededError when spent) and the provider's quota
        (``_EXHAUSTED`` when it would go over, with the attempt noted) for one call."""
        if self.ledger is None:
            return _Hold()
        spend = None
        if scope is not None and scope.workflow_id and self.ledger.cached_budget(scope.workflow_id) != (True, None):
            spend = await asyncio.to_thread(  # a workflow known to have no budget needs no hop to a thread
                self.ledger.hold_spend, scope.workflow_id, self._cost_estimate(name, estimate)
            )
        quota = self.config.quota(name)
        if quota is None:
            return _Hold(None, spend)
        amount = 1.0 if quota.unit == "calls" else float(estimate.get(quota.unit, 0.0))
        try:
            reservation = await asyncio.to_thread(self.ledger.reserve, name, quota, amount)
        except BaseException:
            self._release_now(_Hold(None, spend))
            raise
        if reservation is None:
            if spend is not None:
                await asyncio.to_thread(self.ledger.release_spend, spend)
            attempts.append(
                {
                    "provider": name,
                    "status": None,
                    "error": "quota_exhausted",
                    "reason": f"{name} quota exhausted ({quota.limit:g} {quota.unit} per {quota.period}).",
                }
            )
            return _EXHAUSTED
        return _Hold(reservation, spend)

    def _cost_estimate(self, name: str, estimate: Mapping[str, float]) -> float:
        """What one call is expected to cost at ``name``'s prices (held against the budget)."""
        if "cost" in estimate:
            return float(estimate["cost"])
        if "tokens" not in estimate or name not in CATALOG:
            return 0.0
        guess = Usage(name, "", prompt_tokens=int(estimate["tokens"]), completion_tokens=int(estimate["output"]))
        return self.config.price(name).cost(guess)

    def _retrying(self, *, more: bool = False) -> AsyncRetrying:
        """Retries at one provider. With ``more`` candidates left, a ``Retry-After`` is not waited
        out here: the call moves on at once and the provider cools down for that long (``_failed``)."""
        policy = self.config.policy
        jitter = wait_random_exponential(multiplier=policy.backoff, max=policy.max_backoff)

        def wait(state) -> float:
            return max(getattr(state.outcome.exception(), "retry_after", None) or 0.0, jitter(state))

        def retry_after_too_long(state) -> bool:
            after = getattr(state.outcome.exception(), "retry_after", None)
            return (more and bool(after)) or (after or 0.0) > policy.max_retry_after

        attempts_over = stop_after_attempt(policy.retries + 1)

        def stop(state) -> bool:
            return attempts_over(state) or retry_after_too_long(state)

        return AsyncRetrying(
            stop=stop,
            wait=wait,
            retry=retry_if_exception(lambda e: isinstance(e, ProviderError) and e.retryable),
            reraise=True,
        )

    async def _open_chat(self, name: str, client: Any, request: ChatRequest, task: str = "text") -> _Opened:
        """One attempt: open the stream and read up to its first delta (where fallback ends)."""
        stack = AsyncExitStack()
        started = time.perf_counter()
        try:
            async with self._deadline(name):
                stream = await stack.enter_async_context(client.stream_chat(request))
                chunks = aiter(stream)
                first = await anext(chunks, None)
        except BaseException as exc:
            await stack.__aexit__(type(exc), exc, exc.__traceback__)
            if isinstance(exc, httpx.HTTPError):
                exc = transport_error(name, exc)
                self._observe(name, task, started, exc)
                raise exc from None
            if isinstance(exc, ProviderError):
                self._observe(name, task, started, exc)
            raise
        self._observe(name, task, started, None)
        return stack, stream, chunks, first

    async def _call_once(
        self, name: str, method: Callable[[Any], Awaitable[Any]], request: Any, task: str = "text"
    ) -> Any:
        started = time.perf_counter()
        try:
            async with self._deadline(name):
                result = await method(request)
        except httpx.HTTPError as exc:
            wrapped = transport_error(name, exc)
            self._observe(name, task, started, wrapped)
            raise wrapped from None
        except ProviderError as exc:
            self._observe(name, task, started, exc)
            raise
        self._observe(name, task, started, None)
        return result

    def _observe(self, name: str, task: str, started: float, exc: BaseException | None) -> None:
        if self.stats is not None:
            outcome = OK if exc is None else outcome_class(exc)
            self.stats.observe(name, task, outcome, time.perf_counter() - started)

    @asynccontextmanager
    async def _deadline(self, name: str):
        timeout = self.config.policy.timeout
        if not timeout:
            yield
            return
        try:
            async with asyncio.timeout(timeout):
                yield
        except TimeoutError:
            raise ProviderError(f"{name} did not answer within {timeout:g} s.", provider=name) from None

    async def _failed(
        self, name: str, exc: ProviderError, reservation, attempts: list | None, *, client: Any = None
    ) -> None:
        if attempts is not None:
            kind = _kind(exc)
            attempts.append({"provider": name, "status": exc.http_status, "error": kind, "reason": exc.message})
        await asyncio.to_thread(self._release_now, reservation)
        if _falls_back(exc) or attempts is None:  # the provider's failure, not the request's
            health = self._health.setdefault(name, _Health())
            before = health.until
            health.failures += 1
            policy, now = self.config.policy, self.clock()
            if _kind(exc) == "provider_auth_failed":  # the key is refused: no use asking again soon
                health.until, health.why = max(health.until, now + policy.cooldown_seconds), "a refused credential"
                health.refused = client
            elif exc.retry_after and exc.retryable:  # it said when to come back
                if now + exc.retry_after > health.until:
                    health.until, health.why = now + exc.retry_after, f"Retry-After {exc.retry_after:g} s"
            if health.failures >= policy.cooldown_failures:
                health.until = max(health.until, now + policy.cooldown_seconds)
                health.why = f"{health.failures} failures"
            if health.until > before and self.on_cooldown is not None:
                self.on_cooldown(name, time.time() + (health.until - self.clock()), health.why)
            if self.ledger is not None:
                await asyncio.to_thread(self.ledger.record_failure, name)

    def _served_now(self, usage: Usage, name: str, task: str, attempts: list, reservation, scope) -> None:
        """``_served`` without awaiting, for a stream cut off by cancellation: the usage (estimated
        where the provider never said) is recorded before the task goes."""
        usage.provider, usage.task, usage.fallbacks = name, task, attempts
        if usage.cost is None and name in CATALOG:
            usage.cost = self.config.price(name).cost(usage)
        if self.ledger is not None:
            self.ledger.record(
                usage,
                workflow_id=scope.workflow_id if scope else None,
                reservation=reservation.quota if isinstance(reservation, _Hold) else None,
                spend=reservation.spend if isinstance(reservation, _Hold) else None,
            )

    def _release_now(self, reservation) -> None:
        """Give a hold back without awaiting (the task may be being cancelled)."""
        if not isinstance(reservation, _Hold) or self.ledger is None:
            return
        if reservation.quota is not None:
            self.ledger.release(reservation.quota)
        if reservation.spend is not None:
            self.ledger.release_spend(reservation.spend)

    async def _served(self, usage: Usage, name: str, task: str, attempts: list, reservation, scope) -> None:
        self._health.pop(name, None)
        usage.provider, usage.task = name, task
        usage.fallbacks = attempts
        if usage.cost is None:
            usage.cost = self.config.price(name).cost(usage) if name in CATALOG else None
        if self.ledger is not None:
            await asyncio.to_thread(
                self.ledger.record,
                usage,
                workflow_id=scope.workflow_id if scope else None,
                reservation=reservation.quota if isinstance(reservation, _Hold) else None,
                spend=reservation.spend if isinstance(reservation, _Hold) else None,
            )
        if self.budget_watch is not None and scope is not None and scope.workflow_id and usage.cost:
            await self.budget_watch.observe(scope.workflow_id, run_id=scope.run_id, node_id=scope.node_id)

    def _price_estimate(self, task: str, provider: str):
        """The price used to estimate cost quotas before a call: the first candidate's."""
        names = [provider] if provider not in ("", "auto") else self.config.priorities(task)[:1]
        return self.config.price(names[0]) if names and names[0] in CATALOG else CATALOG["openai"].price


class RoutedStream:
    """A chat stream as the router hands it out: its deltas, then ``usage()`` with the fallbacks."""

    def __init__(self, first: ChatChunk | None, rest: AsyncIterator[ChatChunk], usage: Usage):
        self._first, self._rest, self._usage = first, rest, usage
        self._chars = 0  # streamed so far, to bill a stream cut off before its usage arrived

    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        if self._first is not None:
            self._chars += len(self._first.content or "") + len(self._first.reasoning or "")
            yield self._first
        async for chunk in self._rest:
            self._chars += len(chunk.content or "") + len(chunk.reasoning or "")
            yield chunk

    def billed(self, prompt_estimate: int) -> Usage:
        """The usage of a stream cut off early: the provider's figures, else estimates (~4 chars a token)."""
        usage = self._usage
        if usage.prompt_tokens is None:
            usage.prompt_tokens = prompt_estimate
        if usage.completion_tokens is None:
            usage.completion_tokens = max(1, self._chars // 4)
        return usage

    @property
    def provider(self) -> str:
        return self._usage.provider

    def usage(self) -> dict:
        return self._usage.as_dict()


def _serves(client: Any, task: str) -> bool:
    """The client implements the task's interface, and (when it can tell) is set up to serve it now:
    Replicate serves multimodal only once a vision-language model is chosen (``ReplicateChat.serves``)."""
    ready = getattr(client, "serves", None)
    return serves(client, task) and (ready is None or ready(task))


def _falls_back(exc: ProviderError) -> bool:
    return exc.retryable or exc.http_status in (402, 429) or _kind(exc) == "provider_auth_failed"


def _kind(exc: ProviderError) -> str:
    """The failure's class: the family's word for it, else the status's (``family.error_class``)."""
    return exc.kind or error_class(exc.http_status)


def _ended(exc: ProviderError, attempts: list) -> ProviderError:
    """A failure no other provider can help with (the request's fault): the provider's (safe) message."""
    return ProviderError(
        exc.message,
        provider=exc.provider,
        http_status=exc.http_status,
        retryable=False,
        detail={"error": _kind(exc), "attempts": attempts},
    )


def _all_failed(attempts: list) -> ProviderError:
    auth = bool(attempts) and all(a.get("error") == "provider_auth_failed" for a in attempts)
    detail = {"error": "provider_auth_failed" if auth else "all_providers_failed", "attempts": attempts}
    if len(attempts) == 1:
        one = attempts[0]
        return ProviderError(
            one["reason"], provider=one["provider"], http_status=one["status"], retryable=False, detail=detail
        )
    reasons = "; ".join(a["reason"] for a in attempts)
    return ProviderError(f"Every provider able to serve this node failed: {reasons}", detail=detail, retryable=False)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""
