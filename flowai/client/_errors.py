"""The client's errors, mirroring the API's codes (docs/run-api.md) one class each.

    FlowAIError                    any failure; ``code``, ``status``, ``message``, ``detail``
    ├── TransportError             no answer: connection refused, reset, timed out (status 0)
    ├── InputError                 40001 / 400  body or input invalid
    ├── TooLargeError              40003 / 413
    ├── AuthError                  40101 / 401  X-API-KEY missing, unknown or revoked
    ├── ForbiddenError             40301 / 403  the key is scoped to other workflows
    ├── NotFoundError              40401 / 404  no such workflow (or run), or not published
    ├── RateLimitedError           42901 / 429  carries ``retry_after`` (seconds)
    │   └── BudgetExceededError    42902 / 429  the workflow's daily provider budget is spent
    ├── ServerError                50001 / 500  anything else failed on the server
    └── ProviderError              50002 / 502  every provider able to serve a node failed

A run that fails while streaming raises the class of the ``error`` event's code, with ``node``.
"""

from __future__ import annotations

from typing import Any


class FlowAIError(Exception):
    code: int = 50001
    status: int = 500

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        status: int | None = None,
        detail: Any = None,
        node: str | None = None,
        run_id: str | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = self.code if code is None else code
        self.status = self.status if status is None else status
        self.detail = detail
        self.node = node
        self.run_id = run_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.message} (code {self.code})"


class TransportError(FlowAIError):
    code, status = 0, 0


class InputError(FlowAIError):
    code, status = 40001, 400


class TooLargeError(FlowAIError):
    code, status = 40003, 413


class AuthError(FlowAIError):
    code, status = 40101, 401


class ForbiddenError(FlowAIError):
    code, status = 40301, 403


class NotFoundError(FlowAIError):
    code, status = 40401, 404


class RateLimitedError(FlowAIError):
    code, status = 42901, 429


class BudgetExceededError(RateLimitedError):
    code = 42902


class ServerError(FlowAIError):
    code, status = 50001, 500


class ProviderError(FlowAIError):
    code, status = 50002, 502


BY_CODE: dict[int, type[FlowAIError]] = {
    cls.code: cls
    for cls in (
        InputError,
        TooLargeError,
        AuthError,
        ForbiddenError,
        NotFoundError,
        RateLimitedError,
        BudgetExceededError,
        ServerError,
        ProviderError,
    )
}
BY_STATUS: dict[int, type[FlowAIError]] = {400: InputError, 401: AuthError, 403: ForbiddenError, 404: NotFoundError}
BY_STATUS.update({413: TooLargeError, 429: RateLimitedError, 502: ProviderError})


def error_for(
    code: int | None,
    status: int,
    message: str,
    *,
    detail: Any = None,
    node: str | None = None,
    run_id: str | None = None,
    retry_after: float | None = None,
) -> FlowAIError:
    """The typed error of an answer: by its code when the server sent one, else by HTTP status."""
    cls = BY_CODE.get(code or -1) or BY_STATUS.get(status) or (ServerError if status >= 500 else FlowAIError)
    status = status or cls.status
    return cls(message, code=code, status=status, detail=detail, node=node, run_id=run_id, retry_after=retry_after)
