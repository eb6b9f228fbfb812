"""Which node failures a node's ``retries`` try again, and how long to wait before each retry.

Retried (the next attempt may well succeed):

- a node timeout (``NodeTimeoutError``);
- a provider failure (``ProviderError``): an upstream 5xx, a 408 / 425 / 429, a dropped
  connection or a timeout, or "every provider failed" — except a spent workflow budget
  (``BudgetExceededError``), a refused key and any other 4xx, which are the request's fault;
- a node's own HTTP request that answered 5xx / 408 / 425 / 429 (``detail.status``).

Never retried: a config that is invalid after rendering, a refused or unreachable URL, an internal
error of the node, a cancelled run. The router's own retries at one provider (``[retry]`` in
providers.toml) happen inside each attempt.
"""

from __future__ import annotations

from flowai.errors import BudgetExceededError, FlowAIError, NodeTimeoutError, ProviderError

MAX_BACKOFF = 60.0  # seconds: the cap on the exponential wait between attempts
_TRANSIENT = frozenset({408, 425, 429})


def retryable(exc: BaseException) -> bool:
    """Whether another attempt of the node may succeed where this one failed."""
    if isinstance(exc, NodeTimeoutError):
        return True
    if isinstance(exc, BudgetExceededError):
        return False
    if isinstance(exc, ProviderError):
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        if detail.get("error") == "provider_auth_failed":
            return False
        status = exc.http_status
        return status is None or status >= 500 or status in _TRANSIENT
    if isinstance(exc, FlowAIError) and isinstance(exc.detail, dict):
        status = exc.detail.get("status")
        return isinstance(status, int) and (status >= 500 or status in _TRANSIENT)
    return False


def backoff(base: float, attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1, 2, …): ``base`` doubled per retry, capped."""
    return min(base * 2 ** (attempt - 1), MAX_BACKOFF)
