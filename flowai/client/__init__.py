"""A small typed client of FlowAI's published run API (``docs/client.md``); needs only ``httpx``.

    from flowai.client import FlowAI

    with FlowAI("http://127.0.0.1:8080", api_key) as fai:
        print(fai.run(workflow_id, {"输入": "在吗?"}).output)
        for event in fai.stream(workflow_id, {"输入": "在吗?"}):
            ...                                       # MsgEvent, StreamEvent, then OutputEvent / ErrorEvent
        run_id = fai.run_async(workflow_id, {...}); result = fai.wait(run_id)
        items = fai.batch(workflow_id, [{...}, {...}], concurrency=8, on_progress=print)
        fai.download(result.files, "output/")

``AsyncFlowAI`` has the same methods as coroutines (``stream``/``events``: async iterators); ``FlowAI``
runs it on a private event loop. Errors are ``FlowAIError`` subclasses, one per API error code.
"""

from ._async import AsyncFlowAI
from ._core import RetryPolicy, extension, files_in, format_name, numbered
from ._errors import (
    AuthError,
    BudgetExceededError,
    FlowAIError,
    ForbiddenError,
    InputError,
    NotFoundError,
    ProviderError,
    RateLimitedError,
    ServerError,
    TooLargeError,
    TransportError,
)
from ._sync import FlowAI
from ._types import BatchResult, ErrorEvent, Event, MsgEvent, OutputEvent, RunResult, RunStatus, StreamEvent

__all__ = [
    "AsyncFlowAI",
    "AuthError",
    "BatchResult",
    "BudgetExceededError",
    "ErrorEvent",
    "Event",
    "FlowAI",
    "FlowAIError",
    "ForbiddenError",
    "InputError",
    "MsgEvent",
    "NotFoundError",
    "OutputEvent",
    "ProviderError",
    "RateLimitedError",
    "RetryPolicy",
    "RunResult",
    "RunStatus",
    "ServerError",
    "StreamEvent",
    "TooLargeError",
    "TransportError",
    "extension",
    "files_in",
    "format_name",
    "numbered",
]
