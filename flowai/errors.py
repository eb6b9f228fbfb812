"""The error hierarchy, and its one mapping to the API's status codes and error codes.

FlowAIError                      code / status
├── GraphError                   40001 / 400   a flowai/1 document is invalid (located issues)
├── InputError                   40001 / 400   run input does not match the input node
│   └── IdempotencyMismatchError 40001 / 422   an Idempotency-Key reused with a different request
├── AuthError                    40101 / 401
├── ForbiddenError               40301 / 403
├── NotFoundError                40401 / 404
│   └── ResourceNotFoundError    40402 / 404   the management API's "resource not found"
├── ConflictError                40901 / 409   a draft saved on a base that moved meanwhile
├── TooLargeError                40003 / 413
├── RateLimitedError             42901 / 429   carries retry_after
├── TaskQueueError               50004 / 500   a run the API needs is not in this process's queue
└── NodeError                    50001 / 500   a node failed; carries node_id
    ├── NodeTimeoutError         50001 / 500
    └── ProviderError            50002 / 502   every provider able to serve the node failed
        └── BudgetExceededError  42902 / 429   the workflow's daily provider budget is spent
"""

from __future__ import annotations

from typing import Any


class FlowAIError(Exception):
    code = 50001
    status = 500

    def __init__(self, message: str, *, detail: Any = None):
        super().__init__(message)
        self.message = message
        self.detail = detail

    def body(self) -> dict:
        return {"code": self.code, "message": self.message, "detail": self.detail}


class Issue(dict):
    """A located problem of a graph: the API's ``{message, node, edge, field}``; and, for the editor
    to say it in people's words, ``code`` and ``params`` — attributes, not keys, so the API's answer
    stays as it is. ``code`` None: only the English message says what is wrong."""

    code: str | None = None
    params: dict[str, Any] = {}  # noqa: RUF012 (replaced per instance by ``of``)

    @classmethod
    def of(
        cls,
        message: str,
        *,
        node: str | None = None,
        edge: int | None = None,
        field: str | None = None,
        code: str | None = None,
        **params: Any,
    ) -> Issue:
        issue = cls(message=message, node=node, edge=edge, field=field)
        issue.code, issue.params = code, params
        return issue


class GraphError(FlowAIError):
    """A graph document failed validation. ``issues`` is a list of located problems."""

    code, status = 40001, 400

    def __init__(self, issues: list[dict]):
        self.issues = issues
        first = issues[0]["message"] if issues else "invalid graph"
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        super().__init__(f"Invalid workflow: {first}{more}", detail=issues)


class InputError(FlowAIError):
    code, status = 40001, 400


class IdempotencyMismatchError(InputError):
    """An ``Idempotency-Key`` reused with a different request (as Stripe answers it)."""

    status = 422


class AuthError(FlowAIError):
    code, status = 40101, 401


class ForbiddenError(FlowAIError):
    code, status = 40301, 403


class NotFoundError(FlowAIError):
    code, status = 40401, 404


class ConflictError(FlowAIError):
    code, status = 40901, 409


class TooLargeError(FlowAIError):
    code, status = 40003, 413


class RateLimitedError(FlowAIError):
    code, status = 42901, 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, detail={"retry_after": retry_after})
        self.retry_after = retry_after


class TaskQueueError(FlowAIError):
    code, status = 50004, 500


class NodeError(FlowAIError):
    """A node failed while running. ``node_id`` is set by the engine when it catches it."""

    code, status = 50001, 500

    def __init__(self, message: str, *, node_id: str | None = None, detail: Any = None):
        super().__init__(message, detail=detail)
        self.node_id = node_id


class NodeTimeoutError(NodeError):
    pass


class ProviderError(NodeError):
    """An upstream AI provider failed. ``retryable`` says whether a fallback may help."""

    code, status = 50002, 502

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
        retryable: bool = True,
        detail: Any = None,
        kind: str | None = None,
        model: str | None = None,
    ):
        super().__init__(message, detail=detail)
        self.provider = provider
        self.model = model  # the model asked for, when known (for the run's trace)
        self.http_status = http_status
        self.retry_after = retry_after
        self.retryable = retryable
        self.kind = kind  # the failure's class when the status alone does not say (providers.family.error_class)


class ResourceNotFoundError(NotFoundError):
    """The management API's 'resource not found' (40402)."""

    code = 40402


class BudgetExceededError(ProviderError):
    """The workflow's daily budget (USD) is spent: refused before any provider is called.

    Answered as 429 / 42902 (a limit was reached, but not the key's rate limit 42901: retrying helps
    only after the reset) with
    ``retry_after``: seconds until the budget's day ends at the configured zone's midnight.
    """

    code, status = 42902, 429

    def __init__(self, message: str, *, retry_after: int, detail=None):
        super().__init__(message, retry_after=retry_after, retryable=False, detail=detail)
